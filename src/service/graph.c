/* The social graph. See graph.h. */
#include "service/graph.h"

#include <string.h>

#include "core/log.h"
#include "service/notify.h"

const char *const pin_ledger_causes[8] = {"followed",  "unfollowed", "removed",    "blocked",
                                          "suspended", "deleted",    "moderation", "other"};

static pin_err ledger(pin_db *db, pin_id account, pin_id follower, int delta, const char *cause)
{
    return pin_db_exec(db, NULL,
                       "INSERT INTO follower_events (id, account_id, follower_id, delta, cause,"
                       " created_at) VALUES (?, ?, ?, ?, ?, ?)",
                       "iiiisi", pin_id_new(), account, follower, (int64_t)delta, cause,
                       pin_now_ms());
}

/* Moves both counts of one edge in one statement: both rows locked
 * together rather than one after the other, so two people following each
 * other at the same moment do not deadlock. */
static pin_err move_counts(pin_db *db, pin_id follower, pin_id target, int64_t following,
                           int64_t followers)
{
    return pin_db_exec(db, NULL,
                       "UPDATE accounts SET"
                       " following_count = following_count + CASE WHEN id = ? THEN ? ELSE 0 END,"
                       " followers_count = followers_count + CASE WHEN id = ? THEN ? ELSE 0 END"
                       " WHERE id IN (?, ?)",
                       "iiiiii", follower, following, target, followers, follower, target);
}

