/* Unit tests for core/text: caption text to Mastodon-style HTML.
 *
 * Every test compares exact HTML (or exact lists), so a change in escaping,
 * boundaries or markup fails here first. The HTML pieces are spelled out in
 * full at least once per kind (see test_*_exact) before the helper macros
 * are used for shorter expectations.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/arena.h"
#include "core/text.h"

#define BASE "https://pin.example"

#define TAG(key, name)                                                                             \
    "<a href=\"" BASE "/tags/" key "\" class=\"mention hashtag\" rel=\"tag\">#<span>" name         \
    "</span></a>"
#define MENTION(url, user)                                                                         \
    "<span class=\"h-card\" translate=\"no\"><a href=\"" url                                       \
    "\" class=\"u-url mention\">@<span>" user "</span></a></span>"
#define LINK_OPEN(href)                                                                            \
    "<a href=\"" href "\" target=\"_blank\" rel=\"nofollow noopener noreferrer\" "                 \
    "translate=\"no\">"
#define SHORT_LINK(href, prefix, rest)                                                             \
    LINK_OPEN(href)                                                                                \
    "<span class=\"invisible\">" prefix "</span><span class=\"\">" rest "</span></a>"
#define LONG_LINK(href, prefix, shown, hidden)                                                     \
    LINK_OPEN(href)                                                                                \
    "<span class=\"invisible\">" prefix "</span><span class=\"ellipsis\">" shown                   \
    "</span><span class=\"invisible\">" hidden "</span></a>"

/* ---- fixtures ---- */

typedef struct fixture {
    pin_arena arena;
    int resolve_calls;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    if (!f) return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    pin_arena_clear(&f->arena);
    free(f);
    return 0;
}

static bool eq_ci(const char *a, const char *b)
{
    for (; *a && *b; a++, b++) {
        char x = (*a >= 'A' && *a <= 'Z') ? (char)(*a + 32) : *a;
        char y = (*b >= 'A' && *b <= 'Z') ? (char)(*b + 32) : *b;
        if (x != y) return false;
    }
    return *a == *b;
}

/* Knows local "alice", "evil" (whose URL tries to break out of the
 * attribute), every local name starting with "u", and bob@remote.example. */
static const char *resolve(void *ctx, pin_arena *a, const char *user, const char *domain)
{
    fixture *f = ctx;
    f->resolve_calls++;
    if (!domain && eq_ci(user, "alice")) return pin_arena_strdup(a, BASE "/@alice");
    if (!domain && strcmp(user, "evil") == 0)
        return pin_arena_strdup(a, "https://e.example/\"><script>x</script>");
    if (!domain && user[0] == 'u') return pin_arena_printf(a, BASE "/@%s", user);
    if (domain && strcmp(domain, "remote.example") == 0 && eq_ci(user, "bob"))
        return pin_arena_strdup(a, "https://remote.example/@bob");
    return NULL;
}

static pin_text_out render_n(void **state, const char *s, size_t len)
{
    fixture *f = *state;
    pin_text_opts opts = {.base_url = BASE, .resolve = resolve, .resolve_ctx = f};
    pin_text_out out;
    pin_text_render(&f->arena, s, len, &opts, &out);
    assert_non_null(out.html);
    assert_true(pin_utf8_valid(out.html, strlen(out.html)));
    return out;
}

static pin_text_out render_out(void **state, const char *s)
{
    return render_n(state, s, strlen(s));
}

static const char *render(void **state, const char *s)
{
    return render_out(state, s).html;
}

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

/* ---- plain text and paragraphs ---- */

static void test_empty(void **state)
{
    pin_text_out out = render_n(state, "", 0);
    assert_string_equal(out.html, "");
    assert_int_equal(out.ntags, 0);
    assert_int_equal(out.nmentions, 0);
    assert_string_equal(render(state, "\n\n\r\n"), "");
    assert_string_equal(render_n(state, "\0\0\0", 3).html, "");
    fixture *f = *state;
    pin_text_render(&f->arena, NULL, 0, NULL, &out); /* no options at all */
    assert_string_equal(out.html, "");
}

static void test_plain_escaping(void **state)
{
    assert_string_equal(
        render(state, "<script>alert(\"x\")</script> & 'q'"),
        "<p>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;q&#39;</p>");
    assert_string_equal(render(state, "a &amp; b"), "<p>a &amp;amp; b</p>");
    assert_string_equal(render(state, "plain words"), "<p>plain words</p>");
}

static void test_paragraphs(void **state)
{
    assert_string_equal(render(state, "a\nb\n\nc\n\n\n\nd"), "<p>a<br />b</p><p>c</p><p>d</p>");
    assert_string_equal(render(state, "a\r\nb\r\n\r\nc"), "<p>a<br />b</p><p>c</p>");
    assert_string_equal(render(state, "a\rb"), "<p>a<br />b</p>");
    assert_string_equal(render(state, "\n\n\nfirst\n\nsecond\n\n\n"), "<p>first</p><p>second</p>");
    assert_string_equal(render(state, "\nx\n"), "<p>x</p>");
    /* A line of spaces is content, as in Rails' simple_format. */
    assert_string_equal(render(state, "a\n \nb"), "<p>a<br /> <br />b</p>");
}

/* ---- hashtags ---- */

static void test_hashtag_exact(void **state)
{
    pin_text_out out = render_out(state, "Golden #sunset");
    assert_string_equal(out.html,
                        "<p>Golden <a href=\"https://pin.example/tags/sunset\" "
                        "class=\"mention hashtag\" rel=\"tag\">#<span>sunset</span></a></p>");
    assert_int_equal(out.ntags, 1);
    assert_string_equal(out.tags[0].name, "sunset");
    assert_string_equal(out.tags[0].key, "sunset");
}

