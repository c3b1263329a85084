/* libFuzzer target for core/text: any bytes in, safe HTML out.
 *
 * Renders the input twice and checks what must hold for every input:
 *  - the output is valid UTF-8;
 *  - every '<' opens or closes one of the elements we generate, and they
 *    balance; outside our tags no raw '>', '"' or '\'' remains; every '&'
 *    starts one of our entities; attribute values hold no metacharacters;
 *    every href is an http(s) URL;
 *  - the tag and mention lists respect their limits and agree with
 *    pin_text_tag_key();
 *  - the visible text is the input itself: with invalid UTF-8 replaced,
 *    NULs dropped, newlines normalised. Nothing is lost or duplicated.
 * The first render resolves some names (one to a URL full of HTML
 * metacharacters); the second leaves remote mentions unresolved, because a
 * linked remote mention shows only "@user" and the text check needs the
 * domain to stay visible. Run with -timeout to catch super-linear inputs.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *why, const char *html, size_t at)
{
    fprintf(stderr, "fuzz_text: %s at offset %zu in:\n%s\n", why, at, html);
    abort();
}

/* Resolves names starting with 'q' to a hostile URL, local names of odd
 * length, and (when ctx is non-NULL) remote names whose domain starts with 'r'. */
static const char *resolve(void *ctx, pin_arena *a, const char *user, const char *domain)
{
    if (user[0] == 'q' && !domain) return "https://q.example/\"'<>&x";
    if (domain)
        return ctx && domain[0] == 'r' ? pin_arena_printf(a, "https://%s/@%s", domain, user) : NULL;
    return strlen(user) % 2 ? pin_arena_printf(a, "https://pin.example/@%s", user) : NULL;
}

static bool starts(const char *s, const char *p)
{
    return strncmp(s, p, strlen(p)) == 0;
}

