/* Settings: one struct, one table of named options, no I/O.
 *
 * Every option has a key ("listen", "registrations", ...) and lives in an INI
 * section. The same table serves the INI file (cli/ reads it with libinih),
 * PINHOLE_<KEY> environment overrides and command-line flags, so an option is
 * declared once. Precedence: defaults < config file < environment < flags.
 */
#ifndef PIN_CORE_CONFIG_H
#define PIN_CORE_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "core/err.h"

typedef enum pin_registrations { PIN_REG_OPEN, PIN_REG_APPROVAL, PIN_REG_CLOSED } pin_registrations;

typedef struct pin_config {
    /* [server] */
    char listen[128]; /* host:port, e.g. 127.0.0.1:8080 or [::1]:8080 */
    char data_dir[1024];
    char db[1200]; /* empty: sqlite:<data_dir>/pinhole.db */
    char web_dir[1024];
    int threads;        /* HTTP threads; 0: one per core */
    int write_threads;  /* threads running writes; 0: four per core */
    int conn_timeout_s; /* idle connections are closed after this long */
    char log_level[16];
    int64_t body_max;    /* bytes accepted in a JSON/form body */
    int64_t min_free_mb; /* refuse writes below this much free disk */
    int busy_timeout_ms;
    int read_budget_ms;   /* a request's reads stop after this long, 0: never */
    bool trust_proxy;     /* take the client address from X-Forwarded-For */
    int housekeeping_s;   /* seconds between sweeps of expired rate limits, uploads, blobs */
    int shutdown_grace_s; /* on SIGTERM, how long requests in flight may take */
    int upload_max_age_s; /* uploads no post used are removed after this long */
    int blob_grace_s;     /* unreferenced blobs are removed after this long untouched */
    /* [instance] */
    char base_url[512]; /* empty: http://<listen> */
    char title[128];
    char description[1024];
    char contact_email[256];
    char source_url[512]; /* where this server's source code is published (AGPL) */
    pin_registrations registrations;
    int max_caption_chars;
    int max_media_attachments;
    int max_following;  /* accounts one may follow (the home timeline reads each) */
    int home_scan_from; /* accounts followed from which home reads recent posts first; 0 never */
    int64_t media_max_bytes;
    int64_t media_max_pixels;
    /* [security] */
    int rate_auth_limit; /* sign-in/token/registration attempts per address per window */
    int rate_auth_window_s;
    int rate_account_limit; /* failed sign-ins per account per window */
    int argon2_ops;         /* Argon2id opslimit */
    int argon2_mem_kib;     /* Argon2id memlimit */
} pin_config;

void pin_config_defaults(pin_config *c);

/* Sets one option by key (section may be NULL to match any). On error writes
 * a one-line reason into err (errlen bytes) and returns PIN_EINVAL. */
pin_err pin_config_set(pin_config *c, const char *section, const char *key, const char *value,
                       char *err, size_t errlen);

/* Applies PINHOLE_<KEY> variables from the environment. */
pin_err pin_config_from_env(pin_config *c, char *err, size_t errlen);

/* Fills derived defaults (db from data_dir, base_url from listen). */
void pin_config_finish(pin_config *c);

/* Calls fn for each option (for --help text and the README). */
typedef void (*pin_config_visit_fn)(void *ctx, const char *section, const char *key,
                                    const char *help);
void pin_config_each(pin_config_visit_fn fn, void *ctx);

#endif
