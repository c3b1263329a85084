/* Account addresses ("acct") and domains as people and clients type them.
 *
 * One strict, linear parser shared by every place that takes an account
 * address from outside (accounts/lookup, search), so that "Alice",
 * "@alice", "alice@Pin.Example.", "acct:alice@pin.example" and
 * "https://pin.example/@alice" all name the same account, and anything else
 * names none. No I/O, no allocation, no locale: ASCII rules only.
 *
 * Forms accepted (surrounding spaces and tabs ignored, letters in any case):
 *   user          @user          user@domain          @user@domain
 *   acct:user     acct:user@domain                    (RFC 7565, no %-escapes)
 *   http(s)://domain/@user  with an optional trailing '/' (a profile URL)
 * user: 1..PIN_ACCT_USER_MAX of [A-Za-z0-9_.-], first and last [A-Za-z0-9_]
 * (the local rule of pin_username_valid; local names are at most 30).
 * domain: see pin_domain_normalize. Internationalised domain names are not
 * accepted yet (no IDNA library): type them in punycode.
 */
#ifndef PIN_CORE_ACCT_H
#define PIN_CORE_ACCT_H

#include <stdbool.h>
#include <stddef.h>

enum {
    PIN_ACCT_INPUT_MAX = 1024,                   /* longer input is never an address */
    PIN_ACCT_USER_MAX = 64,                      /* bytes of the user part */
    PIN_ACCT_HOST_MAX = 253,                     /* DNS name limit, without a trailing dot */
    PIN_ACCT_DOMAIN_MAX = PIN_ACCT_HOST_MAX + 6, /* host plus ":65535" */
    PIN_ACCT_TEXT_MAX = PIN_ACCT_USER_MAX + 1 + PIN_ACCT_DOMAIN_MAX, /* "user@domain" */
};

/* A parsed address, normalised: both parts lower-case ASCII. */
typedef struct pin_acct {
    char user[PIN_ACCT_USER_MAX + 1];
    char domain[PIN_ACCT_DOMAIN_MAX + 1]; /* "" when the address named no domain */
} pin_acct;

/* Parses `len` bytes of `s` (need not be NUL-terminated; a NUL byte makes
 * it no address). True and *out filled when it is an address in one of the
 * forms above; false (and *out unspecified) otherwise. */
bool pin_acct_parse(const char *s, size_t len, pin_acct *out);

/* Normalises a domain as typed after "user@": host[:port] where host is
 * dot-separated labels of 1..63 [A-Za-z0-9-] (no '-' at either end of a
 * label) of at most PIN_ACCT_HOST_MAX bytes, with one trailing dot
 * allowed and dropped, or an IPv6 literal in brackets; port is 1..65535
 * without leading zeros. Writes the lower-cased result (NUL-terminated)
 * to `out`, which holds PIN_ACCT_DOMAIN_MAX + 1 bytes. False when `s` is
 * not such a domain (then `out` is unspecified). Idempotent. */
bool pin_domain_normalize(const char *s, size_t len, char *out);

/* The normalised domain of an http(s) URL such as the instance's base URL
 * ("https://Pin.Example./x" -> "pin.example"): the authority, normalised as
 * above, without a port that is the scheme's default (80, 443). `out` holds
 * PIN_ACCT_DOMAIN_MAX + 1 bytes. False for any other scheme, userinfo, or
 * an authority that is not a domain. */
bool pin_url_domain(const char *url, char *out);

/* True when `a` names an account of the instance at `base_url`: no domain,
 * or the base URL's domain exactly (whole labels, after normalising). */
bool pin_acct_is_local(const pin_acct *a, const char *base_url);

/* Writes the canonical text of `a` ("user" or "user@domain"), which
 * pin_acct_parse reads back to the same address. `out` holds
 * PIN_ACCT_TEXT_MAX + 1 bytes. Returns its length. */
size_t pin_acct_format(const pin_acct *a, char *out);

#endif
