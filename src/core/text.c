/* Caption and bio text to Mastodon-style content HTML (contract in text.h).
 *
 * The renderer walks the bytes once, decoding UTF-8 as it goes. At a '#',
 * '@' or 'h' that follows a non-word character it looks ahead over the
 * candidate token. Each look-ahead is capped or stops where no earlier one
 * could have continued ('#' ends a tag, '@' ends a username), and a link too
 * long to link is skipped whole, so every byte is examined a bounded number
 * of times and the work is linear whatever the input: there is no regular
 * expression to backtrack. Every byte of user text reaches the output through
 * pin_html_escape(); the only bytes written unescaped are our own tags and
 * percent-encoded tag URLs. The output can be ~40 times the input (a text of
 * "#a " tags), so callers bound the input length.
 *
 * Character classes come from the C.UTF-8 locale (iswalnum_l), created once
 * and never changed, so rendering is thread-safe. glibc does not class most
 * combining marks as alpha, so marks come from a table. Tag keys come from
 * libunistring (u8_casefold), which needs no locale and keeps no state.
 */
#if !defined(_GNU_SOURCE) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L /* newlocale, iswalnum_l */
#endif

#include "core/text.h"

#include <locale.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unicase.h>
#include <uninorm.h>
#include <wctype.h>

#include "core/html.h"

enum {
    MENTION_USER_MAX = 30,    /* Mastodon's username limit */
    MENTION_DOMAIN_MAX = 253, /* DNS name limit */
    LINK_MAX_BYTES = 4096,
    LINK_SHOWN_CHARS = 30, /* Mastodon shows this many characters, then an ellipsis */
};

/* ---- UTF-8 ---- */

/* Decodes one character at s (n > 0 bytes left). On success stores it in *cp,
 * the length in *used and returns true. On failure *used is the length of
 * the maximal invalid subpart (at least 1), which becomes one U+FFFD, as
 * WHATWG and Unicode recommend. Rejects overlongs, surrogates and > U+10FFFF. */
static bool decode(const unsigned char *s, size_t n, uint32_t *cp, size_t *used)
{
    unsigned char c = s[0];
    if (c < 0x80) {
        *cp = c;
        *used = 1;
        return true;
    }
    size_t need;
    uint32_t v;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
        need = 1;
        v = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        need = 2;
        v = c & 0x0F;
        if (c == 0xE0) lo = 0xA0; /* overlong */
        if (c == 0xED) hi = 0x9F; /* surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 3;
        v = c & 0x07;
        if (c == 0xF0) lo = 0x90; /* overlong */
        if (c == 0xF4) hi = 0x8F; /* > U+10FFFF */
    } else {
        *used = 1;
        return false;
    }
    for (size_t k = 1; k <= need; k++) {
        if (k >= n || s[k] < lo || s[k] > hi) {
            *used = k;
            return false;
        }
        v = (v << 6) | (s[k] & 0x3F);
        lo = 0x80;
        hi = 0xBF;
    }
    *cp = v;
    *used = need + 1;
    return true;
}

/* The last character of the valid UTF-8 text s[from, end), end > from. */
static uint32_t last_char(const unsigned char *s, size_t from, size_t end)
{
    size_t k = end - 1;
    while (k > from && end - k < 4 && (s[k] & 0xC0) == 0x80)
        k--;
    uint32_t cp = 0;
    size_t used;
    return decode(s + k, end - k, &cp, &used) ? cp : 0xFFFD;
}

size_t pin_utf8_chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

bool pin_utf8_valid(const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    while (i < len) {
        uint32_t cp;
        size_t used;
        if (!decode(u + i, len - i, &cp, &used) || cp == 0) return false;
        i += used;
    }
    return true;
}

/* ---- character classes ---- */

/* Combining marks (general category M, Unicode 14) that glibc's C.UTF-8 does
 * not class as alnum. Ranges are merged across code points that are
 * unassigned or already alnum, which keeps the table short and changes
 * nothing. Generated with Python's unicodedata against glibc 2.36. */
