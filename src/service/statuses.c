/* Posts. See statuses.h. */
#include "service/statuses.h"

#include <ctype.h>
#include <jansson.h>
#include <string.h>

#include "core/json.h"
#include "core/log.h"
#include "core/text.h"
#include "service/notify.h"
#include "service/visibility.h"

static bool language_ok(const char *l)
{
    size_t n = strlen(l);
    if (n < 2 || n > 3) return false;
    for (size_t i = 0; i < n; i++) {
        if (!islower((unsigned char)l[i])) return false;
    }
    return true;
}

/* Mentions resolve to local accounts only (no federation yet). */
typedef struct resolver {
    pin_db *db;
    pin_status_mention found[PIN_TEXT_MAX_MENTIONS];
    int n;
    const char *base_url;
} resolver;

static const char *resolve(void *ctx, pin_arena *a, const char *username, const char *domain)
{
    resolver *r = ctx;
    if (domain || strlen(username) > PIN_USERNAME_MAX) return NULL;
    char key[PIN_USERNAME_MAX + 1];
    size_t i = 0;
    for (; username[i]; i++)
        key[i] = (char)tolower((unsigned char)username[i]);
    key[i] = 0;
    pin_q q;
    pin_db_query(r->db, &q,
                 "SELECT id, username FROM accounts WHERE username_key = ? AND domain = ''", "s",
                 key);
    const char *url = NULL;
    if (pin_q_step(&q)) {
        pin_id id = pin_q_i64(&q, 0);
        const char *name = pin_q_strdup(&q, 1, a);
        url = pin_arena_printf(a, "%s/@%s", r->base_url, name);
        bool dup = false;
        for (int k = 0; k < r->n; k++)
            dup |= r->found[k].id == id;
        if (!dup && r->n < PIN_TEXT_MAX_MENTIONS) r->found[r->n++] = (pin_status_mention){id, name};
    }
    if (pin_q_end(&q)) return NULL;
    return url;
}

typedef struct create_tx {
    pin_svc *svc;
    pin_arena *a;
    const pin_viewer *v;
    const pin_status_in *in;
    pin_id media[64];
    int nmedia;
    int visibility;
    pin_id *id;
    const char *why;
} create_tx;

/* Loads the parent of a reply if the viewer may see it. */
static pin_err parent_of(pin_db *db, pin_id viewer, pin_id parent, pin_id *author)
{
    return pin_db_i64(db, author,
                      "SELECT s.account_id FROM statuses s WHERE s.id = ? AND " PIN_VISIBLE("s"),
                      "iiiii", parent, viewer, viewer, viewer, viewer);
}

/* Attaches the given media (owned by `me`, unused, for posts) in order. */
static pin_err attach(pin_db *db, pin_id me, pin_id status, const pin_id *ids, int n,
                      const char **why)
{
    for (int i = 0; i < n; i++) {
        int64_t changed = 0;
        pin_err err = pin_db_exec(db, &changed,
                                  "UPDATE media SET status_id = ?, position = ? WHERE id = ? AND"
                                  " account_id = ? AND purpose = 'post' AND"
                                  " (status_id IS NULL OR status_id = ?)",
                                  "iiiii", status, (int64_t)i, ids[i], me, status);
        if (err) return err;
        if (!changed) {
            *why = "Validation failed: Media attachments are not yours, not found, or already "
                   "used in another post";
            return PIN_EUNPROCESSABLE;
        }
    }
    return PIN_OK;
}

/* Records hashtags and mentions of a post's text (replacing old ones). */
/* The day number (UTC) of a time, for tag use counts. */
static int64_t day_of(int64_t ms)
{
    return ms / 86400000;
}

/* Records hashtags, mentions and the search index of a post's text
 * (replacing old ones); a new post (`counted`) also counts its tag uses. */
static pin_err index_text(pin_db *db, pin_id status, pin_id author, const char *text,
                          const pin_text_out *t, const resolver *r, int64_t now, bool counted)
{
    pin_err err = PIN_OK;
    if (pin_db_kind_of(db) == PIN_DB_SQLITE) {
        err = pin_db_exec(db, NULL, "DELETE FROM status_search WHERE rowid = ?", "i", status);
        if (!err)
            err = pin_db_exec(db, NULL, "INSERT INTO status_search (rowid, text) VALUES (?, ?)",
                              "is", status, text);
        if (err) return err;
    }
    err = pin_db_exec(db, NULL, "DELETE FROM status_tags WHERE status_id = ?", "i", status);
    if (!err)
        err = pin_db_exec(db, NULL, "DELETE FROM status_mentions WHERE status_id = ?", "i", status);
    for (size_t i = 0; !err && i < t->ntags; i++) {
        err = pin_db_exec(db, NULL,
                          "INSERT INTO tags (id, name, name_key, created_at) VALUES (?, ?, ?, ?)"
                          " ON CONFLICT (name_key) DO NOTHING",
                          "issi", pin_id_new(), t->tags[i].name, t->tags[i].key, now);
        int64_t tag = 0;
        if (!err)
            err =
                pin_db_i64(db, &tag, "SELECT id FROM tags WHERE name_key = ?", "s", t->tags[i].key);
        if (!err)
            err = pin_db_exec(db, NULL,
                              "INSERT INTO status_tags (status_id, tag_id) VALUES (?, ?)"
                              " ON CONFLICT DO NOTHING",
                              "ii", status, tag);
        if (!err && counted)
            err = pin_db_exec(
                db, NULL,
                "INSERT INTO tag_uses (tag_id, day, account_id, uses) VALUES (?, ?, ?, 1)"
                " ON CONFLICT (tag_id, day, account_id) DO UPDATE SET uses ="
                " tag_uses.uses + 1",
                "iii", tag, day_of(now), author);
    }
    for (int i = 0; !err && i < r->n; i++)
        err = pin_db_exec(db, NULL,
                          "INSERT INTO status_mentions (status_id, account_id) VALUES (?, ?)"
                          " ON CONFLICT DO NOTHING",
                          "ii", status, r->found[i].id);
    return err;
}

