/* Timelines and notification lists. See timelines.h. */
#include "service/timelines.h"

#include <string.h>

#include "service/visibility.h"

/* Authors hidden from a viewer: blocked either way, or muted. Binds the
 * viewer three times. The set does not depend on the author, so both
 * engines build it once per statement (SQLite an ephemeral index,
 * PostgreSQL a hashed subplan) and each author costs a lookup in memory,
 * not three index probes: the home timeline checks hundreds of authors. */
#define NOT_HIDDEN(author)                                                                         \
    " " author " NOT IN (SELECT target_id FROM blocks WHERE account_id = ? UNION ALL SELECT"       \
    " account_id FROM blocks WHERE target_id = ? UNION ALL SELECT target_id FROM mutes WHERE"      \
    " account_id = ?)"

/* Blocked either way (profiles: a mute filters timelines, not a profile one
 * visits on purpose). Binds the viewer twice. */
#define NOT_BLOCKED(author)                                                                        \
    " NOT EXISTS (SELECT 1 FROM blocks hb WHERE (hb.account_id = ? AND hb.target_id = " author ")" \
    " OR (hb.account_id = " author " AND hb.target_id = ?))"

/* Notifications not shown: from accounts blocked either way, or muted with
 * their notifications. Binds the viewer three times. */
#define QUIET(from)                                                                                \
    " NOT EXISTS (SELECT 1 FROM blocks hb WHERE (hb.account_id = ? AND hb.target_id = " from ")"   \
    " OR (hb.account_id = " from " AND hb.target_id = ?))"                                         \
    " AND NOT EXISTS (SELECT 1 FROM mutes hm WHERE hm.account_id = ? AND hm.target_id = " from     \
    " AND hm.notifications = 1)"

/* Page bounds; 0 means none. Cast: PostgreSQL would type `? = 0` int4. */
#define PAGE(col)                                                                                  \
    " AND (CAST(? AS BIGINT) = 0 OR " col " < ?) AND (CAST(? AS BIGINT) = 0 OR " col " > ?)"

/* The home timeline, read at request time by a threshold merge (see
 * timelines.h for why). Sources are the viewer, each account they follow
 * (minus hidden ones) and each tag they follow. `heads` finds every source's
 * newest qualifying post inside the page bounds, one index probe each
 * (statuses_account, status_tags_tag); the page can then only hold posts of
 * the `top` sources with the newest heads, at or above the limit-th head.
 * Work is a probe per source plus a page of rows: it does not grow with the
 * number of posts ever made. DIR/CMP/AGG mirror it for min_id pages. */
/* clang-format off */
#define HOME(DIR, CMP, AGG)                                                                        \
    PIN_DB_GENERIC                                                                                 \
    "WITH heads AS MATERIALIZED ("                                                                 \
    " SELECT 0 AS kind, f.a AS src, (SELECT s.id FROM statuses s WHERE s.account_id = f.a"         \
    "  AND s.id < ? AND s.id > ? AND s.visibility <= 2 AND s.in_reply_to_id IS NULL"               \
    "  ORDER BY s.id " DIR " LIMIT 1) AS h"                                                        \
    " FROM (SELECT CAST(? AS BIGINT) AS a UNION ALL SELECT target_id FROM follows"                 \
    "  WHERE account_id = ?) f WHERE" NOT_HIDDEN("f.a")                                            \
    " UNION ALL"                                                                                   \
    " SELECT 1, tf.tag_id, (SELECT st.status_id FROM status_tags st JOIN statuses s"               \
    "  ON s.id = st.status_id WHERE st.tag_id = tf.tag_id AND st.status_id < ?"                    \
    "  AND st.status_id > ? AND s.visibility = 0 AND s.in_reply_to_id IS NULL"                     \
    "  AND" NOT_HIDDEN("s.account_id") " ORDER BY st.status_id " DIR " LIMIT 1)"                   \
    " FROM tag_follows tf WHERE tf.account_id = ?),"                                               \
    " top AS MATERIALIZED (SELECT kind, src, h FROM heads WHERE h IS NOT NULL"                     \
    "  ORDER BY h " DIR " LIMIT ?)"                                                                \
    " SELECT s.id FROM top CROSS JOIN statuses s WHERE top.kind = 0 AND s.account_id = top.src"    \
    "  AND s.id " CMP " (SELECT " AGG "(h) FROM top) AND s.id < ? AND s.id > ?"                    \
    "  AND s.visibility <= 2 AND s.in_reply_to_id IS NULL"                                         \
    " UNION"                                                                                       \
    " SELECT st.status_id FROM top CROSS JOIN status_tags st CROSS JOIN statuses s"                \
    "  WHERE top.kind = 1 AND st.tag_id = top.src AND s.id = st.status_id"                         \
    "  AND st.status_id " CMP " (SELECT " AGG "(h) FROM top) AND st.status_id < ?"                 \
    "  AND st.status_id > ? AND s.visibility = 0 AND s.in_reply_to_id IS NULL"                     \
    "  AND" NOT_HIDDEN("s.account_id")                                                             \
    " ORDER BY 1 " DIR " LIMIT ?"
