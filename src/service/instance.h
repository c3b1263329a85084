/* Facts about the whole instance: counts for /api/v1/instance and health
 * checks for /readyz. */
#ifndef PIN_SERVICE_INSTANCE_H
#define PIN_SERVICE_INSTANCE_H

#include "service/svc.h"

typedef struct pin_instance_stats {
    int64_t user_count;
    int64_t status_count;
    int64_t domain_count;
    int64_t active_month; /* local accounts that signed in within 30 days */
} pin_instance_stats;

pin_err pin_instance_stats_get(pin_svc *svc, pin_instance_stats *out) PIN_WUR;

typedef struct pin_readiness {
    bool db_ok;   /* the database accepts a write transaction */
    bool disk_ok; /* the data folder has more than min_free_mb free */
    int64_t disk_free_mb;
    const char *db_error; /* static text when !db_ok */
} pin_readiness;

/* Checks the database takes writes and the disk has room. */
void pin_instance_ready(pin_svc *svc, pin_readiness *out);

#endif
