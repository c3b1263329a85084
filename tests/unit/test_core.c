/* Unit tests for core/: arena, ids, scopes, config, HTML escaping, and the
 * router from http/ (pure logic). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/config.h"
#include "core/html.h"
#include "core/id.h"
#include "core/scope.h"
#include "http/router.h"

static void arena_alloc_and_clear(void **state)
{
    (void)state;
    pin_arena a = {0};
    char *p = pin_arena_alloc(&a, 10);
    assert_non_null(p);
    assert_int_equal((uintptr_t)p % _Alignof(max_align_t), 0);
    char *big = pin_arena_alloc(&a, 1 << 20); /* larger than a block */
    memset(big, 1, 1 << 20);
    assert_string_equal(pin_arena_printf(&a, "%d-%s", 42, "x"), "42-x");
    pin_buf b;
    pin_buf_init(&b, &a);
    for (int i = 0; i < 1000; i++)
        pin_buf_puts(&b, "abc");
    assert_int_equal(b.len, 3000);
    assert_int_equal(strlen(b.data), 3000);
    pin_arena_clear(&a);
    assert_null(a.head);
}

static void arena_in_caller_memory(void **state)
{
    (void)state;
    unsigned char buf[4096];
    pin_arena a;
    pin_arena_init(&a, buf + 1, sizeof(buf) - 1); /* misaligned on purpose */
    char *p = pin_arena_alloc(&a, 100);
    assert_true((unsigned char *)p > buf && (unsigned char *)p < buf + sizeof(buf));
    assert_int_equal((uintptr_t)p % _Alignof(max_align_t), 0);
    char *q = pin_arena_alloc(&a, 8000); /* does not fit: goes to the heap */
    assert_true((unsigned char *)q < buf || (unsigned char *)q >= buf + sizeof(buf));
    memset(q, 7, 8000);
    pin_arena_clear(&a); /* frees the heap block only */
    char *r = pin_arena_alloc(&a, 100);
    assert_ptr_equal(r, p); /* the caller's block is reused from the start */
    pin_arena_clear(&a);
}

/* Formatting in place fills a block to its last byte and never past it,
 * in a caller's block of any size too; what does not fit moves on. */
static void arena_printf_fills_blocks(void **state)
{
    (void)state;
    for (size_t size = 300; size < 332; size++) { /* every end modulo the alignment */
        _Alignas(max_align_t) unsigned char buf[1024];
        memset(buf, 0xAB, sizeof(buf));
        pin_arena a;
        pin_arena_init(&a, buf, size);
        char *s[64];
        for (int i = 0; i < 64; i++)
            s[i] = pin_arena_printf(&a, "%d", i % 10); /* 2 bytes: fits any end */
        for (int i = 0; i < 64; i++) {
            assert_int_equal(s[i][0], '0' + i % 10);
            assert_int_equal(s[i][1], 0);
        }
        for (size_t k = size; k < sizeof(buf); k++)
            assert_int_equal(buf[k], 0xAB); /* nothing written past the block */
        pin_arena_clear(&a);
    }
}

static void ids_increase_and_parse(void **state)
{
    (void)state;
    pin_id prev = pin_id_new();
    for (int i = 0; i < 100000; i++) {
        pin_id id = pin_id_new();
        assert_true(id > prev);
        prev = id;
    }
    int64_t ms = pin_id_ms(prev);
    assert_true(llabs(ms - pin_now_ms()) < 60000);
    pin_id x;
    assert_true(pin_id_parse("123", &x));
    assert_int_equal(x, 123);
    assert_false(pin_id_parse("", &x));
    assert_false(pin_id_parse("-1", &x));
    assert_false(pin_id_parse("0", &x));
    assert_false(pin_id_parse("12a", &x));
    assert_false(pin_id_parse("99999999999999999999", &x));
    assert_false(pin_id_parse(" 1", &x));
}

static void scopes_hierarchy(void **state)
{
    (void)state;
    pin_scopes s;
    const char *bad;
    int badlen;
    assert_true(pin_scopes_parse("read write:statuses", &s, &bad, &badlen));
    assert_true(pin_scopes_allow(s, PIN_SCOPE_READ_ACCOUNTS));
    assert_true(pin_scopes_allow(s, PIN_SCOPE_WRITE_STATUSES));
    assert_false(pin_scopes_allow(s, PIN_SCOPE_WRITE_ACCOUNTS));
    assert_false(pin_scopes_allow(s, PIN_SCOPE_WRITE));
    assert_true(pin_scopes_parse("follow", &s, NULL, NULL));
    assert_true(pin_scopes_allow(s, PIN_SCOPE_WRITE_FOLLOWS));
    assert_true(pin_scopes_allow(s, PIN_SCOPE_READ_BLOCKS));
    assert_false(pin_scopes_allow(s, PIN_SCOPE_WRITE_STATUSES));
    assert_true(pin_scopes_parse("", &s, NULL, NULL));
    assert_int_equal(s, PIN_SCOPE_BIT(PIN_SCOPE_READ));
    assert_false(pin_scopes_parse("read admin:everything", &s, &bad, &badlen));
    assert_int_equal(badlen, 16);
    assert_true(pin_scopes_parse("read+write", &s, NULL, NULL)); /* '+' from query strings */
    pin_arena a = {0};
    assert_string_equal(pin_scopes_format(s, &a), "read write");
    pin_arena_clear(&a);
    assert_true(pin_scopes_allow(0, PIN_SCOPE_NONE));
    assert_false(pin_scopes_allow(PIN_SCOPE_BIT(PIN_SCOPE_READ), PIN_SCOPE_ADMIN_READ));
}