/* clang-format on */
/* The home timeline of someone who follows many accounts, read from the
 * newest HOME_WINDOW posts that a home timeline may show (statuses_recent):
 * the followed accounts' share of recent posts grows with their number, so
 * the page is usually there, at a cost that does not grow with it. */
enum { HOME_WINDOW = 2000 };
#define HOME_SCAN                                                                                  \
    PIN_DB_GENERIC                                                                                 \
    "SELECT r.id FROM (SELECT s.id, s.account_id FROM statuses s WHERE s.id < ? AND"               \
    " s.id > ? AND s.visibility <= 2 AND s.in_reply_to_id IS NULL ORDER BY s.id"                   \
    " DESC LIMIT ?) r WHERE (r.account_id = ? OR r.account_id IN (SELECT"                          \
    " target_id FROM follows WHERE account_id = ?)) AND" NOT_HIDDEN(                               \
        "r.account_id") " ORDER BY r.id DESC LIMIT ?"
#define PUBLIC                                                                                     \
    "SELECT s.id, s.id FROM statuses s WHERE s.visibility = 0 AND s.in_reply_to_id IS NULL AND"    \
    " s.reblog_of_id IS NULL AND" NOT_HIDDEN("s.account_id") PAGE("s.id")
#define TAG                                                                                        \
    "SELECT s.id, s.id FROM statuses s JOIN status_tags st ON st.status_id = s.id JOIN tags t ON"  \
    " t.id = st.tag_id WHERE t.name_key = ? AND s.visibility = 0 AND" NOT_HIDDEN("s.account_id")   \
        PAGE("s.id")
#define ACCOUNT                                                                                    \
    "SELECT s.id, s.id FROM statuses s WHERE s.account_id = ? AND (? = 0 OR s.in_reply_to_id IS"   \
    " NULL) AND " PIN_VISIBLE("s") " AND" NOT_BLOCKED("s.account_id") PAGE("s.id")
#define PINNED                                                                                     \
    "SELECT s.id, p.created_at FROM status_pins p JOIN statuses s ON s.id = p.status_id WHERE"     \
    " p.account_id = ? AND " PIN_VISIBLE("s") " AND" NOT_HIDDEN("s.account_id")                    \
        PAGE("p.created_at")
#define FAVS                                                                                       \
    "SELECT s.id, f.id FROM favourites f JOIN statuses s ON s.id = f.status_id WHERE"              \
    " f.account_id = ? AND " PIN_VISIBLE("s") PAGE("f.id")
#define MARKS                                                                                      \
    "SELECT s.id, f.id FROM bookmarks f JOIN statuses s ON s.id = f.status_id WHERE"               \
    " f.account_id = ? AND " PIN_VISIBLE("s") PAGE("f.id")

#define BOTH(sql, col)                                                                             \
    {                                                                                              \
        sql " ORDER BY " col " DESC LIMIT ?", sql " ORDER BY " col " ASC LIMIT ?"                  \
    }

static const char *const home_sql[2] = {HOME("DESC", ">=", "MIN"), HOME("ASC", "<=", "MAX")};

static const char *const sql[7][2] = {
    {NULL, NULL},
    BOTH(PUBLIC, "s.id"),
    BOTH(TAG, "s.id"),
    BOTH(ACCOUNT, "s.id"),
    BOTH(FAVS, "f.id"),
    BOTH(MARKS, "f.id"),
    BOTH(PINNED, "p.created_at"),
};

