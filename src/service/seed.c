/* Synthetic data for benchmarks. See seed.h. */
#include "service/seed.h"

#include <math.h>
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
            int64_t changed = 0;
            err = pin_db_exec(db, &changed,
                              "INSERT INTO follows (account_id, target_id, created_at, id) VALUES"
                              " (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                              "iiii", c->ids[u], c->ids[0], now, pin_id_new());
            c->st->follows += changed;
            k--;
        }
        for (int j = 0; !err && j < k; j++) {
            int t = 1 + zipf(&c->r, c->cdf + 1, o->users - 1);
            if (t == u) continue;
            int64_t changed = 0;
            err = pin_db_exec(db, &changed,
                              "INSERT INTO follows (account_id, target_id, created_at, id) VALUES"
                              " (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                              "iiii", c->ids[u], c->ids[t], now, pin_id_new());
            c->st->follows += changed;
        }
    }
    return err;
}

static pin_err posts_tx(pin_db *db, void *p)
{
    seed_ctx *c = p;
    const pin_seed_opts *o = c->o;
    int64_t now = pin_now_ms(), year = 365LL * 86400000;
    pin_err err = PIN_OK;
    for (int64_t i = c->from; !err && i < c->to; i++) {
        /* Spread over the past year in id (time) order. */
        int64_t at = now - year + (int64_t)((double)year * (double)i / (double)o->posts);
        pin_id id = (pin_id_from_ms(at) | (int64_t)(i & 0xffff));
        int author = zipf(&c->r, c->cdf, o->users);
        bool tagged = uniform(&c->r) < 0.3;
        int tag = tagged ? zipf(&c->r, c->tag_cdf, o->tags) : 0;
        char text[96];
        snprintf(text, sizeof(text), tagged ? "Photo %lld #tag%d" : "Photo %lld", (long long)i,
                 tag);
        int64_t added = 0;
        err = pin_db_exec(db, &added,
                          "INSERT INTO statuses (id, account_id, text, visibility, created_at)"
                          " VALUES (?, ?, ?, 0, ?) ON CONFLICT DO NOTHING",
                          "iisi", id, c->ids[author], text, at);
        if (!added) continue; /* the id of a post from an earlier run */
        if (!err && tagged)
            err = pin_db_exec(db, NULL, "INSERT INTO status_tags (status_id, tag_id) VALUES (?, ?)",
                              "ii", id, c->tags[tag]);
        if (!err && tagged)
            err = pin_db_exec(
                db, NULL,
                "INSERT INTO tag_uses (tag_id, day, account_id, uses) VALUES (?, ?, ?, 1)"
                " ON CONFLICT (tag_id, day, account_id) DO UPDATE SET uses ="
                " tag_uses.uses + 1",
                "iii", c->tags[tag], at / 86400000, c->ids[author]);
        if (!err && pin_db_kind_of(db) == PIN_DB_SQLITE)
            err = pin_db_exec(db, NULL, "INSERT INTO status_search (rowid, text) VALUES (?, ?)",
                              "is", id, text);
        if (!err) c->posts[c->nposts++] = id;
    }
    return err;
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
            int64_t changed = 0;
            err =
                pin_db_exec(db, &changed,
                            "INSERT INTO favourites (id, account_id, status_id, created_at) VALUES"
                            " (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                            "iiii", pin_id_new(), who, post, now);
            c->st->likes += changed;
        } else {
            err = pin_db_exec(
                db, NULL,
                "INSERT INTO statuses (id, account_id, text, visibility, in_reply_to_id,"
                " created_at) VALUES (?, ?, 'Lovely', 0, ?, ?)",
                "iiii", pin_id_new(), who, post, now);
            c->st->comments++;
        }
    }
    return err;
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
    return err;
}

static pin_err in_batches(pin_db *db, seed_ctx *c, pin_tx_fn fn, int64_t total, int64_t batch,
                          const char *what)
{
    pin_err err = PIN_OK;
    for (int64_t from = 0; !err && from < total; from += batch) {
        c->from = from;
        c->to = from + batch < total ? from + batch : total;
        err = pin_db_tx(db, true, fn, c);
        bar(c->o->progress, what, c->to, total);
    }
    return err;
}

/* An instance seeded before with as many users gets more posts and
 * reactions only: its accounts (user0 ... by popularity rank) are read back
 * instead of written, and the follow graph is kept. */
static pin_err seeded_before(pin_db *db, seed_ctx *c, bool *again)
{
    int64_t n = 0;
    pin_err err = pin_db_i64(db, &n, "SELECT COUNT(*) FROM accounts", NULL);
    if (err || n == 0) return err;
    char name[32];
    for (int i = 0; !err && i < c->o->users; i++) {
        snprintf(name, sizeof(name), "user%d", i);
        err =
            pin_db_i64(db, &c->ids[i], "SELECT id FROM accounts WHERE username_key = ?", "s", name);
    }
    if (err == PIN_ENOTFOUND) return PIN_ECONFLICT; /* not a seeded instance */
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
                  .max_following = svc->cfg->max_following};
    c.ids = pin_xmalloc(sizeof(pin_id) * (size_t)o->users);
    for (int i = 0; i < o->users; i++)
        c.ids[i] = pin_id_new();
    c.cdf = zipf_cdf(o->users, 1.0);
    c.tag_cdf = zipf_cdf(o->tags, 1.0);
    c.tags = pin_xmalloc(sizeof(pin_id) * (size_t)o->tags);
    c.posts = pin_xmalloc(sizeof(pin_id) * (size_t)(o->posts ? o->posts : 1));
    bool again = false;
    err = seeded_before(db, &c, &again);
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
    if (!err) err = in_batches(db, &c, posts_tx, o->posts, 50000, "posts");
    int64_t reactions = (int64_t)((double)o->posts * (o->likes_per_post + o->comments_per_post));
    if (!err && c.nposts) err = in_batches(db, &c, reactions_tx, reactions, 50000, "reactions");
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
