/* Posts (statuses): photo posts and carousels, comments (replies), edits.
 *
 * A post is written in one transaction with everything that counts it: the
 * author's statuses_count and, for a comment, the parent's replies_count, so
 * counts can never disagree with the rows. Every read goes through the one
 * visibility rule (visibility.h); a post the viewer may not see is
 * PIN_ENOTFOUND, the same answer as a post that does not exist.
 */
#ifndef PIN_SERVICE_STATUSES_H
#define PIN_SERVICE_STATUSES_H

#include "service/accounts.h"
#include "service/media.h"

enum { PIN_SPOILER_MAX = 500, PIN_IDEMPOTENCY_TTL_MS = 3600 * 1000 };

typedef struct pin_status_mention {
    pin_id id;
    const char *username;
} pin_status_mention;

typedef struct pin_status {
    pin_id id;
    pin_account account; /* the author */
    const char *text;    /* as typed */
    const char *spoiler_text;
    bool sensitive;
    int visibility;       /* PIN_VIS_* */
    const char *language; /* may be NULL */
    pin_id in_reply_to_id, in_reply_to_account_id;
    int64_t replies_count, reblogs_count, favourites_count;
    int64_t created_at, edited_at; /* ms; edited_at 0 if never */
    const char *app_name;          /* may be NULL */
    pin_media *media;
    int nmedia;
    pin_status_mention *mentions;
    int nmentions;
    const char **tags; /* names as written */
    int ntags;
    pin_id reblog_of_id;       /* a reblog: the post it shares */
    struct pin_status *reblog; /* that post, as the viewer sees it (NULL if hidden) */
    /* What the viewer did to it (all false for anonymous viewers). */
    bool favourited, bookmarked, reblogged, pinned;
} pin_status;

typedef struct pin_status_in {
    const char *text;
    const char *spoiler_text;
    int sensitive;          /* -1: unchanged (edits) / false */
    const char *visibility; /* NULL: the author's default */
    const char *language;
    pin_id in_reply_to_id;
    const char *const *media_ids; /* decimal ids, in order */
    int nmedia;
    bool set_media; /* edits: media_ids given */
    /* Edits: per-attachment description and focus. */
    struct {
        const char *id, *description, *focus;
    } media_attrs[32];
    int nattrs;
    const char *idempotency_key;
} pin_status_in;

/* Posts for the viewer. PIN_EUNPROCESSABLE with *why for invalid input
 * (Mastodon's wording where it has one). With an idempotency key already
 * used by the viewer within the hour, returns that post's id again. */
pin_err pin_status_create(pin_svc *svc, pin_arena *a, const pin_viewer *v, const pin_status_in *in,
                          pin_id *id, const char **why) PIN_WUR;
/* Loads a post the viewer may see, with author, media, mentions and tags. */
pin_err pin_status_get(pin_svc *svc, pin_arena *a, const pin_viewer *v, pin_id id,
                       pin_status *out) PIN_WUR;
/* Loads several posts in one snapshot, each as pin_status_get does, into
 * out[0..*n) in the order of ids; posts gone or hidden from the viewer are
 * left out. */
pin_err pin_statuses_get(pin_svc *svc, pin_arena *a, const pin_viewer *v, const pin_id *ids,
                         int count, pin_status *out, int *n) PIN_WUR;
/* Deletes the viewer's own post; *out receives it as it was. */
pin_err pin_status_delete(pin_svc *svc, pin_arena *a, const pin_viewer *v, pin_id id,
                          pin_status *out) PIN_WUR;
/* Edits the viewer's own post: caption, spoiler, sensitive, media set and
 * order (a subset of its attachments plus new ones), descriptions and focus.
 * The previous version goes to the history. */
pin_err pin_status_edit(pin_svc *svc, pin_arena *a, const pin_viewer *v, pin_id id,
                        const pin_status_in *in, const char **why) PIN_WUR;

/* One attachment of a post the caller already loaded, current or since
 * taken off it (for the history). PIN_ENOTFOUND if it is not the post's. */
pin_err pin_status_media(pin_svc *svc, pin_arena *a, const pin_status *s, pin_id media_id,
                         pin_media *out) PIN_WUR;

/* Shares (reblogs) a public or unlisted post the viewer can see, or undoes
 * it; sharing twice is one share. *out receives the reblog (on) or the
 * original (off). PIN_EUNPROCESSABLE for private or direct posts. */
pin_err pin_status_reblog(pin_svc *svc, pin_arena *a, const pin_viewer *v, pin_id id, bool on,
                          pin_status *out) PIN_WUR;
/* Pins or unpins one of the viewer's own posts on their profile (at most
 * PIN_PINS_MAX; PIN_EUNPROCESSABLE beyond, or for a reblog or a direct post). */
enum { PIN_PINS_MAX = 5 };
pin_err pin_status_pin(pin_svc *svc, pin_arena *a, const pin_viewer *v, pin_id id, bool on,
                       pin_status *out) PIN_WUR;

typedef struct pin_status_version {
    const char *text, *spoiler_text;
    bool sensitive;
    int64_t created_at;
    const char *media_json; /* [{"id":..,"description":..}] snapshot */
} pin_status_version;

/* The versions of a post the viewer may see, oldest first (at least one). */
pin_err pin_status_history(pin_svc *svc, pin_arena *a, const pin_viewer *v, pin_id id,
                           pin_status_version **out, int *n) PIN_WUR;

#endif
