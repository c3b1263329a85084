/* pinhole's one error convention.
 *
 * Every internal function that can fail returns a pin_err; PIN_OK is 0, so
 * `if (err)` reads naturally. Results travel in out-parameters. Exactly one
 * place (api/respond.c) turns a pin_err into an HTTP status and a JSON body.
 */
#ifndef PIN_CORE_ERR_H
#define PIN_CORE_ERR_H

#include <stdio.h>
#include <stdlib.h>

typedef enum pin_err {
    PIN_OK = 0,
    PIN_EINVAL,         /* malformed input: 400 */
    PIN_EAUTH,          /* missing or bad credentials: 401 */
    PIN_EFORBIDDEN,     /* authenticated but not allowed: 403 */
    PIN_ENOTFOUND,      /* no such thing (or hidden): 404 */
    PIN_EMETHOD,        /* method not allowed: 405 */
    PIN_ECONFLICT,      /* state conflict: 409 */
    PIN_ETOOBIG,        /* body or field over its bound: 413 */
    PIN_EUNPROCESSABLE, /* well-formed but invalid: 422 */
    PIN_EMEDIATYPE,     /* body in a format the endpoint does not take: 415 */
    PIN_ERATELIMIT,     /* too many requests: 429 */
    PIN_EUNAVAILABLE,   /* database busy or read-only, try later: 503 */
    PIN_ENOSPACE,       /* storage full: 507 */
    PIN_EBUSY,          /* transient: transaction should be retried (internal) */
    PIN_EIO,            /* I/O or internal failure: 500 */
} pin_err;

/* A short English name for logs ("EINVAL"). Never NULL. */
const char *pin_err_name(pin_err e);

#if defined(__GNUC__)
#define PIN_WUR          __attribute__((warn_unused_result))
#define PIN_PRINTF(a, b) __attribute__((format(printf, a, b)))
#define PIN_NORETURN     __attribute__((noreturn))
#else
#define PIN_WUR
#define PIN_PRINTF(a, b)
#define PIN_NORETURN
#endif

/* Always-on invariant check: logs file:line and aborts. Never use it on
 * anything that came from outside the process. */
PIN_NORETURN void pin_assert_fail(const char *expr, const char *file, int line);
#define PIN_ASSERT(e) ((e) ? (void)0 : pin_assert_fail(#e, __FILE__, __LINE__))

/* Out-of-memory policy: small internal allocations abort with a message.
 * Anything whose size a client controls is bounded before it is allocated. */
void *pin_xmalloc(size_t n);
void *pin_xcalloc(size_t n, size_t size);
void *pin_xrealloc(void *p, size_t n);
char *pin_xstrdup(const char *s);

#endif