/* Undoes what index_text recorded, before a post is deleted. */
static pin_err unindex(pin_db *db, pin_id status, pin_id author, int64_t created_at, bool counted)
{
    pin_err err = PIN_OK;
    if (pin_db_kind_of(db) == PIN_DB_SQLITE)
        err = pin_db_exec(db, NULL, "DELETE FROM status_search WHERE rowid = ?", "i", status);
    if (!err && counted)
        err = pin_db_exec(db, NULL,
                          "UPDATE tag_uses SET uses = uses - 1 WHERE day = ? AND account_id = ? AND"
                          " tag_id IN (SELECT tag_id FROM status_tags WHERE status_id = ?)",
                          "iii", day_of(created_at), author, status);
    if (!err) err = pin_db_exec(db, NULL, "DELETE FROM tag_uses WHERE uses <= 0", NULL);
    return err;
}

static pin_err create_body(pin_db *db, void *ctx)
{
    create_tx *t = ctx;
    const pin_status_in *in = t->in;
    pin_id me = t->v->account_id;
    int64_t now = pin_now_ms();
    t->why = NULL;
    if (in->idempotency_key) {
        int64_t prior = 0;
        pin_err err = pin_db_i64(db, &prior,
                                 "SELECT k.status_id FROM idempotency_keys k JOIN statuses s ON"
                                 " s.id = k.status_id WHERE k.account_id = ? AND k.key = ? AND"
                                 " k.created_at >= ?",
                                 "isi", me, in->idempotency_key, now - PIN_IDEMPOTENCY_TTL_MS);
        if (!err) {
            *t->id = prior;
            return PIN_OK;
        }
        if (err != PIN_ENOTFOUND) return err;
    }
    pin_id reply_to_account = 0;
    pin_id parent = in->in_reply_to_id;
    if (parent) {
        /* A comment on a reblog is a comment on the post it shares. */
        int64_t orig = 0;
        pin_err err = pin_db_i64(
            db, &orig, "SELECT COALESCE(reblog_of_id, 0) FROM statuses WHERE id = ?", "i", parent);
        if (err && err != PIN_ENOTFOUND) return err;
        if (orig) parent = orig;
    }
    if (parent) {
        pin_err err = parent_of(db, me, parent, &reply_to_account);
        if (err == PIN_ENOTFOUND) {
            return PIN_ENOTFOUND; /* Mastodon's answer; a hidden parent answers the same */
        }
        if (err) return err;
    }
    resolver r = {.db = db, .base_url = t->svc->cfg->base_url};
    pin_text_opts o = {.base_url = r.base_url, .resolve = resolve, .resolve_ctx = &r};
    pin_text_out text;
    pin_text_render(t->a, in->text ? in->text : "", in->text ? strlen(in->text) : 0, &o, &text);
    pin_id id = pin_id_new();
    pin_err err = pin_db_exec(
        db, NULL,
        "INSERT INTO statuses (id, account_id, text, spoiler_text, sensitive, visibility, language,"
        " in_reply_to_id, in_reply_to_account_id, app_id, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        "iissbisIIIi", id, me, in->text ? in->text : "", in->spoiler_text ? in->spoiler_text : "",
        in->sensitive == 1 || (in->spoiler_text && *in->spoiler_text), (int64_t)t->visibility,
        in->language, parent, reply_to_account, t->v->app_id, now);
    if (!err) err = attach(db, me, id, t->media, t->nmedia, &t->why);
    /* Only public posts count towards trends: nothing else leaks through them. */
    if (!err)
        err = index_text(db, id, me, in->text ? in->text : "", &text, &r, now,
                         t->visibility == PIN_VIS_PUBLIC);
    for (int i = 0; !err && i < r.n; i++)
        err = pin_notify(db, r.found[i].id, me, "mention", id);
    if (!err)
        err = pin_db_exec(db, NULL,
                          "UPDATE accounts SET statuses_count = statuses_count + 1,"
                          " last_status_at = ? WHERE id = ?",
                          "ii", now, me);
    if (!err && parent)
        err = pin_db_exec(db, NULL,
                          "UPDATE statuses SET replies_count = replies_count + 1 WHERE id = ?", "i",
                          parent);
    if (!err && in->idempotency_key)
        err = pin_db_exec(db, NULL,
                          "INSERT INTO idempotency_keys (account_id, key, status_id, created_at)"
                          " VALUES (?, ?, ?, ?) ON CONFLICT (account_id, key) DO UPDATE SET"
                          " status_id = excluded.status_id, created_at = excluded.created_at",
                          "isii", me, in->idempotency_key, id, now);
    if (!err) *t->id = id;
    return err;
}

