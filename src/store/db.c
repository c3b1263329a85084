/* Backend-independent half of the store: URL parsing, per-thread
 * connections, typed bind parsing and the transaction retry loop. */
#include "store/db_int.h"

#include <stdarg.h>
#include <string.h>
#include <time.h>

#include "core/id.h"
#include "core/log.h"

static void thread_gone(void *p)
{
    pin_db *db = p;
    pin_store *s = db->store;
    pthread_mutex_lock(&s->lock);
    for (int i = 0; i < s->nconns; i++) {
        if (s->conns[i] == db) {
            s->conns[i] = s->conns[--s->nconns];
            break;
        }
    }
    pthread_mutex_unlock(&s->lock);
    s->ops->disconnect(db);
}

pin_err pin_store_open(const char *url, const pin_store_opts *opts, pin_store **out)
{
    pin_store *s = pin_xcalloc(1, sizeof(*s));
    s->url = pin_xstrdup(url);
    s->opts.busy_timeout_ms = 5000;
    if (opts && opts->busy_timeout_ms > 0) s->opts = *opts;
    if (strncmp(url, "postgres://", 11) == 0 || strncmp(url, "postgresql://", 13) == 0) {
#ifdef PIN_HAVE_POSTGRES
        s->kind = PIN_DB_POSTGRES;
        s->ops = &pin_pg_ops;
#else
        PIN_ERROR("this build of pinhole has no PostgreSQL backend");
        free(s->url);
        free(s);
        return PIN_EINVAL;
#endif
    } else {
        const char *path = url;
        if (strncmp(url, "sqlite:", 7) == 0) path = url + 7;
        if (!*path || strstr(url, "://")) {
            free(s->url);
            free(s);
            return PIN_EINVAL;
        }
        s->kind = PIN_DB_SQLITE;
        s->ops = &pin_sqlite_ops;
        s->path = pin_xstrdup(path);
    }
    pthread_key_create(&s->key, thread_gone);
    pthread_mutex_init(&s->lock, NULL);
    pthread_mutex_init(&s->write_lock, NULL);
    pin_db *db;
    pin_err err = pin_store_db(s, &db);
    if (err) {
        pin_store_close(s);
        return err;
    }
    *out = s;
    return PIN_OK;
}

void pin_store_close(pin_store *s)
{
    if (!s) return;
    pthread_setspecific(s->key, NULL);
    pthread_mutex_lock(&s->lock);
    for (int i = 0; i < s->nconns; i++)
        s->ops->disconnect(s->conns[i]);
    s->nconns = 0;
    pthread_mutex_unlock(&s->lock);
    pthread_key_delete(s->key);
    pthread_mutex_destroy(&s->lock);
    pthread_mutex_destroy(&s->write_lock);
    free(s->conns);
    free(s->url);
    free(s->path);
    free(s);
}

pin_db_kind pin_store_kind(const pin_store *s)
{
    return s->kind;
}

pin_db_kind pin_db_kind_of(const pin_db *db)
{
    return db->store->kind;
}

pin_err pin_store_db(pin_store *s, pin_db **out)
{
    pin_db *db = pthread_getspecific(s->key);
    if (db) {
        *out = db;
        return PIN_OK;
    }
    pin_err err = s->ops->connect(s, &db);
    if (err) return err;
    db->store = s;
    pthread_mutex_lock(&s->lock);
    if (s->nconns == s->capconns) {
        s->capconns = s->capconns ? s->capconns * 2 : 8;
        s->conns = pin_xrealloc(s->conns, sizeof(*s->conns) * (size_t)s->capconns);
    }
    s->conns[s->nconns++] = db;
    pthread_mutex_unlock(&s->lock);
    pthread_setspecific(s->key, db);
    *out = db;
    return PIN_OK;
}

int pin_db_list(int64_t out[PIN_DB_LIST], const int64_t *ids, int n, int off)
{
    int k = 0;
    for (; k < PIN_DB_LIST && off + k < n; k++)
        out[k] = ids[off + k];
    for (int j = k; j < PIN_DB_LIST; j++)
        out[j] = 0;
    return k;
}

static int parse_binds(const char *types, va_list ap, pin_val *v)
{
    int n = 0;
    for (const char *t = types ? types : ""; *t; t++) {
        PIN_ASSERT(n < PIN_DB_MAX_BINDS);
        pin_val *x = &v[n++];
        memset(x, 0, sizeof(*x));
        switch (*t) {
        case 'i':
            x->type = 'i';
            x->i = va_arg(ap, int64_t);
            break;
        case 'I':
            x->i = va_arg(ap, int64_t);
            x->type = x->i ? 'i' : 'n';
            break;
        case 'b':
            x->type = 'i';
            x->i = va_arg(ap, int) ? 1 : 0;
            break;
        case 'd':
            x->type = 'd';
            x->d = va_arg(ap, double);
            break;
        case 's':
            x->s = va_arg(ap, const char *);
            x->type = x->s ? 's' : 'n';
            break;
        case 'n':
            x->type = 'n';
            break;
        case 'L': {
            const int64_t *ids = va_arg(ap, const int64_t *);
            PIN_ASSERT(n - 1 + PIN_DB_LIST <= PIN_DB_MAX_BINDS);
            for (int k = 0; k < PIN_DB_LIST; k++)
                v[n - 1 + k] = (pin_val){.type = 'i', .i = ids[k]};
            n += PIN_DB_LIST - 1;
            break;
        }
        default:
            PIN_ASSERT(!"unknown bind type");
        }
    }
    return n;
}