static void test_hashtag_examples(void **state)
{
    pin_text_out out =
        render_out(state, "#sunset #instagramdown #انستجرام #日本語 #Café #tag_2024");
    assert_string_equal(
        out.html,
        "<p>" TAG("sunset", "sunset") " " TAG("instagramdown", "instagramdown") " " TAG(
            "%D8%A7%D9%86%D8%B3%D8%AA%D8%AC%D8%B1%D8%A7%D9%85",
            "انستجرام") " " TAG("%E6%97%A5%E6%9C%AC%E8%AA%9E",
                                "日本語") " " TAG("caf%C3%A9", "Café") " " TAG("tag_2024",
                                                                               "tag_2024") "</p>");
    assert_int_equal(out.ntags, 6);
    const char *names[] = {"sunset", "instagramdown", "انستجرام", "日本語", "Café", "tag_2024"};
    const char *keys[] = {"sunset", "instagramdown", "انستجرام", "日本語", "café", "tag_2024"};
    for (size_t i = 0; i < 6; i++) {
        assert_string_equal(out.tags[i].name, names[i]);
        assert_string_equal(out.tags[i].key, keys[i]);
    }
}

static void test_hashtag_scripts_and_marks(void **state)
{
    /* Right-to-left tag between left-to-right words, and the reverse. */
    pin_text_out out = render_out(state, "sunset مساء #غروب today\nمرحبا #sunset!");
    assert_string_equal(out.html, "<p>sunset مساء " TAG(
                                      "%D8%BA%D8%B1%D9%88%D8%A8",
                                      "غروب") " today<br />مرحبا " TAG("sunset", "sunset") "!</p>");
    assert_int_equal(out.ntags, 2);
    assert_string_equal(out.tags[0].key, "غروب");

    /* Arabic harakat (U+064E, U+0652, U+064B) stay inside the tag. */
    out = render_out(state, "#مَرْحَبًا.");
    assert_int_equal(out.ntags, 1);
    assert_string_equal(out.tags[0].name, "مَرْحَبًا");

    /* Devanagari virama U+094D and vowel sign U+093F; glibc calls the virama
     * punctuation, so this checks the marks table. */
    out = render_out(state, "#हिन्दी");
    assert_int_equal(out.ntags, 1);
    assert_string_equal(out.tags[0].name, "हिन्दी");

    /* A combining acute (U+0301) after a Latin letter: the name stays as
     * typed, the key is composed, so #Café typed either way is one tag. */
    out = render_out(state, "#Cafe\xCC\x81 ok");
    assert_int_equal(out.ntags, 1);
    assert_string_equal(out.tags[0].name, "Cafe\xCC\x81");
    assert_string_equal(out.tags[0].key, "caf\xC3\xA9");
    out = render_out(state, "#CAF\xC3\x89 #cafe\xCC\x81");
    assert_int_equal(out.ntags, 1);

    /* Thai with tone mark U+0E48, Hebrew with cantillation U+0591. */
    out = render_out(state, "#ไม่ #של\xD6\x91ום");
    assert_int_equal(out.ntags, 2);
    assert_string_equal(out.tags[0].name, "ไม่");
    assert_string_equal(out.tags[1].name, "של\xD6\x91ום");
}

static void test_hashtag_boundaries(void **state)
{
    assert_string_equal(render(state, "a#b"), "<p>a#b</p>");
    assert_string_equal(render(state, "#123"), "<p>#123</p>");
    assert_string_equal(render(state, "#١٢٣"), "<p>#١٢٣</p>"); /* Arabic-Indic digits */
    assert_string_equal(render(state, "##x"), "<p>##x</p>");
    assert_string_equal(render(state, "#"), "<p>#</p>");
    assert_string_equal(render(state, "# tag"), "<p># tag</p>");
    assert_string_equal(render(state, "#tag."), "<p>" TAG("tag", "tag") ".</p>");
    assert_string_equal(render(state, "#tag's"), "<p>" TAG("tag", "tag") "&#39;s</p>");
    assert_string_equal(render(state, "(#tag)"), "<p>(" TAG("tag", "tag") ")</p>");
    assert_string_equal(render(state, "#a#b"), "<p>" TAG("a", "a") "#b</p>");
    assert_string_equal(render(state, "x/#tag =#tag )#tag"), "<p>x/#tag =#tag )#tag</p>");
    assert_string_equal(render(state, "#2024tag"), "<p>" TAG("2024tag", "2024tag") "</p>");
    assert_string_equal(render(state, "#1_000"), "<p>" TAG("1_000", "1_000") "</p>");
    /* Separators join inside a tag but never start or end one. */
    assert_string_equal(render(state, "#a\xE2\x80\x8C"
                                      "b"),
                        "<p>" TAG("a%E2%80%8Cb", "a\xE2\x80\x8C"
                                                 "b") "</p>");
    assert_string_equal(render(state, "#ab\xE2\x80\x8C"), "<p>" TAG("ab", "ab") "\xE2\x80\x8C</p>");
    assert_string_equal(render(state, "#\xE2\x80\x8C"
                                      "ab"),
                        "<p>#\xE2\x80\x8C"
                        "ab</p>");
    assert_string_equal(render(state, "#l·l"), "<p>" TAG("l%C2%B7l", "l·l") "</p>");
    /* An emoji ends a tag. */
    assert_string_equal(render(state, "#love😍"), "<p>" TAG("love", "love") "😍</p>");
}

static void test_hashtag_length(void **state)
{
    char buf[PIN_TAG_MAX_BYTES + 3];
    buf[0] = '#';
    memset(buf + 1, 'a', PIN_TAG_MAX_BYTES);
    buf[PIN_TAG_MAX_BYTES + 1] = 0;
    pin_text_out out = render_out(state, buf);
    assert_int_equal(out.ntags, 1);
    assert_int_equal(strlen(out.tags[0].name), PIN_TAG_MAX_BYTES);

    buf[PIN_TAG_MAX_BYTES + 1] = 'a'; /* one byte too many: not a tag at all */
    buf[PIN_TAG_MAX_BYTES + 2] = 0;
    out = render_out(state, buf);
    assert_int_equal(out.ntags, 0);
    assert_int_equal(count(out.html, "<a "), 0);
    assert_int_equal(strlen(out.html), strlen("<p></p>") + PIN_TAG_MAX_BYTES + 2);
}