/* Checks fields shared by create and edit. */
static const char *check_common(pin_svc *svc, const pin_status_in *in)
{
    if (in->text && !pin_utf8_valid(in->text, strlen(in->text)))
        return "Validation failed: Text is not valid text";
    if (in->text && pin_utf8_chars(in->text) > (size_t)svc->cfg->max_caption_chars)
        return "Validation failed: Text character limit exceeded";
    if (in->spoiler_text && (!pin_utf8_valid(in->spoiler_text, strlen(in->spoiler_text)) ||
                             pin_utf8_chars(in->spoiler_text) > PIN_SPOILER_MAX))
        return "Validation failed: Spoiler text is too long (maximum is 500 characters)";
    if (in->language && *in->language && !language_ok(in->language))
        return "Validation failed: Language is not a valid ISO 639 code";
    if (in->nmedia > svc->cfg->max_media_attachments || in->nmedia > 64)
        return "Validation failed: Too many photos in one post";
    return NULL;
}

static bool parse_media(const pin_status_in *in, pin_id *out, const char **why)
{
    for (int i = 0; i < in->nmedia; i++) {
        if (!pin_id_parse(in->media_ids[i], &out[i])) {
            *why = "Validation failed: Media attachments are not yours, not found, or already used "
                   "in another post";
            return false;
        }
        for (int k = 0; k < i; k++) {
            if (out[k] == out[i]) {
                *why = "Validation failed: The same photo is attached twice";
                return false;
            }
        }
    }
    return true;
}

pin_err pin_status_create(pin_svc *svc, pin_arena *a, const pin_viewer *v, const pin_status_in *in,
                          pin_id *id, const char **why)
{
    *why = check_common(svc, in);
    if (*why) return PIN_EUNPROCESSABLE;
    create_tx t = {.svc = svc, .a = a, .v = v, .in = in, .id = id};
    if (!parse_media(in, t.media, why)) return PIN_EUNPROCESSABLE;
    t.nmedia = in->nmedia;
    if (in->idempotency_key && (strlen(in->idempotency_key) > 256 || !*in->idempotency_key)) {
        *why = "Validation failed: Idempotency-Key must be 1 to 256 characters";
        return PIN_EUNPROCESSABLE;
    }
    /* Photo-first: a post is one or more photos; comments may be text. */
    if (!in->in_reply_to_id && in->nmedia == 0) {
        *why = "Validation failed: A post needs at least one photo";
        return PIN_EUNPROCESSABLE;
    }
    if (in->in_reply_to_id && in->nmedia == 0 && (!in->text || !*in->text)) {
        *why = "Validation failed: Text can't be blank";
        return PIN_EUNPROCESSABLE;
    }
    pin_db *db;
    pin_err err = pin_svc_db(svc, &db);
    if (err) return err;
    if (in->visibility) {
        t.visibility = pin_visibility_parse(in->visibility);
        if (t.visibility < 0) {
            *why = "Validation failed: Visibility must be public, unlisted, private or direct";
            return PIN_EUNPROCESSABLE;
        }
    } else {
        pin_account me;
        err = pin_account_get(svc, a, v->account_id, true, &me);
        if (err) return err;
        t.visibility = pin_visibility_parse(me.privacy);
        if (t.visibility < 0) t.visibility = PIN_VIS_PUBLIC;
    }
    err = pin_db_tx(db, true, create_body, &t);
    if (err == PIN_EUNPROCESSABLE) *why = t.why;
    return err;
}

/* ---- reading ---- */

#define STATUS_COLUMNS                                                                             \
    "s.id, s.account_id, s.text, s.spoiler_text, s.sensitive, s.visibility, s.language,"           \
    " COALESCE(s.in_reply_to_id, 0), COALESCE(s.in_reply_to_account_id, 0), s.replies_count,"      \
    " s.reblogs_count, s.favourites_count, s.created_at, COALESCE(s.edited_at, 0), ap.name,"       \
    " COALESCE(s.reblog_of_id, 0)"

static void read_status(pin_q *q, pin_arena *a, pin_status *s)
{
    memset(s, 0, sizeof(*s));
    s->id = pin_q_i64(q, 0);
    s->account.id = pin_q_i64(q, 1);
    s->text = pin_q_strdup(q, 2, a);
    s->spoiler_text = pin_q_strdup(q, 3, a);
    s->sensitive = pin_q_i64(q, 4);
    s->visibility = (int)pin_q_i64(q, 5);
    s->language = pin_q_strdup(q, 6, a);
    s->in_reply_to_id = pin_q_i64(q, 7);
    s->in_reply_to_account_id = pin_q_i64(q, 8);
    s->replies_count = pin_q_i64(q, 9);
    s->reblogs_count = pin_q_i64(q, 10);
    s->favourites_count = pin_q_i64(q, 11);
    s->created_at = pin_q_i64(q, 12);
    s->edited_at = pin_q_i64(q, 13);
    s->app_name = pin_q_strdup(q, 14, a);
    s->reblog_of_id = pin_q_i64(q, 15);
}

/* Reads the rows of the posts `ids` the viewer may see: found[i] tells
 * whether out[i] was read. */
