/* Unit tests for core/json: the writer gives what jansson's json_dumps
 * gives, byte for byte, for every kind of value; bad UTF-8 becomes U+FFFD;
 * values allocated from an arena need no freeing and heap values still
 * free normally when released inside an arena's scope; text written
 * directly and raw values come out as they should.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/json.h"

/* Compares our writer with jansson's for one value, then releases it. */
static void same_as_jansson(json_t *v)
{
    char *want = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    assert_non_null(want);
    pin_arena a = {0};
    size_t len;
    char *got = pin_json_dump(&a, v, &len);
    assert_string_equal(got, want);
    assert_int_equal(len, strlen(want));
    json_free_t release; /* jansson's strings come from its allocator: ours */
    json_get_alloc_funcs(NULL, &release);
    release(want);
    pin_arena_clear(&a);
    json_decref(v);
}

static void scalars(void **state)
{
    (void)state;
    same_as_jansson(json_null());
    same_as_jansson(json_true());
    same_as_jansson(json_false());
    same_as_jansson(json_integer(0));
    same_as_jansson(json_integer(INT64_MIN));
    same_as_jansson(json_integer(INT64_MAX));
    const double reals[] = {0.0,   -0.0,      1.0,       0.5,  1.0 / 3.0,
                            1e300, -2.5e-300, 4.0 / 3.0, 1e21, 123456789.0};
    for (size_t i = 0; i < sizeof(reals) / sizeof(reals[0]); i++)
        same_as_jansson(json_real(reals[i]));
}

static void strings(void **state)
{
    (void)state;
    same_as_jansson(json_string(""));
    same_as_jansson(json_string("plain text, with / slash"));
    same_as_jansson(json_string("quote \" backslash \\ tab \t nl \n cr \r bs \b ff \f"));
    same_as_jansson(json_string("\x01\x02\x1f\x7f end"));
    same_as_jansson(
        json_string("#انستجرام caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x93\xb7 \xef\xbf\xbf"));
    same_as_jansson(json_string("<script>alert(1)</script>&amp;"));
    same_as_jansson(json_stringn("nul\0inside", 10));
}

static void containers(void **state)
{
    (void)state;
    same_as_jansson(json_object());
    same_as_jansson(json_array());
    json_t *o = json_pack("{s:s,s:i,s:[i,s,n,b],s:{s:{s:f}},s:o}", "id", "1234", "n", 7, "list", 1,
                          "two", 1, "deep", "a", "b", 0.25, "keyed \"quote\"", json_object());
    for (int i = 0; i < 100; i++) { /* past jansson's first hash table sizes; order kept */
        char k[16];
        snprintf(k, sizeof(k), "k%d", 99 - i);
        json_object_set_new(o, k, json_integer(i));
    }
    same_as_jansson(o);
}

/* Random trees of every kind, keys and strings of any valid UTF-8. */
static uint64_t rng = 0x9e3779b97f4a7c15u;
static unsigned rnd(unsigned n)
{
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return (unsigned)(rng % n);
}

static void rand_text(char *buf, size_t cap)
{
    static const char *const pieces[] = {
        "a", "Z", " ",   "\"", "\\", "\n", "\x01", "\xc3\xa9", "\xe6\x97\xa5", "\xf0\x9f\x98\x80",
        "/", "<", "\x7f"};
    size_t n = 0;
    for (unsigned k = rnd(12); k > 0; k--) {
        const char *p = pieces[rnd(sizeof(pieces) / sizeof(pieces[0]))];
        if (n + strlen(p) + 1 > cap) break;
        memcpy(buf + n, p, strlen(p));
        n += strlen(p);
    }
    buf[n] = 0;
}

static json_t *rand_value(int depth)
{
    char t[64];
    switch (rnd(depth > 3 ? 5 : 7)) {
    case 0:
        return json_null();
    case 1:
        return json_boolean(rnd(2));
    case 2:
        return json_integer((json_int_t)rnd(1u << 31) * (rnd(2) ? -1 : 1));
    case 3:
        return json_real((double)rnd(100000) / (1 + rnd(999)));
    case 4:
        rand_text(t, sizeof(t));
        return json_string(t);
    case 5: {
        json_t *a = json_array();
        for (unsigned k = rnd(6); k > 0; k--)
            json_array_append_new(a, rand_value(depth + 1));
        return a;
    }
    default: {
        json_t *o = json_object();
        for (unsigned k = rnd(6); k > 0; k--) {
            rand_text(t, sizeof(t));
            json_object_set_new(o, t, rand_value(depth + 1));
        }
        return o;
    }
    }
}

