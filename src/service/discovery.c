/* Hashtags, trends, search. See discovery.h. */
#include "service/discovery.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/acct.h"
#include "core/text.h"
#include "service/visibility.h"

static const int64_t DAY = 86400000;

/* Fills the 7-day history of a tag, newest day first. */
static pin_err tag_history(pin_db *db, pin_tag *t, int64_t today)
{
    for (int i = 0; i < PIN_TREND_DAYS; i++)
        t->history[i] = (pin_tag_day){(today - i) * DAY, 0, 0};
    pin_q q;
    pin_db_query(db, &q,
                 "SELECT day, SUM(uses), COUNT(*) FROM tag_uses WHERE tag_id = ? AND day > ?"
                 " GROUP BY day",
                 "ii", t->id, today - PIN_TREND_DAYS);
    while (pin_q_step(&q)) {
        int64_t i = today - pin_q_i64(&q, 0);
        if (i < 0 || i >= PIN_TREND_DAYS) continue;
        t->history[i].uses = pin_q_i64(&q, 1);
        t->history[i].accounts = pin_q_i64(&q, 2);
    }
    return pin_q_end(&q);
}

static pin_err load_tag(pin_db *db, pin_arena *a, pin_id viewer, const char *key, pin_tag *out)
{
    memset(out, 0, sizeof(*out));
    pin_q q;
    pin_db_query(db, &q,
                 "SELECT t.id, t.name, t.name_key, (SELECT COUNT(*) FROM tag_follows f WHERE"
                 " f.tag_id = t.id AND f.account_id = ?) FROM tags t WHERE t.name_key = ?",
                 "is", viewer, key);
    bool found = pin_q_step(&q);
    if (found) {
        out->id = pin_q_i64(&q, 0);
        out->name = pin_q_strdup(&q, 1, a);
        out->key = pin_q_strdup(&q, 2, a);
        out->following = pin_q_i64(&q, 3);
    }
    pin_err err = pin_q_end(&q);
    if (err) return err;
    if (!found) return PIN_ENOTFOUND;
    return tag_history(db, out, pin_now_ms() / DAY);
}

pin_err pin_tag_get(pin_svc *svc, pin_arena *a, const pin_viewer *v, const char *name, pin_tag *out)
{
    const char *key = name ? pin_text_tag_key(a, name, strlen(name)) : NULL;
    if (!key) return PIN_ENOTFOUND;
    pin_db *db;
    pin_err err = pin_svc_db(svc, &db);
    if (err) return err;
    return load_tag(db, a, v->account_id, key, out);
}

typedef struct follow_tx {
    pin_arena *a;
    pin_id me;
    const char *name, *key;
    bool on;
    pin_tag *out;
} follow_tx;

static pin_err follow_body(pin_db *db, void *ctx)
{
    follow_tx *t = ctx;
    int64_t now = pin_now_ms();
    pin_err err =
        pin_db_exec(db, NULL,
                    "INSERT INTO tags (id, name, name_key, created_at) VALUES (?, ?, ?, ?)"
                    " ON CONFLICT (name_key) DO NOTHING",
                    "issi", pin_id_new(), t->name, t->key, now);
    int64_t tag = 0;
    if (!err) err = pin_db_i64(db, &tag, "SELECT id FROM tags WHERE name_key = ?", "s", t->key);
    if (!err && t->on)
        err =
            pin_db_exec(db, NULL,
                        "INSERT INTO tag_follows (account_id, tag_id, created_at) VALUES (?, ?, ?)"
                        " ON CONFLICT DO NOTHING",
                        "iii", t->me, tag, now);
    else if (!err)
        err = pin_db_exec(db, NULL, "DELETE FROM tag_follows WHERE account_id = ? AND tag_id = ?",
                          "ii", t->me, tag);
    if (!err) err = load_tag(db, t->a, t->me, t->key, t->out);
    return err;
}

pin_err pin_tag_follow(pin_svc *svc, pin_arena *a, const pin_viewer *v, const char *name, bool on,
                       pin_tag *out)
{
    const char *key = name ? pin_text_tag_key(a, name, strlen(name)) : NULL;
    if (!key) return PIN_EUNPROCESSABLE;
    pin_db *db;
    pin_err err = pin_svc_db(svc, &db);
    if (err) return err;
    follow_tx t = {a, v->account_id, name, key, on, out};
    return pin_db_tx(db, true, follow_body, &t);
}

