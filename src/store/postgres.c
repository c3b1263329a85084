/* PostgreSQL backend over libpq.
 *
 * The same SQL as SQLite: `?` placeholders are rewritten to $1..$n once, when
 * a statement is first prepared on a connection, and prepared statements are
 * cached per connection keyed by the SQL's address. Values travel as text
 * parameters. A connection that drops (server restart) is reset and its
 * statement cache cleared; the statement or transaction is then retried by
 * the caller's usual path (PIN_EBUSY inside a transaction, one direct retry
 * outside).
 */
#include <libpq-fe.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/log.h"
#include "store/db_int.h"

enum { CACHE_SLOTS = 512 };

typedef struct pg_db {
    pin_db base;
    PGconn *conn;
    unsigned next_name;
    struct {
        const char *sql;
        char name[16];
    } cache[CACHE_SLOTS];
    char errmsg[256];
    int plan;       /* the session's plan_cache_mode: PLAN_* */
    int budget_ms;  /* pin_db_budget: the next read transactions' statement_timeout */
    bool plan_mode; /* the server has plan_cache_mode (PostgreSQL 12 and later) */
} pg_db;

/* plan_cache_mode is a session setting, set only when the next statement
 * wants the other one; a rollback may undo a SET, so then it is unknown. */
enum { PLAN_UNKNOWN = -1, PLAN_AUTO = 0, PLAN_GENERIC = 1 };

static void quiet(void *arg, const char *msg)
{
    (void)arg, (void)msg; /* NOTICEs (e.g. "relation exists, skipping") are not errors */
}

static pin_err pg_connect(pin_store *s, pin_db **out)
{
    pg_db *db = pin_xcalloc(1, sizeof(*db));
    db->conn = PQconnectdb(s->url);
    if (PQstatus(db->conn) != CONNECTION_OK) {
        PIN_ERROR("postgres: cannot connect: %s", PQerrorMessage(db->conn));
        PQfinish(db->conn);
        free(db);
        return PIN_EUNAVAILABLE;
    }
    PQsetNoticeProcessor(db->conn, quiet, NULL);
    /* A lock wait is bounded like SQLite's busy timeout. */
    char set[128];
    snprintf(set, sizeof(set), "SET lock_timeout = %d; SET synchronous_commit = on",
             s->opts.busy_timeout_ms);
    PGresult *r = PQexec(db->conn, set);
    PQclear(r);
    db->plan = PLAN_AUTO;
    db->plan_mode = PQserverVersion(db->conn) >= 120000;
    *out = &db->base;
    return PIN_OK;
}

static void pg_disconnect(pin_db *base)
{
    pg_db *db = (pg_db *)base;
    PQfinish(db->conn);
    free(db);
}

static pin_err map_state(pg_db *db, PGresult *r)
{
    const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    if (PQstatus(db->conn) != CONNECTION_OK) return PIN_EUNAVAILABLE;
    if (!state) return PIN_EIO;
    if (!strcmp(state, "23505")) return PIN_ECONFLICT;      /* unique_violation */
    if (!strcmp(state, "23503")) return PIN_ENOTFOUND;      /* foreign key: gone meanwhile */
    if (!strcmp(state, "40001") || !strcmp(state, "40P01")) /* serialization, deadlock */
        return PIN_EBUSY;
    if (!strcmp(state, "55P03")) return PIN_EUNAVAILABLE; /* lock_not_available */
    if (!strcmp(state, "57014")) return PIN_EUNAVAILABLE; /* query_canceled (timeout) */
    if (!strcmp(state, "25006")) return PIN_EUNAVAILABLE; /* read_only_sql_transaction */
    if (!strcmp(state, "53100")) return PIN_ENOSPACE;     /* disk_full */
    if (!strncmp(state, "53", 2) || !strncmp(state, "57", 2) || !strncmp(state, "08", 2))
        return PIN_EUNAVAILABLE;
    if (!strncmp(state, "23", 2) || !strncmp(state, "22", 2)) return PIN_EINVAL;
    return PIN_EIO;
}

static void remember_error(pg_db *db, PGresult *r)
{
    snprintf(db->errmsg, sizeof(db->errmsg), "%s",
             r ? PQresultErrorMessage(r) : PQerrorMessage(db->conn));
    size_t n = strlen(db->errmsg);
    while (n && db->errmsg[n - 1] == '\n')
        db->errmsg[--n] = 0;
}

