/* Rate limits kept in the database, so every server process shares them.
 * Fixed windows: a bucket ("signin:203.0.113.9") counts hits in the current
 * window of `window_s` seconds. */
#ifndef PIN_SERVICE_RATELIMIT_H
#define PIN_SERVICE_RATELIMIT_H

#include "service/svc.h"

/* Counts one hit. PIN_ERATELIMIT when this hit is over `limit`, with the
 * seconds until the window ends in *retry_after_s. */
pin_err pin_ratelimit_hit(pin_svc *svc, const char *bucket, int limit, int window_s,
                          int *retry_after_s) PIN_WUR;
/* Like hit, but only looks: PIN_ERATELIMIT if the bucket is already full. */
pin_err pin_ratelimit_peek(pin_svc *svc, const char *bucket, int limit, int window_s,
                           int *retry_after_s) PIN_WUR;
/* Deletes windows that ended before now (housekeeping). */
pin_err pin_ratelimit_sweep(pin_svc *svc) PIN_WUR;

#endif
