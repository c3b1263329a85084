#include "core/config.h"

#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#ifndef PIN_DEFAULT_WEB_DIR
#define PIN_DEFAULT_WEB_DIR "web"
#endif

typedef enum { T_STR, T_INT, T_I64, T_BOOL, T_REG } opt_type;

typedef struct opt {
    const char *section, *key;
    opt_type type;
    size_t offset, size;
    int64_t min, max;
    const char *help;
} opt;

#define STR(sec, k, f, h)                                                                          \
    {                                                                                              \
        sec, k, T_STR, offsetof(pin_config, f), sizeof(((pin_config *)0)->f), 0, 0, h              \
    }
#define INT(sec, k, f, lo, hi, h)                                                                  \
    {                                                                                              \
        sec, k, T_INT, offsetof(pin_config, f), 0, lo, hi, h                                       \
    }
#define I64(sec, k, f, lo, hi, h)                                                                  \
    {                                                                                              \
        sec, k, T_I64, offsetof(pin_config, f), 0, lo, hi, h                                       \
    }
#define BOOL(sec, k, f, h)                                                                         \
    {                                                                                              \
        sec, k, T_BOOL, offsetof(pin_config, f), 0, 0, 1, h                                        \
    }

static const opt opts[] = {
    STR("server", "listen", listen, "address and port to serve on (127.0.0.1:8080)"),
    STR("server", "data_dir", data_dir, "folder for the database and photos (data)"),
    STR("server", "db", db,
        "database: sqlite:PATH, a path, or postgres://... (sqlite:DATA_DIR/pinhole.db)"),
    STR("server", "web_dir", web_dir, "folder of the web app's static files"),
    INT("server", "threads", threads, 0, 256,
        "HTTP threads, which also run reads (0: one per core)"),
    INT("server", "write_threads", write_threads, 0, 256,
        "threads that run writes, off the HTTP threads (0: four per core)"),
    INT("server", "conn_timeout_s", conn_timeout_s, 1, 3600,
        "close a connection idle for this many seconds (30)"),
    STR("server", "log_level", log_level, "error, warn, info or debug (info)"),
    I64("server", "body_max", body_max, 1024, 1 << 30,
        "largest JSON or form body in bytes (1048576)"),
    I64("server", "min_free_mb", min_free_mb, 0, 1 << 30,
        "free disk kept for the database: uploads are refused below it (64)"),
    INT("server", "busy_timeout_ms", busy_timeout_ms, 1, 600000,
        "how long a write waits for the database lock before 503 (5000)"),
    INT("server", "read_budget_ms", read_budget_ms, 0, 600000,
        "a read request still querying after this long answers 503 (3000, 0: never)"),
    BOOL("server", "trust_proxy", trust_proxy,
         "trust X-Forwarded-For from a reverse proxy on loopback (false)"),
    INT("server", "shutdown_grace_s", shutdown_grace_s, 0, 3600,
        "on SIGTERM, seconds to let requests in flight finish (10)"),
    INT("server", "housekeeping_s", housekeeping_s, 1, 86400,
        "seconds between clean-up sweeps (60)"),
    INT("server", "upload_max_age_s", upload_max_age_s, 1, 365 * 86400,
        "remove uploads no post used after this many seconds (86400)"),
    INT("server", "blob_grace_s", blob_grace_s, 0, 365 * 86400,
        "remove unreferenced photo files after this many seconds (3600)"),
    STR("instance", "base_url", base_url, "public URL of this instance (http://LISTEN)"),
    STR("instance", "title", title, "instance name (pinhole)"),
    STR("instance", "description", description, "one-paragraph description"),
    STR("instance", "contact_email", contact_email, "contact address shown in /api/v2/instance"),
    STR("instance", "source_url", source_url, "where you publish this server's source code (AGPL)"),
    {"instance", "registrations", T_REG, offsetof(pin_config, registrations), 0, 0, 2,
     "open, approval or closed (open)"},
    INT("instance", "max_caption_chars", max_caption_chars, 1, 100000, "longest caption (2200)"),
    INT("instance", "max_media_attachments", max_media_attachments, 1, 100, "photos per post (20)"),
    INT("instance", "max_following", max_following, 1, 1000000,
        "most accounts one account may follow; bounds a home-timeline read (7500)"),
    INT("instance", "home_scan_from", home_scan_from, 0, 1000000,
        "accounts followed from which a home timeline is looked for among the 2000 newest posts"
        " before each account is read (50; 0: never)"),
    I64("instance", "media_max_bytes", media_max_bytes, 1024, (int64_t)1 << 34,
        "largest upload in bytes (41943040)"),
    I64("instance", "media_max_pixels", media_max_pixels, 1, (int64_t)1 << 40,
        "largest image in pixels (50000000)"),
    INT("security", "rate_auth_limit", rate_auth_limit, 1, 1000000,
        "sign-in and sign-up attempts per address per window (30)"),
    INT("security", "rate_auth_window_s", rate_auth_window_s, 1, 86400,
        "rate-limit window in seconds (300)"),
    INT("security", "rate_account_limit", rate_account_limit, 1, 1000000,
        "failed sign-ins per account per window (10)"),
    INT("security", "argon2_ops", argon2_ops, 1, 100, "Argon2id passes (2)"),
    INT("security", "argon2_mem_kib", argon2_mem_kib, 8, 4 << 20, "Argon2id memory in KiB (65536)"),
};

