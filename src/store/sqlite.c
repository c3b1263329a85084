/* SQLite backend: WAL, synchronous=FULL, foreign keys, busy timeout, and a
 * per-connection cache of prepared statements keyed by the SQL's address. */
#include <pthread.h>
#include <sqlite3.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "core/id.h"
#include "core/log.h"
#include "store/db_int.h"

enum { CACHE_SLOTS = 512 }; /* power of two, larger than the number of distinct statements */

typedef struct sq_db {
    pin_db base;
    sqlite3 *h;
    bool writing;        /* holds the store's write_lock */
    int64_t deadline_us; /* pin_mono_us; 0: no budget (pin_db_budget) */
    struct {
        const char *sql;
        sqlite3_stmt *st;
    } cache[CACHE_SLOTS];
} sq_db;

/* A running query keeps its sqlite3_stmt in q->impl and "done" in q->row. */
static pin_err map_rc(sq_db *db, int rc)
{
    switch (rc & 0xff) {
    case SQLITE_OK:
    case SQLITE_DONE:
    case SQLITE_ROW:
        return PIN_OK;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        /* Outside a transaction the busy timeout already ran out: give up. */
        return db->base.in_tx ? PIN_EBUSY : PIN_EUNAVAILABLE;
    case SQLITE_CONSTRAINT:
        if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY)
            return PIN_ECONFLICT;
        /* A row referenced a moment ago was deleted meanwhile (a like racing
         * the post's deletion): the thing is gone. */
        if (rc == SQLITE_CONSTRAINT_FOREIGNKEY) return PIN_ENOTFOUND;
        return PIN_EINVAL;
    case SQLITE_FULL:
        return PIN_ENOSPACE;
    case SQLITE_INTERRUPT: /* over its budget */
        return PIN_EUNAVAILABLE;
    case SQLITE_READONLY:
    case SQLITE_CANTOPEN:
        return PIN_EUNAVAILABLE;
    default:
        return PIN_EIO;
    }
}

static void configure_once(void)
{
    /* The global memory statistics take a mutex on every allocation. */
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

/* Called every few thousand VM steps: non-zero interrupts the statement. */
static int over_budget(void *arg)
{
    sq_db *db = arg;
    return db->deadline_us && pin_mono_us() > db->deadline_us;
}

static void sq_budget(pin_db *base, int ms)
{
    sq_db *db = (sq_db *)base;
    db->deadline_us = ms > 0 ? pin_mono_us() + (int64_t)ms * 1000 : 0;
}

static pin_err sq_connect(pin_store *s, pin_db **out)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, configure_once);
    sq_db *db = pin_xcalloc(1, sizeof(*db));
    int rc = sqlite3_open_v2(
        s->path, &db->h, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        PIN_ERROR("sqlite: cannot open %s: %s", s->path, db->h ? sqlite3_errmsg(db->h) : "?");
        sqlite3_close(db->h);
        free(db);
        return PIN_EUNAVAILABLE;
    }
    sqlite3_busy_timeout(db->h, s->opts.busy_timeout_ms);
    sqlite3_extended_result_codes(db->h, 1);
    sqlite3_progress_handler(db->h, 4096, over_budget, db);
    const char *setup =
        "PRAGMA journal_mode=WAL;"
        "PRAGMA synchronous=FULL;"
        "PRAGMA foreign_keys=ON;"
        "PRAGMA temp_store=MEMORY;"
        "PRAGMA cache_size=-8000;"; /* per connection (thread); the OS caches the rest */
    char *msg = NULL;
    rc = sqlite3_exec(db->h, setup, NULL, NULL, &msg);
    if (rc != SQLITE_OK) {
        PIN_ERROR("sqlite: setting up %s: %s", s->path, msg ? msg : "?");
        sqlite3_free(msg);
        sqlite3_close(db->h);
        free(db);
        return PIN_EUNAVAILABLE;
    }
    *out = &db->base;
    return PIN_OK;
}

static void sq_disconnect(pin_db *base)
{
    sq_db *db = (sq_db *)base;
    for (int i = 0; i < CACHE_SLOTS; i++)
        sqlite3_finalize(db->cache[i].st);
    sqlite3_close(db->h);
    free(db);
}