static const uint32_t marks[][2] = {
    {0x0300, 0x036F},   {0x0483, 0x0489},   {0x0591, 0x05AF},   {0x0658, 0x0658},
    {0x06DF, 0x06E0},   {0x06EA, 0x06EC},   {0x0740, 0x07F3},   {0x07FD, 0x07FD},
    {0x0818, 0x082D},   {0x0859, 0x085B},   {0x0898, 0x08E1},   {0x08EA, 0x0954},
    {0x09BC, 0x09CD},   {0x09FE, 0x0A4D},   {0x0ABC, 0x0ACD},   {0x0AFD, 0x0B55},
    {0x0BCD, 0x0BCD},   {0x0C04, 0x0C4D},   {0x0CBC, 0x0D4D},   {0x0DCA, 0x0DCA},
    {0x0E47, 0x0E4E},   {0x0EBA, 0x0ECC},   {0x0F18, 0x0F19},   {0x0F35, 0x0F35},
    {0x0F37, 0x0F37},   {0x0F39, 0x0F39},   {0x0F3E, 0x0F84},   {0x0F86, 0x0F87},
    {0x0FC6, 0x0FC6},   {0x1037, 0x103A},   {0x135D, 0x135F},   {0x1714, 0x1734},
    {0x17B4, 0x17D3},   {0x17DD, 0x17DD},   {0x180B, 0x180D},   {0x180F, 0x193B},
    {0x1A60, 0x1A7F},   {0x1AB0, 0x1B44},   {0x1B6B, 0x1B73},   {0x1BAA, 0x1BF3},
    {0x1C37, 0x1C37},   {0x1CD0, 0x1CD2},   {0x1CD4, 0x1DFF},   {0x20D0, 0x20F0},
    {0x2CEF, 0x2CF1},   {0x2D7F, 0x2D7F},   {0x302A, 0x302F},   {0x3099, 0x309A},
    {0xA66F, 0xA672},   {0xA67C, 0xA67D},   {0xA6F0, 0xA6F1},   {0xA806, 0xA806},
    {0xA82C, 0xA82C},   {0xA8C4, 0xA8C4},   {0xA8E0, 0xA8F1},   {0xA92B, 0xA92D},
    {0xA953, 0xA953},   {0xA9B3, 0xA9C0},   {0xAABF, 0xAAC1},   {0xAAF6, 0xAAF6},
    {0xABEC, 0xABED},   {0xFE00, 0xFE0F},   {0xFE20, 0xFE2F},   {0x101FD, 0x102E0},
    {0x10A38, 0x10A3F}, {0x10AE5, 0x10AE6}, {0x10F46, 0x10F50}, {0x10F82, 0x10F85},
    {0x11046, 0x11046}, {0x11070, 0x110BA}, {0x11133, 0x11134}, {0x11173, 0x11173},
    {0x111C0, 0x111C0}, {0x111C9, 0x111CC}, {0x11235, 0x11236}, {0x112E9, 0x11446},
    {0x1145E, 0x114C3}, {0x115BF, 0x115C0}, {0x1163F, 0x1163F}, {0x116B6, 0x116B7},
    {0x1172B, 0x1172B}, {0x11839, 0x1183A}, {0x1193D, 0x11943}, {0x119E0, 0x119E0},
    {0x11A33, 0x11A34}, {0x11A47, 0x11A99}, {0x11C3F, 0x11C3F}, {0x11D42, 0x11D97},
    {0x16AF0, 0x16AF4}, {0x16B30, 0x16B36}, {0x16FE4, 0x16FE4}, {0x1BC9D, 0x1BC9D},
    {0x1CF00, 0x1CF46}, {0x1D165, 0x1D169}, {0x1D16D, 0x1D172}, {0x1D17B, 0x1D182},
    {0x1D185, 0x1D18B}, {0x1D1AA, 0x1D1AD}, {0x1D242, 0x1D244}, {0x1DA00, 0x1DA36},
    {0x1DA3B, 0x1DA6C}, {0x1DA75, 0x1DA75}, {0x1DA84, 0x1DA84}, {0x1DA9B, 0x1E136},
    {0x1E2AE, 0x1E2EF}, {0x1E8D0, 0x1E94A}, {0xE0100, 0xE01EF},
};