pin_err pin_followed_tags(pin_svc *svc, pin_arena *a, const pin_viewer *v, int limit, pin_tag **out,
                          int *n)
{
    pin_db *db;
    pin_err err = pin_svc_db(svc, &db);
    if (err) return err;
    if (limit < 1 || limit > 200) limit = 100;
    const char **keys = pin_arena_zalloc(a, sizeof(char *) * (size_t)limit);
    int k = 0;
    pin_q q;
    pin_db_query(db, &q,
                 "SELECT t.name_key FROM tag_follows f JOIN tags t ON t.id = f.tag_id WHERE"
                 " f.account_id = ? ORDER BY f.created_at DESC LIMIT ?",
                 "ii", v->account_id, (int64_t)limit);
    while (pin_q_step(&q) && k < limit)
        keys[k++] = pin_q_strdup(&q, 0, a);
    err = pin_q_end(&q);
    *out = pin_arena_zalloc(a, sizeof(pin_tag) * (size_t)(k ? k : 1));
    *n = 0;
    for (int i = 0; !err && i < k; i++) {
        err = load_tag(db, a, v->account_id, keys[i], &(*out)[*n]);
        if (!err) (*n)++;
    }
    return err;
}

static int by_score(const void *x, const void *y)
{
    double a = ((const pin_tag *)x)->score, b = ((const pin_tag *)y)->score;
    return a < b ? 1 : a > b ? -1 : 0;
}

pin_err pin_trends_tags(pin_svc *svc, pin_arena *a, const pin_viewer *v, int limit, int offset,
                        pin_tag **out, int *n)
{
    pin_db *db;
    pin_err err = pin_svc_db(svc, &db);
    if (err) return err;
    int64_t today = pin_now_ms() / DAY;
    enum { CANDIDATES = 200 };
    pin_tag *c = pin_arena_zalloc(a, sizeof(pin_tag) * CANDIDATES);
    int nc = 0;
    /* Candidates: the tags most people used this week. */
    pin_q q;
    pin_db_query(db, &q,
                 "SELECT tag_id FROM tag_uses WHERE day > ? GROUP BY tag_id ORDER BY COUNT(*) DESC"
                 " LIMIT 200",
                 "i", today - PIN_TREND_DAYS);
    while (pin_q_step(&q) && nc < CANDIDATES)
        c[nc++].id = pin_q_i64(&q, 0);
    err = pin_q_end(&q);
    for (int i = 0; !err && i < nc; i++) {
        pin_db_query(
            db, &q,
            "SELECT t.name, t.name_key, (SELECT COUNT(*) FROM tag_follows f WHERE f.tag_id ="
            " t.id AND f.account_id = ?) FROM tags t WHERE t.id = ?",
            "ii", v->account_id, c[i].id);
        if (pin_q_step(&q)) {
            c[i].name = pin_q_strdup(&q, 0, a);
            c[i].key = pin_q_strdup(&q, 1, a);
            c[i].following = pin_q_i64(&q, 2);
        }
        err = pin_q_end(&q);
        if (!err) err = tag_history(db, &c[i], today);
        for (int d = 0; d < PIN_TREND_DAYS; d++)
            c[i].score += (double)c[i].history[d].accounts * ldexp(1.0, -d);
    }
    if (err) return err;
    qsort(c, (size_t)nc, sizeof(pin_tag), by_score);
    if (offset < 0) offset = 0;
    *out = c + (offset < nc ? offset : nc);
    *n = nc - offset > limit ? limit : nc - offset > 0 ? nc - offset : 0;
    return PIN_OK;
}

typedef struct scored {
    pin_id id;
    double score;
} scored;

static int by_post_score(const void *x, const void *y)
{
    double a = ((const scored *)x)->score, b = ((const scored *)y)->score;
    return a < b ? 1 : a > b ? -1 : 0;
}

pin_err pin_trends_statuses(pin_svc *svc, pin_arena *a, const pin_viewer *v, int limit, int offset,
                            pin_id **out, int *n)
{
    pin_db *db;
    pin_err err = pin_svc_db(svc, &db);
    if (err) return err;
    int64_t now = pin_now_ms();
    pin_id me = v->account_id;
    enum { CANDIDATES = 500 };
    scored *c = pin_arena_zalloc(a, sizeof(scored) * CANDIDATES);
    int nc = 0;
    pin_q q;
    pin_db_query(db, &q,
                 "SELECT s.id, s.favourites_count, s.replies_count, s.created_at FROM statuses s"
                 " WHERE s.visibility = 0 AND s.in_reply_to_id IS NULL AND s.reblog_of_id IS NULL"
                 " AND s.id >= ? AND NOT"
                 " EXISTS (SELECT 1 FROM blocks b WHERE (b.account_id = ? AND b.target_id ="
                 " s.account_id) OR (b.account_id = s.account_id AND b.target_id = ?))"
                 " ORDER BY s.favourites_count + s.replies_count DESC, s.id DESC LIMIT 500",
                 "iii", pin_id_from_ms(now - PIN_TREND_DAYS * DAY), me, me);
    while (pin_q_step(&q) && nc < CANDIDATES) {
        double age_days = (double)(now - pin_q_i64(&q, 3)) / (double)DAY;
        double engagement = (double)pin_q_i64(&q, 1) + 2.0 * (double)pin_q_i64(&q, 2) + 1.0;
        c[nc++] = (scored){pin_q_i64(&q, 0), engagement * pow(0.5, age_days)};
    }
    err = pin_q_end(&q);
    if (err) return err;
    qsort(c, (size_t)nc, sizeof(scored), by_post_score);
    if (offset < 0) offset = 0;
    int k = nc - offset > limit ? limit : nc - offset > 0 ? nc - offset : 0;
    *out = pin_arena_zalloc(a, sizeof(pin_id) * (size_t)(k ? k : 1));
    for (int i = 0; i < k; i++)
        (*out)[i] = c[offset + i].id;
    *n = k;
    return PIN_OK;
}

