/* JSON helpers over jansson: a fast compact writer, request-arena
 * allocation for jansson's values, and writing hot entities as text.
 *
 * Serializing a page of posts is most of the work of a timeline request;
 * jansson's own writer and its malloc per string and per object key were
 * half of that. The writer and the arena allocation cut both without
 * changing a byte of what clients receive.
 */
#ifndef PIN_CORE_JSON_H
#define PIN_CORE_JSON_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"

/* Writes `v` as compact JSON (what json_dumps gives with JSON_COMPACT |
 * JSON_ENCODE_ANY) into `a`, NUL-terminated; *len (may be NULL) receives
 * its length. A string or key that is not valid UTF-8 (values made with
 * jansson's _nocheck functions) has each bad byte written as U+FFFD, so
 * the output is always valid JSON. */
char *pin_json_dump(pin_arena *a, const json_t *v, size_t *len);

/* Makes jansson allocate from arenas: call once at program start, before
 * any jansson value exists. Afterwards pin_json_arena(a) makes this
 * thread's jansson values come from `a` (freeing them costs nothing) until
 * it is called again; it returns the arena it replaces (NULL: the heap).
 * A value from an arena must not be used after that arena is cleared;
 * values from the heap behave as before wherever they are freed. */
void pin_json_init(void);
pin_arena *pin_json_arena(pin_arena *a);

/* Writing JSON text directly, for entities serialized so often that
 * building a jansson value first is most of their cost (an account: one
 * per post on every page). put_string escapes as pin_json_dump does
 * (NULL writes null). pin_json_raw wraps finished text (one complete JSON
 * value) as a value that pin_json_dump writes as it is; to jansson it is a
 * string, so it is only for putting into documents, not for reading back.
 * Needs pin_json_init. */
void pin_json_put_string(pin_buf *b, const char *s);
void pin_json_put_integer(pin_buf *b, int64_t v);
json_t *pin_json_raw(const char *text, size_t n);

#endif
