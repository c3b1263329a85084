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
#include "store/jobs.h"
#include "store/node.h"
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

/* An id list binds its values around other binds, padded with ids no row has. */
static void id_lists(void **state)
{
    pin_db *db;
    assert_int_equal(pin_store_db(*state, &db), PIN_OK);
    assert_int_equal(pin_db_script(db, "CREATE TABLE l (id BIGINT PRIMARY KEY, k BIGINT)"), PIN_OK);
    for (int64_t i = 1; i <= 50; i++)
        assert_int_equal(pin_db_exec(db, NULL, "INSERT INTO l VALUES (?, ?)", "ii", i, i % 2),
                         PIN_OK);
    int64_t want[45], list[PIN_DB_LIST];
    for (int i = 0; i < 45; i++)
        want[i] = 50 - i;
    assert_int_equal(pin_db_list(list, want, 45, 0), PIN_DB_LIST);
    assert_int_equal(list[0], 50);
    assert_int_equal(pin_db_list(list, want, 45, 40), 5);
    assert_int_equal(list[4], 6);
    assert_int_equal(list[5], 0);
    assert_int_equal(list[PIN_DB_LIST - 1], 0);
    /* The five left (10 down to 6), the odd ones of them: 9 and 7. */
    pin_q q;
    pin_db_query(
        db, &q, "SELECT id FROM l WHERE k = ? AND id IN " PIN_DB_LIST_SQL " AND id > ? ORDER BY id",
        "iLi", (int64_t)1, list, (int64_t)6);
    int64_t got[4];
    int n = 0;
    while (pin_q_step(&q) && n < 4)
        got[n++] = pin_q_i64(&q, 0);
    assert_int_equal(pin_q_end(&q), PIN_OK);
    assert_int_equal(n, 2);
    assert_int_equal(got[0], 7);
    assert_int_equal(got[1], 9);
}

static const char *plan_mode(pin_db *db, bool generic, pin_arena *a)
{
    pin_q q;
    if (generic)
        pin_db_query(db, &q, PIN_DB_GENERIC "SELECT current_setting('plan_cache_mode')", NULL);
    else
        pin_db_query(db, &q, "SELECT current_setting('plan_cache_mode')", NULL);
    const char *mode = pin_q_step(&q) ? pin_q_strdup(&q, 0, a) : "";
    assert_int_equal(pin_q_end(&q), PIN_OK);
    return mode;
}

static pin_err generic_then_fail(pin_db *db, void *ctx)
{
    assert_string_equal(plan_mode(db, true, ctx), "force_generic_plan");
    return PIN_EUNPROCESSABLE;
}

/* PostgreSQL plans a marked statement generically and the others for their
 * values, also after a rollback undid the setting. SQLite runs both. */