static pin_err load_rows(pin_db *db, pin_arena *a, pin_id viewer, const pin_id *ids, int n,
                         pin_status *out, bool *found)
{
    for (int off = 0; off < n; off += PIN_DB_LIST) {
        pin_id list[PIN_DB_LIST];
        int k = pin_db_list(list, ids, n, off);
        pin_q q;
        pin_db_query(db, &q,
                     PIN_DB_GENERIC
                     "SELECT " STATUS_COLUMNS " FROM statuses s LEFT JOIN apps ap ON ap.id ="
                     " s.app_id WHERE s.id IN " PIN_DB_LIST_SQL " AND " PIN_VISIBLE("s"),
                     "Liiii", list, viewer, viewer, viewer, viewer);
        while (pin_q_step(&q)) {
            pin_status row;
            read_status(&q, a, &row);
            for (int i = off; i < off + k; i++) {
                if (ids[i] == row.id) out[i] = row, found[i] = true;
            }
        }
        pin_err err = pin_q_end(&q);
        if (err) return err;
    }
    return PIN_OK;
}

/* Mentions (which = 0) or hashtags (1) of the posts `p` (ids[i] is p[i]'s). */
static pin_err load_names(pin_db *db, pin_arena *a, pin_status **p, const pin_id *ids, int n,
                          int which)
{
    for (int i = 0; i < n; i++) {
        if (which == 0)
            p[i]->mentions =
                pin_arena_zalloc(a, sizeof(pin_status_mention) * PIN_TEXT_MAX_MENTIONS);
        else
            p[i]->tags = pin_arena_zalloc(a, sizeof(char *) * PIN_TEXT_MAX_TAGS);
    }
    for (int off = 0; off < n; off += PIN_DB_LIST) {
        pin_id list[PIN_DB_LIST];
        int k = pin_db_list(list, ids, n, off);
        pin_q q;
        if (which == 0)
            pin_db_query(db, &q,
                         PIN_DB_GENERIC
                         "SELECT m.status_id, a.id, a.username FROM status_mentions m JOIN"
                         " accounts a ON a.id = m.account_id WHERE m.status_id IN " PIN_DB_LIST_SQL
                         " ORDER BY m.status_id, a.id",
                         "L", list);
        else
            pin_db_query(db, &q,
                         PIN_DB_GENERIC
                         "SELECT st.status_id, t.name FROM status_tags st JOIN tags t ON t.id ="
                         " st.tag_id WHERE st.status_id IN " PIN_DB_LIST_SQL
                         " ORDER BY st.status_id, t.name_key",
                         "L", list);
        while (pin_q_step(&q)) {
            pin_id id = pin_q_i64(&q, 0);
            for (int i = off; i < off + k; i++) {
                pin_status *s = p[i];
                if (s->id != id) continue;
                if (which == 0 && s->nmentions < PIN_TEXT_MAX_MENTIONS)
                    s->mentions[s->nmentions++] =
                        (pin_status_mention){pin_q_i64(&q, 1), pin_q_strdup(&q, 2, a)};
                else if (which == 1 && s->ntags < PIN_TEXT_MAX_TAGS)
                    s->tags[s->ntags++] = pin_q_strdup(&q, 1, a);
            }
        }
        pin_err err = pin_q_end(&q);
        if (err) return err;
    }
    return PIN_OK;
}

/* What the viewer did to the posts `p` (ids[i] is p[i]'s): liked,
 * bookmarked, shared, pinned. */
static pin_err load_flags(pin_db *db, pin_id viewer, pin_status **p, const pin_id *ids, int n)
{
    for (int off = 0; off < n; off += PIN_DB_LIST) {
        pin_id list[PIN_DB_LIST];
        int k = pin_db_list(list, ids, n, off);
        pin_q q;
        pin_db_query(db, &q,
                     PIN_DB_GENERIC
                     "SELECT status_id, 0 FROM favourites WHERE account_id = ? AND status_id "
                     "IN " PIN_DB_LIST_SQL " UNION ALL SELECT status_id, 1 FROM bookmarks WHERE"
                     " account_id = ? AND status_id IN " PIN_DB_LIST_SQL
                     " UNION ALL SELECT reblog_of_id, 2 FROM statuses WHERE account_id = ? AND"
                     " reblog_of_id IN " PIN_DB_LIST_SQL " UNION ALL SELECT status_id, 3 FROM"
                     " status_pins WHERE account_id = ? AND status_id IN " PIN_DB_LIST_SQL,
                     "iLiLiLiL", viewer, list, viewer, list, viewer, list, viewer, list);
        while (pin_q_step(&q)) {
            pin_id id = pin_q_i64(&q, 0);
            int64_t which = pin_q_i64(&q, 1);
            for (int i = off; i < off + k; i++) {
                pin_status *s = p[i];
                if (s->id != id) continue;
                if (which == 0)
                    s->favourited = true;
                else if (which == 1)
                    s->bookmarked = true;
                else if (which == 2)
                    s->reblogged = true;
                else
                    s->pinned = true;
            }
        }
        pin_err err = pin_q_end(&q);
        if (err) return err;
    }
    return PIN_OK;
}

/* Authors, attachments, mentions, hashtags and the viewer's marks of the
 * posts `p`: a few statements for the lot, not a few per post. */
static pin_err fill(pin_db *db, pin_arena *a, pin_id viewer, pin_status **p, int n)
{
    pin_id *ids = pin_arena_alloc(a, sizeof(pin_id) * (size_t)n);
    pin_account *authors = pin_arena_alloc(a, sizeof(pin_account) * (size_t)n);
    pin_media **media = pin_arena_alloc(a, sizeof(pin_media *) * (size_t)n);
    int *counts = pin_arena_alloc(a, sizeof(int) * (size_t)n);
    for (int i = 0; i < n; i++)
        ids[i] = p[i]->account.id;
    pin_err err = pin_accounts_load(db, a, ids, n, authors);
    for (int i = 0; !err && i < n; i++) {
        if (!authors[i].id) err = PIN_ENOTFOUND; /* a foreign key makes this impossible */
        p[i]->account = authors[i];
        ids[i] = p[i]->id;
    }
    if (!err) err = pin_media_of_statuses(db, a, ids, n, media, counts);
    for (int i = 0; !err && i < n; i++)
        p[i]->media = media[i], p[i]->nmedia = counts[i];
    if (!err) err = load_names(db, a, p, ids, n, 0);
    if (!err) err = load_names(db, a, p, ids, n, 1);
    if (!err && viewer) err = load_flags(db, viewer, p, ids, n);
    return err;
}