static void test_hashtag_keys(void **state)
{
    pin_text_out out = render_out(state, "#SunSet #ÇA");
    assert_string_equal(out.html, "<p>" TAG("sunset", "SunSet") " " TAG("%C3%A7a", "ÇA") "</p>");
    assert_string_equal(out.tags[0].key, "sunset");
    assert_string_equal(out.tags[1].key, "ça");

    fixture *f = *state;
    pin_arena *a = &f->arena;
    assert_string_equal(pin_text_tag_key(a, "SunSet", 6), "sunset");
    assert_string_equal(pin_text_tag_key(a, "ÇA", strlen("ÇA")), "ça");
    assert_string_equal(pin_text_tag_key(a, "ΣΟΦΙΑ", strlen("ΣΟΦΙΑ")), "σοφια");
    assert_string_equal(pin_text_tag_key(a, "tag_2024", 8), "tag_2024");
    assert_string_equal(pin_text_tag_key(a, "Tagged", 3), "tag"); /* only len bytes */
    assert_string_equal(pin_text_tag_key(a, "_1", 2), "_1");      /* not only digits */
    assert_string_equal(pin_text_tag_key(a, "Ünïcödé", strlen("Ünïcödé")), "ünïcödé");
    assert_null(pin_text_tag_key(a, "", 0));
    assert_null(pin_text_tag_key(a, "123", 3));
    assert_null(pin_text_tag_key(a, "a b", 3));
    assert_null(pin_text_tag_key(a, "a-b", 3));
    assert_null(pin_text_tag_key(a, "#a", 2));
    assert_null(pin_text_tag_key(a, "a\xE2\x80\x8C", 4)); /* separator at the end */
    assert_null(pin_text_tag_key(a, "a\xff", 2));
    assert_null(pin_text_tag_key(a, "a\0b", 3));
    char big[PIN_TAG_MAX_BYTES + 1];
    memset(big, 'x', sizeof(big));
    assert_non_null(pin_text_tag_key(a, big, PIN_TAG_MAX_BYTES));
    assert_null(pin_text_tag_key(a, big, PIN_TAG_MAX_BYTES + 1));
}

/* Asserts that every name in the NULL-terminated list has the key `want`,
 * and that the key of the key is itself. */
static void keys_are(pin_arena *a, const char *want, const char *const *names)
{
    for (; *names; names++) {
        const char *k = pin_text_tag_key(a, *names, strlen(*names));
        if (!k || strcmp(k, want) != 0)
            fail_msg("key of \"%s\" is \"%s\", want \"%s\"", *names, k ? k : "(null)", want);
    }
    const char *again = pin_text_tag_key(a, want, strlen(want));
    assert_non_null(again);
    assert_string_equal(again, want);
}

#define KEYS(want, ...) keys_are(a, want, (const char *const[]){__VA_ARGS__, NULL})

/* Keys are NFKC case folds (u8_casefold, UNINORM_NFKC), in every script. */
static void test_hashtag_keys_unicode(void **state)
{
    fixture *f = *state;
    pin_arena *a = &f->arena;
    /* Greek, final sigma included; accents stay (ά is not α). */
    KEYS("καλημερα", "ΚΑΛΗΜΕΡΑ", "καλημερα", "Καλημερα", "ΚαΛηΜεΡα");
    KEYS("καλημερασ", "ΚΑΛΗΜΕΡΑΣ", "καλημερας", "καλημερασ");
    KEYS("καλημέρα", "ΚΑΛΗΜΈΡΑ", "καλημέρα", "καλημε\xCC\x81ρα");
    /* Cyrillic, Armenian, Georgian Mtavruli, Cherokee (folds to upper case). */
    KEYS("привет", "ПРИВЕТ", "привет", "ПрИвЕт");
    KEYS("ёлка", "ЁЛКА", "ёлка", "е\xCC\x88лка");
    KEYS("բարեւ", "ԲԱՐԵՒ", "բարեւ");
    KEYS("ᏣᎳᎩ", "ᏣᎳᎩ", "ꮳꮃꭹ");
    /* Full-width and other compatibility forms. */
    KEYS("test", "ＴＥＳＴ", "ｔｅｓｔ", "TEST", "test", "Ｔｅｓｔ");
    KEYS("tag2024", "ＴＡＧ２０２４", "Tag2024");
    KEYS("fish", "ﬁsh", "FISH");
    KEYS("office", "oﬃce", "OFFICE");
    KEYS("カタカナ", "ｶﾀｶﾅ", "カタカナ");
    /* Composed and decomposed forms, marks in any canonical order. */
    KEYS("café", "Café", "CAFÉ", "cafe\xCC\x81", "CAFE\xCC\x81");
    KEYS("việt", "Việt", "VIỆT", "vie\xCC\xA3\xCC\x82t", "vie\xCC\x82\xCC\xA3t",
         "vi\xE1\xBA\xB9\xCC\x82t");
    KEYS("한국", "한국",
         "\xE1\x84\x92\xE1\x85\xA1\xE1\x86\xAB\xE1\x84\x80\xE1\x85\xAE\xE1\x86\xA8");
    KEYS("åsa", "Åsa", "A\xCC\x8Asa",
         "\xE2\x84\xAB"
         "sa"); /* U+212B ANGSTROM SIGN */
    /* Full case folding: ß and ẞ are "ss". */
    KEYS("strasse", "Straße", "STRASSE", "strasse", "STRAẞE", "straße");
    /* Dotted capital I folds to i + U+0307 (no Turkish tailoring). */
    KEYS("i\xCC\x87stanbul", "İstanbul", "i\xCC\x87stanbul");
    KEYS("istanbul", "Istanbul", "ISTANBUL");
    /* Arabic: presentation forms (initial, medial, final, isolated, the
     * lam-alef ligature) are the plain letters; harakat stay. */
    KEYS("مرحبا", "مرحبا", "ﻣﺮﺣﺒﺎ");
    KEYS("لا", "لا", "ﻻ", "ﻼ");
    KEYS("سلام", "سلام", "ﺳﻼﻡ");
    KEYS("مَرْحَبًا", "مَرْحَبًا");
    /* Persian Yeh and Arabic Yeh are different letters: not merged. */
    assert_string_not_equal(pin_text_tag_key(a, "ایران", strlen("ایران")),
                            pin_text_tag_key(a, "يران", strlen("يران")));
    /* Scripts without case are unchanged. */
    KEYS("日本語", "日本語");
    KEYS("हिन्दी", "हिन्दी");
    KEYS("انستجرام", "انستجرام");
    /* A compatibility character that decomposes to a space and a mark, or
     * to words: the spaces go, the key is still a name. */
    KEYS("aι", "a\xCD\xBA");                                    /* U+037A */
    KEYS("محمدصلىاللهعليهوسلم", "محمد\xEF\xB7\xBA");            /* U+FDFA */
    KEYS("col·lecció", "coŀlecció", "col·lecció", "COĿLECCIÓ"); /* U+0140 inside */

    /* Names whose key would not be a name are not tags: a final U+0140
     * folds to "l" and a middle dot, which cannot end a tag ... */
    assert_null(pin_text_tag_key(a, "coŀ", strlen("coŀ")));
    /* ... and a key may not outgrow PIN_TAG_MAX_BYTES: U+1FB3 (3 bytes)
     * folds to αι (4 bytes). */
    char grows[PIN_TAG_MAX_BYTES + 1] = "";
    for (int i = 0; i < 80; i++)
        strcat(grows, "\xE1\xBE\xB3");
    assert_int_equal(strlen(grows), 240);
    assert_null(pin_text_tag_key(a, grows, strlen(grows)));
    grows[3 * 60] = 0; /* 60 of them: a 240-byte key */
    const char *k = pin_text_tag_key(a, grows, strlen(grows));
    assert_non_null(k);
    assert_int_equal(strlen(k), 240);
    /* Only digits after folding is still only digits: not a tag. */
    assert_null(pin_text_tag_key(a, "１２３", strlen("１２３")));
}

