#include "service/instance.h"

#include <sys/statvfs.h>

pin_err pin_instance_stats_get(pin_svc *svc, pin_instance_stats *out)
{
    pin_db *db;
    pin_err err = pin_svc_db(svc, &db);
    if (err) return err;
    out->status_count = 0; /* posts arrive with the photos feature */
    out->domain_count = 0; /* no federation yet */
    err = pin_db_i64(db, &out->user_count,
                     "SELECT COUNT(*) FROM accounts WHERE domain = '' AND suspended_at IS NULL",
                     NULL);
    if (err) return err;
    return pin_db_i64(db, &out->active_month, "SELECT COUNT(*) FROM users WHERE sign_in_at >= ?",
                      "i", pin_now_ms() - 30 * 86400 * 1000LL);
}

static pin_err probe_write(pin_db *db, void *ctx)
{
    (void)ctx;
    /* Taking the write lock is the test; nothing is written. */
    int64_t n;
    return pin_db_i64(db, &n, "SELECT COUNT(*) FROM schema_migrations", NULL);
}

void pin_instance_ready(pin_svc *svc, pin_readiness *out)
{
    out->db_ok = false;
    out->db_error = "unreachable";
    pin_db *db;
    if (pin_svc_db(svc, &db) == PIN_OK) {
        pin_err err = pin_db_tx(db, true, probe_write, NULL);
        out->db_ok = err == PIN_OK;
        out->db_error = err == PIN_OK             ? NULL
                        : err == PIN_EUNAVAILABLE ? "busy or read-only"
                                                  : "error";
    }
    struct statvfs st;
    out->disk_free_mb = -1;
    out->disk_ok = false;
    if (statvfs(svc->cfg->data_dir, &st) == 0) {
        out->disk_free_mb = (int64_t)((unsigned long long)st.f_bavail * st.f_frsize >> 20);
        out->disk_ok = out->disk_free_mb > svc->cfg->min_free_mb;
    }
}