typedef struct read_tx {
    pin_arena *a;
    pin_id viewer;
    const pin_id *ids;
    int count, n; /* asked, read */
    bool list;    /* a list leaves out what it cannot show; one post is PIN_ENOTFOUND */
    pin_status *out;
} read_tx;

/* Reads the posts asked for, each with the post it shares if it is a
 * reblog, in as many statements as one post needs. */
static pin_err read_body(pin_db *db, void *ctx)
{
    read_tx *t = ctx;
    pin_arena *a = t->a;
    int n = t->count;
    pin_status *rows = pin_arena_alloc(a, sizeof(pin_status) * (size_t)n * 2);
    pin_status *shared = rows + n;
    bool *found = pin_arena_zalloc(a, sizeof(bool) * (size_t)n * 2);
    pin_id *sids = pin_arena_alloc(a, sizeof(pin_id) * (size_t)n);
    pin_status **all = pin_arena_alloc(a, sizeof(pin_status *) * (size_t)n * 2);
    t->n = 0;
    pin_err err = load_rows(db, a, t->viewer, t->ids, n, rows, found);
    if (err) return err;
    bool reblogs = false;
    for (int i = 0; i < n; i++) {
        sids[i] = found[i] ? rows[i].reblog_of_id : 0;
        reblogs |= sids[i] != 0;
    }
    if (reblogs) err = load_rows(db, a, t->viewer, sids, n, shared, found + n);
    if (err) return err;
    int nall = 0;
    for (int i = 0; i < 2 * n; i++) {
        if (found[i]) all[nall++] = &rows[i];
    }
    err = fill(db, a, t->viewer, all, nall);
    if (err) return err;
    for (int i = 0; i < n; i++) {
        pin_status *s = &rows[i];
        if (!found[i]) continue;
        if (found[n + i]) s->reblog = &shared[i];
        /* A reblog shows only with the post it shares; its sharer still
         * sees it, to delete it. */
        if (s->reblog_of_id && !s->reblog && s->account.id != t->viewer) continue;
        t->out[t->n++] = *s;
    }
    return !t->list && !t->n ? PIN_ENOTFOUND : PIN_OK;
}

/* One post, inside the caller's transaction. */
static pin_err get_in(pin_db *db, pin_arena *a, pin_id viewer, pin_id id, pin_status *out)
{
    read_tx t = {a, viewer, &id, 1, 0, false, out};
    return read_body(db, &t);
}

pin_err pin_status_get(pin_svc *svc, pin_arena *a, const pin_viewer *v, pin_id id, pin_status *out)
{
    pin_db *db;
    pin_err err = pin_svc_db(svc, &db);
    if (err) return err;
    /* One read transaction: the post and its parts come from one snapshot. */
    read_tx t = {a, v->account_id, &id, 1, 0, false, out};
    return pin_db_tx(db, false, read_body, &t);
}

pin_err pin_statuses_get(pin_svc *svc, pin_arena *a, const pin_viewer *v, const pin_id *ids,
                         int count, pin_status *out, int *n)
{
    pin_db *db;
    pin_err err = pin_svc_db(svc, &db);
    *n = 0;
    if (err || count <= 0) return err;
    read_tx t = {a, v->account_id, ids, count, 0, true, out};
    err = pin_db_tx(db, false, read_body, &t);
    if (!err) *n = t.n;
    return err;
}

/* ---- deleting ---- */

typedef struct delete_tx {
    pin_svc *svc;
    pin_arena *a;
    const pin_viewer *v;
    pin_id id;
    pin_status *out;
} delete_tx;

static pin_err delete_body(pin_db *db, void *ctx)
{
    delete_tx *t = ctx;
    pin_err err = get_in(db, t->a, t->v->account_id, t->id, t->out);
    if (err) return err;
    if (t->out->account.id != t->v->account_id) return PIN_ENOTFOUND;
    err = unindex(db, t->id, t->v->account_id, t->out->created_at,
                  t->out->visibility == PIN_VIS_PUBLIC);
    if (err) return err;
    /* Its reblogs go with it, each from its sharer's count. */
    err = pin_db_exec(
        db, NULL,
        "UPDATE accounts SET statuses_count = statuses_count - (SELECT COUNT(*) FROM"
        " statuses r WHERE r.reblog_of_id = ? AND r.account_id = accounts.id) WHERE id IN"
        " (SELECT account_id FROM statuses WHERE reblog_of_id = ?)",
        "ii", t->id, t->id);
    if (!err)
        err = pin_db_exec(db, NULL, "DELETE FROM statuses WHERE reblog_of_id = ?", "i", t->id);
    if (!err && t->out->reblog_of_id)
        err = pin_db_exec(db, NULL,
                          "UPDATE statuses SET reblogs_count = reblogs_count - 1 WHERE id = ?", "i",
                          t->out->reblog_of_id);
    if (err) return err;
    int64_t changed = 0;
    err = pin_db_exec(db, &changed, "DELETE FROM statuses WHERE id = ? AND account_id = ?", "ii",
                      t->id, t->v->account_id);
    if (err) return err;
    if (!changed) return PIN_ENOTFOUND;
    err = pin_db_exec(db, NULL,
                      "UPDATE accounts SET statuses_count = statuses_count - 1 WHERE id = ?", "i",
                      t->v->account_id);
    if (!err && t->out->in_reply_to_id)
        err = pin_db_exec(db, NULL,
                          "UPDATE statuses SET replies_count = replies_count - 1 WHERE id = ?", "i",
                          t->out->in_reply_to_id);
    return err;
}

