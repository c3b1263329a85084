/* Arena (region) allocator: one per request, freed in one call.
 *
 * Everything a request handler allocates comes from its arena and dies with
 * it in pin_arena_clear(). Allocation never fails (it aborts on OOM, see
 * err.h), so callers must bound client-controlled sizes before asking.
 * Not thread-safe: an arena belongs to one thread at a time.
 */
#ifndef PIN_CORE_ARENA_H
#define PIN_CORE_ARENA_H

#include <stdarg.h>
#include <stddef.h>

#include "core/err.h"

typedef struct pin_arena_block pin_arena_block;

typedef struct pin_arena {
    pin_arena_block *head; /* newest block; older ones linked behind */
    size_t total;          /* bytes handed out, for logs and limits */
    pin_arena_block *own;  /* the caller's block (pin_arena_init), never freed */
} pin_arena;

/* An arena starts zeroed: `pin_arena a = {0};` is ready to use. */
/* Or starts in caller-owned memory (`buf`, `size` bytes, e.g. inside a
 * request struct) so small requests never call malloc; the arena grows
 * onto the heap beyond it and never frees `buf`. */
void pin_arena_init(pin_arena *a, void *buf, size_t size);
void pin_arena_clear(pin_arena *a); /* frees every heap block; the arena is reusable */

/* Returns n bytes aligned for any type, owned by the arena. */
void *pin_arena_alloc(pin_arena *a, size_t n);
void *pin_arena_zalloc(pin_arena *a, size_t n);
char *pin_arena_strdup(pin_arena *a, const char *s);
char *pin_arena_strndup(pin_arena *a, const char *s, size_t n);
char *pin_arena_printf(pin_arena *a, const char *fmt, ...) PIN_PRINTF(2, 3);
char *pin_arena_vprintf(pin_arena *a, const char *fmt, va_list ap);

/* A growable byte buffer whose storage lives in an arena. Always
 * NUL-terminated after any append (len does not count the NUL). */
typedef struct pin_buf {
    pin_arena *arena;
    char *data;
    size_t len, cap;
} pin_buf;

void pin_buf_init(pin_buf *b, pin_arena *a);
void pin_buf_append(pin_buf *b, const char *s, size_t n);
void pin_buf_puts(pin_buf *b, const char *s);
void pin_buf_putc(pin_buf *b, char c);
void pin_buf_printf(pin_buf *b, const char *fmt, ...) PIN_PRINTF(2, 3);

#endif
