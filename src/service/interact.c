/* Likes, bookmarks, context. See interact.h. */
#include "service/interact.h"

#include <string.h>

#include "service/notify.h"
#include "service/visibility.h"

typedef struct mark_tx {
    pin_id me, id;
    bool on, fav;
} mark_tx;

static pin_err mark_body(pin_db *db, void *ctx)
{
    mark_tx *t = ctx;
    pin_id me = t->me;
    int64_t orig = 0;
    pin_err err = pin_db_i64(
        db, &orig,
        "SELECT COALESCE(s.reblog_of_id, s.id) FROM statuses s WHERE s.id = ? AND " PIN_VISIBLE(
            "s"),
        "iiiii", t->id, me, me, me, me);
    if (err) return err;
    t->id = orig; /* a like of a reblog is a like of the post it shares */
    int64_t author = 0;
    err = pin_db_i64(db, &author,
                     "SELECT s.account_id FROM statuses s WHERE s.id = ? AND " PIN_VISIBLE("s"),
                     "iiiii", t->id, me, me, me, me);
    if (err) return err;
    int64_t changed = 0;
    if (t->fav && t->on) {
        err = pin_db_exec(db, &changed,
                          "INSERT INTO favourites (id, account_id, status_id, created_at) VALUES"
                          " (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                          "iiii", pin_id_new(), me, t->id, pin_now_ms());
        if (!err && changed)
            err = pin_db_exec(
                db, NULL,
                "UPDATE statuses SET favourites_count = favourites_count + 1 WHERE id = ?", "i",
                t->id);
        if (!err && changed) err = pin_notify(db, author, me, "favourite", t->id);
    } else if (t->fav) {
        err = pin_db_exec(db, &changed,
                          "DELETE FROM favourites WHERE account_id = ? AND status_id = ?", "ii", me,
                          t->id);
        if (!err && changed)
            err = pin_db_exec(
                db, NULL,
                "UPDATE statuses SET favourites_count = favourites_count - 1 WHERE id = ?", "i",
                t->id);
        if (!err && changed) err = pin_notify_retract(db, author, me, "favourite", t->id);
    } else if (t->on) {
        err = pin_db_exec(db, NULL,
                          "INSERT INTO bookmarks (id, account_id, status_id, created_at) VALUES"
                          " (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                          "iiii", pin_id_new(), me, t->id, pin_now_ms());
    } else {
        err = pin_db_exec(db, NULL, "DELETE FROM bookmarks WHERE account_id = ? AND status_id = ?",
                          "ii", me, t->id);
    }
    return err;
}

static pin_err mark(pin_svc *svc, pin_arena *a, const pin_viewer *v, pin_id id, bool on, bool fav,
                    pin_status *out)
{
    pin_db *db;
    pin_err err = pin_svc_db(svc, &db);
    if (err) return err;
    mark_tx t = {v->account_id, id, on, fav};
    err = pin_db_tx(db, true, mark_body, &t);
    if (err) return err;
    return pin_status_get(svc, a, v, t.id, out);
}

pin_err pin_favourite(pin_svc *svc, pin_arena *a, const pin_viewer *v, pin_id id, bool on,
                      pin_status *out)
{
    return mark(svc, a, v, id, on, true, out);
}

pin_err pin_bookmark(pin_svc *svc, pin_arena *a, const pin_viewer *v, pin_id id, bool on,
                     pin_status *out)
{
    return mark(svc, a, v, id, on, false, out);
}

/* Who did something to a post the viewer can see (liked it, shared it),
 * newest first, paginated by the id of the row that records it, without
 * accounts blocked either way. `sql` selects (account, row id) and binds
 * the post, the page bounds and the viewer as the favourites query does. */
static pin_err actors(pin_svc *svc, pin_arena *a, const pin_viewer *v, pin_id id,
                      const pin_page *page, const char *sql, pin_id **accounts, pin_id **edge,
                      int *n)
{
    pin_db *db;
    pin_err err = pin_svc_db(svc, &db);
    if (err) return err;
    pin_id me = v->account_id;
    int64_t seen = 0;
    err = pin_db_i64(db, &seen,
                     "SELECT COUNT(*) FROM statuses s WHERE s.id = ? AND " PIN_VISIBLE("s"),
                     "iiiii", id, me, me, me, me);
    if (err) return err;
    if (!seen) return PIN_ENOTFOUND;
    int limit = page->limit > 0 && page->limit <= 80 ? page->limit : 40;
    *accounts = pin_arena_zalloc(a, sizeof(pin_id) * (size_t)limit);
    *edge = pin_arena_zalloc(a, sizeof(pin_id) * (size_t)limit);
    *n = 0;
    pin_q q;
    pin_db_query(db, &q, sql, "iiiiiiii", id, page->max_id, page->max_id, page->since_id,
                 page->since_id, me, me, (int64_t)limit);
    while (pin_q_step(&q) && *n < limit) {
        (*accounts)[*n] = pin_q_i64(&q, 0);
        (*edge)[*n] = pin_q_i64(&q, 1);
        (*n)++;
    }
    return pin_q_end(&q);
}

#define ACTORS(table, post_col)                                                                    \
    "SELECT f.account_id, f.id FROM " table " f WHERE f." post_col " = ?"                          \
    " AND (CAST(? AS BIGINT) = 0 OR f.id < ?) AND (CAST(? AS BIGINT) = 0 OR f.id > ?)"             \
    " AND NOT EXISTS (SELECT 1 FROM blocks b WHERE (b.account_id = ? AND b.target_id ="            \
    " f.account_id) OR (b.account_id = f.account_id AND b.target_id = ?))"                         \
    " ORDER BY f.id DESC LIMIT ?"

pin_err pin_favourited_by(pin_svc *svc, pin_arena *a, const pin_viewer *v, pin_id id,
                          const pin_page *page, pin_id **accounts, pin_id **edge, int *n)
{
    return actors(svc, a, v, id, page, ACTORS("favourites", "status_id"), accounts, edge, n);
}

pin_err pin_reblogged_by(pin_svc *svc, pin_arena *a, const pin_viewer *v, pin_id id,
                         const pin_page *page, pin_id **accounts, pin_id **edge, int *n)
{
    return actors(svc, a, v, id, page, ACTORS("statuses", "reblog_of_id"), accounts, edge, n);
}

enum { CONTEXT_MAX = 200 };

typedef struct ctx_tx {
    pin_arena *a;
    pin_id me, id;
    pin_id *anc, *desc;
    int na, nd;
} ctx_tx;

static pin_err context_body(pin_db *db, void *ctx)
{
    ctx_tx *t = ctx;
    pin_id me = t->me;
    int64_t parent = 0;
    pin_err err = pin_db_i64(
        db, &parent,
        "SELECT COALESCE(s.in_reply_to_id, 0) FROM statuses s WHERE s.id = ? AND " PIN_VISIBLE("s"),
        "iiiii", t->id, me, me, me, me);
    if (err) return err;
    /* Ancestors: walk up while visible. */
    pin_id chain[CONTEXT_MAX];
    int n = 0;
    while (parent && n < CONTEXT_MAX) {
        int64_t up = 0;
        err = pin_db_i64(
            db, &up,
            "SELECT COALESCE(s.in_reply_to_id, 0) FROM statuses s WHERE s.id = ? AND " PIN_VISIBLE(
                "s"),
            "iiiii", parent, me, me, me, me);
        if (err == PIN_ENOTFOUND) break;
        if (err) return err;
        chain[n++] = parent;
        parent = up;
    }
    for (int i = 0; i < n; i++)
        t->anc[i] = chain[n - 1 - i];
    t->na = n;
    /* Descendants: breadth by level, then kept in creation order (ids are
     * time-ordered), which reads as a thread for comments. */
    pin_id frontier[CONTEXT_MAX];
    int nf = 1;
    frontier[0] = t->id;
    while (nf > 0 && t->nd < CONTEXT_MAX) {
        pin_id next[CONTEXT_MAX];
        int nn = 0;
        for (int i = 0; i < nf && t->nd < CONTEXT_MAX; i++) {
            pin_q q;
            pin_db_query(
                db, &q,
                "SELECT s.id FROM statuses s WHERE s.in_reply_to_id = ? AND " PIN_VISIBLE(
                    "s") " AND NOT EXISTS (SELECT 1 FROM blocks b WHERE (b.account_id = ? AND"
                         " b.target_id = s.account_id) OR (b.account_id = s.account_id AND"
                         " b.target_id = ?)) ORDER BY s.id LIMIT 200",
                "iiiiiii", frontier[i], me, me, me, me, me, me);
            while (pin_q_step(&q) && t->nd < CONTEXT_MAX) {
                pin_id c = pin_q_i64(&q, 0);
                t->desc[t->nd++] = c;
                if (nn < CONTEXT_MAX) next[nn++] = c;
            }
            err = pin_q_end(&q);
            if (err) return err;
        }
        memcpy(frontier, next, sizeof(pin_id) * (size_t)nn);
        nf = nn;
    }
    /* Creation order across levels. */
    for (int i = 1; i < t->nd; i++) {
        pin_id x = t->desc[i];
        int j = i - 1;
        while (j >= 0 && t->desc[j] > x)
            t->desc[j + 1] = t->desc[j], j--;
        t->desc[j + 1] = x;
    }
    return PIN_OK;
}

pin_err pin_status_context(pin_svc *svc, pin_arena *a, const pin_viewer *v, pin_id id,
                           pin_id **ancestors, int *na, pin_id **descendants, int *nd)
{
    pin_db *db;
    pin_err err = pin_svc_db(svc, &db);
    if (err) return err;
    ctx_tx t = {a,
                v->account_id,
                id,
                pin_arena_zalloc(a, sizeof(pin_id) * CONTEXT_MAX),
                pin_arena_zalloc(a, sizeof(pin_id) * CONTEXT_MAX),
                0,
                0};
    err = pin_db_tx(db, false, context_body, &t);
    if (err) return err;
    *ancestors = t.anc;
    *na = t.na;
    *descendants = t.desc;
    *nd = t.nd;
    return PIN_OK;
}