void pin_config_defaults(pin_config *c)
{
    memset(c, 0, sizeof(*c));
    snprintf(c->listen, sizeof(c->listen), "127.0.0.1:8080");
    snprintf(c->data_dir, sizeof(c->data_dir), "data");
    snprintf(c->web_dir, sizeof(c->web_dir), "%s", PIN_DEFAULT_WEB_DIR);
    snprintf(c->log_level, sizeof(c->log_level), "info");
    c->body_max = 1 << 20;
    c->min_free_mb = 64;
    c->conn_timeout_s = 30;
    c->busy_timeout_ms = 5000;
    c->read_budget_ms = 3000;
    c->housekeeping_s = 60;
    c->shutdown_grace_s = 10;
    c->upload_max_age_s = 86400;
    c->blob_grace_s = 3600;
    snprintf(c->title, sizeof(c->title), "pinhole");
    snprintf(c->description, sizeof(c->description),
             "A photo-sharing community that nobody can take away from its members.");
    c->registrations = PIN_REG_OPEN;
    c->max_caption_chars = 2200;
    c->max_media_attachments = 20;
    c->max_following = 7500;
    c->home_scan_from = 50;
    c->media_max_bytes = 40 << 20;
    c->media_max_pixels = 50000000;
    c->rate_auth_limit = 30;
    c->rate_auth_window_s = 300;
    c->rate_account_limit = 10;
    c->argon2_ops = 2;
    c->argon2_mem_kib = 65536;
}

static bool parse_i64(const char *v, int64_t *out)
{
    char *end;
    errno = 0;
    long long x = strtoll(v, &end, 10);
    if (errno || end == v || *end) return false;
    *out = x;
    return true;
}

static pin_err set_opt(pin_config *c, const opt *o, const char *value, char *err, size_t errlen)
{
    char *field = (char *)c + o->offset;
    int64_t n;
    switch (o->type) {
    case T_STR:
        if (strlen(value) >= o->size) {
            snprintf(err, errlen, "%s: value longer than %zu bytes", o->key, o->size - 1);
            return PIN_EINVAL;
        }
        memcpy(field, value, strlen(value) + 1);
        return PIN_OK;
    case T_INT:
    case T_I64:
        if (!parse_i64(value, &n) || n < o->min || n > o->max) {
            snprintf(err, errlen, "%s: expected a whole number from %lld to %lld, got \"%s\"",
                     o->key, (long long)o->min, (long long)o->max, value);
            return PIN_EINVAL;
        }
        if (o->type == T_INT)
            *(int *)field = (int)n;
        else
            *(int64_t *)field = n;
        return PIN_OK;
    case T_BOOL:
        if (!strcmp(value, "true") || !strcmp(value, "1") || !strcmp(value, "yes")) {
            *(bool *)field = true;
        } else if (!strcmp(value, "false") || !strcmp(value, "0") || !strcmp(value, "no")) {
            *(bool *)field = false;
        } else {
            snprintf(err, errlen, "%s: expected true or false, got \"%s\"", o->key, value);
            return PIN_EINVAL;
        }
        return PIN_OK;
    case T_REG: {
        static const char *const names[] = {"open", "approval", "closed"};
        for (int i = 0; i < 3; i++) {
            if (!strcmp(value, names[i])) {
                *(pin_registrations *)field = (pin_registrations)i;
                return PIN_OK;
            }
        }
        snprintf(err, errlen, "%s: expected open, approval or closed, got \"%s\"", o->key, value);
        return PIN_EINVAL;
    }
    }
    return PIN_EINVAL;
}

pin_err pin_config_set(pin_config *c, const char *section, const char *key, const char *value,
                       char *err, size_t errlen)
{
    for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
        if (strcmp(opts[i].key, key) != 0) continue;
        if (section && *section && strcmp(opts[i].section, section) != 0) {
            snprintf(err, errlen, "option \"%s\" belongs in section [%s], not [%s]", key,
                     opts[i].section, section);
            return PIN_EINVAL;
        }
        return set_opt(c, &opts[i], value, err, errlen);
    }
    snprintf(err, errlen, "unknown option \"%s\"", key);
    return PIN_EINVAL;
}

pin_err pin_config_from_env(pin_config *c, char *err, size_t errlen)
{
    for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
        char name[64] = "PINHOLE_";
        size_t n = strlen(name);
        for (const char *k = opts[i].key; *k && n < sizeof(name) - 1; k++)
            name[n++] = (char)toupper((unsigned char)*k);
        name[n] = 0;
        const char *v = getenv(name);
        if (!v) continue;
        pin_err e = set_opt(c, &opts[i], v, err, errlen);
        if (e) return e;
    }
    return PIN_OK;
}

void pin_config_finish(pin_config *c)
{
    if (!c->db[0]) snprintf(c->db, sizeof(c->db), "sqlite:%s/pinhole.db", c->data_dir);
    if (!c->base_url[0]) snprintf(c->base_url, sizeof(c->base_url), "http://%s", c->listen);
    size_t n = strlen(c->base_url);
    while (n > 0 && c->base_url[n - 1] == '/')
        c->base_url[--n] = 0;
}

void pin_config_each(pin_config_visit_fn fn, void *ctx)
{
    for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
        fn(ctx, opts[i].section, opts[i].key, opts[i].help);
}
