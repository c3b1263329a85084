/* Housekeeping jobs. See housekeeping.h. */
#include "service/housekeeping.h"

#include <string.h>

#include "core/log.h"
#include "media/blob.h"
#include "service/media.h"
#include "service/ratelimit.h"
#include "store/jobs.h"

/* A sweep takes seconds; a lease this long only matters when its process
 * died, and then another takes over after it. */
enum { LEASE_MS = 5 * 60 * 1000 };

static const char *const periodic[] = {"ratelimit-sweep", "media-sweep"};

pin_err pin_housekeeping_schedule(pin_svc *svc)
{
    pin_db *db;
    pin_err err = pin_svc_db(svc, &db);
    for (size_t i = 0; !err && i < sizeof(periodic) / sizeof(periodic[0]); i++)
        err = pin_job_schedule(db, periodic[i], pin_now_ms());
    return err;
}

static pin_err run_job(pin_svc *svc, const pin_job *job)
{
    const pin_config *cfg = svc->cfg;
    if (!strcmp(job->kind, "ratelimit-sweep")) return pin_ratelimit_sweep(svc);
    if (!strcmp(job->kind, "media-sweep")) {
        int media = 0, blobs = 0;
        pin_err err = pin_media_sweep(svc, cfg->upload_max_age_s * 1000LL,
                                      cfg->blob_grace_s * 1000LL, &media, &blobs);
        if (!err && (media || blobs))
            PIN_INFO("swept %d unused uploads and %d unreferenced blobs", media, blobs);
        return err;
    }
    return PIN_EINVAL; /* a kind this version does not know: left for one that does */
}

pin_err pin_housekeeping_run(pin_svc *svc, const char *worker, int *ran)
{
    *ran = 0;
    int uploads = 0;
    /* At least a minute: a live upload is never idle that long. */
    int64_t idle = svc->cfg->blob_grace_s > 60 ? svc->cfg->blob_grace_s * 1000LL : 60000;
    if (pin_upload_sweep(svc->upload_dir, idle, &uploads))
        PIN_WARN("upload folder sweep failed");
    else if (uploads)
        PIN_INFO("removed %d uploads cut off by a crash or a closed connection", uploads);
    pin_db *db;
    pin_err err = pin_svc_db(svc, &db);
    pin_arena a = {0};
    while (!err) {
        pin_job job;
        int64_t now = pin_now_ms();
        err = pin_job_claim(db, &a, worker, now, LEASE_MS, &job);
        if (err) break;
        pin_err jerr = run_job(svc, &job);
        if (jerr) {
            PIN_WARN("job %s (%lld, attempt %d) failed: %s", job.kind, (long long)job.id,
                     job.attempts, pin_err_name(jerr));
            err = pin_job_fail(db, &job, worker, pin_now_ms(), pin_err_name(jerr));
        } else {
            err = pin_job_done(db, &job, worker, now + svc->cfg->housekeeping_s * 1000LL);
            (*ran)++;
        }
        if (err == PIN_ENOTFOUND) err = PIN_OK; /* our lease ran out: someone else has it */
        pin_arena_clear(&a);
    }
    pin_arena_clear(&a);
    return err == PIN_ENOTFOUND ? PIN_OK : err;
}