/* The zero of every run of ten decimal digits (category Nd, Unicode 14).
 * glibc calls non-ASCII digits alpha; a tag made only of digits is not a tag
 * in any script. */
static const uint32_t digit_zeros[] = {
    0x0030,  0x0660,  0x06F0,  0x07C0,  0x0966,  0x09E6,  0x0A66,  0x0AE6,  0x0B66,  0x0BE6,
    0x0C66,  0x0CE6,  0x0D66,  0x0DE6,  0x0E50,  0x0ED0,  0x0F20,  0x1040,  0x1090,  0x17E0,
    0x1810,  0x1946,  0x19D0,  0x1A80,  0x1A90,  0x1B50,  0x1BB0,  0x1C40,  0x1C50,  0xA620,
    0xA8D0,  0xA900,  0xA9D0,  0xA9F0,  0xAA50,  0xABF0,  0xFF10,  0x104A0, 0x10D30, 0x11066,
    0x110F0, 0x11136, 0x111D0, 0x112F0, 0x11450, 0x114D0, 0x11650, 0x116C0, 0x11730, 0x118E0,
    0x11950, 0x11C50, 0x11D50, 0x11DA0, 0x16A60, 0x16AC0, 0x16B50, 0x1D7CE, 0x1D7D8, 0x1D7E2,
    0x1D7EC, 0x1D7F6, 0x1E140, 0x1E2F0, 0x1E950, 0x1FBF0,
};

static bool is_mark(uint32_t cp)
{
    size_t lo = 0, hi = sizeof(marks) / sizeof(marks[0]);
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cp < marks[mid][0])
            hi = mid;
        else if (cp > marks[mid][1])
            lo = mid + 1;
        else
            return true;
    }
    return false;
}