static void config_set_and_env(void **state)
{
    (void)state;
    pin_config c;
    char err[256];
    pin_config_defaults(&c);
    assert_int_equal(pin_config_set(&c, "server", "listen", "0.0.0.0:9", err, sizeof(err)), PIN_OK);
    assert_string_equal(c.listen, "0.0.0.0:9");
    assert_int_equal(pin_config_set(&c, "instance", "listen", "x", err, sizeof(err)), PIN_EINVAL);
    assert_non_null(strstr(err, "[server]"));
    assert_int_equal(pin_config_set(&c, NULL, "threads", "abc", err, sizeof(err)), PIN_EINVAL);
    assert_int_equal(pin_config_set(&c, NULL, "threads", "-1", err, sizeof(err)), PIN_EINVAL);
    assert_int_equal(pin_config_set(&c, NULL, "registrations", "approval", err, sizeof(err)),
                     PIN_OK);
    assert_int_equal(c.registrations, PIN_REG_APPROVAL);
    assert_int_equal(pin_config_set(&c, NULL, "nope", "1", err, sizeof(err)), PIN_EINVAL);
    setenv("PINHOLE_DATA_DIR", "/tmp/pin-env", 1);
    assert_int_equal(pin_config_from_env(&c, err, sizeof(err)), PIN_OK);
    unsetenv("PINHOLE_DATA_DIR");
    pin_config_finish(&c);
    assert_string_equal(c.db, "sqlite:/tmp/pin-env/pinhole.db");
    assert_string_equal(c.base_url, "http://0.0.0.0:9");
}

static void html_escape_all(void **state)
{
    (void)state;
    pin_arena a = {0};
    assert_string_equal(pin_html_escaped(&a, "<a href=\"x\">'&'</a>"),
                        "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
    assert_string_equal(pin_html_escaped(&a, "plain"), "plain");
    pin_arena_clear(&a);
}

typedef struct troute {
    pin_route r;
    int tag;
} troute;

static void router_matches(void **state)
{
    (void)state;
    static const troute table[] = {
        {{"GET", "/api/v1/accounts/verify_credentials"}, 1},
        {{"GET", "/api/v1/accounts/:id"}, 2},
        {{"POST", "/api/v1/accounts/:id/follow"}, 3},
        {{"POST", "/api/v1/accounts"}, 4},
    };
    pin_arena a = {0};
    size_t idx;
    pin_param *caps = NULL;
    const char *allow = NULL;
    assert_int_equal(pin_router_find(table, 4, sizeof(table[0]), "GET",
                                     "/api/v1/accounts/verify_credentials", &a, &idx, &caps,
                                     &allow),
                     PIN_OK);
    assert_int_equal(table[idx].tag, 1);
    assert_int_equal(pin_router_find(table, 4, sizeof(table[0]), "HEAD", "/api/v1/accounts/42", &a,
                                     &idx, &caps, &allow),
                     PIN_OK);
    assert_int_equal(table[idx].tag, 2);
    assert_string_equal(caps->key, "id");
    assert_string_equal(caps->value, "42");
    assert_int_equal(pin_router_find(table, 4, sizeof(table[0]), "DELETE",
                                     "/api/v1/accounts/42/follow", &a, &idx, &caps, &allow),
                     PIN_EMETHOD);
    assert_string_equal(allow, "POST");
    assert_int_equal(pin_router_find(table, 4, sizeof(table[0]), "GET", "/api/v1/accounts/", &a,
                                     &idx, &caps, &allow),
                     PIN_ENOTFOUND);
    assert_int_equal(pin_router_find(table, 4, sizeof(table[0]), "GET", "/api/v1/accounts//follow",
                                     &a, &idx, &caps, &allow),
                     PIN_ENOTFOUND);
    assert_int_equal(
        pin_router_find(table, 4, sizeof(table[0]), "GET", "", &a, &idx, &caps, &allow),
        PIN_ENOTFOUND);
    pin_arena_clear(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(arena_alloc_and_clear),     cmocka_unit_test(arena_in_caller_memory),
        cmocka_unit_test(arena_printf_fills_blocks), cmocka_unit_test(ids_increase_and_parse),
        cmocka_unit_test(scopes_hierarchy),          cmocka_unit_test(config_set_and_env),
        cmocka_unit_test(html_escape_all),           cmocka_unit_test(router_matches),
    };
    return cmocka_run_group_tests_name("core", tests, NULL, NULL);
}
