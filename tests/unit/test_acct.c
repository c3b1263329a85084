/* Unit tests for core/acct: account addresses and domains as typed.
 *
 * Each accepted form is spelled out with the exact normalised result; the
 * refusals list the near misses (a bad label, a port out of range, a user
 * part with a character lookup must never send to the database). Inputs
 * found by fuzz_acct that once misbehaved are kept at the end.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/acct.h"

/* Parses s and returns "user@domain" / "user", or "-" when not an address. */
static const char *norm(const char *s)
{
    static char buf[PIN_ACCT_TEXT_MAX + 1];
    pin_acct a;
    if (!pin_acct_parse(s, strlen(s), &a)) return "-";
    pin_acct_format(&a, buf);
    return buf;
}

static const char *dom(const char *s)
{
    static char buf[PIN_ACCT_DOMAIN_MAX + 1];
    return pin_domain_normalize(s, strlen(s), buf) ? buf : "-";
}

static const char *url_dom(const char *s)
{
    static char buf[PIN_ACCT_DOMAIN_MAX + 1];
    return pin_url_domain(s, buf) ? buf : "-";
}

static void test_forms(void **state)
{
    (void)state;
    assert_string_equal(norm("alice"), "alice");
    assert_string_equal(norm("Alice"), "alice");
    assert_string_equal(norm("@alice"), "alice");
    assert_string_equal(norm("alice@pin.example"), "alice@pin.example");
    assert_string_equal(norm("@Alice@Pin.Example"), "alice@pin.example");
    assert_string_equal(norm("@alice@pin.example."), "alice@pin.example");
    assert_string_equal(norm("acct:alice@pin.example"), "alice@pin.example");
    assert_string_equal(norm("ACCT:Alice@PIN.example"), "alice@pin.example");
    assert_string_equal(norm("acct:alice"), "alice");
    assert_string_equal(norm("  alice@pin.example\t"), "alice@pin.example");
    assert_string_equal(norm("alice@127.0.0.1:8080"), "alice@127.0.0.1:8080");
    assert_string_equal(norm("alice@[::1]:8080"), "alice@[::1]:8080");
    assert_string_equal(norm("alice@[FE80::1]"), "alice@[fe80::1]");
    assert_string_equal(norm("a.b-c_d@x-y.example"), "a.b-c_d@x-y.example");
    assert_string_equal(norm("_@x"), "_@x");
    assert_string_equal(norm("https://pin.example/@alice"), "alice@pin.example");
    assert_string_equal(norm("HTTPS://Pin.Example./@Alice/"), "alice@pin.example");
    assert_string_equal(norm("http://pin.example:80/@alice"), "alice@pin.example");
    assert_string_equal(norm("https://pin.example:80/@alice"), "alice@pin.example:80");
    assert_string_equal(norm("https://pin.example:443/@alice"), "alice@pin.example");
    assert_string_equal(norm("http://127.0.0.1:8080/@bob"), "bob@127.0.0.1:8080");
}

static void test_refused(void **state)
{
    (void)state;
    const char *no[] = {"",
                        " ",
                        "@",
                        "@@",
                        "@alice@",
                        "alice@",
                        "@@alice",
                        "acct:",
                        "acct:@alice",
                        ".alice",
                        "alice.",
                        "-alice",
                        "alice-",
                        "al ice",
                        "al%69ce",
                        "al'ice",
                        "' OR '1'='1",
                        "alice@pin..example",
                        "alice@.pin.example",
                        "alice@pin.example..",
                        "alice@-pin.example",
                        "alice@pin-.example",
                        "alice@pin_example",
                        "alice@pin.example:",
                        "alice@pin.example:0",
                        "alice@pin.example:080",
                        "alice@pin.example:65536",
                        "alice@pin.example:1:2",
                        "alice@pin.example/",
                        "alice@b@c",
                        "alice@[::1",
                        "alice@[]",
                        "alice@[1.2.3.4]",
                        "alice@[::1]x",
                        "alice@bücher.example",
                        "ālice",
                        "alice@pin.example%00",
                        "https://pin.example/alice",
                        "https://pin.example/@",
                        "https://pin.example/@alice//",
                        "https://pin.example/@alice?x=1",
                        "https://pin.example/@alice#x",
                        "https://pin.example",
                        "https://u@pin.example/@alice",
                        "https:///@alice",
                        "ftp://pin.example/@alice",
                        "mailto:alice@pin.example",
                        "acct:https://pin.example/@alice"};
    for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
        if (strcmp(norm(no[i]), "-") != 0) fail_msg("accepted \"%s\" as %s", no[i], norm(no[i]));
    }
    /* A NUL inside the given length is never an address. */
    pin_acct a;
    assert_false(pin_acct_parse("alice\0@x", 8, &a));
    assert_true(pin_acct_parse("alice\0@x", 5, &a));
}