/* After a lost connection: reconnect and forget prepared statements. */
static bool revive(pg_db *db)
{
    if (PQstatus(db->conn) == CONNECTION_OK) return false;
    PQreset(db->conn);
    memset(db->cache, 0, sizeof(db->cache));
    db->plan = PLAN_UNKNOWN;
    if (PQstatus(db->conn) != CONNECTION_OK) return false;
    PIN_WARN("postgres: connection re-established");
    return true;
}

/* "?" -> "$n", leaving quoted text alone. */
static char *translate(const char *sql, int *nparams)
{
    size_t n = strlen(sql);
    char *out = pin_xmalloc(n * 4 + 1);
    char *o = out;
    int k = 0;
    char quote = 0;
    for (const char *p = sql; *p; p++) {
        if (quote) {
            if (*p == quote) quote = 0;
            *o++ = *p;
        } else if (*p == '\'' || *p == '"') {
            quote = *p;
            *o++ = *p;
        } else if (*p == '?') {
            o += sprintf(o, "$%d", ++k);
        } else {
            *o++ = *p;
        }
    }
    *o = 0;
    *nparams = k;
    return out;
}

static const char *prepare(pg_db *db, const char *sql, PGresult **err)
{
    uintptr_t h = (uintptr_t)sql;
    h ^= h >> 17;
    h *= 0x9E3779B97F4A7C15ull;
    for (unsigned i = 0, slot = (unsigned)(h >> 40); i < CACHE_SLOTS; i++, slot++) {
        slot &= CACHE_SLOTS - 1;
        if (db->cache[slot].sql == sql) return db->cache[slot].name;
        if (db->cache[slot].sql) continue;
        int nparams;
        char *text = translate(sql, &nparams);
        char name[16];
        snprintf(name, sizeof(name), "p%u", db->next_name++);
        PGresult *r = PQprepare(db->conn, name, text, nparams, NULL);
        free(text);
        if (PQresultStatus(r) != PGRES_COMMAND_OK) {
            *err = r;
            return NULL;
        }
        PQclear(r);
        db->cache[slot].sql = sql;
        memcpy(db->cache[slot].name, name, sizeof(name));
        return db->cache[slot].name;
    }
    PIN_ASSERT(!"statement cache full");
}

static pin_err simple(pg_db *db, const char *sql)
{
    PGresult *r = PQexec(db->conn, sql);
    pin_err err = PQresultStatus(r) == PGRES_COMMAND_OK ? PIN_OK : map_state(db, r);
    if (err) remember_error(db, r);
    PQclear(r);
    return err;
}

static PGresult *run(pg_db *db, const char *sql, const pin_val *v, int n, pin_err *err)
{
    char bufs[PIN_DB_MAX_BINDS][32];
    const char *vals[PIN_DB_MAX_BINDS];
    for (int i = 0; i < n; i++) {
        switch (v[i].type) {
        case 'i':
            snprintf(bufs[i], sizeof(bufs[i]), "%lld", (long long)v[i].i);
            vals[i] = bufs[i];
            break;
        case 'd':
            snprintf(bufs[i], sizeof(bufs[i]), "%.17g", v[i].d);
            vals[i] = bufs[i];
            break;
        case 's':
            vals[i] = v[i].s;
            break;
        default:
            vals[i] = NULL;
            break;
        }
    }
    int plan = strncmp(sql, PIN_DB_GENERIC, sizeof(PIN_DB_GENERIC) - 1) ? PLAN_AUTO : PLAN_GENERIC;
    if (db->plan_mode && plan != db->plan) {
        pin_err set = simple(db, plan == PLAN_GENERIC ? "SET plan_cache_mode = force_generic_plan"
                                                      : "SET plan_cache_mode = auto");
        db->plan = set ? PLAN_UNKNOWN : plan;
    }
    PGresult *perr = NULL;
    const char *name = prepare(db, sql, &perr);
    PGresult *r = perr;
    if (name) r = PQexecPrepared(db->conn, name, n, vals, NULL, NULL, 0);
    ExecStatusType st = PQresultStatus(r);
    if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) {
        *err = PIN_OK;
        return r;
    }
    *err = map_state(db, r);
    remember_error(db, r);
    if (*err != PIN_ECONFLICT && *err != PIN_EBUSY) PIN_ERROR("postgres: %s (%s)", db->errmsg, sql);
    PQclear(r);
    return NULL;
}

static void pg_query(pin_db *base, pin_q *q, const char *sql, const pin_val *v, int n)
{
    pg_db *db = (pg_db *)base;
    pin_err err;
    PGresult *r = run(db, sql, v, n, &err);
    if (!r && err == PIN_EUNAVAILABLE && revive(db)) {
        /* Outside a transaction nothing was lost: try once more. Inside,
         * the transaction is gone; the retry loop starts it again. */
        if (db->base.in_tx)
            err = PIN_EBUSY;
        else
            r = run(db, sql, v, n, &err);
    }
    if (!r) {
        q->err = err ? err : PIN_EIO;
        return;
    }
    q->impl = r;
    q->row = -1;
    q->nrows = PQntuples(r);
}