/* Turns an ascending (min_id) page into the newest-first order of every page. */
static void reverse(pin_id *ids, pin_id *edge, int n)
{
    for (int i = 0, j = n - 1; i < j; i++, j--) {
        pin_id t = ids[i];
        ids[i] = ids[j], ids[j] = t;
        t = edge[i];
        edge[i] = edge[j], edge[j] = t;
    }
}

/* The window read (HOME_SCAN) of the followed accounts' posts for a
 * newest-first page of someone following at least `scan_from` accounts:
 * *done with the whole page in ids[], else *n 0 (not all in the window).
 * *tags tells whether they follow tags, which the window does not read. */
static pin_err home_window(pin_db *db, pin_id me, pin_id lo, pin_id hi, int limit, int scan_from,
                           pin_id *ids, int *n, bool *done, bool *tags)
{
    *done = *tags = false;
    *n = 0;
    pin_q q;
    pin_db_query(db, &q,
                 PIN_DB_GENERIC "SELECT a.following_count, (SELECT COUNT(*) FROM tag_follows tf"
                                " WHERE tf.account_id = a.id) FROM accounts a WHERE a.id = ?",
                 "i", me);
    bool wide = false;
    if (pin_q_step(&q)) wide = pin_q_i64(&q, 0) >= scan_from, *tags = pin_q_i64(&q, 1) > 0;
    pin_err err = pin_q_end(&q);
    if (err || !wide) return err;
    pin_db_query(db, &q, HOME_SCAN, "iiiiiiiii", hi, lo, (int64_t)HOME_WINDOW, me, me, me, me, me,
                 (int64_t)limit);
    while (pin_q_step(&q) && *n < limit)
        ids[(*n)++] = pin_q_i64(&q, 0);
    err = pin_q_end(&q);
    *done = !err && *n == limit;
    if (!*done) *n = 0;
    return err;
}

/* The threshold merge: fills ids[0..limit) between the exclusive bounds lo
 * and hi, in page order, from the accounts `accounts_of` follows and
 * itself (0: no account) and the tags the viewer `me` follows. A round
 * returns at least one post per distinct head it ranked; only a post that
 * is both a followed account's and a followed tag's head can leave a round
 * short, and then the next round continues past the last post found. */
static pin_err home_merge(pin_db *db, pin_id me, pin_id accounts_of, bool asc, pin_id lo, pin_id hi,
                          int limit, pin_id *ids, int *n)
{
    pin_err err = PIN_OK;
    for (int got = -1; !err && *n < limit && got != 0;) {
        int64_t want = limit - *n;
        pin_q q;
        pin_db_query(db, &q, home_sql[asc], "iiiiiiiiiiiiiiiiiiiiii", hi, lo, accounts_of,
                     accounts_of, me, me, me, hi, lo, me, me, me, me, want, hi, lo, hi, lo, me, me,
                     me, want);
        for (got = 0; pin_q_step(&q) && *n < limit; got++)
            ids[(*n)++] = pin_q_i64(&q, 0);
        err = pin_q_end(&q);
        if (got && asc)
            lo = ids[*n - 1];
        else if (got)
            hi = ids[*n - 1];
    }
    return err;
}

_Static_assert(PIN_DB_LIST >= 40, "a page (at most 40 posts) fits an id list");

/* The home timeline between the exclusive bounds lo and hi: the window read
 * for the accounts when it holds the page (plus the merge over followed
 * tags alone, the two pages merged), the merge over everything otherwise. */
static pin_err home(pin_db *db, pin_id me, bool asc, pin_id lo, pin_id hi, int limit, int scan_from,
                    pin_id *ids, int *n)
{
    if (!asc && scan_from > 0) {
        bool done, tags;
        pin_err err = home_window(db, me, lo, hi, limit, scan_from, ids, n, &done, &tags);
        if (err || (done && !tags)) return err;
        if (done) {
            pin_id acc[PIN_DB_LIST], tag[PIN_DB_LIST];
            int nt = 0;
            memcpy(acc, ids, sizeof(pin_id) * (size_t)limit);
            err = home_merge(db, me, 0, false, lo, hi, limit, tag, &nt);
            int i = 0, j = 0;
            for (*n = 0; !err && *n < limit && (i < limit || j < nt);) {
                pin_id x = j >= nt || (i < limit && acc[i] > tag[j]) ? acc[i++] : tag[j++];
                if (!*n || ids[*n - 1] != x) ids[(*n)++] = x; /* a post in both lists once */
            }
            return err;
        }
    }
    return home_merge(db, me, me, asc, lo, hi, limit, ids, n);
}