/* The renderer uses the same keys, shows the name as typed, and lists one
 * tag per key (named as first typed). */
static void test_hashtag_unicode_render(void **state)
{
    pin_text_out out =
        render_out(state, "#ΚΑΛΗΜΕΡΑ #καλημερα #Καλημερα #ＴＥＳＴ #test #Straße #STRASSE");
    assert_string_equal(
        out.html,
        "<p>" TAG("%CE%BA%CE%B1%CE%BB%CE%B7%CE%BC%CE%B5%CF%81%CE%B1", "ΚΑΛΗΜΕΡΑ") " " TAG(
            "%CE%BA%CE%B1%CE%BB%CE%B7%CE%BC%CE%B5%CF%81%CE%B1",
            "καλημερα") " " TAG("%CE%BA%CE%B1%CE%BB%CE%B7%CE%BC%CE%B5%CF%81%CE%B1",
                                "Καλημερα") " " TAG("test",
                                                    "ＴＥＳＴ") " " TAG("test",
                                                                        "test") " " TAG("strasse",
                                                                                        "Straße") " " TAG("strasse",
                                                                                                          "STRASSE") "</p>");
    assert_int_equal(out.ntags, 3);
    assert_string_equal(out.tags[0].name, "ΚΑΛΗΜΕΡΑ");
    assert_string_equal(out.tags[0].key, "καλημερα");
    assert_string_equal(out.tags[1].name, "ＴＥＳＴ");
    assert_string_equal(out.tags[1].key, "test");
    assert_string_equal(out.tags[2].name, "Straße");
    assert_string_equal(out.tags[2].key, "strasse");

    out = render_out(state, "#ﻣﺮﺣﺒﺎ #مرحبا #ПРИВЕТ #привет");
    assert_int_equal(out.ntags, 2);
    assert_string_equal(out.tags[0].name, "ﻣﺮﺣﺒﺎ");
    assert_string_equal(out.tags[0].key, "مرحبا");
    assert_string_equal(out.tags[1].name, "ПРИВЕТ");
    assert_string_equal(out.tags[1].key, "привет");

    /* A name with no key stays text, whole. */
    assert_string_equal(render(state, "#coŀ ok"), "<p>#coŀ ok</p>");
    char text[2 + 3 * 80 + 1] = "#";
    for (int i = 0; i < 80; i++)
        strcat(text, "\xE1\xBE\xB3");
    out = render_out(state, text);
    assert_int_equal(out.ntags, 0);
    assert_int_equal(count(out.html, "<a "), 0);
}

/* Every key is a name whose key is itself: for each character after a
 * letter ("a" + c), for every code point. */
static void test_hashtag_keys_stable(void **state)
{
    (void)state;
    char buf[4096];
    pin_arena a;
    pin_arena_init(&a, buf, sizeof(buf));
    size_t keyed = 0;
    for (uint32_t cp = 0x80; cp <= 0x10FFFF; cp++) {
        if (cp >= 0xD800 && cp <= 0xDFFF) continue;
        char name[8] = "a";
        size_t n = 1;
        if (cp < 0x800) {
            name[n++] = (char)(0xC0 | (cp >> 6));
        } else if (cp < 0x10000) {
            name[n++] = (char)(0xE0 | (cp >> 12));
            name[n++] = (char)(0x80 | ((cp >> 6) & 0x3F));
        } else {
            name[n++] = (char)(0xF0 | (cp >> 18));
            name[n++] = (char)(0x80 | ((cp >> 12) & 0x3F));
            name[n++] = (char)(0x80 | ((cp >> 6) & 0x3F));
        }
        name[n++] = (char)(0x80 | (cp & 0x3F));
        pin_arena_clear(&a);
        const char *k = pin_text_tag_key(&a, name, n);
        if (!k) continue;
        keyed++;
        const char *k2 = pin_text_tag_key(&a, k, strlen(k));
        if (!k2 || strcmp(k, k2) != 0)
            fail_msg("U+%04X: key \"%s\" has key \"%s\"", (unsigned)cp, k, k2 ? k2 : "(null)");
    }
    assert_true(keyed > 130000); /* letters, digits and marks of every script */
    pin_arena_clear(&a);
}

