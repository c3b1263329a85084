#include "service/ratelimit.h"

static int retry_after(int64_t window_start, int window_s, int64_t now)
{
    int64_t left = window_start + (int64_t)window_s * 1000 - now;
    return left <= 0 ? 1 : (int)((left + 999) / 1000);
}

pin_err pin_ratelimit_hit(pin_svc *svc, const char *bucket, int limit, int window_s,
                          int *retry_after_s)
{
    pin_db *db;
    pin_err err = pin_svc_db(svc, &db);
    if (err) return err;
    int64_t now = pin_now_ms();
    int64_t start = now - now % ((int64_t)window_s * 1000);
    int64_t hits = 0;
    /* One statement, so concurrent hits from several processes all count. */
    err = pin_db_i64(db, &hits,
                     "INSERT INTO rate_limits (bucket, window_start, hits) VALUES (?, ?, 1)"
                     " ON CONFLICT (bucket) DO UPDATE SET"
                     " hits = CASE WHEN rate_limits.window_start = excluded.window_start"
                     " THEN rate_limits.hits + 1 ELSE 1 END,"
                     " window_start = excluded.window_start RETURNING hits",
                     "si", bucket, start);
    if (err) return err;
    if (hits > limit) {
        *retry_after_s = retry_after(start, window_s, now);
        return PIN_ERATELIMIT;
    }
    return PIN_OK;
}

pin_err pin_ratelimit_peek(pin_svc *svc, const char *bucket, int limit, int window_s,
                           int *retry_after_s)
{
    pin_db *db;
    pin_err err = pin_svc_db(svc, &db);
    if (err) return err;
    int64_t now = pin_now_ms();
    int64_t start = now - now % ((int64_t)window_s * 1000);
    int64_t hits = 0;
    err =
        pin_db_i64(db, &hits, "SELECT hits FROM rate_limits WHERE bucket = ? AND window_start = ?",
                   "si", bucket, start);
    if (err == PIN_ENOTFOUND) return PIN_OK;
    if (err) return err;
    if (hits >= limit) {
        *retry_after_s = retry_after(start, window_s, now);
        return PIN_ERATELIMIT;
    }
    return PIN_OK;
}

pin_err pin_ratelimit_sweep(pin_svc *svc)
{
    pin_db *db;
    pin_err err = pin_svc_db(svc, &db);
    if (err) return err;
    /* The longest window we use is a day. */
    return pin_db_exec(db, NULL, "DELETE FROM rate_limits WHERE window_start < ?", "i",
                       pin_now_ms() - 86400 * 1000LL);
}
