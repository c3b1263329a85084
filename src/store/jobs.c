/* Background jobs. See jobs.h. */
#include "store/jobs.h"

#include "core/id.h"

pin_err pin_job_enqueue(pin_db *db, const char *kind, const char *payload, int64_t run_at)
{
    return pin_db_exec(db, NULL,
                       "INSERT INTO jobs (id, kind, payload, run_at, created_at) VALUES"
                       " (?, ?, ?, ?, ?)",
                       "issii", pin_id_new(), kind, payload ? payload : "", run_at, pin_now_ms());
}

pin_err pin_job_schedule(pin_db *db, const char *kind, int64_t run_at)
{
    return pin_db_exec(db, NULL,
                       "INSERT INTO jobs (id, kind, periodic_key, payload, run_at, created_at)"
                       " VALUES (?, ?, ?, '', ?, ?) ON CONFLICT (periodic_key) DO NOTHING",
                       "issii", pin_id_new(), kind, kind, run_at, pin_now_ms());
}

/* The oldest due row nobody holds. SQLite runs one writer at a time, so the
 * claim is already exclusive there; PostgreSQL locks the row it picks and
 * skips rows other claimers hold, instead of queueing behind them (and then
 * finding the row taken). */
#define CLAIM(lock)                                                                                \
    "UPDATE jobs SET locked_by = ?, locked_until = ?, attempts = attempts + 1 WHERE id = (SELECT"  \
    " id FROM jobs WHERE run_at <= ? AND locked_until <= ? AND failed_at IS NULL ORDER BY run_at," \
    " id LIMIT 1" lock ") RETURNING id, kind, payload, attempts, CASE WHEN periodic_key IS NULL"   \
    " THEN 0 ELSE 1 END"

typedef struct claim_tx {
    pin_arena *a;
    const char *worker;
    int64_t now, lease_ms;
    pin_job *out;
    bool found;
} claim_tx;

static pin_err claim_body(pin_db *db, void *p)
{
    claim_tx *t = p;
    pin_q q;
    pin_db_query(db, &q,
                 pin_db_kind_of(db) == PIN_DB_POSTGRES ? CLAIM(" FOR UPDATE SKIP LOCKED")
                                                       : CLAIM(""),
                 "siii", t->worker, t->now + t->lease_ms, t->now, t->now);
    t->found = pin_q_step(&q);
    if (t->found)
        *t->out = (pin_job){.id = pin_q_i64(&q, 0),
                            .kind = pin_q_strdup(&q, 1, t->a),
                            .payload = pin_q_strdup(&q, 2, t->a),
                            .attempts = (int)pin_q_i64(&q, 3),
                            .periodic = pin_q_i64(&q, 4) != 0};
    return pin_q_end(&q);
}

pin_err pin_job_claim(pin_db *db, pin_arena *a, const char *worker, int64_t now, int64_t lease_ms,
                      pin_job *out)
{
    claim_tx t = {a, worker, now, lease_ms, out, false};
    pin_err err = pin_db_tx(db, true, claim_body, &t);
    return err ? err : t.found ? PIN_OK : PIN_ENOTFOUND;
}

pin_err pin_job_done(pin_db *db, const pin_job *job, const char *worker, int64_t next_run)
{
    int64_t changed = 0;
    pin_err err =
        job->periodic
            ? pin_db_exec(db, &changed,
                          "UPDATE jobs SET run_at = ?, locked_by = NULL, locked_until = 0,"
                          " attempts = 0, last_error = NULL WHERE id = ? AND locked_by = ?",
                          "iis", next_run, job->id, worker)
            : pin_db_exec(db, &changed, "DELETE FROM jobs WHERE id = ? AND locked_by = ?", "is",
                          job->id, worker);
    return err ? err : changed ? PIN_OK : PIN_ENOTFOUND;
}

pin_err pin_job_fail(pin_db *db, const pin_job *job, const char *worker, int64_t now,
                     const char *error)
{
    int64_t delay = 1000LL << (job->attempts < 12 ? job->attempts : 12);
    if (delay > 3600000) delay = 3600000;
    int64_t changed = 0;
    pin_err err = pin_db_exec(
        db, &changed,
        "UPDATE jobs SET run_at = ?, locked_by = NULL, locked_until = 0, last_error = ?,"
        " failed_at = CASE WHEN attempts >= ? THEN CAST(? AS BIGINT) ELSE NULL END WHERE id = ? AND locked_by = ?",
        "isiiis", now + delay, error ? error : "", (int64_t)PIN_JOB_MAX_TRIES, now, job->id,
        worker);
    return err ? err : changed ? PIN_OK : PIN_ENOTFOUND;
}