static void test_hashtag_dedup(void **state)
{
    pin_text_out out = render_out(state, "#Sunset #sunset #SUNSET #beach #sunset");
    assert_int_equal(out.ntags, 2);
    assert_string_equal(out.tags[0].name, "Sunset");
    assert_string_equal(out.tags[0].key, "sunset");
    assert_string_equal(out.tags[1].name, "beach");
    assert_int_equal(count(out.html, "class=\"mention hashtag\""), 5);
    assert_int_equal(count(out.html, BASE "/tags/sunset\""), 4);
}

static void test_hashtag_limit(void **state)
{
    char text[2048] = "";
    for (int i = 0; i < PIN_TEXT_MAX_TAGS + 6; i++) {
        char t[16];
        snprintf(t, sizeof(t), "#t%d ", i);
        strcat(text, t);
    }
    strcat(text, "#t0");
    pin_text_out out = render_out(state, text);
    assert_int_equal(out.ntags, PIN_TEXT_MAX_TAGS);
    assert_string_equal(out.tags[PIN_TEXT_MAX_TAGS - 1].name, "t63");
    /* Tags past the limit are still links, just not listed. */
    assert_int_equal(count(out.html, "class=\"mention hashtag\""), PIN_TEXT_MAX_TAGS + 7);
    assert_non_null(strstr(out.html, TAG("t69", "t69")));
}

/* ---- mentions ---- */

static void test_mention_exact(void **state)
{
    fixture *f = *state;
    pin_text_out out = render_out(state, "hi @alice!");
    assert_string_equal(out.html, "<p>hi <span class=\"h-card\" translate=\"no\"><a "
                                  "href=\"https://pin.example/@alice\" class=\"u-url "
                                  "mention\">@<span>alice</span></a></span>!</p>");
    assert_int_equal(out.nmentions, 1);
    assert_string_equal(out.mentions[0].username, "alice");
    assert_null(out.mentions[0].domain);
    assert_string_equal(out.mentions[0].url, BASE "/@alice");
    assert_int_equal(f->resolve_calls, 1);
}

static void test_mentions(void **state)
{
    fixture *f = *state;
    pin_text_out out =
        render_out(state, "@alice @nobody @bob@Remote.Example. @ALICE @bob@remote.example");
    assert_string_equal(
        out.html,
        "<p>" MENTION(BASE "/@alice", "alice") " @nobody " MENTION(
            "https://remote.example/@bob",
            "bob") ". " MENTION(BASE "/@alice", "ALICE") " " MENTION("https://remote.example/@bob",
                                                                     "bob") "</p>");
    assert_int_equal(out.nmentions, 3);
    assert_string_equal(out.mentions[0].username, "alice");
    assert_string_equal(out.mentions[1].username, "nobody");
    assert_null(out.mentions[1].url);
    assert_null(out.mentions[1].domain);
    assert_string_equal(out.mentions[2].username, "bob");
    assert_string_equal(out.mentions[2].domain, "remote.example");
    assert_string_equal(out.mentions[2].url, "https://remote.example/@bob");
    assert_int_equal(f->resolve_calls, 3); /* once per distinct mention */
}

static void test_mention_dedup_by_domain(void **state)
{
    /* The same name on another server is another person. */
    pin_text_out out = render_out(state, "@bob @bob@remote.example @BOB@REMOTE.example");
    assert_string_equal(out.html,
                        "<p>@bob " MENTION("https://remote.example/@bob", "bob") " " MENTION(
                            "https://remote.example/@bob", "BOB") "</p>");
    assert_int_equal(out.nmentions, 2);
    assert_null(out.mentions[0].domain);
    assert_null(out.mentions[0].url);
    assert_string_equal(out.mentions[1].domain, "remote.example");
}

static void test_mention_boundaries(void **state)
{
    pin_text_out out = render_out(state, "mail me@alice.example or x/@alice =@alice");
    assert_string_equal(out.html, "<p>mail me@alice.example or x/@alice =@alice</p>");
    assert_int_equal(out.nmentions, 0);

    assert_string_equal(render(state, "(@alice)"), "<p>(" MENTION(BASE "/@alice", "alice") ")</p>");
    assert_string_equal(render(state, "@alice."), "<p>" MENTION(BASE "/@alice", "alice") ".</p>");
    assert_string_equal(render(state, "@alice's"),
                        "<p>" MENTION(BASE "/@alice", "alice") "&#39;s</p>");
    assert_string_equal(render(state, "@ @. @-x"), "<p>@ @. @-x</p>");
    /* "@alice@" with no domain: a local mention, the '@' stays text. */
    assert_string_equal(
        render(state, "@alice@ @alice@.x"),
        "<p>" MENTION(BASE "/@alice", "alice") "@ " MENTION(BASE "/@alice", "alice") "@.x</p>");

    out = render_out(state, "@a.b-c_d.. @x@a..b @y@Sub.Domain.Example-");
    assert_int_equal(out.nmentions, 3);
    assert_string_equal(out.mentions[0].username, "a.b-c_d");
    assert_null(out.mentions[0].domain);
    assert_string_equal(out.mentions[1].username, "x");
    assert_string_equal(out.mentions[1].domain, "a");
    assert_string_equal(out.mentions[2].username, "y");
    assert_string_equal(out.mentions[2].domain, "sub.domain.example");
    assert_string_equal(out.html, "<p>@a.b-c_d.. @x@a..b @y@Sub.Domain.Example-</p>");
}