static bool is_digit(uint32_t cp)
{
    if (cp < 0x80) return cp >= '0' && cp <= '9';
    size_t lo = 0, hi = sizeof(digit_zeros) / sizeof(digit_zeros[0]);
    while (lo < hi) { /* first zero greater than cp */
        size_t mid = lo + (hi - lo) / 2;
        if (digit_zeros[mid] <= cp)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo > 0 && cp - digit_zeros[lo - 1] < 10;
}

static pthread_once_t locale_once = PTHREAD_ONCE_INIT;
static locale_t utf8_locale; /* written once under locale_once, then read-only */

static void locale_init(void)
{
    static const char *const names[] = {"C.UTF-8", "C.utf8", "en_US.UTF-8"};
    for (size_t k = 0; k < sizeof(names) / sizeof(names[0]) && !utf8_locale; k++)
        utf8_locale = newlocale(LC_CTYPE_MASK, names[k], (locale_t)0);
}

/* The shared UTF-8 locale, or (locale_t)0 when the system has none: then
 * classification degrades to fallback_alnum() rather than failing. */
static locale_t text_locale(void)
{
    pthread_once(&locale_once, locale_init);
    return utf8_locale;
}

/* Without a UTF-8 locale, treat non-ASCII as letters except the blocks of
 * spaces, punctuation and symbols people put next to tags and names. */
static bool fallback_alnum(uint32_t cp)
{
    if (cp <= 0xBF) return cp == 0xAA || cp == 0xB5 || cp == 0xBA;
    return !(cp == 0xD7 || cp == 0xF7 || (cp >= 0x2000 && cp <= 0x2BFF) ||
             (cp >= 0x3000 && cp <= 0x303F) || (cp >= 0xD800 && cp <= 0xF8FF) ||
             (cp >= 0xFE10 && cp <= 0xFE6F) || (cp >= 0xFF00 && cp <= 0xFF0F) ||
             (cp >= 0xFF1A && cp <= 0xFF20) || (cp >= 0xFF3B && cp <= 0xFF40) ||
             (cp >= 0xFF5B && cp <= 0xFF65) || cp >= 0xFFF0);
}

static bool is_ascii_alnum(uint32_t cp)
{
    return (cp >= '0' && cp <= '9') || (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z');
}

/* Letters, digits, combining marks and '_': what a hashtag is made of, and
 * what may not come right before a '#', '@' or link. */
static bool is_word(locale_t loc, uint32_t cp)
{
    if (cp < 0x80) return is_ascii_alnum(cp) || cp == '_';
    if (loc ? iswalnum_l((wint_t)cp, loc) : fallback_alnum(cp)) return true;
    return is_mark(cp);
}

/* Allowed inside a hashtag but not at its ends, as in Mastodon: middle dots
 * (used in Catalan and Japanese) and the zero-width (non-)joiner that some
 * scripts need between letters. */
static bool is_tag_separator(uint32_t cp)
{
    return cp == 0xB7 || cp == 0x30FB || cp == 0x200C || cp == 0x200D;
}

/* ---- token scanners: look ahead, never emit ---- */

/* Scans a hashtag name at s[0, n): the longest run of word characters and
 * inner separators that starts and ends with a word character. Returns its
 * length in bytes (0 if none). Stops once the run passes PIN_TAG_MAX_BYTES,
 * setting *too_long, so the look-ahead is bounded. *has_nondigit tells
 * whether any word character is not a digit; *last gets the final one. */
static size_t scan_tag(locale_t loc, const unsigned char *s, size_t n, bool *too_long,
                       bool *has_nondigit, uint32_t *last)
{
    size_t i = 0, end = 0;
    *too_long = false;
    *has_nondigit = false;
    while (i < n) {
        if (i > PIN_TAG_MAX_BYTES) {
            *too_long = true;
            break;
        }
        uint32_t cp;
        size_t used;
        if (!decode(s + i, n - i, &cp, &used) || cp == 0) break;
        if (is_word(loc, cp)) {
            if (!is_digit(cp)) *has_nondigit = true;
            i += used;
            end = i;
            *last = cp;
        } else if (end > 0 && is_tag_separator(cp)) {
            i += used;
        } else {
            break;
        }
    }
    if (end > PIN_TAG_MAX_BYTES) *too_long = true;
    return end;
}

static bool is_user_char(unsigned char c)
{
    return is_ascii_alnum(c) || c == '_' || c == '.' || c == '-';
}

static bool is_domain_char(unsigned char c)
{
    return is_ascii_alnum(c) || c == '.' || c == '-';
}

/* Scans "user" or "user@domain" right after an '@'. Returns the bytes the
 * mention covers (0: not a mention) and the parts' lengths. A trailing '.'
 * or '-' belongs to the sentence, not the name. */
static size_t scan_mention(const unsigned char *s, size_t n, size_t *ulen, size_t *dlen)
{
    size_t u = 0;
    while (u < n && is_user_char(s[u]))
        u++;
    while (u > 0 && (s[u - 1] == '.' || s[u - 1] == '-'))
        u--;
    if (u == 0 || u > MENTION_USER_MAX || s[0] == '.' || s[0] == '-') return 0;
    *ulen = u;
    *dlen = 0;
    if (u + 1 >= n || s[u] != '@' || !is_ascii_alnum(s[u + 1])) return u;

    const unsigned char *d = s + u + 1;
    size_t dn = n - u - 1, k = 0;
    /* Labels of [A-Za-z0-9-] joined by single dots: stop at "..". */
    while (k < dn && is_domain_char(d[k]) && !(d[k] == '.' && k > 0 && d[k - 1] == '.'))
        k++;
    while (k > 0 && (d[k - 1] == '.' || d[k - 1] == '-'))
        k--;
    if (k > MENTION_DOMAIN_MAX) return 0; /* not a shorter, different account */
    *dlen = k;
    return u + 1 + k;
}

/* Characters that end a link: spaces, controls, the HTML-significant < > ",
 * invisible and direction-changing characters (which would let a link
 * display differently from where it goes), and the closing quotes and CJK
 * punctuation that people write straight after a URL without a space. */
static bool ends_link(uint32_t cp)
{
    if (cp <= 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0xA0)) return true;
    switch (cp) {
    case '<':
    case '>':
    case '"':
    case 0xAD: /* soft hyphen: invisible */
    case 0x1680:
    case 0x2028:
    case 0x2029:
    case 0x202F:
    case 0x205F:
    case 0xFEFF:
    case 0xFF08:
    case 0xFF09:
    case 0xFF0C:
    case 0xFF01:
    case 0xFF1F:
        return true;
    }
    return (cp >= 0x2000 && cp <= 0x200F) || (cp >= 0x2018 && cp <= 0x201F) ||
           (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2060 && cp <= 0x206F) ||
           (cp >= 0x3000 && cp <= 0x3002) || (cp >= 0x3008 && cp <= 0x3011);
}

static bool has_prefix_ci(const unsigned char *s, size_t n, const char *p)
{
    size_t k = 0;
    for (; p[k]; k++) {
        if (k >= n) return false;
        unsigned char c = s[k];
        if (c >= 'A' && c <= 'Z') c = (unsigned char)(c + 32);
        if (c != (unsigned char)p[k]) return false;
    }
    return true;
}

typedef struct link_scan {
    size_t run;    /* bytes up to the first character that ends a link */
    size_t len;    /* bytes of the link itself, trailing punctuation trimmed */
    size_t prefix; /* "scheme://" plus an optional "www.": shown hidden */
} link_scan;

/* Scans an http(s) link at s[0, n). Returns false when there is none. */
static bool scan_link(const unsigned char *s, size_t n, link_scan *ls)
{
    size_t p;
    if (has_prefix_ci(s, n, "http://"))
        p = 7;
    else if (has_prefix_ci(s, n, "https://"))
        p = 8;
    else
        return false;
    /* The host must start with something a host can start with; checking it
     * now also means trimming below can never empty the link. */
    if (p >= n || !(is_ascii_alnum(s[p]) || s[p] == '[' || s[p] >= 0x80)) return false;

    size_t i = p, open_paren = 0, close_paren = 0, open_br = 0, close_br = 0;
    while (i < n) {
        uint32_t cp;
        size_t used;
        if (!decode(s + i, n - i, &cp, &used) || ends_link(cp)) break;
        open_paren += cp == '(';
        close_paren += cp == ')';
        open_br += cp == '[';
        close_br += cp == ']';
        i += used;
    }
    if (i == p) return false; /* s[p] was a non-ASCII character that ends links */
    ls->run = i;

    size_t end = i;
    while (end > p) {
        unsigned char c = s[end - 1];
        if (c && strchr(".,:;!?'", c)) {
            end--;
        } else if (c == ')' && close_paren > open_paren) {
            close_paren--;
            end--;
        } else if (c == ']' && close_br > open_br) {
            close_br--;
            end--;
        } else {
            break;
        }
    }
    ls->len = end;
    ls->prefix = p;
    if (end - p > 4 && has_prefix_ci(s + p, end - p, "www.")) ls->prefix = p + 4;
    return true;
}

/* ---- rendering ---- */

typedef struct render {
    pin_arena *a;
    locale_t loc;
    const pin_text_opts *opts;
    const unsigned char *s;
    pin_buf out;
    pin_buf scratch; /* a tag's key while it is compared, reused */
    size_t newlines; /* newlines seen since the last content */
    bool in_para;
    pin_text_out *res;
} render;

static void escape(render *r, const unsigned char *s, size_t n)
{
    pin_html_escape(&r->out, (const char *)s, n);
}

/* Called before any visible content: opens the first paragraph, or turns
 * the newlines since the last content into a line break or a new paragraph.
 * Leading and trailing newlines thus never show. */
static void begin_content(render *r)
{
    if (!r->in_para)
        pin_buf_puts(&r->out, "<p>");
    else if (r->newlines == 1)
        pin_buf_puts(&r->out, "<br />");
    else if (r->newlines > 1)
        pin_buf_puts(&r->out, "</p><p>");
    r->in_para = true;
    r->newlines = 0;
}

static void plain(render *r, size_t from, size_t to)
{
    if (to <= from) return;
    begin_content(r);
    escape(r, r->s + from, to - from);
}

static void percent_encode(pin_buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (is_ascii_alnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
            pin_buf_putc(b, (char)c);
        } else {
            char t[3] = {'%', hex[c >> 4], hex[c & 15]};
            pin_buf_append(b, t, 3);
        }
    }
}

