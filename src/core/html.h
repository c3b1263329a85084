/* HTML escaping: the one function through which any string reaches HTML.
 * Escapes & < > " ' so the result is safe in text and in quoted attributes. */
#ifndef PIN_CORE_HTML_H
#define PIN_CORE_HTML_H

#include <stddef.h>

#include "core/arena.h"

void pin_html_escape(pin_buf *out, const char *s, size_t len);
/* Convenience: escape a NUL-terminated string into a new arena string. */
const char *pin_html_escaped(pin_arena *a, const char *s);

#endif