static void test_mention_lengths(void **state)
{
    char user30[40], user31[40];
    memset(user30, 'u', 30);
    user30[30] = 0;
    memset(user31, 'u', 31);
    user31[31] = 0;
    char text[200];
    snprintf(text, sizeof(text), "@%s @%s", user30, user31);
    pin_text_out out = render_out(state, text);
    assert_int_equal(out.nmentions, 1);
    assert_string_equal(out.mentions[0].username, user30);
    assert_int_equal(count(out.html, "h-card"), 1);

    /* A domain over 253 bytes makes no mention at all (not "@bob" alone). */
    char dom[300], t2[400];
    memset(dom, 'd', 254);
    dom[254] = 0;
    snprintf(t2, sizeof(t2), "@bob@%s", dom);
    out = render_out(state, t2);
    assert_int_equal(out.nmentions, 0);
    dom[253] = 0;
    snprintf(t2, sizeof(t2), "@bob@%s", dom);
    out = render_out(state, t2);
    assert_int_equal(out.nmentions, 1);
    assert_int_equal(strlen(out.mentions[0].domain), 253);
}

static void test_mention_limit(void **state)
{
    fixture *f = *state;
    char text[2048] = "";
    for (int i = 0; i < PIN_TEXT_MAX_MENTIONS + 6; i++) {
        char t[16];
        snprintf(t, sizeof(t), "@u%d ", i);
        strcat(text, t);
    }
    strcat(text, "@u0");
    pin_text_out out = render_out(state, text);
    assert_int_equal(out.nmentions, PIN_TEXT_MAX_MENTIONS);
    assert_int_equal(f->resolve_calls, PIN_TEXT_MAX_MENTIONS);
    /* 64 distinct linked, plus the repeat of @u0; the rest stay text. */
    assert_int_equal(count(out.html, "h-card"), PIN_TEXT_MAX_MENTIONS + 1);
    assert_non_null(strstr(out.html, " @u69 "));
}

static void test_mention_without_resolver(void **state)
{
    fixture *f = *state;
    pin_text_opts opts = {.base_url = BASE};
    pin_text_out out;
    pin_text_render(&f->arena, "@alice #x", 9, &opts, &out);
    assert_string_equal(out.html, "<p>@alice " TAG("x", "x") "</p>");
    assert_int_equal(out.nmentions, 1);
    assert_null(out.mentions[0].url);
}

/* ---- links ---- */

static void test_link_exact(void **state)
{
    assert_string_equal(render(state, "see https://example.com/a"),
                        "<p>see <a href=\"https://example.com/a\" target=\"_blank\" "
                        "rel=\"nofollow noopener noreferrer\" translate=\"no\"><span "
                        "class=\"invisible\">https://</span><span "
                        "class=\"\">example.com/a</span></a></p>");
    assert_string_equal(render(state, "https://www.example.com/this/is/a/long/path?x=1"),
                        "<p><a href=\"https://www.example.com/this/is/a/long/path?x=1\" "
                        "target=\"_blank\" rel=\"nofollow noopener noreferrer\" "
                        "translate=\"no\"><span class=\"invisible\">https://www.</span><span "
                        "class=\"ellipsis\">example.com/this/is/a/long/pat</span><span "
                        "class=\"invisible\">h?x=1</span></a></p>");
}

static void test_link_trailing_punctuation(void **state)
{
    static const char *const tails[][2] = {
        {".", "."},     {",", ","},     {":", ":"},   {";", ";"},   {"!", "!"},       {"?", "?"},
        {"'", "&#39;"}, {"...", "..."}, {"?!", "?!"}, {").", ")."}, {"'.", "&#39;."}, {"]", "]"},
    };
    for (size_t i = 0; i < sizeof(tails) / sizeof(tails[0]); i++) {
        char in[64], want[512];
        snprintf(in, sizeof(in), "http://x.io/p%s", tails[i][0]);
        snprintf(want, sizeof(want),
                 "<p>" SHORT_LINK("http://x.io/p", "http://", "x.io/p") "%s</p>", tails[i][1]);
        assert_string_equal(render(state, in), want);
    }
    /* Inside the link the same characters stay. */
    assert_string_equal(
        render(state, "http://x.io/a.b?c=d!e"),
        "<p>" SHORT_LINK("http://x.io/a.b?c=d!e", "http://", "x.io/a.b?c=d!e") "</p>");
}

static void test_link_parentheses(void **state)
{
    assert_string_equal(render(state, "(see https://en.wikipedia.org/wiki/Foo_(bar))"),
                        "<p>(see " LONG_LINK("https://en.wikipedia.org/wiki/Foo_(bar)", "https://",
                                             "en.wikipedia.org/wiki/Foo_(bar", ")") ")</p>");
    assert_string_equal(render(state, "(https://x.io/a)"),
                        "<p>(" SHORT_LINK("https://x.io/a", "https://", "x.io/a") ")</p>");
    assert_string_equal(render(state, "[https://x.io/a]."),
                        "<p>[" SHORT_LINK("https://x.io/a", "https://", "x.io/a") "].</p>");
    assert_string_equal(render(state, "https://x.io/[a]"),
                        "<p>" SHORT_LINK("https://x.io/[a]", "https://", "x.io/[a]") "</p>");
    assert_string_equal(render(state, "https://[::1]:8080/"),
                        "<p>" SHORT_LINK("https://[::1]:8080/", "https://", "[::1]:8080/") "</p>");
}

