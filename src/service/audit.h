/* The counter audit: every stored count recomputed from the rows it counts.
 * pinhole's promise is that these never differ; `pinhole audit` proves it
 * and, with --repair, mends what a bug (or a restore of a damaged backup)
 * broke. */
#ifndef PIN_SERVICE_AUDIT_H
#define PIN_SERVICE_AUDIT_H

#include <stdio.h>

#include "service/svc.h"

/* Reports each difference as one line on `out` ("accounts 42
 * followers_count: stored 7, actual 6"). *differences receives how many;
 * with `repair` they are fixed in the same transaction that found them. */
pin_err pin_audit(pin_svc *svc, bool repair, FILE *out, int64_t *differences) PIN_WUR;

#endif