pin_err pin_timeline(pin_svc *svc, pin_arena *a, const pin_viewer *v, const pin_timeline_q *tq,
                     pin_id **ids, pin_id **edge, int *n)
{
    pin_db *db;
    pin_err err = pin_svc_db(svc, &db);
    if (err) return err;
    const pin_page *p = &tq->page;
    int limit = p->limit > 0 && p->limit <= 40 ? p->limit : 20;
    bool asc = p->min_id != 0;
    pin_id above = p->min_id ? p->min_id : p->since_id, me = v->account_id;
    int64_t lim = limit;
    *ids = pin_arena_zalloc(a, sizeof(pin_id) * (size_t)limit);
    *edge = pin_arena_zalloc(a, sizeof(pin_id) * (size_t)limit);
    *n = 0;
    if (tq->kind == PIN_TL_HOME) {
        err = home(db, me, asc, above, p->max_id ? p->max_id : INT64_MAX, limit,
                   svc->cfg->home_scan_from, *ids, n);
        memcpy(*edge, *ids, sizeof(pin_id) * (size_t)*n);
        if (!err && asc) reverse(*ids, *edge, *n);
        return err;
    }
    const char *s = sql[tq->kind][asc];
    pin_q q;
    switch (tq->kind) {
    case PIN_TL_HOME: /* read above */
        return PIN_EINVAL;
    case PIN_TL_PUBLIC:
        pin_db_query(db, &q, s, "iiiiiiii", me, me, me, p->max_id, p->max_id, above, above, lim);
        break;
    case PIN_TL_TAG:
        pin_db_query(db, &q, s, "siiiiiiii", tq->tag, me, me, me, p->max_id, p->max_id, above,
                     above, lim);
        break;
    case PIN_TL_ACCOUNT:
        pin_db_query(db, &q, s, "iiiiiiiiiiiii", tq->account, (int64_t)tq->exclude_replies, me, me,
                     me, me, me, me, p->max_id, p->max_id, above, above, lim);
        break;
    case PIN_TL_PINNED:
        pin_db_query(db, &q, s, "iiiiiiiiiiiii", tq->account, me, me, me, me, me, me, me, p->max_id,
                     p->max_id, above, above, lim);
        break;
    case PIN_TL_FAVOURITES:
    case PIN_TL_BOOKMARKS:
        pin_db_query(db, &q, s, "iiiiiiiiii", me, me, me, me, me, p->max_id, p->max_id, above,
                     above, lim);
        break;
    }
    while (pin_q_step(&q) && *n < limit) {
        (*ids)[*n] = pin_q_i64(&q, 0);
        (*edge)[*n] = pin_q_i64(&q, 1);
        (*n)++;
    }
    err = pin_q_end(&q);
    if (!err && asc) reverse(*ids, *edge, *n);
    return err;
}

static bool listed(const char *type, const char *const *list, int n)
{
    for (int i = 0; i < n; i++) {
        if (!strcmp(type, list[i])) return true;
    }
    return false;
}