static void test_link_display_split(void **state)
{
    /* Exactly 30 characters after the prefix: shown whole. */
    assert_string_equal(render(state, "https://abcdefghij.io/0123456789abcdef"),
                        "<p>" SHORT_LINK("https://abcdefghij.io/0123456789abcdef", "https://",
                                         "abcdefghij.io/0123456789abcdef") "</p>");
    /* 31: cut after 30. */
    assert_string_equal(render(state, "https://abcdefghij.io/0123456789abcdefg"),
                        "<p>" LONG_LINK("https://abcdefghij.io/0123456789abcdefg", "https://",
                                        "abcdefghij.io/0123456789abcdef", "g") "</p>");
    /* The cut counts characters, not bytes, and never splits one: 5 + 26. */
    assert_string_equal(render(state, "https://é.io/éééééééééééééééééééééééééé"),
                        "<p>" LONG_LINK("https://é.io/éééééééééééééééééééééééééé", "https://",
                                        "é.io/ééééééééééééééééééééééééé", "é") "</p>");
    /* Upper-case scheme and WWW are kept as written. */
    assert_string_equal(render(state, "HTTPS://WWW.X.IO"),
                        "<p>" SHORT_LINK("HTTPS://WWW.X.IO", "HTTPS://WWW.", "X.IO") "</p>");
    /* "www." alone is the host, not a prefix to hide. */
    assert_string_equal(render(state, "http://www."),
                        "<p>" SHORT_LINK("http://www", "http://", "www") ".</p>");
}

static void test_link_not_links(void **state)
{
    assert_string_equal(render(state, "javascript:alert(1)"), "<p>javascript:alert(1)</p>");
    assert_string_equal(render(state, "ftp://x.io data:text/html,x"),
                        "<p>ftp://x.io data:text/html,x</p>");
    assert_string_equal(render(state, "xhttps://x.io"), "<p>xhttps://x.io</p>");
    assert_string_equal(render(state, "http:// https://. http:/x.io"),
                        "<p>http:// https://. http:/x.io</p>");
    assert_string_equal(render(state, "see http"), "<p>see http</p>");
}

static void test_link_ends(void **state)
{
    assert_string_equal(render(state, "https://x.io/a b"),
                        "<p>" SHORT_LINK("https://x.io/a", "https://", "x.io/a") " b</p>");
    assert_string_equal(render(state, "https://x.io/a<b>"),
                        "<p>" SHORT_LINK("https://x.io/a", "https://", "x.io/a") "&lt;b&gt;</p>");
    assert_string_equal(render(state, "https://x.io/a\nb"),
                        "<p>" SHORT_LINK("https://x.io/a", "https://", "x.io/a") "<br />b</p>");
    /* A right-to-left override never becomes part of a link. */
    assert_string_equal(
        render(state, "https://x.io/a\xE2\x80\xAEgpj"),
        "<p>" SHORT_LINK("https://x.io/a", "https://", "x.io/a") "\xE2\x80\xAEgpj</p>");
    /* Tags and mentions inside a link are part of it. */
    pin_text_out out = render_out(state, "https://x.io/#frag/@user");
    assert_int_equal(out.ntags, 0);
    assert_int_equal(out.nmentions, 0);
    assert_string_equal(out.html, "<p>" SHORT_LINK("https://x.io/#frag/@user", "https://",
                                                   "x.io/#frag/@user") "</p>");
}

static void test_link_too_long(void **state)
{
    fixture *f = *state;
    size_t n = 4200;
    char *text = pin_arena_alloc(&f->arena, n + 64);
    strcpy(text, "https://x.io/");
    size_t k = strlen(text);
    while (k < n) /* links within the long one must not be found either */
        k += (size_t)sprintf(text + k, "(http://y.io/#t@u)");
    strcpy(text + k, " https://z.io");
    pin_text_out out = render_out(state, text);
    assert_int_equal(count(out.html, "<a "), 1);
    assert_non_null(strstr(out.html, SHORT_LINK("https://z.io", "https://", "z.io") "</p>"));
    assert_int_equal(out.ntags, 0);
    assert_int_equal(out.nmentions, 0);
    assert_int_equal(strncmp(out.html, "<p>https://x.io/(http://y.io/#t@u)", 34), 0);

    /* Exactly 4096 bytes is still a link. */
    char *edge = pin_arena_alloc(&f->arena, 4097);
    memcpy(edge, "https://x.io/", 13);
    memset(edge + 13, 'a', 4096 - 13);
    edge[4096] = 0;
    out = render_out(state, edge);
    assert_int_equal(count(out.html, "<a "), 1);
}

/* ---- injection ---- */

static void test_injection(void **state)
{
    assert_string_equal(render(state, "#a<b"), "<p>" TAG("a", "a") "&lt;b</p>");
    assert_string_equal(render(state, "#a\"onclick=x"), "<p>" TAG("a", "a") "&quot;onclick=x</p>");
    assert_string_equal(render(state, "@alice<script>"),
                        "<p>" MENTION(BASE "/@alice", "alice") "&lt;script&gt;</p>");
    assert_string_equal(
        render(state, "https://x/\"onmouseover=alert(1)"),
        "<p>" SHORT_LINK("https://x/", "https://", "x/") "&quot;onmouseover=alert(1)</p>");
    assert_string_equal(render(state, "https://x/'onmouseover=alert(1)//"),
                        "<p>" SHORT_LINK("https://x/&#39;onmouseover=alert(1)//", "https://",
                                         "x/&#39;onmouseover=alert(1)//") "</p>");
    assert_string_equal(
        render(state, "https://x/?a=1&amp;b"),
        "<p>" SHORT_LINK("https://x/?a=1&amp;amp;b", "https://", "x/?a=1&amp;amp;b") "</p>");
    /* What the resolver returns is escaped too. */
    assert_string_equal(
        render(state, "@evil"),
        "<p>" MENTION("https://e.example/&quot;&gt;&lt;script&gt;x&lt;/script&gt;", "evil") "</p>");
    /* And so is the configured base URL. */
    fixture *f = *state;
    pin_text_opts opts = {.base_url = "https://b\"x"};
    pin_text_out out;
    pin_text_render(&f->arena, "#t", 2, &opts, &out);
    assert_string_equal(out.html, "<p><a href=\"https://b&quot;x/tags/t\" class=\"mention "
                                  "hashtag\" rel=\"tag\">#<span>t</span></a></p>");
}

