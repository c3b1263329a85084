#include "core/arena.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

struct pin_arena_block {
    pin_arena_block *next;
    size_t used, cap;
    _Alignas(max_align_t) unsigned char data[];
};

enum { BLOCK_MIN = 8192, ALIGN = _Alignof(max_align_t) };

void pin_arena_init(pin_arena *a, void *buf, size_t size)
{
    a->head = a->own = NULL;
    a->total = 0;
    /* Align the caller's buffer and keep it only if it is worth a block. */
    uintptr_t p = ((uintptr_t)buf + ALIGN - 1) & ~(uintptr_t)(ALIGN - 1);
    size_t lost = p - (uintptr_t)buf;
    if (size < lost + sizeof(pin_arena_block) + 256) return;
    pin_arena_block *b = (pin_arena_block *)p;
    b->next = NULL;
    b->used = 0;
    b->cap = size - lost - sizeof(pin_arena_block);
    a->head = a->own = b;
}

void pin_arena_clear(pin_arena *a)
{
    pin_arena_block *b = a->head;
    while (b && b != a->own) {
        pin_arena_block *next = b->next;
        free(b);
        b = next;
    }
    a->head = a->own;
    if (a->own) a->own->used = 0;
    a->total = 0;
}

void *pin_arena_alloc(pin_arena *a, size_t n)
{
    n = (n + ALIGN - 1) & ~(size_t)(ALIGN - 1);
    if (n == 0) n = ALIGN;
    pin_arena_block *b = a->head;
    if (!b || b->cap - b->used < n) {
        size_t cap = n > BLOCK_MIN ? n : BLOCK_MIN;
        /* Grow geometrically so a big response does not make many blocks. */
        if (b && b->cap * 2 > cap && b->cap < (1u << 20)) cap = b->cap * 2;
        PIN_ASSERT(cap < ((size_t)1 << 40));
        b = pin_xmalloc(sizeof(*b) + cap);
        b->used = 0;
        b->cap = cap;
        b->next = a->head;
        a->head = b;
    }
    void *p = b->data + b->used;
    b->used += n;
    a->total += n;
    return p;
}

void *pin_arena_zalloc(pin_arena *a, size_t n)
{
    return memset(pin_arena_alloc(a, n), 0, n);
}

char *pin_arena_strndup(pin_arena *a, const char *s, size_t n)
{
    char *p = pin_arena_alloc(a, n + 1);
    memcpy(p, s, n);
    p[n] = 0;
    return p;
}

char *pin_arena_strdup(pin_arena *a, const char *s)
{
    return pin_arena_strndup(a, s, strlen(s));
}

char *pin_arena_vprintf(pin_arena *a, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    /* Formatted once, in place, when it fits in the current block (ids and
     * URLs nearly always do); measured first otherwise. */
    pin_arena_block *b = a->head;
    size_t room = b ? b->cap - b->used : 0;
    int n = vsnprintf(room ? (char *)b->data + b->used : NULL, room, fmt, ap2);
    va_end(ap2);
    PIN_ASSERT(n >= 0);
    if ((size_t)n < room) {
        char *p = (char *)b->data + b->used;
        size_t used = ((size_t)n + 1 + ALIGN - 1) & ~(size_t)(ALIGN - 1);
        if (used > room) used = room; /* a caller's block need not end aligned */
        b->used += used;
        a->total += used;
        return p;
    }
    char *p = pin_arena_alloc(a, (size_t)n + 1);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    return p;
}

char *pin_arena_printf(pin_arena *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *p = pin_arena_vprintf(a, fmt, ap);
    va_end(ap);
    return p;
}

void pin_buf_init(pin_buf *b, pin_arena *a)
{
    b->arena = a;
    b->cap = 256;
    b->len = 0;
    b->data = pin_arena_alloc(a, b->cap);
    b->data[0] = 0;
}

static void reserve(pin_buf *b, size_t extra)
{
    if (b->len + extra + 1 <= b->cap) return;
    size_t cap = b->cap * 2;
    while (cap < b->len + extra + 1)
        cap *= 2;
    char *d = pin_arena_alloc(b->arena, cap);
    memcpy(d, b->data, b->len + 1);
    b->data = d;
    b->cap = cap;
}

void pin_buf_append(pin_buf *b, const char *s, size_t n)
{
    reserve(b, n);
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = 0;
}

void pin_buf_puts(pin_buf *b, const char *s)
{
    pin_buf_append(b, s, strlen(s));
}

void pin_buf_putc(pin_buf *b, char c)
{
    pin_buf_append(b, &c, 1);
}

void pin_buf_printf(pin_buf *b, const char *fmt, ...)
{
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    PIN_ASSERT(n >= 0);
    reserve(b, (size_t)n);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    va_end(ap);
}