pin_err pin_status_delete(pin_svc *svc, pin_arena *a, const pin_viewer *v, pin_id id,
                          pin_status *out)
{
    pin_db *db;
    pin_err err = pin_svc_db(svc, &db);
    if (err) return err;
    delete_tx t = {svc, a, v, id, out};
    return pin_db_tx(db, true, delete_body, &t);
}

/* ---- editing ---- */

static const char *media_snapshot(pin_db *db, pin_arena *a, pin_id status)
{
    json_t *arr = json_array();
    pin_q q;
    pin_db_query(db, &q,
                 "SELECT id, description, focus_x, focus_y FROM media WHERE status_id = ? AND"
                 " position >= 0 ORDER BY position",
                 "i", status);
    while (pin_q_step(&q))
        json_array_append_new(arr,
                              json_pack("{s:I,s:s?,s:f,s:f}", "id", (json_int_t)pin_q_i64(&q, 0),
                                        "description", pin_q_text(&q, 1), "focus_x",
                                        pin_q_double(&q, 2), "focus_y", pin_q_double(&q, 3)));
    pin_err err = pin_q_end(&q);
    const char *out = err ? NULL : pin_json_dump(a, arr, NULL);
    json_decref(arr);
    return out;
}

static pin_err snapshot(pin_db *db, pin_arena *a, pin_id status, int64_t at)
{
    const char *media = media_snapshot(db, a, status);
    if (!media) return PIN_EIO;
    return pin_db_exec(db, NULL,
                       "INSERT INTO status_edits (id, status_id, text, spoiler_text, sensitive,"
                       " media, created_at) SELECT ?, id, text, spoiler_text, sensitive, ?, ?"
                       " FROM statuses WHERE id = ?",
                       "isii", pin_id_new(), media, at, status);
}

typedef struct edit_tx {
    pin_svc *svc;
    pin_arena *a;
    const pin_viewer *v;
    pin_id id;
    const pin_status_in *in;
    pin_id media[64];
    const char *why;
} edit_tx;

static pin_err edit_body(pin_db *db, void *ctx)
{
    edit_tx *t = ctx;
    const pin_status_in *in = t->in;
    pin_id me = t->v->account_id;
    int64_t created = 0, edited = 0, now = pin_now_ms();
    pin_q q;
    pin_db_query(db, &q,
                 "SELECT created_at, COALESCE(edited_at, 0) FROM statuses WHERE id = ? AND"
                 " account_id = ? AND reblog_of_id IS NULL",
                 "ii", t->id, me);
    bool found = pin_q_step(&q);
    if (found) created = pin_q_i64(&q, 0), edited = pin_q_i64(&q, 1);
    pin_err err = pin_q_end(&q);
    if (err) return err;
    if (!found) return PIN_ENOTFOUND;
    /* The first edit records the original version too. */
    if (!edited) err = snapshot(db, t->a, t->id, created);
    if (err) return err;
    if (in->set_media) {
        int64_t parent = 0;
        err =
            pin_db_i64(db, &parent, "SELECT COALESCE(in_reply_to_id, 0) FROM statuses WHERE id = ?",
                       "i", t->id);
        if (err) return err;
        if (!parent && in->nmedia == 0) {
            t->why = "Validation failed: A post needs at least one photo";
            return PIN_EUNPROCESSABLE;
        }
        /* Detach what is no longer listed (it becomes an unused upload of
         * the author's, removed by the sweep), then attach in order. */
        /* Photos taken off the post stay with it, out of sight (position -1),
         * so its history can still show them; they go when the post goes. */
        err =
            pin_db_exec(db, NULL, "UPDATE media SET position = -1 WHERE status_id = ?", "i", t->id);
        if (!err) err = attach(db, me, t->id, t->media, in->nmedia, &t->why);
        if (err) return err;
    }
    for (int i = 0; i < in->nattrs; i++) {
        pin_id mid;
        double fx = 0, fy = 0;
        if (!pin_id_parse(in->media_attrs[i].id, &mid)) continue;
        const char *d = in->media_attrs[i].description, *f = in->media_attrs[i].focus;
        if (d && (!pin_utf8_valid(d, strlen(d)) || pin_utf8_chars(d) > PIN_DESCRIPTION_MAX)) {
            t->why = "Validation failed: Description is too long (maximum is 1500 characters)";
            return PIN_EUNPROCESSABLE;
        }
        if (f && !pin_media_parse_focus(f, &fx, &fy)) {
            t->why = "Validation failed: Focus must be two numbers from -1 to 1";
            return PIN_EUNPROCESSABLE;
        }
        err = pin_db_exec(
            db, NULL,
            "UPDATE media SET description = CASE WHEN ? = 1 THEN ? ELSE description END,"
            " focus_x = CASE WHEN ? = 1 THEN ? ELSE focus_x END,"
            " focus_y = CASE WHEN ? = 1 THEN ? ELSE focus_y END"
            " WHERE id = ? AND status_id = ?",
            "isididii", (int64_t)(d != NULL), d && *d ? d : NULL, (int64_t)(f != NULL), fx,
            (int64_t)(f != NULL), fy, mid, t->id);
        if (err) return err;
    }
    resolver r = {.db = db, .base_url = t->svc->cfg->base_url};
    const char *text = in->text;
    if (text) {
        pin_text_opts o = {.base_url = r.base_url, .resolve = resolve, .resolve_ctx = &r};
        pin_text_out out;
        pin_text_render(t->a, text, strlen(text), &o, &out);
        err = index_text(db, t->id, me, text, &out, &r, now, false);
        if (err) return err;
    }
    err = pin_db_exec(db, NULL,
                      "UPDATE statuses SET text = COALESCE(?, text), spoiler_text = COALESCE(?,"
                      " spoiler_text), sensitive = CASE WHEN ? < 0 THEN sensitive ELSE ? END,"
                      " language = COALESCE(?, language), edited_at = ? WHERE id = ?",
                      "ssiisii", text, in->spoiler_text, (int64_t)in->sensitive,
                      (int64_t)in->sensitive, in->language && *in->language ? in->language : NULL,
                      now, t->id);
    if (!err) err = snapshot(db, t->a, t->id, now);
    /* People who shared it hear that it changed. */
    if (!err) {
        pin_id who[256];
        int n = 0;
        pin_db_query(db, &q,
                     "SELECT DISTINCT account_id FROM statuses WHERE reblog_of_id = ? LIMIT 256",
                     "i", t->id);
        while (pin_q_step(&q) && n < 256)
            who[n++] = pin_q_i64(&q, 0);
        err = pin_q_end(&q);
        for (int i = 0; !err && i < n; i++)
            err = pin_notify(db, who[i], me, "update", t->id);
    }
    return err;
}