/* The smallest string greater than every string starting with `p`. */
static const char *prefix_end(pin_arena *a, const char *p)
{
    return pin_arena_printf(a, "%s\xf4\x8f\xbf\xbf", p);
}

static char *lower_ascii(pin_arena *a, const char *s)
{
    char *k = pin_arena_strdup(a, s);
    for (char *p = k; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    return k;
}

/* An FTS5 query that matches all words of `q` as plain terms (quotes
 * doubled), so no search text is ever FTS syntax. */
static const char *fts_query(pin_arena *a, const char *q)
{
    pin_buf b;
    pin_buf_init(&b, a);
    const char *p = q;
    while (*p) {
        while (*p && isspace((unsigned char)*p))
            p++;
        if (!*p) break;
        pin_buf_putc(&b, '"');
        while (*p && !isspace((unsigned char)*p)) {
            if (*p == '"') pin_buf_putc(&b, '"');
            pin_buf_putc(&b, *p++);
        }
        pin_buf_puts(&b, "\" ");
    }
    return b.len ? b.data : NULL;
}

enum { SEARCH_WINDOW = 5000 }; /* SQLite: matching posts a post search looks through */

typedef struct search_tx {
    pin_arena *a;
    pin_id me;
    const char *q, *type;
    int limit, offset;
    pin_search_result *out;
    const char *base_url; /* which acct domain is this instance's */
} search_tx;

static bool want(const char *type, const char *t)
{
    return !type || !*type || !strcmp(type, t);
}

static pin_err search_body(pin_db *db, void *ctx)
{
    search_tx *t = ctx;
    pin_search_result *r = t->out;
    pin_arena *a = t->a;
    pin_id me = t->me;
    int64_t lim = t->limit, off = t->offset;
    const char *raw = t->q;
    while (*raw == '@' || *raw == '#')
        raw++;
    pin_err err = PIN_OK;
    pin_q q;
    /* "user@domain", "acct:..." and profile URLs name one account: its
     * username when the domain is this instance's, else none here (yet). */
    const char *user = raw;
    pin_acct ac;
    if (pin_acct_parse(t->q, strlen(t->q), &ac) && ac.domain[0])
        user = pin_acct_is_local(&ac, t->base_url) ? pin_arena_strdup(a, ac.user) : "";
    if (want(t->type, "accounts") && *user) {
        const char *key = lower_ascii(a, user);
        r->accounts = pin_arena_zalloc(a, sizeof(pin_id) * (size_t)lim);
        /* Display names match by prefix too, through an index of their
         * lower case (migration 12): on SQLite as a range, on PostgreSQL as
         * a LIKE (its text_pattern_ops index serves a prefix whatever the
         * collation; the wildcards are escaped). Each of the two prefixes
         * is its own index search: with an OR, SQLite scanned every local
         * account (25-110 ms at 100,000). */
#define ACCOUNT_SEARCH(display)                                                                    \
    "SELECT a.id FROM accounts a WHERE a.id IN (SELECT id FROM accounts WHERE domain = '' AND"     \
    " username_key >= ? AND username_key < ? UNION ALL SELECT id FROM accounts WHERE domain = ''"  \
    " AND " display ") AND a.suspended_at IS NULL AND NOT EXISTS (SELECT 1 FROM blocks b WHERE"    \
    " (b.account_id = ? AND b.target_id = a.id) OR (b.account_id = a.id AND b.target_id = ?))"     \
    " ORDER BY CASE WHEN a.username_key = ? THEN 0 ELSE 1 END, a.followers_count DESC, a.id"       \
    " LIMIT ? OFFSET ?"
        const char *end = prefix_end(a, key);
        if (pin_db_kind_of(db) == PIN_DB_SQLITE) {
            pin_db_query(db, &q,
                         ACCOUNT_SEARCH("lower(display_name) >= ? AND lower(display_name) < ?"),
                         "ssssiisii", key, end, key, end, me, me, key, lim, off);
        } else {
            pin_buf like;
            pin_buf_init(&like, a);
            for (const char *p = key; *p; p++) {
                if (*p == '%' || *p == '_' || *p == '\\') pin_buf_putc(&like, '\\');
                pin_buf_putc(&like, *p);
            }
            pin_buf_putc(&like, '%');
            pin_db_query(db, &q, ACCOUNT_SEARCH("lower(display_name) LIKE ? ESCAPE '\\'"),
                         "sssiisii", key, end, like.data, me, me, key, lim, off);
        }
#undef ACCOUNT_SEARCH
        while (pin_q_step(&q) && r->naccounts < t->limit)
            r->accounts[r->naccounts++] = pin_q_i64(&q, 0);
        err = pin_q_end(&q);
        if (err) return err;
    }
    if (want(t->type, "hashtags") && *raw) {
        const char *key = pin_text_tag_key(a, raw, strlen(raw));
        r->tags = pin_arena_zalloc(a, sizeof(pin_tag) * (size_t)lim);
        if (key) {
            const char **keys = pin_arena_zalloc(a, sizeof(char *) * (size_t)lim);
            int k = 0;
            pin_db_query(db, &q,
                         "SELECT t.name_key FROM tags t WHERE t.name_key >= ? AND t.name_key < ?"
                         " ORDER BY CASE WHEN t.name_key = ? THEN 0 ELSE 1 END, (SELECT COUNT(*)"
                         " FROM status_tags st WHERE st.tag_id = t.id) DESC LIMIT ? OFFSET ?",
                         "sssii", key, prefix_end(a, key), key, lim, off);
            while (pin_q_step(&q) && k < t->limit)
                keys[k++] = pin_q_strdup(&q, 0, a);
            err = pin_q_end(&q);
            for (int i = 0; !err && i < k; i++) {
                err = load_tag(db, a, me, keys[i], &r->tags[r->ntags]);
                if (!err) r->ntags++;
            }
            if (err) return err;
        }
    }
    if (want(t->type, "statuses")) {
        r->statuses = pin_arena_zalloc(a, sizeof(pin_id) * (size_t)lim);
        if (pin_db_kind_of(db) == PIN_DB_SQLITE) {
            const char *fq = fts_query(a, t->q);
            if (!fq) return PIN_OK;
            /* Newest first, as on PostgreSQL, from the newest SEARCH_WINDOW
             * matches: ranking scored every match (6 s for a word in 2.4M of
             * 3M posts), and the full-text index reads its matches newest
             * first and stops. */
            pin_db_query(db, &q,
                         "SELECT s.id FROM (SELECT rowid FROM status_search WHERE status_search"
                         " MATCH ? ORDER BY rowid DESC LIMIT ?) f JOIN statuses s ON s.id ="
                         " f.rowid WHERE " PIN_VISIBLE("s") " ORDER BY s.id DESC LIMIT ? OFFSET ?",
                         "siiiiiii", fq, (int64_t)SEARCH_WINDOW, me, me, me, me, lim, off);
        } else {
            /* A word in most posts but none of the newest is slow here (the
             * planner reads posts newest first, testing each): the request's
             * read budget bounds it. */
            pin_db_query(db, &q,
                         "SELECT s.id FROM statuses s WHERE to_tsvector('simple', s.text) @@"
                         " plainto_tsquery('simple', ?) AND " PIN_VISIBLE(
                             "s") " ORDER BY s.id DESC LIMIT ? OFFSET ?",
                         "siiiiii", t->q, me, me, me, me, lim, off);
        }
        while (pin_q_step(&q) && r->nstatuses < t->limit)
            r->statuses[r->nstatuses++] = pin_q_i64(&q, 0);
        err = pin_q_end(&q);
    }
    return err;
}

pin_err pin_search(pin_svc *svc, pin_arena *a, const pin_viewer *v, const char *q, const char *type,
                   int limit, int offset, pin_search_result *out)
{
    memset(out, 0, sizeof(*out));
    if (!q || !pin_utf8_valid(q, strlen(q)) || strlen(q) > 500) return PIN_EINVAL;
    if (type && *type && strcmp(type, "accounts") && strcmp(type, "hashtags") &&
        strcmp(type, "statuses"))
        return PIN_EINVAL;
    if (limit < 1 || limit > 40) limit = 20;
    if (offset < 0 || offset > 10000) offset = 0;
    pin_db *db;
    pin_err err = pin_svc_db(svc, &db);
    if (err) return err;
    search_tx t = {a, v->account_id, q, type, limit, offset, out, svc->cfg->base_url};
    return pin_db_tx(db, false, search_body, &t);
}