static sqlite3_stmt *prepare(sq_db *db, const char *sql, int *rc)
{
    uintptr_t h = (uintptr_t)sql;
    h ^= h >> 17;
    h *= 0x9E3779B97F4A7C15ull;
    for (unsigned i = 0, slot = (unsigned)(h >> 40); i < CACHE_SLOTS; i++, slot++) {
        slot &= CACHE_SLOTS - 1;
        if (db->cache[slot].sql == sql) return db->cache[slot].st;
        if (!db->cache[slot].sql) {
            sqlite3_stmt *st = NULL;
            *rc = sqlite3_prepare_v3(db->h, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
            if (*rc != SQLITE_OK) return NULL;
            db->cache[slot].sql = sql;
            db->cache[slot].st = st;
            return st;
        }
    }
    PIN_ASSERT(!"statement cache full");
}

static void sq_query(pin_db *base, pin_q *q, const char *sql, const pin_val *v, int n)
{
    sq_db *db = (sq_db *)base;
    int rc = SQLITE_OK;
    sqlite3_stmt *st = prepare(db, sql, &rc);
    if (!st) {
        PIN_ERROR("sqlite: prepare failed: %s: %s", sqlite3_errmsg(db->h), sql);
        q->err = map_rc(db, rc);
        if (!q->err) q->err = PIN_EIO;
        return;
    }
    PIN_ASSERT(sqlite3_bind_parameter_count(st) == n);
    PIN_ASSERT(n <= PIN_DB_MAX_BINDS);
    for (int i = 0; i < n && rc == SQLITE_OK; i++) {
        switch (v[i].type) {
        case 'i':
            rc = sqlite3_bind_int64(st, i + 1, v[i].i);
            break;
        case 'd':
            rc = sqlite3_bind_double(st, i + 1, v[i].d);
            break;
        case 's':
            rc = sqlite3_bind_text(st, i + 1, v[i].s, -1, SQLITE_STATIC);
            break;
        default:
            rc = sqlite3_bind_null(st, i + 1);
            break;
        }
    }
    if (rc != SQLITE_OK) {
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
        q->err = PIN_EIO;
        return;
    }
    /* The per-thread statement cache means a statement may not be started
     * twice at once on one connection. */
    PIN_ASSERT(!sqlite3_stmt_busy(st));
    q->impl = st;
    q->row = 0;
}

static bool sq_step(pin_q *q)
{
    sqlite3_stmt *st = q->impl;
    if (q->row) return false;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) return true;
    q->row = 1;
    if (rc != SQLITE_DONE) {
        sq_db *db = (sq_db *)q->db;
        q->err = map_rc(db, sqlite3_extended_errcode(db->h));
        if (rc == SQLITE_INTERRUPT)
            PIN_WARN("sqlite: a statement ran past its time budget (%s)", sqlite3_sql(st));
        else if (q->err != PIN_ECONFLICT && q->err != PIN_EBUSY)
            PIN_ERROR("sqlite: %s (%s)", sqlite3_errmsg(db->h), sqlite3_sql(st));
        if (!q->err) q->err = PIN_EIO;
    }
    return false;
}

static int64_t sq_i64(pin_q *q, int col)
{
    return sqlite3_column_int64((sqlite3_stmt *)q->impl, col);
}

static double sq_double(pin_q *q, int col)
{
    return sqlite3_column_double((sqlite3_stmt *)q->impl, col);
}

static const char *sq_text(pin_q *q, int col)
{
    return (const char *)sqlite3_column_text((sqlite3_stmt *)q->impl, col);
}

static bool sq_null(pin_q *q, int col)
{
    return sqlite3_column_type((sqlite3_stmt *)q->impl, col) == SQLITE_NULL;
}

static int sq_columns(pin_q *q)
{
    return sqlite3_column_count((sqlite3_stmt *)q->impl);
}

static pin_err sq_end(pin_q *q, int64_t *changes)
{
    sqlite3_stmt *st = q->impl;
    sq_db *db = (sq_db *)q->db;
    if (changes) *changes = q->err ? 0 : sqlite3_changes64(db->h);
    if (st) {
        /* Outside a transaction, a statement read only partly (RETURNING)
         * commits here: its failure (a failed fsync) must not be lost. */
        int rc = sqlite3_reset(st);
        if (!q->err && rc != SQLITE_OK) {
            q->err = map_rc(db, sqlite3_extended_errcode(db->h));
            if (!q->err) q->err = PIN_EIO;
            PIN_ERROR("sqlite: %s (%s)", sqlite3_errmsg(db->h), sqlite3_sql(st));
        }
        sqlite3_clear_bindings(st);
        q->impl = NULL;
    }
    return q->err;
}

