/* libFuzzer target for core/acct: account addresses and domains as typed.
 *
 * Any bytes in; checks what must hold for every input:
 *  - a parsed address is normalised: lower-case ASCII, a user part of
 *    1..PIN_ACCT_USER_MAX word characters (with inner '.' '-'), a domain
 *    that normalises to itself, no trailing dot, bounded lengths;
 *  - normalising is idempotent: parse(format(parse(x))) == parse(x), and
 *    the same for pin_domain_normalize and pin_url_domain;
 *  - letter case never matters: the input upper-cased parses to the same;
 *  - it agrees with the caption parser (core/text): "@user@domain" that
 *    both read names the same account in both.
 * The input is copied to a buffer of exactly its size so a read past the
 * end is caught by ASan.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/acct.h"
#include "core/arena.h"
#include "core/text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *why, const uint8_t *in, size_t n, const char *got)
{
    fprintf(stderr, "fuzz_acct: %s\ninput: \"", why);
    for (size_t i = 0; i < n; i++)
        fprintf(stderr, in[i] >= 0x20 && in[i] < 0x7f && in[i] != '"' ? "%c" : "\\x%02x", in[i]);
    fprintf(stderr, "\"\ngot: %s\n", got ? got : "(none)");
    abort();
}

static bool lower_word(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

/* The domain rules, checked from the outside: lower-case, no trailing dot,
 * only the characters a host, an IPv6 literal and a port use. */
static bool domain_ok(const char *d)
{
    size_t n = strlen(d);
    if (n == 0 || n > PIN_ACCT_DOMAIN_MAX || d[n - 1] == '.') return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)d[i];
        if (!lower_word(c) && !strchr(".-:[]", c)) return false;
        if (c == '_') return false;
    }
    char again[PIN_ACCT_DOMAIN_MAX + 1];
    return pin_domain_normalize(d, n, again) && !strcmp(again, d);
}

static void check_acct(const uint8_t *in, size_t n, const pin_acct *a)
{
    size_t u = strnlen(a->user, sizeof(a->user));
    if (u == 0 || u > PIN_ACCT_USER_MAX) fail("user part length", in, n, a->user);
    if (!lower_word((unsigned char)a->user[0]) || !lower_word((unsigned char)a->user[u - 1]))
        fail("user part starts or ends badly", in, n, a->user);
    for (size_t i = 0; i < u; i++) {
        unsigned char c = (unsigned char)a->user[i];
        if (!lower_word(c) && c != '.' && c != '-') fail("user part character", in, n, a->user);
    }
    if (a->domain[0] && !domain_ok(a->domain)) fail("domain not normalised", in, n, a->domain);

    char text[PIN_ACCT_TEXT_MAX + 1];
    size_t len = pin_acct_format(a, text);
    if (len != strlen(text) || len > PIN_ACCT_TEXT_MAX) fail("format length", in, n, text);
    if (!pin_utf8_valid(text, len)) fail("format not UTF-8", in, n, text);
    pin_acct b;
    if (!pin_acct_parse(text, len, &b)) fail("canonical text does not parse", in, n, text);
    if (strcmp(a->user, b.user) || strcmp(a->domain, b.domain)) fail("not idempotent", in, n, text);
}

typedef struct seen {
    const char *user, *domain;
    int calls;
} seen;

static const char *record(void *ctx, pin_arena *a, const char *user, const char *domain)
{
    (void)a;
    seen *s = ctx;
    if (s->calls++ == 0) {
        s->user = user;
        s->domain = domain;
    }
    return NULL;
}

/* "user" or "user@domain" (an optional leading '@', a plain DNS domain)
 * must be read by the caption parser as the same mention. */
static void check_against_text(const uint8_t *in, size_t n, const pin_acct *a)
{
    const char *s = (const char *)in;
    size_t k = n;
    if (k && s[0] == '@') s++, k--;
    if (!k || strlen(a->user) > 30) return; /* captions stop at Mastodon's 30 */
    for (size_t i = 0; i < k; i++) {
        /* Only the plain forms: no "acct:", URL, blanks, port or IPv6. */
        if (s[i] == ':' || s[i] == '[' || s[i] == ' ' || s[i] == '\t' || s[i] == '/') return;
    }
    pin_arena ar = {0};
    char *t = pin_arena_printf(&ar, "@%.*s", (int)k, s);
    seen sn = {0};
    pin_text_opts o = {.base_url = "https://pin.example", .resolve = record, .resolve_ctx = &sn};
    pin_text_out out;
    pin_text_render(&ar, t, k + 1, &o, &out);
    if (out.nmentions != 1 || sn.calls != 1) fail("caption parser saw no mention", in, n, t);
    char user[PIN_ACCT_USER_MAX + 1];
    size_t u = strlen(sn.user);
    for (size_t i = 0; i <= u && i <= PIN_ACCT_USER_MAX; i++)
        user[i] = (char)(sn.user[i] >= 'A' && sn.user[i] <= 'Z' ? sn.user[i] + 32 : sn.user[i]);
    user[PIN_ACCT_USER_MAX] = 0;
    if (strcmp(user, a->user) || strcmp(sn.domain ? sn.domain : "", a->domain))
        fail("caption parser reads another account", in, n, sn.user);
    pin_arena_clear(&ar);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size ? size : 1);
    memcpy(s, data, size);
    char *upper = malloc(size ? size : 1);
    for (size_t i = 0; i < size; i++)
        upper[i] = (char)(s[i] >= 'a' && s[i] <= 'z' ? s[i] - 32 : s[i]);

    pin_acct a, b;
    bool ok = pin_acct_parse(s, size, &a);
    bool ok_upper = pin_acct_parse(upper, size, &b);
    if (ok != ok_upper) fail("letter case changes acceptance", data, size, NULL);
    if (ok) {
        check_acct(data, size, &a);
        if (strcmp(a.user, b.user) || strcmp(a.domain, b.domain))
            fail("letter case changes the address", data, size, b.user);
        check_against_text(data, size, &a);
    }

    char d1[PIN_ACCT_DOMAIN_MAX + 1], d2[PIN_ACCT_DOMAIN_MAX + 1];
    bool dok = pin_domain_normalize(s, size, d1);
    if (dok != pin_domain_normalize(upper, size, d2) || (dok && strcmp(d1, d2)))
        fail("letter case changes a domain", data, size, dok ? d1 : NULL);
    if (dok && !domain_ok(d1)) fail("domain not normalised", data, size, d1);

    /* pin_url_domain reads a C string: up to the first NUL. */
    char *z = malloc(size + 1);
    memcpy(z, data, size);
    z[size] = 0;
    if (pin_url_domain(z, d1)) {
        if (!domain_ok(d1)) fail("URL domain not normalised", data, size, d1);
        size_t dn = strlen(d1);
        if ((dn > 3 && !strcmp(d1 + dn - 3, ":80")) || (dn > 4 && !strcmp(d1 + dn - 4, ":443"))) {
            /* Only the scheme's own default port is dropped. */
            bool https = (z[4] | 0x20) == 's';
            if (https == (d1[dn - 1] == '3')) fail("default port kept", data, size, d1);
        }
    }
    free(z);
    free(upper);
    free(s);
    return 0;
}
