/* Accounts: registration, sign-in, profiles.
 *
 * Usernames: 1 to 30 characters of A-Z a-z 0-9 _ . - , starting and ending
 * with a letter, digit or '_', unique without regard to case, and not one of
 * the names the server reserves for itself. Passwords: 8 to 128 characters,
 * stored as Argon2id hashes.
 */
#ifndef PIN_SERVICE_ACCOUNTS_H
#define PIN_SERVICE_ACCOUNTS_H

#include "service/svc.h"

enum {
    PIN_USERNAME_MAX = 30,
    PIN_DISPLAY_NAME_MAX = 30,
    PIN_NOTE_MAX = 500,
    PIN_FIELDS_MAX = 4,
    PIN_FIELD_MAX = 255,
    PIN_PASSWORD_MIN = 8,
    PIN_PASSWORD_MAX = 128,
    PIN_EMAIL_MAX = 254,
};

typedef struct pin_profile_field {
    const char *name, *value;
} pin_profile_field;

/* An account as the API shows it; strings in the caller's arena. */
typedef struct pin_account {
    pin_id id;
    const char *username;
    const char *domain; /* "" for local accounts */
    const char *display_name;
    const char *note; /* as typed; rendered to HTML by the API */
    pin_profile_field fields[PIN_FIELDS_MAX];
    int nfields;
    bool locked, bot, discoverable;
    int64_t followers_count, following_count, statuses_count;
    int64_t last_status_at;   /* ms, 0 if never */
    int64_t created_at;       /* ms */
    int64_t suspended_at;     /* ms, 0 if not suspended */
    const char *avatar_token; /* media token of the avatar, NULL for the default */
    const char *header_token;
    /* Only for the account's owner (CredentialAccount.source / role): */
    const char *privacy; /* default post visibility */
    bool sensitive;
    const char *language; /* may be NULL */
    const char *role;     /* "user", "moderator", "admin" */
    bool approved;
    const char *email;
    int64_t follow_requests_count; /* pending requests to follow this account */
} pin_account;

typedef struct pin_register_in {
    const char *username, *email, *password, *locale, *reason;
    bool agreement;
    pin_id app_id;       /* the app whose token registers (for the new token) */
    pin_scopes scopes;   /* scopes of the new token */
    const char *role;    /* NULL: "user" (admin tools may say "admin") */
    bool force_approved; /* admin tools skip the approval queue */
} pin_register_in;

typedef struct pin_register_out {
    pin_id account_id;
    const char *token; /* the new person's access token (NULL when app_id is 0) */
    int64_t created_at;
} pin_register_out;

/* Registers a local account and, when in->app_id is set, issues its first
 * token, in one transaction. PIN_EUNPROCESSABLE with details in *fe for
 * invalid or taken fields; PIN_EFORBIDDEN when registrations are closed
 * (unless in->force_approved). */
pin_err pin_account_register(pin_svc *svc, pin_arena *a, const pin_register_in *in,
                             pin_register_out *out, pin_field_errors *fe) PIN_WUR;

/* Checks a username (or e-mail) and password. Unknown people and wrong
 * passwords both give PIN_EAUTH after the same work. Counts failures per
 * account against the configured limit (PIN_ERATELIMIT, *retry_after_s). */
pin_err pin_account_authenticate(pin_svc *svc, pin_arena *a, const char *login,
                                 const char *password, pin_id *account_id,
                                 int *retry_after_s) PIN_WUR;

/* Loads one account. `full` also loads the owner-only fields. PIN_ENOTFOUND
 * if there is none. */
pin_err pin_account_get(pin_svc *svc, pin_arena *a, pin_id id, bool full, pin_account *out) PIN_WUR;
/* Loads the public fields of the accounts `ids` (repeats allowed) into
 * out[i], with a few statements whatever n is; an id with no account leaves
 * out[i].id 0. For callers already holding `db` (a read transaction). */
/* The same as pin_accounts_load, for callers without a database handle. */
pin_err pin_accounts_get(pin_svc *svc, pin_arena *a, const pin_id *ids, int n,
                         pin_account *out) PIN_WUR;
pin_err pin_accounts_load(pin_db *db, pin_arena *a, const pin_id *ids, int n,
                          pin_account *out) PIN_WUR;
/* Finds a local account by username (any case), in any form core/acct.h
 * reads ("@alice", "alice@domain", "acct:...", a profile URL) whose domain,
 * if any, is this instance's. PIN_ENOTFOUND otherwise. */
pin_err pin_account_lookup(pin_svc *svc, pin_arena *a, const char *acct, pin_account *out) PIN_WUR;
/* The same, for just the username as registered (to link a mention). */
pin_err pin_account_username(pin_svc *svc, pin_arena *a, const char *acct,
                             const char **out) PIN_WUR;

/* A profile change; NULL / -1 members are left as they are. */
typedef struct pin_profile_update {
    const char *display_name, *note;
    int locked, bot, discoverable, sensitive; /* -1: unchanged */
    const char *privacy, *language;
    bool set_fields;
    pin_profile_field fields[PIN_FIELDS_MAX];
    int nfields;
} pin_profile_update;

pin_err pin_account_update(pin_svc *svc, pin_arena *a, const pin_viewer *v,
                           const pin_profile_update *u, pin_field_errors *fe) PIN_WUR;

/* Makes an uploaded image (pin_media_create with purpose "avatar" or
 * "header") the viewer's avatar or header, removing the one it replaces. */
pin_err pin_account_set_image(pin_svc *svc, const pin_viewer *v, bool header,
                              pin_id media_id) PIN_WUR;

/* Changes the viewer's password after checking the current one (PIN_EAUTH
 * when wrong, counted like a failed sign-in; PIN_EUNPROCESSABLE with *fe for
 * a new password outside the rules), and signs out every other session. */
pin_err pin_account_change_password(pin_svc *svc, pin_arena *a, const pin_viewer *v,
                                    const char *current, const char *next, pin_field_errors *fe,
                                    int *retry_after_s) PIN_WUR;

/* Approves an account waiting for approval (admin tools). */
pin_err pin_account_approve(pin_svc *svc, const char *username) PIN_WUR;

/* True if `s` follows the username rules above (not checking reservation). */
bool pin_username_valid(const char *s);

#endif