pin_err pin_notifications(pin_svc *svc, pin_arena *a, const pin_viewer *v, const pin_page *p,
                          const char *const *types, int ntypes, const char *const *exclude,
                          int nexclude, pin_notification **out, int *n)
{
    pin_db *db;
    pin_err err = pin_svc_db(svc, &db);
    if (err) return err;
    int limit = p->limit > 0 && p->limit <= 80 ? p->limit : 40;
    bool asc = p->min_id != 0;
    pin_id above = p->min_id ? p->min_id : p->since_id, me = v->account_id;
    *out = pin_arena_zalloc(a, sizeof(pin_notification) * (size_t)limit);
    *n = 0;
    /* Type filters are applied while reading; scan a bounded window. */
    pin_q q;
    pin_db_query(db, &q,
                 asc ? "SELECT id, from_account_id, COALESCE(status_id, 0), type, created_at FROM"
                       " notifications n WHERE account_id = ?" PAGE("n.id") " AND" QUIET(
                           "n.from_account_id") " ORDER BY id ASC LIMIT 2000"
                     : "SELECT id, from_account_id, COALESCE(status_id, 0), type, created_at FROM"
                       " notifications n WHERE account_id = ?" PAGE("n.id") " AND" QUIET(
                           "n.from_account_id") " ORDER BY id DESC LIMIT 2000",
                 "iiiiiiii", me, p->max_id, p->max_id, above, above, me, me, me);
    while (pin_q_step(&q) && *n < limit) {
        const char *type = pin_q_text(&q, 3);
        if (ntypes && !listed(type, types, ntypes)) continue;
        if (nexclude && listed(type, exclude, nexclude)) continue;
        (*out)[(*n)++] = (pin_notification){pin_q_i64(&q, 0), pin_q_i64(&q, 1), pin_q_i64(&q, 2),
                                            pin_q_strdup(&q, 3, a), pin_q_i64(&q, 4)};
    }
    err = pin_q_end(&q);
    if (!err && asc) {
        for (int i = 0, j = *n - 1; i < j; i++, j--) {
            pin_notification t = (*out)[i];
            (*out)[i] = (*out)[j], (*out)[j] = t;
        }
    }
    return err;
}

pin_err pin_notification_get(pin_svc *svc, pin_arena *a, const pin_viewer *v, pin_id id,
                             pin_notification *out)
{
    pin_db *db;
    pin_err err = pin_svc_db(svc, &db);
    if (err) return err;
    pin_q q;
    pin_db_query(db, &q,
                 "SELECT id, from_account_id, COALESCE(status_id, 0), type, created_at FROM"
                 " notifications WHERE id = ? AND account_id = ?",
                 "ii", id, v->account_id);
    bool found = pin_q_step(&q);
    if (found)
        *out = (pin_notification){pin_q_i64(&q, 0), pin_q_i64(&q, 1), pin_q_i64(&q, 2),
                                  pin_q_strdup(&q, 3, a), pin_q_i64(&q, 4)};
    err = pin_q_end(&q);
    return err ? err : found ? PIN_OK : PIN_ENOTFOUND;
}

pin_err pin_notification_dismiss(pin_svc *svc, const pin_viewer *v, pin_id id)
{
    pin_db *db;
    pin_err err = pin_svc_db(svc, &db);
    int64_t changed = 0;
    if (!err)
        err = pin_db_exec(db, &changed, "DELETE FROM notifications WHERE id = ? AND account_id = ?",
                          "ii", id, v->account_id);
    return err ? err : changed ? PIN_OK : PIN_ENOTFOUND;
}

pin_err pin_notifications_clear(pin_svc *svc, const pin_viewer *v)
{
    pin_db *db;
    pin_err err = pin_svc_db(svc, &db);
    if (!err)
        err = pin_db_exec(db, NULL, "DELETE FROM notifications WHERE account_id = ?", "i",
                          v->account_id);
    return err;
}

pin_err pin_notifications_unread(pin_svc *svc, const pin_viewer *v, int64_t *count)
{
    pin_db *db;
    pin_err err = pin_svc_db(svc, &db);
    if (err) return err;
    pin_id me = v->account_id;
    return pin_db_i64(
        db, count,
        "SELECT COUNT(*) FROM notifications n WHERE n.account_id = ? AND n.id >"
        " (SELECT notifications_read_id FROM accounts WHERE id = ?) AND" QUIET("n.from_account_id"),
        "iiiii", me, me, me, me, me);
}

pin_err pin_notifications_mark_read(pin_svc *svc, const pin_viewer *v, pin_id up_to)
{
    pin_db *db;
    pin_err err = pin_svc_db(svc, &db);
    if (!err)
        err = pin_db_exec(db, NULL,
                          "UPDATE accounts SET notifications_read_id = ? WHERE id = ? AND"
                          " notifications_read_id < ?",
                          "iii", up_to, v->account_id, up_to);
    return err;
}

pin_err pin_notifications_read_id(pin_svc *svc, const pin_viewer *v, pin_id *out)
{
    pin_db *db;
    pin_err err = pin_svc_db(svc, &db);
    if (!err)
        err = pin_db_i64(db, out, "SELECT notifications_read_id FROM accounts WHERE id = ?", "i",
                         v->account_id);
    return err;
}
