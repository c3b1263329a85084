/* Synthetic data for benchmarks. See seed.h. */
#include "service/seed.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "service/secret.h"

/* xorshift64*: fast, deterministic, good enough for synthetic data. */
typedef struct rng {
    uint64_t s;
} rng;

static uint64_t next(rng *r)
{
    r->s ^= r->s >> 12, r->s ^= r->s << 25, r->s ^= r->s >> 27;
    return r->s * 2685821657736338717ull;
}

static double uniform(rng *r)
{
    return (double)(next(r) >> 11) / 9007199254740992.0;
}

/* Zipf(s) over ranks 0..n-1 by inverse CDF (cdf has n entries). */
static int zipf(rng *r, const double *cdf, int n)
{
    double u = uniform(r) * cdf[n - 1];
    int lo = 0, hi = n - 1;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (cdf[mid] < u)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static double *zipf_cdf(int n, double s)
{
    double *c = pin_xmalloc(sizeof(double) * (size_t)n), acc = 0;
    for (int i = 0; i < n; i++)
        c[i] = acc += 1.0 / pow(i + 1, s);
    return c;
}

static void bar(FILE *f, const char *what, int64_t done, int64_t total)
{
    if (!f || total <= 0) return;
    int w = (int)(40 * done / total);
    fprintf(f, "\r%-9s [%.*s%*s] %3d%% %lld/%lld", what, w,
            "########################################", 40 - w, "", (int)(100 * done / total),
            (long long)done, (long long)total);
    if (done == total) fputc('\n', f);
    fflush(f);
}

typedef struct seed_ctx {
    const pin_seed_opts *o;
    pin_seed_stats *st;
    pin_id *ids; /* account ids by popularity rank */
    double *cdf; /* account popularity */
    double *tag_cdf;
    pin_id *tags;
    rng r;
    int64_t from, to;  /* the slice a transaction writes */
    pin_id *posts;     /* post ids written so far (for likes and comments) */
    int max_following; /* the instance's cap on accounts followed */
    pin_svc *svc;
    int64_t nposts;
} seed_ctx;

static pin_err users_tx(pin_db *db, void *p)
{
    seed_ctx *c = p;
    int64_t now = pin_now_ms();
    pin_err err = PIN_OK;
    for (int64_t i = c->from; !err && i < c->to; i++) {
        char name[32];
        snprintf(name, sizeof(name), "user%lld", (long long)i);
        err = pin_db_exec(db, NULL,
                          "INSERT INTO accounts (id, username, username_key, domain, display_name,"
                          " created_at, updated_at) VALUES (?, ?, ?, '', ?, ?, ?)",
                          "isssii", c->ids[i], name, name, name, now, now);
    }
    return err;
}

/* Rows are written many to a statement (PostgreSQL pays a round trip per
 * statement): a batch collects text values for one INSERT and writes them
 * when full. A batch's `children` hold rows that reference its rows (a
 * post's hashtags): they are written right after it, and never fill up
 * before it does (at most one child row per row), so a foreign key never
 * points at a row still waiting in memory. */
enum { BATCH_VALS = 128 };
typedef struct batch {
    const char *head, *row, *tail; /* "INSERT ... VALUES ", "(?, ?)", " ON CONFLICT ..." */
    int cols, n;                   /* values per row, rows held */
    struct batch *children[2];
    char *sql[BATCH_VALS + 1]; /* by row count; they live as long as the process */
    char text[BATCH_VALS][100];
    const char *vals[BATCH_VALS];
} batch;

static pin_err batch_flush(pin_db *db, batch *b)
{
    pin_err err = PIN_OK;
    if (b->n) {
        if (!b->sql[b->n]) {
            size_t len = strlen(b->head) + (size_t)b->n * (strlen(b->row) + 2) + strlen(b->tail);
            char *e = b->sql[b->n] = pin_xmalloc(len + 1);
            e += sprintf(e, "%s", b->head);
            for (int i = 0; i < b->n; i++)
                e += sprintf(e, "%s%s", i ? ", " : "", b->row);
            sprintf(e, "%s", b->tail);
        }
        err = pin_db_exec_texts(db, b->sql[b->n], b->vals, b->n * b->cols);
        b->n = 0;
    }
    for (int i = 0; !err && i < 2 && b->children[i]; i++)
        err = batch_flush(db, b->children[i]);
    return err;
}

/* Adds a row: `types` has a letter per column, 'i' (int64_t) or 's'. */
static pin_err batch_add(pin_db *db, batch *b, const char *types, ...)
{
    va_list ap;
    va_start(ap, types);
    for (int i = 0; i < b->cols; i++) {
        int k = b->n * b->cols + i;
        if (types[i] == 'i')
            snprintf(b->text[k], sizeof(b->text[k]), "%lld", (long long)va_arg(ap, int64_t));
        else
            snprintf(b->text[k], sizeof(b->text[k]), "%s", va_arg(ap, const char *));
        b->vals[k] = b->text[k];
    }
    va_end(ap);
    return ++b->n == BATCH_VALS / b->cols ? batch_flush(db, b) : PIN_OK;
}

#define BATCH(head, row, tail, cols, ...)                                                          \
    {                                                                                              \
        head, row, tail, cols, 0, {__VA_ARGS__}, {0}, {{0}},                                       \
        {                                                                                          \
            0                                                                                      \
        }                                                                                          \
    }
static batch tags_b =
    BATCH("INSERT INTO status_tags (status_id, tag_id) VALUES ", "(?, ?)", "", 2, NULL, NULL);
static batch search_b =
    BATCH("INSERT INTO status_search (rowid, text) VALUES ", "(?, ?)", "", 2, NULL, NULL);
static batch statuses_b =
    BATCH("INSERT INTO statuses (id, account_id, text, visibility,"
          " created_at, in_reply_to_id) VALUES ",
          "(?, ?, ?, 0, ?, NULLIF(CAST(? AS BIGINT), 0))", "", 5, &tags_b, &search_b);
static batch follows_b =
    BATCH("INSERT INTO follows (account_id, target_id, created_at, id) VALUES ", "(?, ?, ?, ?)",
          " ON CONFLICT DO NOTHING", 4, NULL, NULL);
static batch likes_b =
    BATCH("INSERT INTO favourites (id, account_id, status_id, created_at) VALUES ", "(?, ?, ?, ?)",
          " ON CONFLICT DO NOTHING", 4, NULL, NULL);

/* Writes what is held; a failed transaction is retried from its first row,
 * so on error what is held is dropped. */
static pin_err flush_all(pin_db *db, pin_err err)
{
    batch *all[] = {&follows_b, &statuses_b, &likes_b};
    for (size_t i = 0; !err && i < sizeof(all) / sizeof(all[0]); i++)
        err = batch_flush(db, all[i]);
    if (err) follows_b.n = statuses_b.n = tags_b.n = search_b.n = likes_b.n = 0;
    return err;
}

static pin_err follows_tx(pin_db *db, void *p)
{
    seed_ctx *c = p;
    const pin_seed_opts *o = c->o;
    int64_t now = pin_now_ms();
    pin_err err = PIN_OK;
    for (int64_t u = c->from; !err && u < c->to; u++) {
        /* Pareto-like number of followees with the requested mean. */
        double x = pow(1.0 - uniform(&c->r), -1.0 / 2.0); /* alpha 2: mean 2 */
        int k = (int)(x * o->follows_per_user / 2.0);
        if (k < 1) k = 1;
        if (k > o->users / 2) k = o->users / 2;
        if (k > c->max_following) k = c->max_following;
        if (u != 0 && uniform(&c->r) < 0.5) { /* half of everyone follows the top account */
            err = batch_add(db, &follows_b, "iiii", c->ids[u], c->ids[0], now, pin_id_new());
            k--;
        }
        for (int j = 0; !err && j < k; j++) {
            int t = 1 + zipf(&c->r, c->cdf + 1, o->users - 1);
            if (t != u)
                err = batch_add(db, &follows_b, "iiii", c->ids[u], c->ids[t], now, pin_id_new());
        }
    }
    return flush_all(db, err);
}

static pin_err posts_tx(pin_db *db, void *p)
{
    seed_ctx *c = p;
    const pin_seed_opts *o = c->o;
    int64_t now = pin_now_ms(), year = 365LL * 86400000;
    bool fts = pin_db_kind_of(db) == PIN_DB_SQLITE;
    pin_err err = PIN_OK;
    for (int64_t i = c->from; !err && i < c->to; i++) {
        /* Spread over the past year in id (time) order: one post a
         * millisecond at most, so the time alone tells this run's ids
         * apart, and the seed number (bits 12-15) those of other runs. */
        int64_t at = now - year + (int64_t)((double)year * (double)i / (double)o->posts);
        pin_id id = pin_id_from_ms(at) | (int64_t)((o->seed & 0xf) << 12) | (i & 0xfff);
        int author = zipf(&c->r, c->cdf, o->users);
        bool tagged = uniform(&c->r) < 0.3;
        int tag = tagged ? zipf(&c->r, c->tag_cdf, o->tags) : 0;
        char text[96];
        snprintf(text, sizeof(text), tagged ? "Photo %lld #tag%d" : "Photo %lld", (long long)i,
                 tag);
        err = batch_add(db, &statuses_b, "iisii", id, c->ids[author], text, at, (int64_t)0);
        if (!err && tagged) err = batch_add(db, &tags_b, "ii", id, c->tags[tag]);
        if (!err && fts) err = batch_add(db, &search_b, "is", id, text);
        if (!err) c->posts[c->nposts++] = id;
    }
    return flush_all(db, err);
}

static pin_err reactions_tx(pin_db *db, void *p)
{
    seed_ctx *c = p;
    const pin_seed_opts *o = c->o;
    int64_t now = pin_now_ms();
    pin_err err = PIN_OK;
    for (int64_t i = c->from; !err && i < c->to; i++) {
        pin_id post = c->posts[(int64_t)(uniform(&c->r) * (double)c->nposts)];
        pin_id who = c->ids[(int)(uniform(&c->r) * o->users)];
        if (uniform(&c->r) * (o->likes_per_post + o->comments_per_post) < o->likes_per_post) {
            err = batch_add(db, &likes_b, "iiii", pin_id_new(), who, post, now);
        } else {
            err = batch_add(db, &statuses_b, "iisii", pin_id_new(), who, "Lovely", now, post);
            c->st->comments++;
        }
    }
    return flush_all(db, err);
}

static pin_err counters_tx(pin_db *db, void *p)
{
    (void)p;
    static const char *const fix[] = {
        "UPDATE accounts SET followers_count = (SELECT COUNT(*) FROM follows f WHERE f.target_id = "
        "accounts.id),"
        " following_count = (SELECT COUNT(*) FROM follows f WHERE f.account_id = accounts.id),"
        " statuses_count = (SELECT COUNT(*) FROM statuses s WHERE s.account_id = accounts.id)",
        "UPDATE statuses SET replies_count = (SELECT COUNT(*) FROM statuses r WHERE "
        "r.in_reply_to_id = statuses.id),"
        " favourites_count = (SELECT COUNT(*) FROM favourites f WHERE f.status_id = statuses.id)",
    };
    pin_err err = PIN_OK;
    for (size_t i = 0; !err && i < 2; i++)
        err = pin_db_exec(db, NULL, fix[i], NULL);
    /* Hashtag use per day and author, for trends, from the posts' tags. */
    if (!err) err = pin_db_exec(db, NULL, "DELETE FROM tag_uses", NULL);
    if (!err)
        err = pin_db_exec(db, NULL,
                          "INSERT INTO tag_uses (tag_id, day, account_id, uses) SELECT st.tag_id,"
                          " s.created_at / 86400000, s.account_id, COUNT(*) FROM status_tags st"
                          " JOIN statuses s ON s.id = st.status_id GROUP BY st.tag_id,"
                          " s.created_at / 86400000, s.account_id",
                          NULL);
    return err;
}

static pin_err in_batches(pin_db *db, seed_ctx *c, pin_tx_fn fn, int64_t total, int64_t per_tx,
                          const char *what)
{
    pin_err err = PIN_OK;
    for (int64_t from = 0; !err && from < total; from += per_tx) {
        c->from = from;
        c->to = from + per_tx < total ? from + per_tx : total;
        err = pin_db_tx(db, true, fn, c);
        if (!err) err = pin_svc_keepalive(c->svc); /* a seed runs for many minutes */
        bar(c->o->progress, what, c->to, total);
    }
    return err;
}

/* An instance seeded before with as many users gets more posts and
 * reactions only: its accounts (user0 ... by popularity rank) are read back
 * instead of written, and the follow graph is kept. */
static pin_err seeded_before(pin_db *db, seed_ctx *c, bool *again)
{
    char name[32];
    pin_err err = PIN_OK;
    for (int i = 0; !err && i < c->o->users; i++) {
        snprintf(name, sizeof(name), "user%d", i);
        err =
            pin_db_i64(db, &c->ids[i], "SELECT id FROM accounts WHERE username_key = ?", "s", name);
        if (err == PIN_ENOTFOUND && i == 0) return PIN_OK; /* not seeded: seed it */
    }
    if (err == PIN_ENOTFOUND) return PIN_ECONFLICT; /* seeded with fewer users */
    *again = !err;
    return err;
}

pin_err pin_seed(pin_svc *svc, const pin_seed_opts *o, pin_seed_stats *st)
{
    memset(st, 0, sizeof(*st));
    if (o->users < 2 || o->tags < 1 || o->posts < 0) return PIN_EINVAL;
    pin_db *db;
    pin_err err = pin_svc_db(svc, &db);
    if (err) return err;
    seed_ctx c = {.o = o,
                  .st = st,
                  .r = {o->seed * 2654435761u + 88172645463325252ull},
                  .max_following = svc->cfg->max_following,
                  .svc = svc};
    c.ids = pin_xmalloc(sizeof(pin_id) * (size_t)o->users);
    for (int i = 0; i < o->users; i++)
        c.ids[i] = pin_id_new();
    c.cdf = zipf_cdf(o->users, 1.0);
    c.tag_cdf = zipf_cdf(o->tags, 1.0);
    c.tags = pin_xmalloc(sizeof(pin_id) * (size_t)o->tags);
    c.posts = pin_xmalloc(sizeof(pin_id) * (size_t)(o->posts ? o->posts : 1));
    /* A bulk load into indexes keyed at random (follows by target): with
     * the pages in memory it is several times faster. */
    if (pin_db_kind_of(db) == PIN_DB_SQLITE)
        err = pin_db_exec(db, NULL, "PRAGMA cache_size = -1000000", NULL);
    bool again = false;
    if (!err) err = seeded_before(db, &c, &again);
    st->top_account = c.ids[0];
    if (!err && !again) err = in_batches(db, &c, users_tx, o->users, 20000, "accounts");
    for (int t = 0; !err && t < o->tags; t++) {
        char name[32];
        snprintf(name, sizeof(name), "tag%d", t);
        c.tags[t] = pin_id_new();
        err = pin_db_exec(db, NULL,
                          "INSERT INTO tags (id, name, name_key, created_at) VALUES (?, ?, ?, ?)"
                          " ON CONFLICT (name_key) DO NOTHING",
                          "issi", c.tags[t], name, name, pin_now_ms());
        if (!err)
            err = pin_db_i64(db, &c.tags[t], "SELECT id FROM tags WHERE name_key = ?", "s", name);
    }
    if (!err && !again) err = in_batches(db, &c, follows_tx, o->users, 2000, "follows");
    if (!err && !again) err = pin_db_i64(db, &st->follows, "SELECT COUNT(*) FROM follows", NULL);
    if (!err) err = in_batches(db, &c, posts_tx, o->posts, 50000, "posts");
    int64_t reactions = (int64_t)((double)o->posts * (o->likes_per_post + o->comments_per_post));
    int64_t likes_before = 0;
    if (!err) err = pin_db_i64(db, &likes_before, "SELECT COUNT(*) FROM favourites", NULL);
    if (!err && c.nposts) err = in_batches(db, &c, reactions_tx, reactions, 50000, "reactions");
    if (!err) err = pin_db_i64(db, &st->likes, "SELECT COUNT(*) FROM favourites", NULL);
    st->likes -= likes_before;
    if (!err) {
        if (o->progress) fprintf(o->progress, "counters ...\n");
        err = pin_db_tx(db, true, counters_tx, &c);
    }
    st->users = o->users;
    st->posts = c.nposts;
    free(c.ids);
    free(c.cdf);
    free(c.tag_cdf);
    free(c.tags);
    free(c.posts);
    return err;
}
