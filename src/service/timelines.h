/* Timelines: pages of post ids, newest first, each post visible to the
 * viewer and none from an account the viewer blocks, is blocked by, or
 * mutes. Pagination is by post id (Mastodon's max_id / since_id / min_id).
 *
 * The home timeline is read at request time (fan-out on read) by a
 * threshold merge: find each source's newest qualifying post in the page's
 * bounds (the viewer, every account followed, every tag followed: one index
 * probe each), keep the `limit` sources with the newest ones, and read the
 * page from those sources only, down to the limit-th newest head. Why this
 * design, from the measurements in ../shared/PERF-NOTES.md and
 * bench/timeline.sh (100k users, 15M follows, 1M and 3M posts):
 *  - its cost is a probe per followed source plus one page of rows, so it
 *    does not grow with the number of posts the instance holds, unlike the
 *    plain `author IN (followees)` read (52 ns per post ever made);
 *  - a post by any account, even one followed by half the instance, is in
 *    every follower's timeline the moment it commits, and posting stays one
 *    small transaction: fan-out on write spent 1.8-2.9 s committing ~200 MB
 *    of WAL for the top account on SQLite, blocking every other writer;
 *  - unfollows, blocks, mutes, deletions and visibility changes take effect
 *    on the next read, with no per-follower rows to clean up, and no
 *    20M-row table (1 GB on SQLite, 3 GB on PostgreSQL) to keep;
 *  - the same SQL runs on both backends (a correlated LIMIT 1 per source
 *    is the LATERAL plan PostgreSQL needs; its `IN (subquery)` plan walked
 *    every post newest-first).
 * What it costs instead is a read proportional to the number of accounts
 * followed (about 1-3 us each on SQLite, 5-10 us on PostgreSQL). So someone
 * who follows at least `home_scan_from` accounts (50) is first read another
 * way: the newest 2000 posts a home timeline may show (statuses_recent, one
 * index range) filtered by the accounts they follow, a set built once per
 * read; the tags they follow, if any, are read by the merge alone and the
 * two pages merged. The more accounts one follows, the larger
 * their share of recent posts, so the page is nearly always there; when it
 * is not (quiet accounts, the end of a timeline), the merge reads it, and
 * the two give the same page (tests/api/timeline-window.test.mjs). At 3M
 * posts on PostgreSQL the window took 0.2-0.7 ms where the merge took
 * 1.4 ms (100 accounts followed) to 6.5-9 ms (950). Following is capped at
 * `max_following` accounts so the merge's worst case stays bounded.
 */
#ifndef PIN_SERVICE_TIMELINES_H
#define PIN_SERVICE_TIMELINES_H

#include "service/graph.h"

typedef enum pin_timeline_kind {
    PIN_TL_HOME,       /* followed accounts, oneself and followed tags; top-level posts */
    PIN_TL_PUBLIC,     /* every public top-level post */
    PIN_TL_TAG,        /* public posts with a hashtag */
    PIN_TL_ACCOUNT,    /* one account's posts the viewer can see */
    PIN_TL_FAVOURITES, /* the viewer's likes, newest like first */
    PIN_TL_BOOKMARKS,  /* the viewer's bookmarks, newest first */
    PIN_TL_PINNED,     /* one account's pinned posts the viewer can see, newest pin first */
} pin_timeline_kind;

typedef struct pin_timeline_q {
    pin_timeline_kind kind;
    pin_id account;       /* PIN_TL_ACCOUNT */
    const char *tag;      /* PIN_TL_TAG: the tag's key (case-folded) */
    bool exclude_replies; /* PIN_TL_ACCOUNT */
    pin_page page;
} pin_timeline_q;

/* Fills ids[] (post ids) and edge[] (pagination ids: the post id, or the
 * like/bookmark id for those lists). */
pin_err pin_timeline(pin_svc *svc, pin_arena *a, const pin_viewer *v, const pin_timeline_q *q,
                     pin_id **ids, pin_id **edge, int *n) PIN_WUR;

/* Notifications of the viewer, newest first, optionally only some types. */
typedef struct pin_notification {
    pin_id id, from_account, status_id;
    const char *type;
    int64_t created_at;
} pin_notification;

pin_err pin_notifications(pin_svc *svc, pin_arena *a, const pin_viewer *v, const pin_page *page,
                          const char *const *types, int ntypes, const char *const *exclude,
                          int nexclude, pin_notification **out, int *n) PIN_WUR;
pin_err pin_notification_get(pin_svc *svc, pin_arena *a, const pin_viewer *v, pin_id id,
                             pin_notification *out) PIN_WUR;
pin_err pin_notification_dismiss(pin_svc *svc, const pin_viewer *v, pin_id id) PIN_WUR;
pin_err pin_notifications_clear(pin_svc *svc, const pin_viewer *v) PIN_WUR;
/* Unread: notifications newer than the last one marked read. */
pin_err pin_notifications_unread(pin_svc *svc, const pin_viewer *v, int64_t *count) PIN_WUR;
pin_err pin_notifications_mark_read(pin_svc *svc, const pin_viewer *v, pin_id up_to) PIN_WUR;
/* The newest notification id marked read (0: none). */
pin_err pin_notifications_read_id(pin_svc *svc, const pin_viewer *v, pin_id *out) PIN_WUR;

#endif
