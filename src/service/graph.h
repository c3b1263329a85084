/* The social graph: follows (and follow requests for locked accounts),
 * blocks, mutes, and the follower ledger.
 *
 * Every change to a follow edge changes both counts (the follower's
 * following_count, the followed's followers_count) and writes a ledger
 * event with its cause, in the same transaction, so a count can always be
 * explained by its events and never disagrees with the rows.
 */
#ifndef PIN_SERVICE_GRAPH_H
#define PIN_SERVICE_GRAPH_H

#include "service/svc.h"

typedef struct pin_relationship {
    pin_id id;
    bool following, showing_reblogs, notifying, followed_by, blocking, blocked_by, muting,
        muting_notifications, requested, requested_by;
} pin_relationship;

/* Follows `target` (or asks to, if it is locked). PIN_EFORBIDDEN when
 * either blocks the other; PIN_EUNPROCESSABLE for oneself; PIN_ENOTFOUND
 * for no such account. */
pin_err pin_follow(pin_svc *svc, const pin_viewer *v, pin_id target, pin_relationship *rel) PIN_WUR;
pin_err pin_unfollow(pin_svc *svc, const pin_viewer *v, pin_id target,
                     pin_relationship *rel) PIN_WUR;
/* Removes `follower` from the viewer's followers. */
pin_err pin_remove_follower(pin_svc *svc, const pin_viewer *v, pin_id follower,
                            pin_relationship *rel) PIN_WUR;
/* Blocks: removes follows and requests both ways. */
pin_err pin_block(pin_svc *svc, const pin_viewer *v, pin_id target, pin_relationship *rel) PIN_WUR;
pin_err pin_unblock(pin_svc *svc, const pin_viewer *v, pin_id target,
                    pin_relationship *rel) PIN_WUR;
pin_err pin_mute(pin_svc *svc, const pin_viewer *v, pin_id target, bool notifications,
                 pin_relationship *rel) PIN_WUR;
pin_err pin_unmute(pin_svc *svc, const pin_viewer *v, pin_id target, pin_relationship *rel) PIN_WUR;
/* Accepts or refuses a request to follow the viewer. */
pin_err pin_follow_request_answer(pin_svc *svc, const pin_viewer *v, pin_id from, bool accept,
                                  pin_relationship *rel) PIN_WUR;

/* Relationship of the viewer to one account. */
pin_err pin_relationship_get(pin_svc *svc, pin_db *db, pin_id me, pin_id other,
                             pin_relationship *out) PIN_WUR;

/* Lists of account ids, newest edge first, paginated by edge id. */
typedef enum pin_list_kind {
    PIN_LIST_FOLLOWERS, /* of `owner` */
    PIN_LIST_FOLLOWING, /* of `owner` */
    PIN_LIST_BLOCKS,    /* the viewer's */
    PIN_LIST_MUTES,     /* the viewer's */
    PIN_LIST_REQUESTS,  /* people asking to follow the viewer */
} pin_list_kind;

typedef struct pin_page {
    pin_id max_id, since_id, min_id; /* 0: none */
    int limit;
} pin_page;

/* Fills ids[] (at most page->limit) and the edge ids edge[] used for the
 * Link header. Hidden accounts (blocked either way) are left out of others'
 * lists. */
pin_err pin_graph_list(pin_svc *svc, pin_arena *a, const pin_viewer *v, pin_list_kind kind,
                       pin_id owner, const pin_page *page, pin_id **ids, pin_id **edge,
                       int *n) PIN_WUR;

/* One day of the follower ledger. */
typedef struct pin_ledger_day {
    int64_t day_ms;    /* midnight UTC */
    int64_t followers; /* count at the end of the day */
    int64_t gained, lost;
    int64_t by_cause[8]; /* indexed like pin_ledger_causes */
} pin_ledger_day;

typedef struct pin_ledger_event {
    pin_id id, follower_id;
    int delta;
    const char *cause;
    int64_t at;
} pin_ledger_event;

/* The causes a follower count can move for, in a fixed order. */
extern const char *const pin_ledger_causes[8];

/* The viewer's follower history: `days` daily rows (oldest first) and the
 * individual events of the last 30 days (newest first, at most max_events). */
pin_err pin_ledger_get(pin_svc *svc, pin_arena *a, const pin_viewer *v, int days,
                       pin_ledger_day **rows, pin_ledger_event **events, int *nevents,
                       int max_events) PIN_WUR;

#endif