/* ---- encoding ---- */

static void test_invalid_utf8(void **state)
{
    assert_string_equal(render(state, "a\xff"
                                      "b"),
                        "<p>a\xEF\xBF\xBD"
                        "b</p>");
    /* A truncated sequence is one replacement (maximal subpart). */
    assert_string_equal(render(state, "a\xE2\x82"), "<p>a\xEF\xBF\xBD</p>");
    assert_string_equal(render(state, "\xE2\x82"
                                      "a"),
                        "<p>\xEF\xBF\xBD"
                        "a</p>");
    /* Overlong '/', a surrogate and a code point past U+10FFFF. */
    assert_string_equal(render(state, "\xC0\xAF"), "<p>\xEF\xBF\xBD\xEF\xBF\xBD</p>");
    assert_string_equal(render(state, "\xED\xA0\x80"),
                        "<p>\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD</p>");
    assert_string_equal(render(state, "\xF4\x90\x80\x80"),
                        "<p>\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD</p>");
    /* Invalid bytes end tags and links and separate words. */
    assert_string_equal(render(state, "#ab\xff"
                                      "cd"),
                        "<p>" TAG("ab", "ab") "\xEF\xBF\xBD"
                                              "cd</p>");
    assert_string_equal(render(state, "\xff#ab"), "<p>\xEF\xBF\xBD" TAG("ab", "ab") "</p>");
    assert_string_equal(render(state, "https://x.io/\xff"),
                        "<p>" SHORT_LINK("https://x.io/", "https://", "x.io/") "\xEF\xBF\xBD</p>");
}

static void test_nul_bytes(void **state)
{
    pin_text_out out = render_n(state, "a\0b", 3);
    assert_string_equal(out.html, "<p>ab</p>");
    out = render_n(state, "\0\n\0x\0\n\0\n\0y\0", 11);
    assert_string_equal(out.html, "<p>x</p><p>y</p>");
    out = render_n(state, "#ab\0cd", 6);
    assert_string_equal(out.html, "<p>" TAG("ab", "ab") "cd</p>");
    out = render_n(state, "https://x.io/\0<", 15);
    assert_string_equal(out.html,
                        "<p>" SHORT_LINK("https://x.io/", "https://", "x.io/") "&lt;</p>");
}

static void test_utf8_valid(void **state)
{
    (void)state;
    assert_true(pin_utf8_valid("", 0));
    assert_true(pin_utf8_valid("abc", 3));
    assert_true(pin_utf8_valid("é日😍", strlen("é日😍")));
    assert_true(pin_utf8_valid("\xF4\x8F\xBF\xBF", 4)); /* U+10FFFF */
    assert_true(pin_utf8_valid("\xEF\xBF\xBD", 3));
    assert_false(pin_utf8_valid("a\0b", 3));
    assert_false(pin_utf8_valid("\xC0\x80", 2)); /* overlong NUL */
    assert_false(pin_utf8_valid("\xE0\x80\xAF", 3));
    assert_false(pin_utf8_valid("\xF0\x80\x80\xAF", 4));
    assert_false(pin_utf8_valid("\xED\xA0\x80", 3)); /* U+D800 */
    assert_false(pin_utf8_valid("\xED\xBF\xBF", 3)); /* U+DFFF */
    assert_false(pin_utf8_valid("\xF4\x90\x80\x80", 4));
    assert_false(pin_utf8_valid("\xF8\x88\x80\x80\x80", 5));
    assert_false(pin_utf8_valid("\xE2\x82", 2));
    assert_false(pin_utf8_valid("\x80", 1));
    assert_false(pin_utf8_valid("\xE2\x82\xAC", 2)); /* length is honoured */
}

static void test_mixed(void **state)
{
    pin_text_out out =
        render_out(state, "Sunset at the pier 🌅 #sunset #Beach\n\nshot by @alice, more at "
                          "https://alice.example/gallery.\nThanks!");
    assert_string_equal(
        out.html,
        "<p>Sunset at the pier 🌅 " TAG("sunset", "sunset") " " TAG(
            "beach",
            "Beach") "</p><p>shot by " MENTION(BASE "/@alice",
                                               "alice") ", more at " SHORT_LINK("https://"
                                                                                "alice.example/"
                                                                                "gallery",
                                                                                "https://",
                                                                                "alice.example/"
                                                                                "gallery") ".<br "
                                                                                           "/>"
                                                                                           "Thanks!"
                                                                                           "</p>");
    assert_int_equal(out.ntags, 2);
    assert_int_equal(out.nmentions, 1);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_empty),
        T(test_plain_escaping),
        T(test_paragraphs),
        T(test_hashtag_exact),
        T(test_hashtag_examples),
        T(test_hashtag_scripts_and_marks),
        T(test_hashtag_boundaries),
        T(test_hashtag_length),
        T(test_hashtag_keys),
        T(test_hashtag_keys_unicode),
        T(test_hashtag_unicode_render),
        T(test_hashtag_keys_stable),
        T(test_hashtag_dedup),
        T(test_hashtag_limit),
        T(test_mention_exact),
        T(test_mentions),
        T(test_mention_dedup_by_domain),
        T(test_mention_boundaries),
        T(test_mention_lengths),
        T(test_mention_limit),
        T(test_mention_without_resolver),
        T(test_link_exact),
        T(test_link_trailing_punctuation),
        T(test_link_parentheses),
        T(test_link_display_split),
        T(test_link_not_links),
        T(test_link_ends),
        T(test_link_too_long),
        T(test_injection),
        T(test_invalid_utf8),
        T(test_nul_bytes),
        T(test_utf8_valid),
        T(test_mixed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
