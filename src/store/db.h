/* The database: one small interface over SQLite and PostgreSQL.
 *
 * A pin_store is shared by every thread; each thread gets its own connection
 * from pin_store_db(), opened on first use and closed when the thread ends or
 * the store closes. A pin_db is therefore never shared between threads.
 *
 * SQL is written once with `?` placeholders in the subset both engines accept;
 * backends translate placeholders and cache prepared statements per
 * connection, keyed by the SQL text's address: pass string literals (or
 * strings that live as long as the store), never SQL built at run time from
 * input. Values only ever travel as typed binds.
 *
 * Binds are described by a type string, one letter a value:
 *   'i' int64_t   'b' bool (int)   's' const char * (NULL binds SQL NULL)
 *   'n' SQL NULL (consumes no argument)   'd' double
 *   'I' int64_t where 0 binds SQL NULL (optional references)
 *   'L' const int64_t * to PIN_DB_LIST values, written in the SQL as
 *       PIN_DB_LIST_SQL: an `IN` list of ids (see pin_db_list)
 */
#ifndef PIN_STORE_DB_H
#define PIN_STORE_DB_H

#include <stdbool.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/err.h"

typedef struct pin_store pin_store;

/* Id lists for `col IN PIN_DB_LIST_SQL`: one statement shape for any length
 * up to PIN_DB_LIST, so it is prepared once. */
enum { PIN_DB_LIST = 40 };
#define PIN_DB_LIST_SQL_10_ "?,?,?,?,?,?,?,?,?,?"
#define PIN_DB_LIST_SQL                                                                            \
    "(" PIN_DB_LIST_SQL_10_ "," PIN_DB_LIST_SQL_10_ "," PIN_DB_LIST_SQL_10_                        \
    "," PIN_DB_LIST_SQL_10_ ")"
/* SQL that starts with PIN_DB_GENERIC is planned once for any binds on
 * PostgreSQL (a generic plan; others are planned for their values, which
 * for a timeline's query cost more than running it). Use it where the best
 * plan does not depend on the values: no `? = 0 OR ...` switches. SQLite
 * sees a comment. */
#define PIN_DB_GENERIC "/* generic plan */ "
/* Copies ids[off..] (at most PIN_DB_LIST of the n) into `out` and pads the
 * rest with 0, which is no row's id. Returns how many it copied. */
int pin_db_list(int64_t out[PIN_DB_LIST], const int64_t *ids, int n, int off);
typedef struct pin_db pin_db;

typedef enum pin_db_kind { PIN_DB_SQLITE, PIN_DB_POSTGRES } pin_db_kind;

typedef struct pin_store_opts {
    int busy_timeout_ms; /* how long a writer waits for the lock before 503 (default 5000) */
} pin_store_opts;

/* Opens a store for `url`: "sqlite:PATH", a plain path (SQLite), or
 * "postgres://..." / "postgresql://...". Checks that a first connection can
 * be made. PIN_EINVAL for an unknown scheme, PIN_EUNAVAILABLE if the
 * database cannot be reached. Caller frees with pin_store_close(). */
pin_err pin_store_open(const char *url, const pin_store_opts *opts, pin_store **out) PIN_WUR;
/* Closes every connection this store opened. No thread may use it after. */
void pin_store_close(pin_store *s);
pin_db_kind pin_store_kind(const pin_store *s);

/* This thread's connection (opened if needed). PIN_EUNAVAILABLE if the
 * database cannot be reached now; the next call tries again. */
pin_err pin_store_db(pin_store *s, pin_db **out) PIN_WUR;
pin_db_kind pin_db_kind_of(const pin_db *db);

/* A running query. Embed it on the stack; always finish with pin_q_end(). */
typedef struct pin_q {
    pin_db *db;
    void *impl; /* backend statement or result */
    int row;    /* postgres: current row index */
    int nrows;
    pin_err err; /* first error seen */
} pin_q;

/* Starts a query. Errors are kept in q->err and reported by pin_q_end(), so
 * the usual loop is:
 *     pin_q q;
 *     pin_db_query(db, &q, "SELECT a FROM t WHERE id = ?", "i", id);
 *     while (pin_q_step(&q)) use(pin_q_i64(&q, 0));
 *     err = pin_q_end(&q);
 */
void pin_db_query(pin_db *db, pin_q *q, const char *sql, const char *types, ...);
/* Advances to the next row; false at the end or on error. */
bool pin_q_step(pin_q *q);
/* Column accessors for the current row. Text is borrowed until the next step;
 * NULL columns give 0 / NULL. */
int64_t pin_q_i64(pin_q *q, int col);
double pin_q_double(pin_q *q, int col);
const char *pin_q_text(pin_q *q, int col);
bool pin_q_null(pin_q *q, int col);
/* How many columns the query returns (0 before the first step). */
int pin_q_columns(pin_q *q);
/* Text copied into `a`; NULL for SQL NULL. */
char *pin_q_strdup(pin_q *q, int col, pin_arena *a);
/* Releases the statement; returns the first error of the query. */
pin_err pin_q_end(pin_q *q);

/* Runs a statement that returns no rows. `changes` (may be NULL) receives the
 * number of rows it changed. PIN_ECONFLICT on a unique-constraint violation. */
pin_err pin_db_exec(pin_db *db, int64_t *changes, const char *sql, const char *types, ...) PIN_WUR;
/* Runs a query expected to return at most one row with one integer column.
 * PIN_ENOTFOUND when there is no row. */
pin_err pin_db_i64(pin_db *db, int64_t *out, const char *sql, const char *types, ...) PIN_WUR;

/* Runs `fn` inside one transaction and commits. Write transactions
 * (`write` true) take the write lock up front. If fn or the commit fails
 * with PIN_EBUSY (lock conflict, serialization failure, deadlock), the whole
 * transaction is rolled back and retried with backoff a bounded number of
 * times, so fn must have no effect outside the database. Any other error
 * rolls back and is returned. A lock that stays busy past the store's busy
 * timeout gives PIN_EUNAVAILABLE. A read transaction started inside another
 * transaction joins it; a write transaction must not nest (asserted). */
typedef pin_err (*pin_tx_fn)(pin_db *db, void *ctx);
pin_err pin_db_tx(pin_db *db, bool write, pin_tx_fn fn, void *ctx) PIN_WUR;
bool pin_db_in_tx(const pin_db *db);
/* A time budget for the reads that run next on this connection: on SQLite
 * a statement still running `ms` milliseconds from now, on PostgreSQL a
 * statement of a read transaction begun meanwhile that runs longer than
 * `ms`, stops with PIN_EUNAVAILABLE. 0 lifts it. For the reads of one
 * request, so that no query can hold an HTTP thread for long. */
void pin_db_budget(pin_db *db, int ms);

/* Runs a statement with `n` text values (NULL entries bind SQL NULL): for
 * tools that copy rows of any table (migrate-db). The SQL must live until
 * the store is closed (statements are cached by its address). */
pin_err pin_db_exec_texts(pin_db *db, const char *sql, const char *const *values, int n) PIN_WUR;

/* Runs a script of several statements with no binds (migrations only). */
pin_err pin_db_script(pin_db *db, const char *sql) PIN_WUR;

/* The last error message from the engine, for logs only (never to clients). */
const char *pin_db_errmsg(pin_db *db);

#endif