static const char *const entities[][2] = {
    {"&amp;", "&"}, {"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}, {"&#39;", "'"},
};
enum { NENTITIES = sizeof(entities) / sizeof(entities[0]) };

static size_t entity_at(const char *s)
{
    size_t k = 0;
    while (k < NENTITIES && !starts(s, entities[k][0]))
        k++;
    return k;
}

/* "http://" or "https://" in any letter case (links keep the case typed). */
static bool is_http(const char *v)
{
    static const char want[] = "https://";
    size_t j = 0;
    for (; j < 4; j++)
        if ((v[j] | 0x20) != want[j]) return false;
    if ((v[j] | 0x20) == 's') j++;
    return strncmp(v + j, "://", 3) == 0;
}

static void check_html(const char *h)
{
    static const char *const opens[] = {"<p>",  "</p>",   "<br />", "<a ",
                                        "</a>", "<span>", "<span ", "</span>"};
    enum { NOPENS = sizeof(opens) / sizeof(opens[0]) };
    long depth_a = 0, depth_span = 0, depth_p = 0;
    size_t i = 0, n = strlen(h);
    while (i < n) {
        char c = h[i];
        if (c == '<') {
            size_t k = 0;
            while (k < NOPENS && !starts(h + i, opens[k]))
                k++;
            if (k == NOPENS) fail("foreign '<'", h, i);
            depth_p += k == 0 ? 1 : k == 1 ? -1 : 0;
            depth_a += k == 3 ? 1 : k == 4 ? -1 : 0;
            depth_span += (k == 5 || k == 6) ? 1 : k == 7 ? -1 : 0;
            if (depth_p < 0 || depth_p > 1 || depth_a < 0 || depth_a > 1 || depth_span < 0)
                fail("unbalanced element", h, i);
            /* Inside a tag: attributes are name="value" with no metacharacters
             * in the value, and an href is always http(s). */
            bool quoted = false;
            for (i++; i < n && (quoted || h[i] != '>'); i++) {
                if (h[i] == '<' || (quoted && (h[i] == '>' || h[i] == '\'')))
                    fail("metacharacter inside a tag", h, i);
                if (h[i] == '&' && entity_at(h + i) == NENTITIES) fail("bare '&' in a tag", h, i);
                if (h[i] == '"') quoted = !quoted;
                if (!quoted && starts(h + i, "href=\"") && !is_http(h + i + 6))
                    fail("href is not http(s)", h, i);
            }
            if (i >= n || quoted) fail("unterminated tag", h, i);
            i++;
            continue;
        }
        if (c == '>' || c == '"' || c == '\'') fail("raw metacharacter in text", h, i);
        if (c == '&' && entity_at(h + i) == NENTITIES) fail("bare '&'", h, i);
        i++;
    }
    if (depth_p || depth_a || depth_span) fail("unclosed element", h, n);
    if (n > 0 && (n < 7 || !starts(h, "<p>") || strcmp(h + n - 4, "</p>") != 0))
        fail("not wrapped in <p>", h, 0);
}

/* Length of the character at s, or of the maximal invalid subpart (*ok
 * false). Written apart from text.c on purpose: it is the oracle. */
static size_t next_char(const uint8_t *s, size_t n, bool *ok)
{
    static const struct {
        uint8_t first_lo, first_hi, len, second_lo, second_hi;
    } forms[] = {
        {0xC2, 0xDF, 2, 0x80, 0xBF}, {0xE0, 0xE0, 3, 0xA0, 0xBF}, {0xE1, 0xEC, 3, 0x80, 0xBF},
        {0xED, 0xED, 3, 0x80, 0x9F}, {0xEE, 0xEF, 3, 0x80, 0xBF}, {0xF0, 0xF0, 4, 0x90, 0xBF},
        {0xF1, 0xF3, 4, 0x80, 0xBF}, {0xF4, 0xF4, 4, 0x80, 0x8F},
    };
    *ok = true;
    if (s[0] < 0x80) return 1;
    for (size_t f = 0; f < sizeof(forms) / sizeof(forms[0]); f++) {
        if (s[0] < forms[f].first_lo || s[0] > forms[f].first_hi) continue;
        if (n < 2 || s[1] < forms[f].second_lo || s[1] > forms[f].second_hi) break;
        for (size_t k = 2; k < forms[f].len; k++) {
            if (k >= n || s[k] < 0x80 || s[k] > 0xBF) {
                *ok = false;
                return k;
            }
        }
        return forms[f].len;
    }
    *ok = false;
    return 1;
}

/* The text a reader should see: invalid UTF-8 as U+FFFD, no NULs, CR LF
 * and CR as LF, no leading or trailing newlines, 3+ newlines as 2. */
static char *expected_text(const uint8_t *s, size_t n)
{
    char *t = malloc(3 * n + 1), *o = t;
    size_t newlines = 0;
    bool any = false;
    for (size_t i = 0; i < n;) {
        if (s[i] == 0) {
            i++;
            continue;
        }
        if (s[i] == '\n' || s[i] == '\r') {
            i += (s[i] == '\r' && i + 1 < n && s[i + 1] == '\n') ? 2 : 1;
            newlines++;
            continue;
        }
        if (any)
            for (size_t k = 0; k < newlines && k < 2; k++)
                *o++ = '\n';
        newlines = 0;
        any = true;
        bool ok;
        size_t len = next_char(s + i, n - i, &ok);
        if (ok) {
            memcpy(o, s + i, len);
            o += len;
        } else {
            memcpy(o, "\xEF\xBF\xBD", 3);
            o += 3;
        }
        i += len;
    }
    *o = 0;
    return t;
}

/* The HTML's visible text: tags dropped, entities decoded, <br /> as one
 * newline and a paragraph break as two. */
static char *visible_text(const char *h)
{
    size_t n = strlen(h);
    char *t = malloc(n + 1), *o = t;
    for (size_t i = 0; i < n;) {
        if (starts(h + i, "</p><p>")) {
            *o++ = '\n';
            *o++ = '\n';
            i += 7;
        } else if (starts(h + i, "<br />")) {
            *o++ = '\n';
            i += 6;
        } else if (h[i] == '<') {
            while (h[i] != '>')
                i++;
            i++;
        } else if (h[i] == '&') {
            size_t k = entity_at(h + i);
            *o++ = entities[k][1][0];
            i += strlen(entities[k][0]);
        } else {
            *o++ = h[i++];
        }
    }
    *o = 0;
    return t;
}

static void check_lists(pin_arena *a, const pin_text_out *out)
{
    if (out->ntags > PIN_TEXT_MAX_TAGS || out->nmentions > PIN_TEXT_MAX_MENTIONS)
        fail("list over its limit", out->html, 0);
    for (size_t k = 0; k < out->ntags; k++) {
        const char *name = out->tags[k].name;
        const char *key = pin_text_tag_key(a, name, strlen(name));
        if (!key || strcmp(key, out->tags[k].key) != 0) fail("tag key disagrees", name, k);
        for (size_t j = 0; j < k; j++)
            if (strcmp(out->tags[j].key, key) == 0) fail("duplicate tag", key, k);
    }
    for (size_t k = 0; k < out->nmentions; k++) {
        const pin_text_mention *m = &out->mentions[k];
        size_t ulen = strlen(m->username);
        if (ulen == 0 || ulen > 30) fail("bad mention username", m->username, k);
        if (m->domain && (m->domain[0] == 0 || strlen(m->domain) > 253))
            fail("bad mention domain", m->domain, k);
    }
}

static void render_and_check(const uint8_t *data, size_t size, void *ctx, bool check_text)
{
    pin_arena a = {0};
    pin_text_opts opts = {
        .base_url = "https://pin.example", .resolve = resolve, .resolve_ctx = ctx};
    pin_text_out out;
    pin_text_render(&a, (const char *)data, size, &opts, &out);

    const char *h = out.html;
    if (!h) fail("NULL html", "", 0);
    if (!pin_utf8_valid(h, strlen(h))) fail("invalid UTF-8 output", h, 0);
    check_html(h);
    check_lists(&a, &out);
    if (check_text) {
        char *want = expected_text(data, size), *got = visible_text(h);
        if (strcmp(want, got) != 0) {
            fprintf(stderr, "fuzz_text: visible text differs\nwant: %s\ngot:  %s\n", want, got);
            fail("text lost or changed", h, 0);
        }
        free(want);
        free(got);
    }
    pin_arena_clear(&a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int remote = 1; /* any non-NULL context turns remote resolving on */
    render_and_check(data, size, &remote, false);
    render_and_check(data, size, NULL, true);
    return 0;
}