pin_err pin_status_edit(pin_svc *svc, pin_arena *a, const pin_viewer *v, pin_id id,
                        const pin_status_in *in, const char **why)
{
    *why = check_common(svc, in);
    if (*why) return PIN_EUNPROCESSABLE;
    edit_tx t = {.svc = svc, .a = a, .v = v, .id = id, .in = in};
    if (in->set_media && !parse_media(in, t.media, why)) return PIN_EUNPROCESSABLE;
    if (in->nattrs > 32) {
        *why = "Validation failed: Too many media attributes";
        return PIN_EUNPROCESSABLE;
    }
    pin_db *db;
    pin_err err = pin_svc_db(svc, &db);
    if (err) return err;
    err = pin_db_tx(db, true, edit_body, &t);
    if (err == PIN_EUNPROCESSABLE) *why = t.why;
    return err;
}

typedef struct history_tx {
    pin_svc *svc;
    pin_arena *a;
    pin_id viewer, id;
    pin_status_version *items;
    int n;
} history_tx;

static pin_err history_body(pin_db *db, void *ctx)
{
    history_tx *t = ctx;
    pin_status s;
    pin_err err = get_in(db, t->a, t->viewer, t->id, &s);
    if (err) return err;
    enum { MAX_EDITS = 200 };
    t->items = pin_arena_zalloc(t->a, sizeof(pin_status_version) * MAX_EDITS);
    pin_q q;
    pin_db_query(db, &q,
                 "SELECT text, spoiler_text, sensitive, created_at, media FROM status_edits WHERE"
                 " status_id = ? ORDER BY id LIMIT 200",
                 "i", t->id);
    while (pin_q_step(&q))
        t->items[t->n++] = (pin_status_version){pin_q_strdup(&q, 0, t->a),
                                                pin_q_strdup(&q, 1, t->a), pin_q_i64(&q, 2) != 0,
                                                pin_q_i64(&q, 3), pin_q_strdup(&q, 4, t->a)};
    err = pin_q_end(&q);
    if (err) return err;
    if (t->n == 0) { /* never edited: the one version is the current one */
        const char *media = media_snapshot(db, t->a, t->id);
        if (!media) return PIN_EIO;
        t->items[t->n++] =
            (pin_status_version){s.text, s.spoiler_text, s.sensitive, s.created_at, media};
    }
    return PIN_OK;
}

pin_err pin_status_history(pin_svc *svc, pin_arena *a, const pin_viewer *v, pin_id id,
                           pin_status_version **out, int *n)
{
    pin_db *db;
    pin_err err = pin_svc_db(svc, &db);
    if (err) return err;
    history_tx t = {svc, a, v->account_id, id, NULL, 0};
    err = pin_db_tx(db, false, history_body, &t);
    if (err) return err;
    *out = t.items;
    *n = t.n;
    return PIN_OK;
}

/* ---- reblogs and pins ---- */

typedef struct share_tx {
    pin_svc *svc;
    pin_arena *a;
    const pin_viewer *v;
    pin_id id;
    bool on;
    pin_id result;
    const char *why;
} share_tx;