/* ---- hashtag keys ---- */

/* The key of the tag name s[0, n) (valid UTF-8 that scan_tag accepted
 * whole), written to b; false (b then holds garbage) when the name has no
 * key and so is not a tag. The key is libunistring's u8_casefold with
 * UNINORM_NFKC and no language: full case folding and compatibility
 * normalization, the same on every machine and in every locale. Spaces are
 * dropped: a few compatibility characters decompose to a space and a mark
 * (U+037A, the isolated Arabic harakat U+FE70..U+FE7E) or to words (U+FDFA),
 * and a tag never holds a space. The result must itself be a tag name no
 * longer than PIN_TAG_MAX_BYTES, so that every key is the key of itself and
 * fits wherever a name does; names that fold to something else (ending in
 * U+0140, which folds to "l" and a middle dot, or growing past the limit)
 * are not tags. Bounded work: n <= PIN_TAG_MAX_BYTES. */
static bool fold_key(pin_buf *b, locale_t loc, const unsigned char *s, size_t n)
{
    uint8_t stack[4 * PIN_TAG_MAX_BYTES];
    size_t len = sizeof(stack);
    uint8_t *k = u8_casefold(s, n, NULL, UNINORM_NFKC, stack, &len);
    if (!k) { /* only ENOMEM: the text is valid UTF-8 */
        fprintf(stderr, "pinhole: out of memory folding a hashtag\n");
        abort();
    }
    b->len = 0;
    b->data[0] = 0;
    for (size_t i = 0, run = 0; i <= len; i++) {
        if (i < len && k[i] != ' ') continue;
        if (i > run) pin_buf_append(b, (const char *)k + run, i - run);
        run = i + 1;
    }
    if (k != stack) free(k);
    if (b->len == 0 || b->len > PIN_TAG_MAX_BYTES) return false;
    bool too_long, has_nondigit;
    uint32_t last;
    size_t got =
        scan_tag(loc, (const unsigned char *)b->data, b->len, &too_long, &has_nondigit, &last);
    return got == b->len && !too_long && has_nondigit;
}

