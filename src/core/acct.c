/* Account addresses and domains. See acct.h for the contract.
 *
 * Every loop here walks its input once, left to right; nothing backtracks
 * and every output is bounded before it is written. Character classes are
 * spelled out (no <ctype.h>): the rules must not change with the locale. */
#include "core/acct.h"

#include <stdint.h>
#include <string.h>

static bool is_alnum(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static bool is_word(unsigned char c)
{
    return is_alnum(c) || c == '_';
}

static bool is_hex(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static char lower(unsigned char c)
{
    return (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
}

static bool prefix_ci(const char *s, size_t len, const char *p)
{
    size_t n = strlen(p);
    if (len < n) return false;
    for (size_t i = 0; i < n; i++) {
        if (lower((unsigned char)s[i]) != p[i]) return false;
    }
    return true;
}

/* Copies a valid user part of `len` bytes, lower-cased, into out (which
 * holds PIN_ACCT_USER_MAX + 1 bytes). */
static bool user_part(const char *s, size_t len, char *out)
{
    if (len == 0 || len > PIN_ACCT_USER_MAX) return false;
    if (!is_word((unsigned char)s[0]) || !is_word((unsigned char)s[len - 1])) return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!is_word(c) && c != '.' && c != '-') return false;
        out[i] = lower(c);
    }
    out[len] = 0;
    return true;
}

/* A DNS host name: labels of 1..63 [A-Za-z0-9-], no '-' at a label's ends,
 * at most PIN_ACCT_HOST_MAX bytes once one trailing dot is dropped. */
static bool host_name(const char *s, size_t len, char *out, size_t *outlen)
{
    if (len > 1 && s[len - 1] == '.') len--;
    if (len == 0 || len > PIN_ACCT_HOST_MAX) return false;
    size_t label = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '.') {
            if (label == 0 || s[i - 1] == '-') return false;
            label = 0;
        } else if (is_alnum(c) || c == '-') {
            if (c == '-' && label == 0) return false;
            if (++label > 63) return false;
        } else {
            return false;
        }
        out[i] = lower(c);
    }
    if (label == 0 || s[len - 1] == '-') return false;
    *outlen = len;
    return true;
}

/* An IPv6 literal with its brackets: "[" hex digits, ':' and '.' "]",
 * at least one ':'. Deliberately loose inside: it is compared, never used
 * to connect anywhere. */
static bool ip_literal(const char *s, size_t len, char *out, size_t *outlen)
{
    if (len < 4 || len > 48 || s[0] != '[' || s[len - 1] != ']') return false;
    bool colon = false;
    out[0] = '[';
    for (size_t i = 1; i + 1 < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!is_hex(c) && c != ':' && c != '.') return false;
        colon |= c == ':';
        out[i] = lower(c);
    }
    out[len - 1] = ']';
    *outlen = len;
    return colon;
}

/* ":port" with 1..65535 and no leading zero; returns the number or 0. */
static long port_of(const char *s, size_t len)
{
    if (len < 2 || len > 6 || s[0] != ':' || s[1] == '0') return 0;
    long port = 0;
    for (size_t i = 1; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') return 0;
        port = port * 10 + (s[i] - '0');
    }
    return port <= 65535 ? port : 0;
}

bool pin_domain_normalize(const char *s, size_t len, char *out)
{
    if (len == 0 || len > PIN_ACCT_DOMAIN_MAX + 1) return false;
    /* The host ends at the port's ':', which for an IPv6 literal is the one
     * after its ']'. */
    size_t host_end;
    if (s[0] == '[') {
        const char *rb = memchr(s, ']', len);
        if (!rb) return false;
        host_end = (size_t)(rb - s) + 1;
    } else {
        const char *colon = memchr(s, ':', len);
        host_end = colon ? (size_t)(colon - s) : len;
    }
    size_t n;
    bool ok = s[0] == '[' ? ip_literal(s, host_end, out, &n) : host_name(s, host_end, out, &n);
    if (!ok) return false;
    if (host_end < len) {
        size_t plen = len - host_end;
        if (!port_of(s + host_end, plen)) return false;
        memcpy(out + n, s + host_end, plen);
        n += plen;
    }
    out[n] = 0;
    return true;
}

/* The authority of an http(s) URL at s[0, len): its start and length, and
 * the scheme's default port. False if the scheme is another one. */
static bool url_authority(const char *s, size_t len, size_t *start, size_t *alen,
                          const char **default_port)
{
    size_t p;
    if (prefix_ci(s, len, "http://")) {
        p = 7;
        *default_port = ":80";
    } else if (prefix_ci(s, len, "https://")) {
        p = 8;
        *default_port = ":443";
    } else {
        return false;
    }
    size_t e = p;
    while (e < len && s[e] != '/' && s[e] != '?' && s[e] != '#')
        e++;
    *start = p;
    *alen = e - p;
    return true;
}

static bool authority_domain(const char *s, size_t len, const char *default_port, char *out)
{
    if (memchr(s, '@', len)) return false; /* userinfo: never a profile's host */
    if (!pin_domain_normalize(s, len, out)) return false;
    size_t n = strlen(out), dp = strlen(default_port);
    if (n > dp && !strcmp(out + n - dp, default_port)) out[n - dp] = 0;
    return true;
}

bool pin_url_domain(const char *url, char *out)
{
    size_t len = strnlen(url, PIN_ACCT_INPUT_MAX + 1), start, alen;
    const char *dp;
    if (len > PIN_ACCT_INPUT_MAX || !url_authority(url, len, &start, &alen, &dp)) return false;
    return authority_domain(url + start, alen, dp, out);
}

bool pin_acct_parse(const char *s, size_t len, pin_acct *out)
{
    if (len > PIN_ACCT_INPUT_MAX) return false;
    while (len > 0 && (s[0] == ' ' || s[0] == '\t'))
        s++, len--;
    while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
        len--;
    if (len == 0 || memchr(s, 0, len)) return false;

    size_t start, alen;
    const char *dp;
    if (url_authority(s, len, &start, &alen, &dp)) {
        /* A profile URL: scheme://domain/@user, optionally with a final '/'. */
        if (!authority_domain(s + start, alen, dp, out->domain)) return false;
        size_t p = start + alen;
        if (len - p < 3 || s[p] != '/' || s[p + 1] != '@') return false;
        p += 2;
        size_t ulen = len - p;
        if (s[len - 1] == '/') ulen--;
        return user_part(s + p, ulen, out->user);
    }

    if (prefix_ci(s, len, "acct:")) {
        s += 5, len -= 5;
    } else if (s[0] == '@') {
        s++, len--;
    }
    const char *at = memchr(s, '@', len);
    size_t ulen = at ? (size_t)(at - s) : len;
    if (!user_part(s, ulen, out->user)) return false;
    out->domain[0] = 0;
    if (!at) return true;
    return pin_domain_normalize(at + 1, len - ulen - 1, out->domain);
}

bool pin_acct_is_local(const pin_acct *a, const char *base_url)
{
    if (!a->domain[0]) return true;
    char host[PIN_ACCT_DOMAIN_MAX + 1];
    return pin_url_domain(base_url, host) && !strcmp(host, a->domain);
}

size_t pin_acct_format(const pin_acct *a, char *out)
{
    size_t u = strnlen(a->user, PIN_ACCT_USER_MAX), d = strnlen(a->domain, PIN_ACCT_DOMAIN_MAX);
    memcpy(out, a->user, u);
    if (!d) {
        out[u] = 0;
        return u;
    }
    out[u] = '@';
    memcpy(out + u + 1, a->domain, d);
    out[u + 1 + d] = 0;
    return u + 1 + d;
}