static void test_lengths(void **state)
{
    (void)state;
    char s[PIN_ACCT_INPUT_MAX + 8];
    memset(s, 'u', PIN_ACCT_USER_MAX);
    s[PIN_ACCT_USER_MAX] = 0;
    assert_string_not_equal(norm(s), "-");
    s[PIN_ACCT_USER_MAX] = 'u';
    s[PIN_ACCT_USER_MAX + 1] = 0;
    assert_string_equal(norm(s), "-");

    /* Labels of 63 are fine, 64 not; a host of 253 is fine, 254 not. */
    char h[300];
    memset(h, 'a', 63);
    h[63] = 0;
    assert_string_equal(dom(h), h);
    memset(h, 'a', 64);
    h[64] = 0;
    assert_string_equal(dom(h), "-");
    size_t n = 0;
    while (n + 2 <= 253) { /* "a.a.a...": 253 bytes */
        if (n) h[n++] = '.';
        h[n++] = 'a';
    }
    h[n] = 0;
    assert_int_equal(n, 253);
    assert_string_equal(dom(h), h);
    h[n] = '.'; /* a trailing dot does not count */
    h[n + 1] = 0;
    assert_int_equal(strlen(dom(h)), 253);
    strcpy(h + n, ".a");
    assert_string_equal(dom(h), "-");
    strcpy(h + n, ":65535");
    assert_int_equal(strlen(dom(h)), PIN_ACCT_DOMAIN_MAX);

    memset(s, ' ', sizeof(s) - 1); /* blanks around count against the input limit */
    s[sizeof(s) - 1] = 0;
    memcpy(s + 10, "alice", 5);
    assert_string_equal(norm(s), "-");
}

static void test_url_domain(void **state)
{
    (void)state;
    assert_string_equal(url_dom("https://pin.example"), "pin.example");
    assert_string_equal(url_dom("https://Pin.Example./"), "pin.example");
    assert_string_equal(url_dom("https://pin.example/some/path?q#f"), "pin.example");
    assert_string_equal(url_dom("http://127.0.0.1:8080"), "127.0.0.1:8080");
    assert_string_equal(url_dom("http://127.0.0.1:80"), "127.0.0.1");
    assert_string_equal(url_dom("https://pin.example:443"), "pin.example");
    assert_string_equal(url_dom("https://pin.example:8443"), "pin.example:8443");
    assert_string_equal(url_dom("http://[::1]:8080/"), "[::1]:8080");
    assert_string_equal(url_dom("https://user@pin.example"), "-");
    assert_string_equal(url_dom("https://"), "-");
    assert_string_equal(url_dom("pin.example"), "-");
    assert_string_equal(url_dom("javascript://pin.example"), "-");
}

static void test_is_local(void **state)
{
    (void)state;
    pin_acct a;
    const char *base = "https://pin.example";
    assert_true(pin_acct_parse("alice", 5, &a));
    assert_true(pin_acct_is_local(&a, base));
    const char *local[] = {"alice@pin.example", "alice@PIN.EXAMPLE.", "acct:alice@pin.example",
                           "https://pin.example/@alice"};
    for (size_t i = 0; i < sizeof(local) / sizeof(local[0]); i++) {
        assert_true(pin_acct_parse(local[i], strlen(local[i]), &a));
        if (!pin_acct_is_local(&a, base)) fail_msg("%s is not local", local[i]);
    }
    /* Whole labels only: a suffix or a longer name is another instance. */
    const char *remote[] = {"alice@example", "alice@pin.example.org", "alice@evilpin.example",
                            "alice@pin.example:8080", "alice@pin.example.evil"};
    for (size_t i = 0; i < sizeof(remote) / sizeof(remote[0]); i++) {
        assert_true(pin_acct_parse(remote[i], strlen(remote[i]), &a));
        if (pin_acct_is_local(&a, base)) fail_msg("%s is local", remote[i]);
    }
    assert_true(pin_acct_parse("alice@127.0.0.1:8080", 20, &a));
    assert_true(pin_acct_is_local(&a, "http://127.0.0.1:8080"));
    assert_false(pin_acct_is_local(&a, "http://127.0.0.1:8081"));
    assert_false(pin_acct_is_local(&a, "not a url"));
}

static void test_round_trip(void **state)
{
    (void)state;
    const char *in[] = {"Alice", "@ALICE@Pin.Example.", "acct:a.b@x:1", "https://X/@Y/",
                        "u@[::FFFF:1.2.3.4]:65535"};
    for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
        char once[PIN_ACCT_TEXT_MAX + 1];
        snprintf(once, sizeof(once), "%s", norm(in[i]));
        assert_string_not_equal(once, "-");
        assert_string_equal(norm(once), once);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_forms),    cmocka_unit_test(test_refused),
        cmocka_unit_test(test_lengths),  cmocka_unit_test(test_url_domain),
        cmocka_unit_test(test_is_local), cmocka_unit_test(test_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