/* Emits the tag `name` (n bytes, '#' not included) whose key fold_key()
 * has just left in r->scratch. */
static void emit_tag(render *r, const unsigned char *name, size_t n)
{
    const pin_buf *key = &r->scratch;
    pin_text_out *res = r->res;
    bool seen = false;
    for (size_t k = 0; k < res->ntags && !seen; k++)
        seen = strcmp(res->tags[k].key, key->data) == 0;
    if (!seen && res->ntags < PIN_TEXT_MAX_TAGS) {
        if (!res->tags) res->tags = pin_arena_alloc(r->a, PIN_TEXT_MAX_TAGS * sizeof(*res->tags));
        res->tags[res->ntags].name = pin_arena_strndup(r->a, (const char *)name, n);
        res->tags[res->ntags].key = pin_arena_strndup(r->a, key->data, key->len);
        res->ntags++;
    }

    begin_content(r);
    pin_buf_puts(&r->out, "<a href=\"");
    const char *base = r->opts->base_url ? r->opts->base_url : "";
    pin_html_escape(&r->out, base, strlen(base));
    pin_buf_puts(&r->out, "/tags/");
    /* Percent-encoding leaves only [A-Za-z0-9-._~%]: nothing to escape. */
    percent_encode(&r->out, key->data);
    pin_buf_puts(&r->out, "\" class=\"mention hashtag\" rel=\"tag\">#<span>");
    escape(r, name, n);
    pin_buf_puts(&r->out, "</span></a>");
}

