/* JSON helpers. See json.h. */
#include "core/json.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- writing ---- */

/* Length of the valid UTF-8 sequence at p (n bytes left), or 0. */
static size_t utf8_len(const unsigned char *p, size_t n)
{
    unsigned c = p[0];
    size_t len;
    uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF)
        len = 2, cp = c & 0x1F;
    else if (c >= 0xE0 && c <= 0xEF)
        len = 3, cp = c & 0x0F;
    else if (c >= 0xF0 && c <= 0xF4)
        len = 4, cp = c & 0x07;
    else
        return 0;
    if (n < len) return 0;
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (p[i] & 0x3F);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return len;
}

static void put_string(pin_buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    const unsigned char *p = (const unsigned char *)s;
    pin_buf_putc(b, '"');
    size_t i = 0, run = 0; /* bytes from `run` on are copied as they are */
    while (i < n) {
        unsigned c = p[i];
        if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
            i++;
            continue;
        }
        size_t ok = c >= 0x80 ? utf8_len(p + i, n - i) : 0;
        if (ok) {
            i += ok;
            continue;
        }
        pin_buf_append(b, s + run, i - run);
        char esc[6] = {'\\', 0};
        switch (c) {
        case '"':
            esc[1] = '"';
            break;
        case '\\':
            esc[1] = '\\';
            break;
        case '\b':
            esc[1] = 'b';
            break;
        case '\f':
            esc[1] = 'f';
            break;
        case '\n':
            esc[1] = 'n';
            break;
        case '\r':
            esc[1] = 'r';
            break;
        case '\t':
            esc[1] = 't';
            break;
        default:
            break;
        }
        if (esc[1])
            pin_buf_append(b, esc, 2);
        else if (c < 0x20)
            pin_buf_append(b, (char[]){'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]}, 6);
        else
            pin_buf_append(b, "\\ufffd", 6); /* not UTF-8 */
        run = ++i;
    }
    pin_buf_append(b, s + run, n - run);
    pin_buf_putc(b, '"');
}

static void put_real(pin_buf *b, double d)
{
    char tmp[40];
    int n = snprintf(tmp, sizeof(tmp), "%.17g", d);
    /* As jansson writes it: a decimal point whatever the locale, one that
     * always reads back as a real, and the exponent without '+' or leading
     * zeros ("1e300", "2.5e-7"). */
    for (int i = 0; i < n; i++) {
        if (tmp[i] == ',') tmp[i] = '.';
    }
    char *e = strchr(tmp, 'e');
    if (!e) {
        pin_buf_append(b, tmp, (size_t)n);
        if (!strchr(tmp, '.')) pin_buf_append(b, ".0", 2);
        return;
    }
    pin_buf_append(b, tmp, (size_t)(e - tmp + 1));
    const char *x = e + 1;
    if (*x == '-') pin_buf_putc(b, *x);
    if (*x == '-' || *x == '+') x++;
    while (*x == '0' && x[1])
        x++;
    pin_buf_puts(b, x);
}

static void put_integer(pin_buf *b, json_int_t v)
{
    char tmp[24], *e = tmp + sizeof(tmp), *p = e;
    /* In unsigned arithmetic, so that the most negative value has a magnitude. */
    unsigned long long m = v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;
    do {
        *--p = (char)('0' + m % 10);
        m /= 10;
    } while (m);
    if (v < 0) *--p = '-';
    pin_buf_append(b, p, (size_t)(e - p));
}

static bool is_raw(const json_t *v);

static void put(pin_buf *b, const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        pin_buf_putc(b, '{');
        bool first = true;
        for (void *it = json_object_iter((json_t *)v); it;
             it = json_object_iter_next((json_t *)v, it)) {
            if (!first) pin_buf_putc(b, ',');
            first = false;
            put_string(b, json_object_iter_key(it), json_object_iter_key_len(it));
            pin_buf_putc(b, ':');
            put(b, json_object_iter_value(it));
        }
        pin_buf_putc(b, '}');
        break;
    }
    case JSON_ARRAY: {
        pin_buf_putc(b, '[');
        size_t n = json_array_size(v);
        for (size_t i = 0; i < n; i++) {
            if (i) pin_buf_putc(b, ',');
            put(b, json_array_get(v, i));
        }
        pin_buf_putc(b, ']');
        break;
    }
    case JSON_STRING:
        if (is_raw(v))
            pin_buf_append(b, json_string_value(v), json_string_length(v));
        else
            put_string(b, json_string_value(v), json_string_length(v));
        break;
    case JSON_INTEGER:
        put_integer(b, json_integer_value(v));
        break;
    case JSON_REAL:
        put_real(b, json_real_value(v));
        break;
    case JSON_TRUE:
        pin_buf_append(b, "true", 4);
        break;
    case JSON_FALSE:
        pin_buf_append(b, "false", 5);
        break;
    case JSON_NULL:
        pin_buf_append(b, "null", 4);
        break;
    }
}

void pin_json_put_string(pin_buf *b, const char *s)
{
    if (s)
        put_string(b, s, strlen(s));
    else
        pin_buf_append(b, "null", 4);
}

void pin_json_put_integer(pin_buf *b, int64_t v)
{
    put_integer(b, v);
}

char *pin_json_dump(pin_arena *a, const json_t *v, size_t *len)
{
    pin_buf b;
    pin_buf_init(&b, a);
    if (v) put(&b, v);
    if (len) *len = b.len;
    return b.data;
}

/* ---- allocating ---- */

/* Every block jansson gets carries a header saying where it came from, so
 * any block can be freed on any thread, in or out of an arena; and, for a
 * string made by pin_json_raw, that it is JSON text to write as it is. */
typedef union block_head {
    struct {
        bool from_arena, raw;
    } f;
    max_align_t align;
} block_head;

static _Thread_local pin_arena *tl_arena;
static bool headed; /* pin_json_init ran: every jansson block has a header */

static void *json_alloc(size_t n)
{
    block_head *h;
    if (tl_arena) {
        h = pin_arena_alloc(tl_arena, sizeof(*h) + n);
        h->f.from_arena = true;
        h->f.raw = false;
    } else {
        h = malloc(sizeof(*h) + n);
        if (!h) return NULL;
        h->f.from_arena = false;
        h->f.raw = false;
    }
    return h + 1;
}

static void json_release(void *p)
{
    if (!p) return;
    block_head *h = (block_head *)p - 1;
    if (!h->f.from_arena) free(h);
}

void pin_json_init(void)
{
    json_set_alloc_funcs(json_alloc, json_release);
    headed = true;
}

json_t *pin_json_raw(const char *text, size_t n)
{
    PIN_ASSERT(headed);
    json_t *v = json_stringn_nocheck(text, n);
    /* jansson allocates a string's json_t as a block of its own. */
    if (v) ((block_head *)v - 1)->f.raw = true;
    return v;
}

static bool is_raw(const json_t *v)
{
    return headed && ((const block_head *)v - 1)->f.raw;
}

pin_arena *pin_json_arena(pin_arena *a)
{
    pin_arena *prev = tl_arena;
    tl_arena = a;
    return prev;
}
