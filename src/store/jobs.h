/* Background jobs: rows of the `jobs` table that any number of server
 * processes share.
 *
 * A job is claimed in one short transaction that takes the oldest due row
 * nobody holds (on PostgreSQL with FOR UPDATE SKIP LOCKED, so concurrent
 * claimers each get a different row without waiting for each other) and
 * leases it to the claimer until a deadline. The work runs outside that
 * transaction; finishing deletes the row (a one-off job) or moves it to its
 * next run (a periodic one). A claimer that dies mid-job (kill -9) just lets
 * its lease run out, and the job is claimed again: jobs must be idempotent.
 * A job that fails is retried with a growing delay; after PIN_JOB_MAX_TRIES
 * attempts it is kept, marked failed with its last error, and never run
 * again (for an operator to read).
 *
 * Times are milliseconds since the epoch, passed in by the caller.
 */
#ifndef PIN_STORE_JOBS_H
#define PIN_STORE_JOBS_H

#include "core/arena.h"
#include "store/db.h"

enum { PIN_JOB_MAX_TRIES = 8 };

typedef struct pin_job {
    int64_t id;
    const char *kind;    /* what to do, e.g. "media-sweep" */
    const char *payload; /* its argument ("" for none) */
    int attempts;        /* including this one */
    bool periodic;       /* one row per kind that is never deleted */
} pin_job;

/* Queues a one-off job to run from `run_at`. */
pin_err pin_job_enqueue(pin_db *db, const char *kind, const char *payload, int64_t run_at) PIN_WUR;
/* Makes sure the periodic job `kind` exists; the first run is at `run_at`.
 * An existing one is left as it is. */
pin_err pin_job_schedule(pin_db *db, const char *kind, int64_t run_at) PIN_WUR;
/* Claims a due job for `worker` until now + lease_ms. PIN_ENOTFOUND when no
 * job is due or every due one is held. Strings live in `a`. */
pin_err pin_job_claim(pin_db *db, pin_arena *a, const char *worker, int64_t now, int64_t lease_ms,
                      pin_job *out) PIN_WUR;
/* The job succeeded: a one-off job is deleted, a periodic one runs next at
 * `next_run` with its attempts reset. PIN_ENOTFOUND if `worker`'s lease was
 * lost (it ran out and someone else claimed the job). */
pin_err pin_job_done(pin_db *db, const pin_job *job, const char *worker, int64_t next_run) PIN_WUR;
/* The job failed with `error`: it runs again after a delay that doubles per
 * attempt (2 s, 4 s, ... up to an hour), or is marked failed after the last
 * attempt. */
pin_err pin_job_fail(pin_db *db, const pin_job *job, const char *worker, int64_t now,
                     const char *error) PIN_WUR;

#endif
