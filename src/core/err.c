#include "core/err.h"

#include <string.h>

const char *pin_err_name(pin_err e)
{
    static const char *const names[] = {
        [PIN_OK] = "OK",
        [PIN_EINVAL] = "EINVAL",
        [PIN_EAUTH] = "EAUTH",
        [PIN_EFORBIDDEN] = "EFORBIDDEN",
        [PIN_ENOTFOUND] = "ENOTFOUND",
        [PIN_EMETHOD] = "EMETHOD",
        [PIN_ECONFLICT] = "ECONFLICT",
        [PIN_ETOOBIG] = "ETOOBIG",
        [PIN_EUNPROCESSABLE] = "EUNPROCESSABLE",
        [PIN_EMEDIATYPE] = "EMEDIATYPE",
        [PIN_ERATELIMIT] = "ERATELIMIT",
        [PIN_EUNAVAILABLE] = "EUNAVAILABLE",
        [PIN_ENOSPACE] = "ENOSPACE",
        [PIN_EBUSY] = "EBUSY",
        [PIN_EIO] = "EIO",
    };
    if ((unsigned)e < sizeof(names) / sizeof(names[0]) && names[e]) return names[e];
    return "EUNKNOWN";
}

void pin_assert_fail(const char *expr, const char *file, int line)
{
    fprintf(stderr, "pinhole: assertion failed: %s (%s:%d)\n", expr, file, line);
    abort();
}

static void *oom(size_t n)
{
    fprintf(stderr, "pinhole: out of memory allocating %zu bytes\n", n);
    abort();
}

void *pin_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    return p ? p : oom(n);
}

void *pin_xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    return p ? p : oom(n * size);
}

void *pin_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    return q ? q : oom(n);
}

char *pin_xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    return memcpy(pin_xmalloc(n), s, n);
}
