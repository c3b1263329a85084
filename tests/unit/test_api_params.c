/* Unit tests for api.c's parse_params: a JSON body flattened into the
 * form-style params handlers read, merged with the form and the query.
 *
 * Includes api.c to reach its statics (STYLE.md). The last tests are the
 * regressions fuzz_json found: nested long keys once cost the server
 * gigabytes for one 1 MB body.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "api/api.c"

typedef struct fixture {
    pin_req req;
    api_ctx c;
} fixture;

static pin_err parse(fixture *f, const char *body, size_t len)
{
    memset(f, 0, sizeof(*f));
    f->req.content_type = "application/json";
    f->req.body = body;
    f->req.body_len = len;
    f->c.req = &f->req;
    f->c.a = &f->req.arena;
    return parse_params(&f->c);
}

/* "k=v&k=v..." of every param, in order. */
static const char *dump(fixture *f)
{
    pin_buf b;
    pin_buf_init(&b, f->c.a);
    for (pin_param *p = f->c.params; p; p = p->next)
        pin_buf_printf(&b, "%s%s=%s", b.len ? "&" : "", p->key, p->value);
    return b.len ? b.data : "";
}

static void test_flatten(void **state)
{
    (void)state;
    fixture f;
    const char *body = "{\"status\":\"hi\",\"media_ids\":[\"1\",2],\"sensitive\":true,"
                       "\"n\":null,\"x\":1.5,\"source\":{\"privacy\":\"private\"},"
                       "\"fields_attributes\":[{\"name\":\"a\",\"value\":\"b\"}],\"deep\":[[1]]}";
    assert_int_equal(parse(&f, body, strlen(body)), PIN_OK);
    assert_string_equal(dump(&f), "status=hi&media_ids[]=1&media_ids[]=2&sensitive=true&x=1.5&"
                                  "source[privacy]=private&fields_attributes[0][name]=a&"
                                  "fields_attributes[0][value]=b&deep[0][]=1");
    assert_int_equal(api_param_all(&f.c, "media_ids", (const char *[4]){0}, 4), 2);
    pin_arena_clear(f.c.a);
}

static void test_form_and_query_follow(void **state)
{
    (void)state;
    fixture f;
    pin_param q = {.key = "limit", .value = "5", .len = 1};
    memset(&f, 0, sizeof(f));
    f.req.query = &q;
    f.c.req = &f.req;
    f.c.a = &f.req.arena;
    assert_int_equal(parse_params(&f.c), PIN_OK);
    assert_string_equal(dump(&f), "limit=5");
    pin_arena_clear(f.c.a);
}

static void test_refused(void **state)
{
    (void)state;
    fixture f;
    assert_int_equal(parse(&f, "[1]", 3), PIN_EINVAL);
    pin_arena_clear(f.c.a);
    assert_int_equal(parse(&f, "{\"a\":", 5), PIN_EINVAL);
    pin_arena_clear(f.c.a);
    assert_int_equal(parse(&f, "{\"a\":1,\"a\":2}", 13), PIN_EINVAL);
    pin_arena_clear(f.c.a);
    memset(&f, 0, sizeof(f));
    f.req.content_type = "text/plain";
    f.req.body = "{}";
    f.req.body_len = 2;
    f.c.req = &f.req;
    f.c.a = &f.req.arena;
    assert_int_equal(parse_params(&f.c), PIN_EMEDIATYPE);
    pin_arena_clear(f.c.a);
}

/* A key longer than FLAT_KEY_MAX is nobody's parameter: left out, with
 * what is under it; the other keys stay. */
static void test_long_keys_left_out(void **state)
{
    (void)state;
    fixture f;
    char body[1024];
    snprintf(body, sizeof(body), "{\"%0300d\":{\"a\":1},\"ok\":\"y\",\"b\":{\"%0260d\":2}}", 0, 0);
    assert_int_equal(parse(&f, body, strlen(body)), PIN_OK);
    assert_string_equal(dump(&f), "ok=y");
    pin_arena_clear(f.c.a);
}

/* Regression (fuzz_json): every flattened key repeats its prefix, so a
 * long key over many short children made a name as long for each child: a
 * 0.8 MB body asked for about 12 GB. Now keys longer than FLAT_KEY_MAX are
 * left out and all keys may take at most 16 times the body (past that the
 * body is refused, 413), so a body costs a bounded multiple of its size. */
static void check_bounded(size_t keylen, const char *open, const char *child, const char *close,
                          int n, pin_err want)
{
    pin_arena scratch = {0};
    pin_buf b;
    pin_buf_init(&b, &scratch);
    pin_buf_puts(&b, "{\"");
    for (size_t i = 0; i < keylen; i++)
        pin_buf_putc(&b, 'k');
    pin_buf_printf(&b, "\":%s", open);
    for (int i = 0; i < n; i++) {
        if (i) pin_buf_putc(&b, ',');
        pin_buf_printf(&b, child, i);
    }
    pin_buf_printf(&b, "%s}", close);
    fixture f;
    assert_int_equal(parse(&f, b.data, b.len), want);
    if (f.req.arena.total > 32 * b.len + (1 << 20))
        fail_msg("a %zu-byte body took %zu bytes", b.len, f.req.arena.total);
    pin_arena_clear(f.c.a);
    pin_arena_clear(&scratch);
}

static void test_amplification_bounded(void **state)
{
    (void)state;
    /* "kkk...[]" (250 k's: not left out) 200000 times: was 160x the body. */
    check_bounded(250, "[", "0", "]", 200000, PIN_ETOOBIG);
    /* A 20000-byte key over 20000 children: was 400 MB for 0.2 MB. */
    check_bounded(20000, "{", "\"%d\":0", "}", 20000, PIN_OK);

    /* Deep nesting: every level repeats the whole prefix. */
    pin_arena scratch = {0};
    pin_buf b;
    pin_buf_init(&b, &scratch);
    pin_buf_puts(&b, "{\"a\":");
    for (int i = 0; i < 2000; i++)
        pin_buf_puts(&b, "{\"kkkkkkkkkkkkkkkkkkkkkkkkkkkkkk\":");
    pin_buf_puts(&b, "1");
    for (int i = 0; i < 2001; i++)
        pin_buf_putc(&b, '}');
    fixture f;
    pin_err err = parse(&f, b.data, b.len);
    assert_true(err == PIN_OK || err == PIN_EINVAL); /* jansson may refuse the depth */
    assert_true(f.req.arena.total < 32 * b.len + (1 << 20));
    pin_arena_clear(f.c.a);
    pin_arena_clear(&scratch);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_flatten),
        cmocka_unit_test(test_form_and_query_follow),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_long_keys_left_out),
        cmocka_unit_test(test_amplification_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