static pin_err share_body(pin_db *db, void *ctx)
{
    share_tx *t = ctx;
    pin_id me = t->v->account_id;
    int64_t orig = 0;
    pin_err err = pin_db_i64(
        db, &orig,
        "SELECT COALESCE(s.reblog_of_id, s.id) FROM statuses s WHERE s.id = ? AND " PIN_VISIBLE(
            "s"),
        "iiiii", t->id, me, me, me, me);
    if (err) return err;
    int64_t vis = 0, author = 0;
    pin_q q;
    /* Through someone else's reblog, the shared post itself must be visible:
     * its author may have blocked the viewer. */
    pin_db_query(
        db, &q,
        "SELECT s.visibility, s.account_id FROM statuses s WHERE s.id = ? AND " PIN_VISIBLE("s"),
        "iiiii", orig, me, me, me, me);
    bool seen = pin_q_step(&q);
    if (seen) vis = pin_q_i64(&q, 0), author = pin_q_i64(&q, 1);
    err = pin_q_end(&q);
    if (err) return err;
    if (!seen && t->on) return PIN_ENOTFOUND;
    int64_t mine = 0;
    err = pin_db_i64(db, &mine, "SELECT id FROM statuses WHERE reblog_of_id = ? AND account_id = ?",
                     "ii", orig, me);
    if (err && err != PIN_ENOTFOUND) return err;
    if (!t->on) {
        t->result = orig;
        if (!mine) return PIN_OK;
        err = pin_db_exec(db, NULL, "DELETE FROM statuses WHERE id = ?", "i", mine);
        if (!err)
            err = pin_db_exec(
                db, NULL, "UPDATE accounts SET statuses_count = statuses_count - 1 WHERE id = ?",
                "i", me);
        if (!err)
            err = pin_db_exec(db, NULL,
                              "UPDATE statuses SET reblogs_count = reblogs_count - 1 WHERE id = ?",
                              "i", orig);
        return err;
    }
    if (mine) {
        t->result = mine;
        return PIN_OK;
    }
    if (vis > PIN_VIS_UNLISTED) {
        t->why = "Validation failed: Followers-only and direct posts cannot be shared";
        return PIN_EUNPROCESSABLE;
    }
    pin_id id = pin_id_new();
    int64_t now = pin_now_ms();
    err =
        pin_db_exec(db, NULL,
                    "INSERT INTO statuses (id, account_id, text, visibility, reblog_of_id, app_id,"
                    " created_at) VALUES (?, ?, '', ?, ?, ?, ?)",
                    "iiiiIi", id, me, vis, orig, t->v->app_id, now);
    if (!err)
        err = pin_db_exec(
            db, NULL,
            "UPDATE accounts SET statuses_count = statuses_count + 1, last_status_at = ?"
            " WHERE id = ?",
            "ii", now, me);
    if (!err)
        err = pin_db_exec(db, NULL,
                          "UPDATE statuses SET reblogs_count = reblogs_count + 1 WHERE id = ?", "i",
                          orig);
    if (!err) err = pin_notify(db, author, me, "reblog", orig);
    t->result = id;
    return err;
}

pin_err pin_status_reblog(pin_svc *svc, pin_arena *a, const pin_viewer *v, pin_id id, bool on,
                          pin_status *out)
{
    pin_db *db;
    pin_err err = pin_svc_db(svc, &db);
    if (err) return err;
    share_tx t = {svc, a, v, id, on, 0, NULL};
    err = pin_db_tx(db, true, share_body, &t);
    if (err) return err;
    return pin_status_get(svc, a, v, t.result, out);
}

typedef struct pin_tx {
    const pin_viewer *v;
    pin_id id;
    bool on;
} pin_tx;

static pin_err pin_body(pin_db *db, void *ctx)
{
    pin_tx *t = ctx;
    pin_id me = t->v->account_id;
    int64_t vis = 0;
    pin_err err = pin_db_i64(db, &vis,
                             "SELECT visibility FROM statuses WHERE id = ? AND account_id = ? AND"
                             " reblog_of_id IS NULL",
                             "ii", t->id, me);
    if (err) return err;
    if (!t->on)
        return pin_db_exec(db, NULL,
                           "DELETE FROM status_pins WHERE account_id = ? AND status_id = ?", "ii",
                           me, t->id);
    if (vis == PIN_VIS_DIRECT) return PIN_EUNPROCESSABLE;
    int64_t pinned = 0;
    err = pin_db_i64(db, &pinned,
                     "SELECT COUNT(*) FROM status_pins WHERE account_id = ? AND status_id <> ?",
                     "ii", me, t->id);
    if (err) return err;
    if (pinned >= PIN_PINS_MAX) return PIN_EUNPROCESSABLE;
    return pin_db_exec(
        db, NULL,
        "INSERT INTO status_pins (account_id, status_id, created_at) VALUES (?, ?, ?)"
        " ON CONFLICT DO NOTHING",
        "iii", me, t->id, pin_now_ms());
}

pin_err pin_status_pin(pin_svc *svc, pin_arena *a, const pin_viewer *v, pin_id id, bool on,
                       pin_status *out)
{
    pin_db *db;
    pin_err err = pin_svc_db(svc, &db);
    if (err) return err;
    pin_tx t = {v, id, on};
    err = pin_db_tx(db, true, pin_body, &t);
    if (err) return err;
    return pin_status_get(svc, a, v, id, out);
}

pin_err pin_status_media(pin_svc *svc, pin_arena *a, const pin_status *s, pin_id media_id,
                         pin_media *out)
{
    pin_db *db;
    pin_err err = pin_svc_db(svc, &db);
    if (!err) err = pin_media_load(svc, db, a, media_id, out);
    if (!err && out->status_id != s->id) err = PIN_ENOTFOUND;
    return err;
}