static bool pg_step(pin_q *q)
{
    if (q->row + 1 >= q->nrows) return false;
    q->row++;
    return true;
}

static int64_t pg_i64(pin_q *q, int col)
{
    PGresult *r = q->impl;
    if (PQgetisnull(r, q->row, col)) return 0;
    return strtoll(PQgetvalue(r, q->row, col), NULL, 10);
}

static double pg_double(pin_q *q, int col)
{
    PGresult *r = q->impl;
    if (PQgetisnull(r, q->row, col)) return 0;
    return strtod(PQgetvalue(r, q->row, col), NULL);
}

static const char *pg_text(pin_q *q, int col)
{
    PGresult *r = q->impl;
    return PQgetisnull(r, q->row, col) ? NULL : PQgetvalue(r, q->row, col);
}

static bool pg_null(pin_q *q, int col)
{
    return PQgetisnull(q->impl, q->row, col);
}

static int pg_columns(pin_q *q)
{
    return PQnfields(q->impl);
}

static pin_err pg_end(pin_q *q, int64_t *changes)
{
    PGresult *r = q->impl;
    if (changes) {
        const char *t = r ? PQcmdTuples(r) : "";
        *changes = *t ? strtoll(t, NULL, 10) : 0;
    }
    PQclear(r);
    q->impl = NULL;
    return q->err;
}

static pin_err pg_begin(pin_db *base, bool write)
{
    pg_db *db = (pg_db *)base;
    /* A budget goes with the BEGIN, in the same round trip; LOCAL ends it
     * with the transaction. */
    char with_budget[128];
    const char *sql = write ? "BEGIN ISOLATION LEVEL READ COMMITTED"
                            : "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";
    if (!write && db->budget_ms > 0) {
        snprintf(with_budget, sizeof(with_budget), "%s; SET LOCAL statement_timeout = %d", sql,
                 db->budget_ms);
        sql = with_budget;
    }
    pin_err err = simple(db, sql);
    if (err == PIN_EUNAVAILABLE && revive(db)) err = simple(db, sql);
    return err;
}

static void pg_budget(pin_db *base, int ms)
{
    ((pg_db *)base)->budget_ms = ms > 0 ? ms : 0;
}

static pin_err pg_commit(pin_db *base)
{
    pg_db *db = (pg_db *)base;
    PGresult *r = PQexec(db->conn, "COMMIT");
    pin_err err = PIN_OK;
    /* A COMMIT of a failed transaction answers ROLLBACK, not an error. */
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
        err = map_state(db, r);
    else if (strcmp(PQcmdStatus(r), "COMMIT") != 0)
        err = PIN_EBUSY;
    if (err) remember_error(db, r), db->plan = PLAN_UNKNOWN;
    PQclear(r);
    if (err == PIN_EUNAVAILABLE) {
        /* The connection died during COMMIT: we cannot know whether it
         * committed. Saying "unavailable" never acknowledges a lost write. */
        revive(db);
    }
    return err;
}

static void pg_rollback(pin_db *base)
{
    pg_db *db = (pg_db *)base;
    if (PQtransactionStatus(db->conn) != PQTRANS_IDLE) (void)simple(db, "ROLLBACK");
    db->plan = PLAN_UNKNOWN;
}

static pin_err pg_script(pin_db *base, const char *sql)
{
    pg_db *db = (pg_db *)base;
    PGresult *r = PQexec(db->conn, sql);
    ExecStatusType st = PQresultStatus(r);
    pin_err err = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK ? PIN_OK : map_state(db, r);
    if (err) {
        remember_error(db, r);
        PIN_ERROR("postgres: script failed: %s", db->errmsg);
    }
    PQclear(r);
    return err;
}

static const char *pg_errmsg(pin_db *base)
{
    return ((pg_db *)base)->errmsg;
}

const pin_db_ops pin_pg_ops = {
    .connect = pg_connect,
    .disconnect = pg_disconnect,
    .query = pg_query,
    .step = pg_step,
    .col_i64 = pg_i64,
    .col_double = pg_double,
    .col_text = pg_text,
    .col_null = pg_null,
    .columns = pg_columns,
    .end = pg_end,
    .begin = pg_begin,
    .commit = pg_commit,
    .rollback = pg_rollback,
    .script = pg_script,
    .errmsg = pg_errmsg,
    .budget = pg_budget,
};