static void random_trees(void **state)
{
    (void)state;
    for (int i = 0; i < 2000; i++)
        same_as_jansson(rand_value(0));
}

static void bad_utf8_replaced(void **state)
{
    (void)state;
    pin_arena a = {0};
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"a\xff"
         "b",
         "\"a\\ufffdb\""},
        {"\xc3", "\"\\ufffd\""},                                  /* cut short */
        {"\xc0\xaf", "\"\\ufffd\\ufffd\""},                       /* overlong '/' */
        {"\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\""},            /* a surrogate */
        {"\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\""}, /* past U+10FFFF */
        {"ok \xe2\x82\xac \x80", "\"ok \xe2\x82\xac \\ufffd\""},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_t *s = json_string_nocheck(cases[i].in);
        assert_string_equal(pin_json_dump(&a, s, NULL), cases[i].out);
        json_decref(s);
        json_t *o = json_object();
        json_object_set_new_nocheck(o, cases[i].in, json_null());
        char *want = pin_arena_printf(&a, "{%s:null}", cases[i].out);
        assert_string_equal(pin_json_dump(&a, o, NULL), want);
        json_decref(o);
    }
    pin_arena_clear(&a);
}

/* Arena values live in the arena; heap values made before are freed by
 * the heap even when released while an arena is set (LeakSanitizer would
 * report the heap one otherwise, ASan a bad free the other way round). */
static void arena_allocation(void **state)
{
    (void)state;
    json_t *heap = json_pack("{s:[s,s]}", "k", "made", "outside");
    pin_arena a = {0};
    assert_null(pin_json_arena(&a));
    size_t before = a.total;
    json_t *in = json_pack("{s:s,s:[i,i,i]}", "x", "inside the arena", "y", 1, 2, 3);
    assert_true(a.total > before);
    assert_string_equal(pin_json_dump(&a, in, NULL), "{\"x\":\"inside the arena\",\"y\":[1,2,3]}");
    json_decref(heap);
    json_decref(in);
    assert_ptr_equal(pin_json_arena(NULL), &a);
    pin_arena_clear(&a);
    json_t *after = json_string("heap again");
    assert_string_equal(json_string_value(after), "heap again");
    json_decref(after);
}

/* Text written directly, and raw text inside a document: written as it
 * is, where the same text as an ordinary string is escaped. */
static void raw_text(void **state)
{
    (void)state;
    pin_arena a = {0};
    pin_buf b;
    pin_buf_init(&b, &a);
    pin_json_put_string(&b, "a\"b\xff");
    pin_buf_putc(&b, ',');
    pin_json_put_integer(&b, INT64_MIN);
    pin_buf_putc(&b, ',');
    pin_json_put_string(&b, NULL);
    assert_string_equal(b.data, "\"a\\\"b\\ufffd\",-9223372036854775808,null");
    json_t *doc = json_pack("{s:o,s:[o,s]}", "raw", pin_json_raw("{\"k\":[1,\"x\"]}", 13), "list",
                            pin_json_raw("true", 4), "{\"k\":1}");
    assert_string_equal(pin_json_dump(&a, doc, NULL),
                        "{\"raw\":{\"k\":[1,\"x\"]},\"list\":[true,\"{\\\"k\\\":1}\"]}");
    json_decref(doc);
    /* A block that held raw text, freed and handed out again, holds an
     * ordinary string: the mark does not outlive its value. */
    for (int i = 0; i < 8; i++) {
        json_decref(pin_json_raw("[1]", 3));
        json_t *s = json_string("[1]");
        assert_string_equal(pin_json_dump(&a, s, NULL), "\"[1]\"");
        json_decref(s);
    }
    pin_arena_clear(&a);
}

int main(void)
{
    pin_json_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(scalars),           cmocka_unit_test(strings),
        cmocka_unit_test(containers),        cmocka_unit_test(random_trees),
        cmocka_unit_test(bad_utf8_replaced), cmocka_unit_test(arena_allocation),
        cmocka_unit_test(raw_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