/* Adds the edge follower -> target with both counts and a ledger event. */
static pin_err edge_add(pin_db *db, pin_id follower, pin_id target, const char *cause, bool *added)
{
    int64_t changed = 0;
    pin_id id = pin_id_new();
    pin_err err = pin_db_exec(db, &changed,
                              "INSERT INTO follows (account_id, target_id, created_at, id)"
                              " VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                              "iiii", follower, target, pin_now_ms(), id);
    if (err || !changed) {
        if (added) *added = false;
        return err;
    }
    int64_t step = 1;
#ifdef PIN_COUNTER_BUG
    /* Deliberately wrong (a build option): proves the invariant tests can fail. */
    if (id % 5 == 0) step = 2;
#endif
    err = move_counts(db, follower, target, 1, step);
    if (!err) err = ledger(db, target, follower, 1, cause);
    if (added) *added = !err;
    return err;
}

/* Removes the edge follower -> target if present, with counts and ledger. */
static pin_err edge_remove(pin_db *db, pin_id follower, pin_id target, const char *cause)
{
    int64_t changed = 0;
    pin_err err =
        pin_db_exec(db, &changed, "DELETE FROM follows WHERE account_id = ? AND target_id = ?",
                    "ii", follower, target);
    if (err || !changed) return err;
    err = move_counts(db, follower, target, -1, -1);
    if (!err) err = ledger(db, target, follower, -1, cause);
    return err;
}

static pin_err exists(pin_db *db, const char *sql, pin_id a, pin_id b, bool *out)
{
    int64_t n = 0;
    pin_err err = pin_db_i64(db, &n, sql, "ii", a, b);
    *out = n != 0;
    return err;
}

static pin_err blocked_either(pin_db *db, pin_id a, pin_id b, bool *out)
{
    int64_t n = 0;
    pin_err err = pin_db_i64(db, &n,
                             "SELECT COUNT(*) FROM blocks WHERE (account_id = ? AND target_id = ?)"
                             " OR (account_id = ? AND target_id = ?)",
                             "iiii", a, b, b, a);
    *out = n != 0;
    return err;
}

pin_err pin_relationship_get(pin_svc *svc, pin_db *db, pin_id me, pin_id other, pin_relationship *r)
{
    (void)svc;
    memset(r, 0, sizeof(*r));
    r->id = other;
    pin_q q;
    pin_db_query(db, &q,
                 "SELECT"
                 " (SELECT COUNT(*) FROM follows WHERE account_id = ? AND target_id = ?),"
                 " (SELECT COUNT(*) FROM follows WHERE account_id = ? AND target_id = ?),"
                 " (SELECT COUNT(*) FROM blocks WHERE account_id = ? AND target_id = ?),"
                 " (SELECT COUNT(*) FROM blocks WHERE account_id = ? AND target_id = ?),"
                 " (SELECT COUNT(*) FROM mutes WHERE account_id = ? AND target_id = ?),"
                 " (SELECT COUNT(*) FROM mutes WHERE account_id = ? AND target_id = ? AND "
                 "notifications = 1),"
                 " (SELECT COUNT(*) FROM follow_requests WHERE account_id = ? AND target_id = ?),"
                 " (SELECT COUNT(*) FROM follow_requests WHERE account_id = ? AND target_id = ?)",
                 "iiiiiiiiiiiiiiii", me, other, other, me, me, other, other, me, me, other, me,
                 other, me, other, other, me);
    if (pin_q_step(&q)) {
        r->following = pin_q_i64(&q, 0);
        r->showing_reblogs = r->following;
        r->followed_by = pin_q_i64(&q, 1);
        r->blocking = pin_q_i64(&q, 2);
        r->blocked_by = pin_q_i64(&q, 3);
        r->muting = pin_q_i64(&q, 4);
        r->muting_notifications = pin_q_i64(&q, 5);
        r->requested = pin_q_i64(&q, 6);
        r->requested_by = pin_q_i64(&q, 7);
    }
    return pin_q_end(&q);
}

typedef enum {
    OP_FOLLOW,
    OP_UNFOLLOW,
    OP_REMOVE,
    OP_BLOCK,
    OP_UNBLOCK,
    OP_MUTE,
    OP_UNMUTE,
    OP_ACCEPT,
    OP_REJECT
} op_kind;

typedef struct op_tx {
    pin_svc *svc;
    pin_id me, other;
    op_kind op;
    bool flag;
    pin_relationship *rel;
} op_tx;

static pin_err op_body(pin_db *db, void *ctx)
{
    op_tx *t = ctx;
    pin_id me = t->me, other = t->other;
    int64_t n = 0;
    /* Every operation on a pair of accounts holds both rows first (in id
     * order, so two never deadlock): a follow that checked for a block and
     * a block that removed the follows cannot then both commit. SQLite runs
     * one writer at a time; PostgreSQL's READ COMMITTED needs the locks. */
    pin_err err = PIN_OK;
    if (pin_db_kind_of(db) == PIN_DB_POSTGRES)
        err = pin_db_exec(db, NULL,
                          "SELECT id FROM accounts WHERE id IN (?, ?) ORDER BY id FOR UPDATE", "ii",
                          me, other);
    if (err) return err;
    err = pin_db_i64(db, &n, "SELECT COUNT(*) FROM accounts WHERE id = ? AND suspended_at IS NULL",
                     "i", other);
    if (err) return err;
    if (!n) return PIN_ENOTFOUND;
    bool blocked = false;
    switch (t->op) {
    case OP_FOLLOW: {
        if (me == other) return PIN_EUNPROCESSABLE;
        err = blocked_either(db, me, other, &blocked);
        if (err) return err;
        if (blocked) return PIN_EFORBIDDEN;
        bool already = false;
        err = exists(db, "SELECT COUNT(*) FROM follows WHERE account_id = ? AND target_id = ?", me,
                     other, &already);
        if (err || already) break;
        int64_t following = 0;
        err = pin_db_i64(db, &following, "SELECT following_count FROM accounts WHERE id = ?", "i",
                         me);
        if (err) return err;
        if (following >= t->svc->cfg->max_following) return PIN_EUNPROCESSABLE;
        int64_t locked = 0;
        err = pin_db_i64(db, &locked, "SELECT locked FROM accounts WHERE id = ?", "i", other);
        if (err) return err;
        if (locked) {
            int64_t changed = 0;
            err = pin_db_exec(db, &changed,
                              "INSERT INTO follow_requests (id, account_id, target_id, created_at)"
                              " VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                              "iiii", pin_id_new(), me, other, pin_now_ms());
            if (!err && changed) err = pin_notify(db, other, me, "follow_request", 0);
        } else {
            bool added = false;
            err = edge_add(db, me, other, "followed", &added);
            if (!err && added) err = pin_notify(db, other, me, "follow", 0);
        }
        break;
    }
    case OP_UNFOLLOW: {
        err = edge_remove(db, me, other, "unfollowed");
        if (!err) err = pin_notify_retract(db, other, me, "follow", 0);
        int64_t withdrawn = 0;
        if (!err)
            err = pin_db_exec(db, &withdrawn,
                              "DELETE FROM follow_requests WHERE account_id = ? AND target_id = ?",
                              "ii", me, other);
        if (!err && withdrawn) err = pin_notify_delete_request(db, other, me);
        break;
    }
    case OP_REMOVE:
        err = edge_remove(db, other, me, "removed");
        break;
    case OP_BLOCK:
        if (me == other) return PIN_EUNPROCESSABLE;
        err = edge_remove(db, me, other, "blocked");
        if (!err) err = edge_remove(db, other, me, "blocked");
        if (!err)
            err = pin_db_exec(db, NULL,
                              "DELETE FROM follow_requests WHERE (account_id = ? AND target_id = ?)"
                              " OR (account_id = ? AND target_id = ?)",
                              "iiii", me, other, other, me);
        if (!err) err = pin_notify_forget_pair(db, me, other);
        if (!err)
            err = pin_db_exec(db, NULL,
                              "INSERT INTO blocks (id, account_id, target_id, created_at) VALUES"
                              " (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                              "iiii", pin_id_new(), me, other, pin_now_ms());
        break;
    case OP_UNBLOCK:
        err = pin_db_exec(db, NULL, "DELETE FROM blocks WHERE account_id = ? AND target_id = ?",
                          "ii", me, other);
        break;
    case OP_MUTE:
        if (me == other) return PIN_EUNPROCESSABLE;
        err = pin_db_exec(db, NULL,
                          "INSERT INTO mutes (id, account_id, target_id, notifications, created_at)"
                          " VALUES (?, ?, ?, ?, ?) ON CONFLICT (account_id, target_id) DO UPDATE"
                          " SET notifications = excluded.notifications",
                          "iiibi", pin_id_new(), me, other, t->flag, pin_now_ms());
        break;
    case OP_UNMUTE:
        err = pin_db_exec(db, NULL, "DELETE FROM mutes WHERE account_id = ? AND target_id = ?",
                          "ii", me, other);
        break;
    case OP_ACCEPT:
    case OP_REJECT: {
        int64_t changed = 0;
        err = pin_db_exec(db, &changed,
                          "DELETE FROM follow_requests WHERE account_id = ? AND target_id = ?",
                          "ii", other, me);
        if (err) return err;
        if (!changed) return PIN_ENOTFOUND;
        if (t->op == OP_ACCEPT) {
            bool added = false;
            err = edge_add(db, other, me, "followed", &added);
            if (!err && added) err = pin_notify_delete_request(db, me, other);
        } else {
            err = pin_notify_delete_request(db, me, other);
        }
        break;
    }
    }
    if (err) return err;
    return pin_relationship_get(t->svc, db, me, other, t->rel);
}

static pin_err run_op(pin_svc *svc, const pin_viewer *v, pin_id other, op_kind op, bool flag,
                      pin_relationship *rel)
{
    pin_db *db;
    pin_err err = pin_svc_db(svc, &db);
    if (err) return err;
    op_tx t = {svc, v->account_id, other, op, flag, rel};
    return pin_db_tx(db, true, op_body, &t);
}

pin_err pin_follow(pin_svc *svc, const pin_viewer *v, pin_id target, pin_relationship *rel)
{
    return run_op(svc, v, target, OP_FOLLOW, false, rel);
}

pin_err pin_unfollow(pin_svc *svc, const pin_viewer *v, pin_id target, pin_relationship *rel)
{
    return run_op(svc, v, target, OP_UNFOLLOW, false, rel);
}

pin_err pin_remove_follower(pin_svc *svc, const pin_viewer *v, pin_id follower,
                            pin_relationship *rel)
{
    return run_op(svc, v, follower, OP_REMOVE, false, rel);
}

pin_err pin_block(pin_svc *svc, const pin_viewer *v, pin_id target, pin_relationship *rel)
{
    return run_op(svc, v, target, OP_BLOCK, false, rel);
}

pin_err pin_unblock(pin_svc *svc, const pin_viewer *v, pin_id target, pin_relationship *rel)
{
    return run_op(svc, v, target, OP_UNBLOCK, false, rel);
}

pin_err pin_mute(pin_svc *svc, const pin_viewer *v, pin_id target, bool notifications,
                 pin_relationship *rel)
{
    return run_op(svc, v, target, OP_MUTE, notifications, rel);
}

pin_err pin_unmute(pin_svc *svc, const pin_viewer *v, pin_id target, pin_relationship *rel)
{
    return run_op(svc, v, target, OP_UNMUTE, false, rel);
}

pin_err pin_follow_request_answer(pin_svc *svc, const pin_viewer *v, pin_id from, bool accept,
                                  pin_relationship *rel)
{
    return run_op(svc, v, from, accept ? OP_ACCEPT : OP_REJECT, false, rel);
}

/* One SQL text per list and direction (the statement cache is keyed by the
 * text's address, so these are literals). Columns: account id, edge id. */
#define LIST_SQL(col, table, where, order)                                                         \
    "SELECT " col ", e.id FROM " table " e WHERE " where                                           \
    " AND (CAST(? AS BIGINT) = 0 OR e.id < ?) AND (CAST(? AS BIGINT) = 0 OR e.id > ?)"             \
    " AND NOT EXISTS (SELECT 1 FROM blocks b WHERE (b.account_id = ? AND b.target_id = " col ")"   \
    " OR (b.account_id = " col " AND b.target_id = ?)) ORDER BY e.id " order " LIMIT ?"
#define LIST_BOTH(col, table, where)                                                               \
    {                                                                                              \
        LIST_SQL(col, table, where, "DESC"), LIST_SQL(col, table, where, "ASC")                    \
    }

static const char *const list_sql[5][2] = {
    LIST_BOTH("e.account_id", "follows", "e.target_id = ?"),
    LIST_BOTH("e.target_id", "follows", "e.account_id = ?"),
    LIST_BOTH("e.target_id", "blocks", "e.account_id = ?"),
    LIST_BOTH("e.target_id", "mutes", "e.account_id = ?"),
    LIST_BOTH("e.account_id", "follow_requests", "e.target_id = ?"),
};

pin_err pin_graph_list(pin_svc *svc, pin_arena *a, const pin_viewer *v, pin_list_kind kind,
                       pin_id owner, const pin_page *page, pin_id **ids, pin_id **edge, int *n)
{
    pin_db *db;
    pin_err err = pin_svc_db(svc, &db);
    if (err) return err;
    if (kind >= PIN_LIST_BLOCKS) owner = v->account_id; /* one's own lists only */
    /* Someone who blocked the viewer shows them no followers or following. */
    bool blocked = false;
    if (kind <= PIN_LIST_FOLLOWING && v->account_id && owner != v->account_id) {
        int64_t b = 0;
        err =
            pin_db_i64(db, &b, "SELECT COUNT(*) FROM blocks WHERE account_id = ? AND target_id = ?",
                       "ii", owner, v->account_id);
        if (err) return err;
        blocked = b != 0;
    }
    int limit = page->limit > 0 && page->limit <= 80 ? page->limit : 40;
    bool ascending = page->min_id != 0;
    pin_id above = page->min_id ? page->min_id : page->since_id;
    /* Blocked-either-way accounts are hidden from the lists of others; in
     * one's own block list they are the point. */
    pin_id hide = kind == PIN_LIST_BLOCKS ? 0 : v->account_id;
    *ids = pin_arena_zalloc(a, sizeof(pin_id) * (size_t)limit);
    *edge = pin_arena_zalloc(a, sizeof(pin_id) * (size_t)limit);
    *n = 0;
    if (blocked) return PIN_OK;
    pin_q q;
    pin_db_query(db, &q, list_sql[kind][ascending], "iiiiiiii", owner, page->max_id, page->max_id,
                 above, above, hide, hide, (int64_t)limit);
    while (pin_q_step(&q) && *n < limit) {
        (*ids)[*n] = pin_q_i64(&q, 0);
        (*edge)[*n] = pin_q_i64(&q, 1);
        (*n)++;
    }
    err = pin_q_end(&q);
    if (!err && ascending) { /* newest first, like every other page */
        for (int i = 0, j = *n - 1; i < j; i++, j--) {
            pin_id t = (*ids)[i];
            (*ids)[i] = (*ids)[j], (*ids)[j] = t;
            t = (*edge)[i];
            (*edge)[i] = (*edge)[j], (*edge)[j] = t;
        }
    }
    return err;
}

static int cause_index(const char *cause)
{
    for (int i = 0; i < 8; i++) {
        if (!strcmp(pin_ledger_causes[i], cause)) return i;
    }
    return 7;
}

typedef struct ledger_tx {
    pin_arena *a;
    pin_id me;
    int days;
    pin_ledger_day *rows;
    pin_ledger_event *events;
    int nevents, max_events;
} ledger_tx;

static pin_err ledger_body(pin_db *db, void *ctx)
{
    ledger_tx *t = ctx;
    const int64_t day = 86400000;
    int64_t now = pin_now_ms(), today = now - now % day;
    int64_t first = today - (int64_t)(t->days - 1) * day;
    int64_t current = 0;
    pin_err err =
        pin_db_i64(db, &current, "SELECT followers_count FROM accounts WHERE id = ?", "i", t->me);
    if (err) return err;
    for (int i = 0; i < t->days; i++)
        t->rows[i].day_ms = first + (int64_t)i * day;
    pin_q q;
    pin_db_query(db, &q,
                 "SELECT created_at / 86400000, cause, SUM(CASE WHEN delta > 0 THEN 1 ELSE 0 END),"
                 " SUM(CASE WHEN delta < 0 THEN 1 ELSE 0 END) FROM follower_events"
                 " WHERE account_id = ? AND created_at >= ? GROUP BY created_at / 86400000, cause",
                 "ii", t->me, first);
    while (pin_q_step(&q)) {
        int64_t d = pin_q_i64(&q, 0) * day;
        int i = (int)((d - first) / day);
        if (i < 0 || i >= t->days) continue;
        int64_t gained = pin_q_i64(&q, 2), lost = pin_q_i64(&q, 3);
        t->rows[i].gained += gained;
        t->rows[i].lost += lost;
        t->rows[i].by_cause[cause_index(pin_q_text(&q, 1))] += gained + lost;
    }
    err = pin_q_end(&q);
    if (err) return err;
    /* Walk back from today's count to each day's closing count. */
    int64_t count = current;
    for (int i = t->days - 1; i >= 0; i--) {
        t->rows[i].followers = count;
        count -= t->rows[i].gained - t->rows[i].lost;
    }
    pin_db_query(db, &q,
                 "SELECT id, follower_id, delta, cause, created_at FROM follower_events WHERE"
                 " account_id = ? AND created_at >= ? ORDER BY id DESC LIMIT ?",
                 "iii", t->me, now - 30 * day, (int64_t)t->max_events);
    while (pin_q_step(&q) && t->nevents < t->max_events)
        t->events[t->nevents++] =
            (pin_ledger_event){pin_q_i64(&q, 0), pin_q_i64(&q, 1), (int)pin_q_i64(&q, 2),
                               pin_q_strdup(&q, 3, t->a), pin_q_i64(&q, 4)};
    return pin_q_end(&q);
}

pin_err pin_ledger_get(pin_svc *svc, pin_arena *a, const pin_viewer *v, int days,
                       pin_ledger_day **rows, pin_ledger_event **events, int *nevents,
                       int max_events)
{
    if (days < 1 || days > 3660 || max_events < 0 || max_events > 10000) return PIN_EINVAL;
    pin_db *db;
    pin_err err = pin_svc_db(svc, &db);
    if (err) return err;
    ledger_tx t = {
        a,
        v->account_id,
        days,
        pin_arena_zalloc(a, sizeof(pin_ledger_day) * (size_t)days),
        pin_arena_zalloc(a, sizeof(pin_ledger_event) * (size_t)(max_events ? max_events : 1)),
        0,
        max_events};
    err = pin_db_tx(db, false, ledger_body, &t);
    if (err) return err;
    *rows = t.rows;
    *events = t.events;
    *nevents = t.nevents;
    return PIN_OK;
}