static pin_err exec_simple(sq_db *db, const char *sql)
{
    int rc = SQLITE_OK;
    sqlite3_stmt *st = prepare(db, sql, &rc);
    if (!st) return PIN_EIO;
    rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc == SQLITE_DONE) return PIN_OK;
    pin_err err = map_rc(db, sqlite3_extended_errcode(db->h));
    if (err != PIN_EBUSY) PIN_ERROR("sqlite: %s: %s", sql, sqlite3_errmsg(db->h));
    return err ? err : PIN_EIO;
}

/* SQLite lets one writer in at a time, and a writer that finds the lock
 * taken sleeps and tries again (after 1, 2, 5 ... up to 100 ms): with eight
 * concurrent writers, most waited far longer than the lock was held (a
 * bookmark: p50 5 ms, p99 0.2-1.6 s). This process's writers queue on a
 * mutex first, which passes the lock on the moment it is free. The busy
 * timeout bounds the two waits together; other processes (pinhole admin)
 * still meet SQLite's own lock. */
static pin_err write_lock(sq_db *db)
{
    pin_store *s = db->base.store;
    struct timespec t0, until;
    clock_gettime(CLOCK_REALTIME, &t0);
    int ms = s->opts.busy_timeout_ms;
    until.tv_sec = t0.tv_sec + ms / 1000;
    until.tv_nsec = t0.tv_nsec + (long)(ms % 1000) * 1000000;
    if (until.tv_nsec >= 1000000000) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000;
    }
    if (pthread_mutex_timedlock(&s->write_lock, &until)) return PIN_EUNAVAILABLE;
    db->writing = true;
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    int64_t left =
        ms - ((int64_t)(now.tv_sec - t0.tv_sec) * 1000 + (now.tv_nsec - t0.tv_nsec) / 1000000);
    sqlite3_busy_timeout(db->h, left > 1 ? (int)left : 1);
    return PIN_OK;
}

static void write_unlock(sq_db *db)
{
    if (!db->writing) return;
    db->writing = false;
    sqlite3_busy_timeout(db->h, db->base.store->opts.busy_timeout_ms);
    pthread_mutex_unlock(&db->base.store->write_lock);
}

static pin_err sq_begin(pin_db *base, bool write)
{
    sq_db *db = (sq_db *)base;
    if (!write) return exec_simple(db, "BEGIN");
    pin_err err = write_lock(db);
    if (err) return err;
    err = exec_simple(db, "BEGIN IMMEDIATE");
    if (err) write_unlock(db);
    /* BEGIN IMMEDIATE already waited the whole busy timeout for the lock. */
    if (err == PIN_EBUSY) err = PIN_EUNAVAILABLE;
    return err;
}

static pin_err sq_commit(pin_db *base)
{
    sq_db *db = (sq_db *)base;
    pin_err err = exec_simple(db, "COMMIT");
    if (sqlite3_get_autocommit(db->h)) write_unlock(db); /* else the rollback lets go */
    return err;
}

static void sq_rollback(pin_db *base)
{
    sq_db *db = (sq_db *)base;
    if (!sqlite3_get_autocommit(db->h)) (void)exec_simple(db, "ROLLBACK");
    write_unlock(db);
}

static pin_err sq_script(pin_db *base, const char *sql)
{
    sq_db *db = (sq_db *)base;
    char *msg = NULL;
    int rc = sqlite3_exec(db->h, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK) {
        PIN_ERROR("sqlite: script failed: %s", msg ? msg : "?");
        sqlite3_free(msg);
        return map_rc(db, rc) ? map_rc(db, rc) : PIN_EIO;
    }
    return PIN_OK;
}

static const char *sq_errmsg(pin_db *base)
{
    return sqlite3_errmsg(((sq_db *)base)->h);
}

const pin_db_ops pin_sqlite_ops = {
    .connect = sq_connect,
    .disconnect = sq_disconnect,
    .query = sq_query,
    .step = sq_step,
    .col_i64 = sq_i64,
    .col_double = sq_double,
    .col_text = sq_text,
    .col_null = sq_null,
    .columns = sq_columns,
    .end = sq_end,
    .begin = sq_begin,
    .commit = sq_commit,
    .rollback = sq_rollback,
    .script = sq_script,
    .errmsg = sq_errmsg,
    .budget = sq_budget,
};