static bool same_ci(const char *x, const char *y)
{
    if (!x || !y) return x == y;
    for (; *x && *y; x++, y++) {
        unsigned char a = (unsigned char)*x, b = (unsigned char)*y;
        if (a >= 'A' && a <= 'Z') a = (unsigned char)(a + 32);
        if (b >= 'A' && b <= 'Z') b = (unsigned char)(b + 32);
        if (a != b) return false;
    }
    return *x == *y;
}

/* Emits the mention at s[at, at+n) ("@" included). Distinct mentions beyond
 * PIN_TEXT_MAX_MENTIONS are neither resolved nor linked, which bounds the
 * resolver calls (database lookups) one text can cause. */
static void emit_mention(render *r, size_t at, size_t n, size_t ulen, size_t dlen)
{
    const char *user = pin_arena_strndup(r->a, (const char *)r->s + at + 1, ulen);
    const char *domain = NULL;
    if (dlen) {
        char *d = pin_arena_strndup(r->a, (const char *)r->s + at + 2 + ulen, dlen);
        for (char *c = d; *c; c++)
            if (*c >= 'A' && *c <= 'Z') *c = (char)(*c + 32);
        domain = d;
    }

    pin_text_out *res = r->res;
    const char *url = NULL;
    size_t k = 0;
    for (; k < res->nmentions; k++)
        if (same_ci(res->mentions[k].username, user) && same_ci(res->mentions[k].domain, domain))
            break;
    if (k < res->nmentions) {
        url = res->mentions[k].url;
    } else if (res->nmentions < PIN_TEXT_MAX_MENTIONS) {
        if (r->opts->resolve) url = r->opts->resolve(r->opts->resolve_ctx, r->a, user, domain);
        if (!res->mentions)
            res->mentions = pin_arena_alloc(r->a, PIN_TEXT_MAX_MENTIONS * sizeof(*res->mentions));
        res->mentions[res->nmentions++] = (pin_text_mention){user, domain, url};
    }

    if (!url) {
        plain(r, at, at + n);
        return;
    }
    begin_content(r);
    pin_buf_puts(&r->out, "<span class=\"h-card\" translate=\"no\"><a href=\"");
    pin_html_escape(&r->out, url, strlen(url));
    pin_buf_puts(&r->out, "\" class=\"u-url mention\">@<span>");
    escape(r, r->s + at + 1, ulen);
    pin_buf_puts(&r->out, "</span></a></span>");
}

static void emit_link(render *r, const unsigned char *s, const link_scan *ls)
{
    /* Split the shown part after LINK_SHOWN_CHARS characters, never inside one. */
    size_t cut = ls->prefix, chars = 0;
    while (cut < ls->len && chars < LINK_SHOWN_CHARS) {
        cut++;
        while (cut < ls->len && (s[cut] & 0xC0) == 0x80)
            cut++;
        chars++;
    }

    begin_content(r);
    pin_buf_puts(&r->out, "<a href=\"");
    escape(r, s, ls->len);
    pin_buf_puts(&r->out, "\" target=\"_blank\" rel=\"nofollow noopener noreferrer\" "
                          "translate=\"no\"><span class=\"invisible\">");
    escape(r, s, ls->prefix);
    if (cut == ls->len) {
        pin_buf_puts(&r->out, "</span><span class=\"\">");
        escape(r, s + ls->prefix, ls->len - ls->prefix);
    } else {
        pin_buf_puts(&r->out, "</span><span class=\"ellipsis\">");
        escape(r, s + ls->prefix, cut - ls->prefix);
        pin_buf_puts(&r->out, "</span><span class=\"invisible\">");
        escape(r, s + cut, ls->len - cut);
    }
    pin_buf_puts(&r->out, "</span></a>");
}

/* '#' may not follow a word character (a#b), another '#' (##x), or the '/',
 * '=' and ')' of URLs and code that Mastodon also excludes. */
static bool tag_may_follow(locale_t loc, uint32_t prev)
{
    return !is_word(loc, prev) && prev != '#' && prev != '/' && prev != '=' && prev != ')';
}

