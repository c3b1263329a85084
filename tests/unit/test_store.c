/* Unit tests for store/ on SQLite: binds, errors, transactions, migrations. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/id.h"
#include "store/db.h"
#include "store/migrate.h"

static char path[256];

/* PINHOLE_TEST_STORE=postgres://... runs the same tests on PostgreSQL
 * (its public schema is emptied first). */
static int setup(void **state)
{
    const char *url = getenv("PINHOLE_TEST_STORE");
    snprintf(path, sizeof(path), "/tmp/pinhole-test-store-%d.db", (int)getpid());
    unlink(path);
    pin_store *s;
    if (pin_store_open(url ? url : path, NULL, &s)) return -1;
    if (url) {
        pin_db *db;
        if (pin_store_db(s, &db) ||
            pin_db_script(db, "DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
            return -1;
    }
    *state = s;
    return 0;
}

static int teardown(void **state)
{
    pin_store_close(*state);
    char p[300];
    unlink(path);
    snprintf(p, sizeof(p), "%s-wal", path);
    unlink(p);
    snprintf(p, sizeof(p), "%s-shm", path);
    unlink(p);
    return 0;
}

static void migrate_twice(void **state)
{
    pin_store *s = *state;
    int applied = -1, version = -1;
    assert_int_equal(pin_migrate(s, &applied, &version), PIN_OK);
    assert_int_equal(applied, pin_migrate_latest());
    assert_int_equal(version, pin_migrate_latest());
    assert_int_equal(pin_migrate(s, &applied, &version), PIN_OK);
    assert_int_equal(applied, 0);
}

static void binds_and_rows(void **state)
{
    pin_db *db;
    assert_int_equal(pin_store_db(*state, &db), PIN_OK);
    assert_int_equal(
        pin_db_script(db, "CREATE TABLE t (id BIGINT PRIMARY KEY, s TEXT, r REAL, n BIGINT)"),
        PIN_OK);
    int64_t changes = 0;
    assert_int_equal(pin_db_exec(db, &changes, "INSERT INTO t VALUES (?, ?, ?, ?)", "isdI",
                                 (int64_t)1, "it's; DROP TABLE t; --", 2.5, (int64_t)0),
                     PIN_OK);
    assert_int_equal(changes, 1);
    assert_int_equal(pin_db_exec(db, NULL, "INSERT INTO t VALUES (?, ?, ?, ?)", "isdI", (int64_t)1,
                                 "dup", 0.0, (int64_t)5),
                     PIN_ECONFLICT);
    pin_q q;
    pin_db_query(db, &q, "SELECT id, s, r, n FROM t WHERE id = ?", "i", (int64_t)1);
    assert_true(pin_q_step(&q));
    assert_string_equal(pin_q_text(&q, 1), "it's; DROP TABLE t; --");
    assert_true(pin_q_double(&q, 2) == 2.5);
    assert_true(pin_q_null(&q, 3));
    assert_false(pin_q_step(&q));
    assert_int_equal(pin_q_end(&q), PIN_OK);
    int64_t v;
    assert_int_equal(pin_db_i64(db, &v, "SELECT id FROM t WHERE id = ?", "i", (int64_t)9),
                     PIN_ENOTFOUND);
    assert_int_equal(pin_db_i64(db, &v, "SELECT COUNT(*) FROM t", NULL), PIN_OK);
    assert_int_equal(v, 1);
}

static pin_err fail_after_insert(pin_db *db, void *ctx)
{
    (void)ctx;
    pin_err err =
        pin_db_exec(db, NULL, "INSERT INTO t (id, s) VALUES (?, ?)", "is", (int64_t)2, "x");
    return err ? err : PIN_EUNPROCESSABLE;
}

static int busy_calls;
static pin_err busy_once(pin_db *db, void *ctx)
{
    (void)ctx;
    pin_err err =
        pin_db_exec(db, NULL, "INSERT INTO t (id, s) VALUES (?, ?)", "is", (int64_t)3, "y");
    if (err) return err;
    return busy_calls++ == 0 ? PIN_EBUSY : PIN_OK;
}

static void tx_rollback_and_retry(void **state)
{
    pin_db *db;
    assert_int_equal(pin_store_db(*state, &db), PIN_OK);
    assert_int_equal(pin_db_tx(db, true, fail_after_insert, NULL), PIN_EUNPROCESSABLE);
    int64_t v;
    assert_int_equal(pin_db_i64(db, &v, "SELECT COUNT(*) FROM t WHERE id = 2", NULL), PIN_OK);
    assert_int_equal(v, 0); /* rolled back */
    assert_int_equal(pin_db_tx(db, true, busy_once, NULL), PIN_OK);
    assert_int_equal(busy_calls, 2);
    assert_int_equal(pin_db_i64(db, &v, "SELECT COUNT(*) FROM t WHERE id = 3", NULL), PIN_OK);
    assert_int_equal(v, 1); /* the retry committed once */
}

/* Concurrent writers from several threads, each with its own connection:
 * every increment lands exactly once. */
static pin_store *shared;
static pin_err incr(pin_db *db, void *ctx)
{
    (void)ctx;
    return pin_db_exec(db, NULL, "UPDATE t SET n = COALESCE(n, 0) + 1 WHERE id = 1", NULL);
}
static void *writer(void *arg)
{
    (void)arg;
    pin_db *db;
    if (pin_store_db(shared, &db)) return (void *)1;
    for (int i = 0; i < 200; i++) {
        if (pin_db_tx(db, true, incr, NULL)) return (void *)1;
    }
    return NULL;
}

static void threads_each_get_a_connection(void **state)
{
    shared = *state;
    pthread_t th[4];
    for (int i = 0; i < 4; i++)
        pthread_create(&th[i], NULL, writer, NULL);
    for (int i = 0; i < 4; i++) {
        void *rv;
        pthread_join(th[i], &rv);
        assert_null(rv);
    }
    pin_db *db;
    assert_int_equal(pin_store_db(shared, &db), PIN_OK);
    int64_t v;
    assert_int_equal(pin_db_i64(db, &v, "SELECT n FROM t WHERE id = 1", NULL), PIN_OK);
    assert_int_equal(v, 800);
}

static void bad_urls(void **state)
{
    (void)state;
    pin_store *s;
    assert_int_equal(pin_store_open("", NULL, &s), PIN_EINVAL);
    assert_int_equal(pin_store_open("mysql://x", NULL, &s), PIN_EINVAL);
    assert_int_equal(pin_store_open("/nonexistent-dir/x/y.db", NULL, &s), PIN_EUNAVAILABLE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(migrate_twice),
        cmocka_unit_test(binds_and_rows),
        cmocka_unit_test(tx_rollback_and_retry),
        cmocka_unit_test(threads_each_get_a_connection),
        cmocka_unit_test(bad_urls),
    };
    return cmocka_run_group_tests_name("store", tests, setup, teardown);
}
