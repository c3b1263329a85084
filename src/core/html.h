/* HTML escaping: the one function through which any string reaches HTML.
 * Escapes & < > " ' so the result is safe in text and in quoted attributes. */
#ifndef PIN_CORE_HTML_H
#define PIN_CORE_HTML_H

#include <stdbool.h>
#include <stddef.h>

#include "core/arena.h"

void pin_html_escape(pin_buf *out, const char *s, size_t len);
/* Convenience: escape a NUL-terminated string into a new arena string. */
const char *pin_html_escaped(pin_arena *a, const char *s);

/* Percent-encodes every byte but A-Z a-z 0-9 - _ . ~ (and '/' when
 * `keep_slash`), for URLs built from stored or received text (arena). */
const char *pin_url_encode(pin_arena *a, const char *s, bool keep_slash);

#endif