static void vquery(pin_db *db, pin_q *q, const char *sql, const char *types, va_list ap)
{
    pin_val v[PIN_DB_MAX_BINDS];
    int n = parse_binds(types, ap, v);
    memset(q, 0, sizeof(*q));
    q->db = db;
    db->store->ops->query(db, q, sql, v, n);
}

void pin_db_query(pin_db *db, pin_q *q, const char *sql, const char *types, ...)
{
    va_list ap;
    va_start(ap, types);
    vquery(db, q, sql, types, ap);
    va_end(ap);
}

bool pin_q_step(pin_q *q)
{
    if (q->err || !q->impl) return false;
    return q->db->store->ops->step(q);
}

int64_t pin_q_i64(pin_q *q, int col)
{
    return q->db->store->ops->col_i64(q, col);
}

double pin_q_double(pin_q *q, int col)
{
    return q->db->store->ops->col_double(q, col);
}

const char *pin_q_text(pin_q *q, int col)
{
    return q->db->store->ops->col_text(q, col);
}

bool pin_q_null(pin_q *q, int col)
{
    return q->db->store->ops->col_null(q, col);
}

int pin_q_columns(pin_q *q)
{
    return q->impl ? q->db->store->ops->columns(q) : 0;
}

pin_err pin_db_exec_texts(pin_db *db, const char *sql, const char *const *values, int n)
{
    PIN_ASSERT(n <= PIN_DB_MAX_BINDS);
    pin_val v[PIN_DB_MAX_BINDS];
    for (int i = 0; i < n; i++)
        v[i] = (pin_val){values[i] ? 's' : 'n', 0, 0, values[i]};
    pin_q q;
    memset(&q, 0, sizeof(q));
    q.db = db;
    db->store->ops->query(db, &q, sql, v, n);
    while (pin_q_step(&q)) {}
    return db->store->ops->end(&q, NULL);
}

char *pin_q_strdup(pin_q *q, int col, pin_arena *a)
{
    const char *t = pin_q_text(q, col);
    return t ? pin_arena_strdup(a, t) : NULL;
}

pin_err pin_q_end(pin_q *q)
{
    return q->db->store->ops->end(q, NULL);
}

pin_err pin_db_exec(pin_db *db, int64_t *changes, const char *sql, const char *types, ...)
{
    pin_q q;
    va_list ap;
    va_start(ap, types);
    vquery(db, &q, sql, types, ap);
    va_end(ap);
    while (pin_q_step(&q)) {}
    return db->store->ops->end(&q, changes);
}

pin_err pin_db_i64(pin_db *db, int64_t *out, const char *sql, const char *types, ...)
{
    pin_q q;
    va_list ap;
    va_start(ap, types);
    vquery(db, &q, sql, types, ap);
    va_end(ap);
    bool found = pin_q_step(&q);
    if (found) *out = pin_q_i64(&q, 0);
    while (found && pin_q_step(&q)) { /* finish it (an INSERT ... RETURNING commits at its end) */
    }
    pin_err err = pin_q_end(&q);
    if (err) return err;
    return found ? PIN_OK : PIN_ENOTFOUND;
}

pin_err pin_db_script(pin_db *db, const char *sql)
{
    return db->store->ops->script(db, sql);
}

const char *pin_db_errmsg(pin_db *db)
{
    return db->store->ops->errmsg(db);
}

bool pin_db_in_tx(const pin_db *db)
{
    return db->in_tx;
}

void pin_db_budget(pin_db *db, int ms)
{
    if (db->store->ops->budget) db->store->ops->budget(db, ms);
}

static void backoff(int attempt)
{
    /* 1, 2, 4 ... ms plus jitter so retrying writers do not collide again. */
    static _Thread_local uint32_t seed;
    if (!seed) seed = (uint32_t)(uintptr_t)&seed ^ (uint32_t)pin_now_ms();
    seed ^= seed << 13, seed ^= seed >> 17, seed ^= seed << 5;
    long us = (1000L << (attempt < 6 ? attempt : 6)) + (long)(seed % 1000);
    struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
    nanosleep(&ts, NULL);
}

pin_err pin_db_tx(pin_db *db, bool write, pin_tx_fn fn, void *ctx)
{
    /* A read inside a running transaction joins it (a request's reads share
     * one snapshot); a write may never nest. */
    if (db->in_tx) {
        PIN_ASSERT(!write);
        return fn(db, ctx);
    }
    const pin_db_ops *ops = db->store->ops;
    enum { MAX_ATTEMPTS = 8 };
    pin_err err = PIN_OK;
    for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        if (attempt) backoff(attempt);
        err = ops->begin(db, write);
        if (err == PIN_EBUSY) continue;
        if (err) return err;
        db->in_tx = true;
        err = fn(db, ctx);
        if (!err) err = ops->commit(db);
        if (err) ops->rollback(db);
        db->in_tx = false;
        if (err != PIN_EBUSY) return err;
        PIN_DEBUG("transaction busy, retry %d", attempt + 1);
    }
    PIN_WARN("transaction still busy after %d attempts", MAX_ATTEMPTS);
    return PIN_EUNAVAILABLE;
}
