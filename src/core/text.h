/* Caption and bio text: from what a person typed to Mastodon's `content` HTML.
 *
 * One linear pass (no regular expressions, no backtracking) finds #hashtags
 * (Unicode letters, digits, marks and '_', e.g. #sunset, #انستجرام), @mentions
 * (@user or @user@domain) and http(s) links, and renders everything else as
 * escaped text: paragraphs split on blank lines become <p>...</p>, single
 * newlines <br />. This module and html.h are the only places that make HTML
 * from user text.
 */
#ifndef PIN_CORE_TEXT_H
#define PIN_CORE_TEXT_H

#include <stdbool.h>
#include <stddef.h>

#include "core/arena.h"

enum {
    PIN_TAG_MAX_BYTES = 256, /* longer hashtags are not tags */
    PIN_TEXT_MAX_TAGS = 64,  /* further hashtags render as links but are not listed */
    PIN_TEXT_MAX_MENTIONS = 64,
};

typedef struct pin_text_tag {
    const char *name; /* as written, without '#', NUL-terminated (arena) */
    const char *key;  /* pin_text_tag_key(name): for comparison and URLs (arena) */
} pin_text_tag;

typedef struct pin_text_mention {
    const char *username; /* without '@' (arena) */
    const char *domain;   /* NULL for a local mention, else lower-cased (arena) */
    const char *url;      /* from the resolver, or NULL when not resolved */
} pin_text_mention;

/* Resolves a mention to the profile URL it should link to; NULL means "no
 * such account": the text then stays plain escaped text. The returned string
 * must live at least as long as the arena (allocate it there). */
typedef const char *(*pin_text_resolve_fn)(void *ctx, pin_arena *a, const char *username,
                                           const char *domain);

typedef struct pin_text_opts {
    const char *base_url;        /* e.g. "https://pin.example" (no trailing slash) */
    pin_text_resolve_fn resolve; /* may be NULL: then no mention is linked */
    void *resolve_ctx;
} pin_text_opts;

typedef struct pin_text_out {
    const char *html;   /* Mastodon-style content HTML (arena) */
    pin_text_tag *tags; /* distinct by key, in order of appearance */
    size_t ntags;
    pin_text_mention *mentions; /* distinct, in order of appearance */
    size_t nmentions;
} pin_text_out;

/* Renders `len` bytes of `text`. Invalid UTF-8 sequences are replaced by
 * U+FFFD; NUL bytes are dropped. Never fails: everything is owned by `a`. */
void pin_text_render(pin_arena *a, const char *text, size_t len, const pin_text_opts *opts,
                     pin_text_out *out);

/* The key of a hashtag name, in the arena: what tags are compared, stored
 * (tags.name_key) and linked by, while the name stays as the author typed it.
 * The key is the name's Unicode compatibility caseless form, NFKC of its full
 * case folding (libunistring's u8_casefold with UNINORM_NFKC, no language
 * tailoring), with spaces removed. So these have one key each: ΚΑΛΗΜΕΡΑ and
 * καλημερα (final ς folds to σ), ПРИВЕТ and привет, full-width ＴＥＳＴ and
 * test, "e" + U+0301 and "é", Straße and STRASSE ("strasse": full folding
 * maps ß to "ss"), Arabic presentation forms and plain Arabic letters (ﻻ and
 * لا), the ligature ﬁ and "fi". Dotted İ folds to "i" + U+0307, not "i".
 * Returns NULL if `name` is not a valid hashtag name: empty, longer than
 * PIN_TAG_MAX_BYTES, only digits, a character outside letters, digits,
 * marks, '_' and inner separators (middle dots, ZWNJ, ZWJ), or a name whose
 * key would not itself be a valid name (longer than PIN_TAG_MAX_BYTES, or
 * ending in a separator, as a final U+0140 does). Every key is therefore a
 * valid name whose key is itself. */
const char *pin_text_tag_key(pin_arena *a, const char *name, size_t len);

/* The number of characters (code points) in valid UTF-8 text: what length
 * limits on names, notes and captions count. */
size_t pin_utf8_chars(const char *s);

/* True when `s` (len bytes) is valid UTF-8 with no NUL and no surrogates. */
bool pin_utf8_valid(const char *s, size_t len);

#endif
