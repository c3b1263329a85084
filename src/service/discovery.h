/* Discovery: hashtags (info, follow), trends and search.
 *
 * Trends are time-decayed over 7 days: each day's count of distinct people
 * using a tag (or the day's likes and comments of a post) weighs half as
 * much as the day after it, so a burst fades within days and one person
 * posting a tag a hundred times counts once a day. Hashtags compare by
 * their case-folded key, Unicode included.
 */
#ifndef PIN_SERVICE_DISCOVERY_H
#define PIN_SERVICE_DISCOVERY_H

#include "service/svc.h"

enum { PIN_TREND_DAYS = 7 };

typedef struct pin_tag_day {
    int64_t day_ms; /* midnight UTC */
    int64_t uses, accounts;
} pin_tag_day;

typedef struct pin_tag {
    pin_id id;
    const char *name;                    /* as first written */
    const char *key;                     /* case-folded */
    pin_tag_day history[PIN_TREND_DAYS]; /* newest first */
    bool following;                      /* the viewer follows it */
    double score;
} pin_tag;

/* A tag by name (any case). PIN_ENOTFOUND if nobody used it. */
pin_err pin_tag_get(pin_svc *svc, pin_arena *a, const pin_viewer *v, const char *name,
                    pin_tag *out) PIN_WUR;
/* Follows or unfollows a tag (creating it if needed); followed tags' public
 * posts appear in the home timeline. PIN_EUNPROCESSABLE for a non-tag. */
pin_err pin_tag_follow(pin_svc *svc, pin_arena *a, const pin_viewer *v, const char *name, bool on,
                       pin_tag *out) PIN_WUR;
pin_err pin_followed_tags(pin_svc *svc, pin_arena *a, const pin_viewer *v, int limit, pin_tag **out,
                          int *n) PIN_WUR;

/* Trending tags and posts, best first. */
pin_err pin_trends_tags(pin_svc *svc, pin_arena *a, const pin_viewer *v, int limit, int offset,
                        pin_tag **out, int *n) PIN_WUR;
pin_err pin_trends_statuses(pin_svc *svc, pin_arena *a, const pin_viewer *v, int limit, int offset,
                            pin_id **out, int *n) PIN_WUR;

typedef struct pin_search_result {
    pin_id *accounts;
    int naccounts;
    pin_tag *tags;
    int ntags;
    pin_id *statuses;
    int nstatuses;
} pin_search_result;

/* Searches accounts (prefix of username or display name), hashtags
 * (prefix) and post captions (full text; newest first, and on SQLite among
 * the newest 5000 posts that match) for `q`. `type` NULL for all or
 * "accounts" / "hashtags" / "statuses". */
pin_err pin_search(pin_svc *svc, pin_arena *a, const pin_viewer *v, const char *q, const char *type,
                   int limit, int offset, pin_search_result *out) PIN_WUR;

#endif