/* '@' may not follow a word character (e-mail addresses) nor '/' or '='. */
static bool mention_may_follow(locale_t loc, uint32_t prev)
{
    return !is_word(loc, prev) && prev != '/' && prev != '=';
}

void pin_text_render(pin_arena *a, const char *text, size_t len, const pin_text_opts *opts,
                     pin_text_out *out)
{
    static const pin_text_opts no_opts = {0};
    *out = (pin_text_out){0};
    render r = {.a = a,
                .loc = text_locale(),
                .opts = opts ? opts : &no_opts,
                .s = (const unsigned char *)text,
                .res = out};
    pin_buf_init(&r.out, a);
    pin_buf_init(&r.scratch, a);
    const unsigned char *s = r.s;

    uint32_t prev = '\n';  /* the start of the text counts as a line break */
    size_t i = 0, run = 0; /* s[run, i) is plain text not yet written */
    while (i < len) {
        unsigned char c = s[i];
        if (c == '\n' || c == '\r' || c == 0) {
            plain(&r, run, i);
            if (c == '\r' && i + 1 < len && s[i + 1] == '\n') i++; /* \r\n is one */
            if (c != 0) {
                r.newlines++;
                prev = '\n';
            }
            run = ++i;
            continue;
        }
        uint32_t cp;
        size_t used;
        if (!decode(s + i, len - i, &cp, &used)) {
            plain(&r, run, i);
            begin_content(&r);
            pin_buf_puts(&r.out, "\xEF\xBF\xBD");
            prev = 0xFFFD;
            run = i += used;
            continue;
        }

        if (c == '#' && tag_may_follow(r.loc, prev)) {
            bool too_long, has_nondigit;
            uint32_t last = 0;
            size_t n = scan_tag(r.loc, s + i + 1, len - i - 1, &too_long, &has_nondigit, &last);
            if (n > 0 && !too_long && has_nondigit && fold_key(&r.scratch, r.loc, s + i + 1, n)) {
                plain(&r, run, i);
                emit_tag(&r, s + i + 1, n);
                prev = last;
                run = i += 1 + n;
                continue;
            }
        } else if (c == '@' && mention_may_follow(r.loc, prev)) {
            size_t ulen, dlen;
            size_t n = scan_mention(s + i + 1, len - i - 1, &ulen, &dlen);
            if (n > 0) {
                plain(&r, run, i);
                emit_mention(&r, i, 1 + n, ulen, dlen);
                prev = (uint32_t)s[i + n]; /* an ASCII letter, digit or '_' */
                run = i += 1 + n;
                continue;
            }
        } else if ((c == 'h' || c == 'H') && !is_word(r.loc, prev)) {
            link_scan ls;
            if (scan_link(s + i, len - i, &ls)) {
                if (ls.len > LINK_MAX_BYTES) {
                    /* Too long to link: all of it stays text, and nothing
                     * inside it is looked at again. */
                    prev = last_char(s, i, i + ls.run);
                    i += ls.run;
                    continue;
                }
                plain(&r, run, i);
                emit_link(&r, s + i, &ls);
                prev = last_char(s, i, i + ls.len);
                run = i += ls.len;
                continue;
            }
        }
        prev = cp;
        i += used;
    }
    plain(&r, run, len);
    if (r.in_para) pin_buf_puts(&r.out, "</p>");
    out->html = r.out.data;
}

const char *pin_text_tag_key(pin_arena *a, const char *name, size_t len)
{
    if (!name || len == 0 || len > PIN_TAG_MAX_BYTES) return NULL;
    locale_t loc = text_locale();
    bool too_long, has_nondigit;
    uint32_t last;
    size_t n = scan_tag(loc, (const unsigned char *)name, len, &too_long, &has_nondigit, &last);
    if (n != len || too_long || !has_nondigit) return NULL;
    pin_buf b;
    pin_buf_init(&b, a);
    return fold_key(&b, loc, (const unsigned char *)name, len) ? b.data : NULL;
}
