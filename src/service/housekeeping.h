/* Housekeeping: the periodic clean-ups every instance needs, run as
 * background jobs (store/jobs.h) so that, with several server processes on
 * one database, each clean-up runs in one process at a time and any
 * process can take over from one that died.
 *
 *   ratelimit-sweep  deletes rate-limit windows that have ended
 *   media-sweep      removes uploads no post used within upload_max_age_s,
 *                    and photo files nothing references after blob_grace_s
 *
 * Upload temporary files are swept by every process itself: they live in
 * its own data folder's tmp/, cut off by a crash or a closed connection.
 */
#ifndef PIN_SERVICE_HOUSEKEEPING_H
#define PIN_SERVICE_HOUSEKEEPING_H

#include "service/svc.h"

/* Makes sure every periodic job exists (idempotent; call at start). */
pin_err pin_housekeeping_schedule(pin_svc *svc) PIN_WUR;
/* Sweeps this process's upload folder, then runs every due job it can
 * claim as `worker` (unique per process, e.g. "host:pid"). *ran receives
 * how many jobs it ran. */
pin_err pin_housekeeping_run(pin_svc *svc, const char *worker, int *ran) PIN_WUR;

#endif