static void generic_plans(void **state)
{
    pin_db *db;
    assert_int_equal(pin_store_db(*state, &db), PIN_OK);
    int64_t one = 0;
    assert_int_equal(pin_db_i64(db, &one, PIN_DB_GENERIC "SELECT 1", NULL), PIN_OK);
    assert_int_equal(one, 1);
    if (pin_store_kind(*state) != PIN_DB_POSTGRES) return;
    pin_arena a = {0};
    assert_string_equal(plan_mode(db, false, &a), "auto");
    assert_string_equal(plan_mode(db, true, &a), "force_generic_plan");
    assert_string_equal(plan_mode(db, true, &a), "force_generic_plan");
    assert_string_equal(plan_mode(db, false, &a), "auto");
    /* The SET to generic happens inside a transaction that rolls back. */
    assert_int_equal(pin_db_tx(db, false, generic_then_fail, &a), PIN_EUNPROCESSABLE);
    assert_string_equal(plan_mode(db, true, &a), "force_generic_plan");
    assert_int_equal(pin_db_tx(db, false, generic_then_fail, &a), PIN_EUNPROCESSABLE);
    assert_string_equal(plan_mode(db, false, &a), "auto");
    pin_arena_clear(&a);
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

/* A read over its time budget stops with PIN_EUNAVAILABLE, and the
 * connection works again once the budget is lifted. */
static const char *const LONG_COUNT = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1"
                                      " FROM c WHERE x < 200000000) SELECT COUNT(*) FROM c";
static pin_err long_read(pin_db *db, void *ctx)
{
    return pin_db_i64(db, ctx, LONG_COUNT, NULL);
}

static void read_budget(void **state)
{
    pin_db *db;
    assert_int_equal(pin_store_db(*state, &db), PIN_OK);
    int64_t n = 0, t0 = pin_now_ms();
    pin_db_budget(db, 20);
    assert_int_equal(pin_db_tx(db, false, long_read, &n), PIN_EUNAVAILABLE);
    int64_t took = pin_now_ms() - t0;
    pin_db_budget(db, 0);
    assert_true(took < 5000); /* counting to 2e8 takes far longer than the budget */
    assert_false(pin_db_in_tx(db));
    assert_int_equal(pin_db_i64(db, &n, "SELECT 41 + 1", NULL), PIN_OK);
    assert_int_equal(n, 42);
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

/* ---- jobs ---- */

enum { NJOBS = 200, NCLAIMERS = 4 };
static int claimed[NJOBS];
static int spurious_empty; /* "nothing due" while more jobs were left than other claimers */
static pthread_mutex_t claimed_mu = PTHREAD_MUTEX_INITIALIZER;

static void jobs_reset(pin_db *db)
{
    assert_int_equal(pin_db_exec(db, NULL, "DELETE FROM jobs", NULL), PIN_OK);
}

static void *claimer(void *arg)
{
    char worker[32];
    snprintf(worker, sizeof(worker), "claimer-%d", (int)(intptr_t)arg);
    pin_db *db;
    if (pin_store_db(shared, &db)) return (void *)1;
    pin_arena a = {0};
    for (;;) {
        pin_job j;
        pin_err err = pin_job_claim(db, &a, worker, pin_now_ms(), 60000, &j);
        if (err == PIN_ENOTFOUND) {
            int64_t left = 0;
            if (pin_db_i64(db, &left, "SELECT COUNT(*) FROM jobs WHERE locked_by IS NULL", NULL))
                return (void *)1;
            if (left == 0) break;
            if (left < NCLAIMERS) continue; /* the others may be holding every one of them */
            pthread_mutex_lock(&claimed_mu);
            spurious_empty++;
            pthread_mutex_unlock(&claimed_mu);
            continue;
        }
        if (err) return (void *)1;
        int i = atoi(j.payload);
        pthread_mutex_lock(&claimed_mu);
        claimed[i]++;
        pthread_mutex_unlock(&claimed_mu);
        if (pin_job_done(db, &j, worker, 0)) return (void *)1;
        pin_arena_clear(&a);
    }
    pin_arena_clear(&a);
    return NULL;
}

static pin_err enqueue_all(pin_db *db, void *ctx)
{
    (void)ctx;
    pin_err err = PIN_OK;
    for (int i = 0; !err && i < NJOBS; i++) {
        char payload[16];
        snprintf(payload, sizeof(payload), "%d", i);
        err = pin_job_enqueue(db, "test", payload, 0);
    }
    return err;
}

/* Several claimers at once, each with its own connection: every job is run
 * exactly once, and no claimer is told "nothing due" while unclaimed jobs
 * remain (on PostgreSQL that is what SKIP LOCKED buys: a plain FOR UPDATE
 * queues behind the first claimer and then finds its row taken). */
static void jobs_claimed_once_by_concurrent_claimers(void **state)
{
    shared = *state;
    pin_db *db;
    assert_int_equal(pin_store_db(shared, &db), PIN_OK);
    jobs_reset(db);
    assert_int_equal(pin_db_tx(db, true, enqueue_all, NULL), PIN_OK);
    memset(claimed, 0, sizeof(claimed));
    spurious_empty = 0;
    pthread_t th[NCLAIMERS];
    for (int i = 0; i < NCLAIMERS; i++)
        pthread_create(&th[i], NULL, claimer, (void *)(intptr_t)i);
    for (int i = 0; i < NCLAIMERS; i++) {
        void *rv;
        pthread_join(th[i], &rv);
        assert_null(rv);
    }
    for (int i = 0; i < NJOBS; i++)
        assert_int_equal(claimed[i], 1);
    assert_int_equal(spurious_empty, 0);
    int64_t left;
    assert_int_equal(pin_db_i64(db, &left, "SELECT COUNT(*) FROM jobs", NULL), PIN_OK);
    assert_int_equal(left, 0);
}

/* PostgreSQL: while another transaction holds the oldest due job's row
 * lock, a claim takes the next job at once instead of waiting for it. */
static volatile int holding;
static pin_err hold_first(pin_db *db, void *ctx)
{
    (void)ctx;
    int64_t id;
    pin_err err =
        pin_db_i64(db, &id, "SELECT id FROM jobs ORDER BY run_at, id LIMIT 1 FOR UPDATE", NULL);
    if (err) return err;
    holding = 1;
    usleep(1500 * 1000);
    return PIN_OK;
}
static void *holder(void *arg)
{
    (void)arg;
    pin_db *db;
    if (pin_store_db(shared, &db)) return (void *)1;
    return pin_db_tx(db, true, hold_first, NULL) ? (void *)1 : NULL;
}

static void jobs_claim_skips_a_held_row(void **state)
{
    shared = *state;
    if (pin_store_kind(shared) != PIN_DB_POSTGRES) skip();
    pin_db *db;
    assert_int_equal(pin_store_db(shared, &db), PIN_OK);
    jobs_reset(db);
    assert_int_equal(pin_job_enqueue(db, "first", "", 1000), PIN_OK);
    assert_int_equal(pin_job_enqueue(db, "second", "", 2000), PIN_OK);
    holding = 0;
    pthread_t th;
    pthread_create(&th, NULL, holder, NULL);
    while (!holding)
        usleep(1000);
    pin_arena a = {0};
    pin_job j;
    int64_t t0 = pin_now_ms();
    assert_int_equal(pin_job_claim(db, &a, "W", 5000, 60000, &j), PIN_OK);
    int64_t waited = pin_now_ms() - t0;
    assert_string_equal(j.kind, "second");
    assert_true(waited < 1000);
    void *rv;
    pthread_join(th, &rv);
    assert_null(rv);
    pin_arena_clear(&a);
}

/* A claimer that dies keeps its job only until its lease runs out. */
static void jobs_lease_runs_out(void **state)
{
    pin_db *db;
    assert_int_equal(pin_store_db(*state, &db), PIN_OK);
    jobs_reset(db);
    pin_arena a = {0};
    int64_t t = 1000000;
    assert_int_equal(pin_job_enqueue(db, "once", "x", t), PIN_OK);
    pin_job j1, j2;
    assert_int_equal(pin_job_claim(db, &a, "A", t - 1, 100, &j1), PIN_ENOTFOUND); /* not due */
    assert_int_equal(pin_job_claim(db, &a, "A", t, 100, &j1), PIN_OK);
    assert_string_equal(j1.kind, "once");
    assert_string_equal(j1.payload, "x");
    assert_int_equal(j1.attempts, 1);
    assert_false(j1.periodic);
    assert_int_equal(pin_job_claim(db, &a, "B", t + 50, 100, &j2), PIN_ENOTFOUND); /* held */
    assert_int_equal(pin_job_claim(db, &a, "B", t + 100, 100, &j2), PIN_OK);       /* ran out */
    assert_int_equal(j2.id, j1.id);
    assert_int_equal(j2.attempts, 2);
    assert_int_equal(pin_job_done(db, &j1, "A", 0), PIN_ENOTFOUND); /* A lost it */
    assert_int_equal(pin_job_done(db, &j2, "B", 0), PIN_OK);
    assert_int_equal(pin_job_claim(db, &a, "C", t + 10000, 100, &j2), PIN_ENOTFOUND);
    pin_arena_clear(&a);
}

/* Failures back off, doubling, and the last one marks the job failed. */
static void jobs_fail_backs_off_then_gives_up(void **state)
{
    pin_db *db;
    assert_int_equal(pin_store_db(*state, &db), PIN_OK);
    jobs_reset(db);
    pin_arena a = {0};
    int64_t t = 1000000, delay = 0;
    assert_int_equal(pin_job_enqueue(db, "flaky", "", t), PIN_OK);
    for (int n = 1; n <= PIN_JOB_MAX_TRIES; n++) {
        pin_job j;
        assert_int_equal(pin_job_claim(db, &a, "W", t, 60000, &j), PIN_OK);
        assert_int_equal(j.attempts, n);
        assert_int_equal(pin_job_fail(db, &j, "W", t, "disk on fire"), PIN_OK);
        if (n == PIN_JOB_MAX_TRIES) break;
        int64_t next;
        assert_int_equal(pin_db_i64(db, &next, "SELECT run_at FROM jobs", NULL), PIN_OK);
        assert_true(next - t > delay); /* grows */
        delay = next - t;
        assert_int_equal(pin_job_claim(db, &a, "W", next - 1, 60000, &j), PIN_ENOTFOUND);
        t = next;
    }
    pin_job j;
    assert_int_equal(pin_job_claim(db, &a, "W", INT64_MAX / 2, 60000, &j), PIN_ENOTFOUND);
    pin_q q;
    pin_db_query(db, &q, "SELECT failed_at, last_error FROM jobs", NULL);
    assert_true(pin_q_step(&q));
    assert_int_equal(pin_q_i64(&q, 0), t);
    assert_string_equal(pin_q_text(&q, 1), "disk on fire");
    assert_int_equal(pin_q_end(&q), PIN_OK);
    pin_arena_clear(&a);
}

/* A periodic job is one row per kind that moves to its next run. */
static void jobs_periodic(void **state)
{
    pin_db *db;
    assert_int_equal(pin_store_db(*state, &db), PIN_OK);
    jobs_reset(db);
    pin_arena a = {0};
    int64_t t = 1000000, n;
    assert_int_equal(pin_job_schedule(db, "sweep", t), PIN_OK);
    assert_int_equal(pin_job_schedule(db, "sweep", t + 5), PIN_OK);
    assert_int_equal(pin_db_i64(db, &n, "SELECT COUNT(*) FROM jobs", NULL), PIN_OK);
    assert_int_equal(n, 1);
    pin_job j;
    assert_int_equal(pin_job_claim(db, &a, "W", t, 60000, &j), PIN_OK);
    assert_true(j.periodic);
    assert_string_equal(j.kind, "sweep");
    assert_int_equal(pin_job_done(db, &j, "W", t + 1000), PIN_OK);
    assert_int_equal(pin_job_claim(db, &a, "W", t + 999, 60000, &j), PIN_ENOTFOUND);
    assert_int_equal(pin_job_claim(db, &a, "W", t + 1000, 60000, &j), PIN_OK);
    assert_int_equal(j.attempts, 1);
    assert_int_equal(pin_db_i64(db, &n, "SELECT COUNT(*) FROM jobs", NULL), PIN_OK);
    assert_int_equal(n, 1);
    pin_arena_clear(&a);
}

/* Node numbers: each holder gets its own; a full table refuses; a lease
 * that ran out is taken over, and its old holder learns it on renewal. */
static void nodes_leased(void **state)
{
    pin_db *db;
    assert_int_equal(pin_store_db(*state, &db), PIN_OK);
    assert_int_equal(pin_db_exec(db, NULL, "UPDATE nodes SET owner = NULL, expires_at = 0", NULL),
                     PIN_OK);
    int64_t t = 1000000;
    int seen[PIN_NODES] = {0}, node;
    for (int i = 0; i < PIN_NODES; i++) {
        char owner[16];
        snprintf(owner, sizeof(owner), "p%d", i);
        assert_int_equal(pin_node_claim(db, owner, t, 1000, &node), PIN_OK);
        assert_true(node >= 0 && node < PIN_NODES);
        assert_int_equal(seen[node]++, 0);
    }
    assert_int_equal(pin_node_claim(db, "late", t, 1000, &node), PIN_EUNAVAILABLE);
    assert_int_equal(pin_node_renew(db, 5, "p5", t + 500, 1000), PIN_OK); /* p5 until t+1500 */
    assert_int_equal(pin_node_claim(db, "late", t + 1200, 1000, &node), PIN_OK);
    assert_int_equal(node, 0); /* the lowest whose lease ran out: p0's */
    assert_int_equal(pin_node_renew(db, 0, "p0", t + 1300, 1000), PIN_ENOTFOUND);
    assert_int_equal(pin_node_renew(db, node, "late", t + 1300, 1000), PIN_OK);
    assert_int_equal(pin_node_release(db, 5, "p5"), PIN_OK);
    int again;
    assert_int_equal(pin_node_claim(db, "next", t + 600, 1000, &again), PIN_OK);
    assert_int_equal(again, 5); /* released: free before the others' leases end */
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
        cmocka_unit_test(id_lists),
        cmocka_unit_test(generic_plans),
        cmocka_unit_test(tx_rollback_and_retry),
        cmocka_unit_test(read_budget),
        cmocka_unit_test(threads_each_get_a_connection),
        cmocka_unit_test(jobs_claimed_once_by_concurrent_claimers),
        cmocka_unit_test(jobs_claim_skips_a_held_row),
        cmocka_unit_test(jobs_lease_runs_out),
        cmocka_unit_test(jobs_fail_backs_off_then_gives_up),
        cmocka_unit_test(jobs_periodic),
        cmocka_unit_test(nodes_leased),
        cmocka_unit_test(bad_urls),
    };
    return cmocka_run_group_tests_name("store", tests, setup, teardown);
}
