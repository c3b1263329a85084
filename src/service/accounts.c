/* Accounts: registration, sign-in, profiles. See accounts.h. */
#include "service/accounts.h"

#include <ctype.h>
#include <jansson.h>
#include <string.h>

#include "core/acct.h"
#include "core/json.h"
#include "core/log.h"
#include "core/text.h"
#include "service/oauth.h"
#include "service/ratelimit.h"
#include "service/secret.h"

void pin_field_error_add(pin_field_errors *fe, const char *field, const char *code,
                         const char *description)
{
    if (!fe || fe->n >= (int)(sizeof(fe->items) / sizeof(fe->items[0]))) return;
    fe->items[fe->n++] = (pin_field_error){field, code, description};
}

static const char *const reserved[] = {
    "about",      "abuse",   "admin",     "administrator", "api",      "assets",   "auth",
    "explore",    "healthz", "help",      "hostmaster",    "inbox",    "instance", "mail",
    "media",      "metrics", "moderator", "nodeinfo",      "oauth",    "outbox",   "pinhole",
    "postmaster", "readyz",  "root",      "search",        "security", "settings", "static",
    "status",     "support", "system",    "tags",          "users",    "web",      "webmaster",
    "well-known", "www",
};

bool pin_username_valid(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > PIN_USERNAME_MAX) return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        bool word = isalnum(c) || c == '_';
        bool inner = c == '.' || c == '-';
        if (!word && !(inner && i > 0 && i < n - 1)) return false;
    }
    return true;
}

static bool username_reserved(const char *key)
{
    for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++) {
        if (!strcmp(reserved[i], key)) return true;
    }
    return false;
}

static char *lower(pin_arena *a, const char *s)
{
    char *k = pin_arena_strdup(a, s);
    for (char *p = k; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    return k;
}

static bool email_valid(const char *s)
{
    size_t n = strlen(s);
    if (n < 3 || n > PIN_EMAIL_MAX || !pin_utf8_valid(s, n)) return false;
    const char *at = strchr(s, '@');
    if (!at || at == s || strchr(at + 1, '@') || !strchr(at + 1, '.')) return false;
    if (at[1] == '.' || s[n - 1] == '.') return false;
    for (const char *p = s; *p; p++) {
        if ((unsigned char)*p <= ' ' || *p == '<' || *p == '>' || *p == '"' || *p == ',')
            return false;
    }
    return true;
}

typedef struct reg_tx {
    pin_svc *svc;
    pin_arena *a;
    const pin_register_in *in;
    const char *username_key, *email_key, *hash, *token_hash;
    pin_register_out *out;
    pin_field_errors *fe;
} reg_tx;

static pin_err reg_body(pin_db *db, void *ctx)
{
    reg_tx *t = ctx;
    int64_t n = 0;
    pin_err err =
        pin_db_i64(db, &n, "SELECT COUNT(*) FROM accounts WHERE username_key = ? AND domain = ''",
                   "s", t->username_key);
    if (err) return err;
    if (n) pin_field_error_add(t->fe, "username", "ERR_TAKEN", "is already taken");
    err = pin_db_i64(db, &n, "SELECT COUNT(*) FROM users WHERE email_key = ?", "s", t->email_key);
    if (err) return err;
    if (n) pin_field_error_add(t->fe, "email", "ERR_TAKEN", "is already taken");
    if (t->fe->n) return PIN_EUNPROCESSABLE;

    const pin_register_in *in = t->in;
    int64_t now = pin_now_ms();
    pin_id id = pin_id_new();
    bool approved = in->force_approved || t->svc->cfg->registrations != PIN_REG_APPROVAL;
    err = pin_db_exec(db, NULL,
                      "INSERT INTO accounts (id, username, username_key, domain, created_at,"
                      " updated_at) VALUES (?, ?, ?, '', ?, ?)",
                      "issii", id, in->username, t->username_key, now, now);
    if (!err)
        err = pin_db_exec(db, NULL,
                          "INSERT INTO users (account_id, email, email_key, password_hash, locale,"
                          " role, approved, reason, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                          "isssssbsi", id, in->email, t->email_key, t->hash, in->locale,
                          in->role ? in->role : "user", approved, in->reason, now);
    if (err == PIN_ECONFLICT) {
        /* Lost a race with a concurrent registration of the same name. */
        pin_field_error_add(t->fe, "username", "ERR_TAKEN", "is already taken");
        return PIN_EUNPROCESSABLE;
    }
    if (err) return err;
    if (in->app_id) {
        err = pin_db_exec(db, NULL,
                          "INSERT INTO tokens (id, token_hash, app_id, account_id, scopes,"
                          " created_at) VALUES (?, ?, ?, ?, ?, ?)",
                          "isiisi", pin_id_new(), t->token_hash, in->app_id, id,
                          pin_scopes_format(in->scopes, t->a), now);
        if (err) return err;
    }
    t->out->account_id = id;
    t->out->created_at = now;
    return PIN_OK;
}

pin_err pin_account_register(pin_svc *svc, pin_arena *a, const pin_register_in *in,
                             pin_register_out *out, pin_field_errors *fe)
{
    memset(out, 0, sizeof(*out));
    if (svc->cfg->registrations == PIN_REG_CLOSED && !in->force_approved) return PIN_EFORBIDDEN;
    const char *username = in->username ? in->username : "";
    const char *email = in->email ? in->email : "";
    const char *password = in->password ? in->password : "";
    if (!*username)
        pin_field_error_add(fe, "username", "ERR_BLANK", "can't be blank");
    else if (strlen(username) > PIN_USERNAME_MAX)
        pin_field_error_add(fe, "username", "ERR_TOO_LONG",
                            "is too long (maximum is 30 characters)");
    else if (!pin_username_valid(username))
        pin_field_error_add(fe, "username", "ERR_INVALID",
                            "must contain only letters, numbers, underscores, dots and dashes, "
                            "and start and end with a letter, number or underscore");
    else if (username_reserved(lower(a, username)))
        pin_field_error_add(fe, "username", "ERR_RESERVED", "is reserved");
    if (!*email)
        pin_field_error_add(fe, "email", "ERR_BLANK", "can't be blank");
    else if (!email_valid(email))
        pin_field_error_add(fe, "email", "ERR_INVALID", "is not a valid e-mail address");
    size_t plen = strlen(password);
    if (!plen)
        pin_field_error_add(fe, "password", "ERR_BLANK", "can't be blank");
    else if (!pin_utf8_valid(password, plen))
        pin_field_error_add(fe, "password", "ERR_INVALID", "is not valid text");
    else if (pin_utf8_chars(password) < PIN_PASSWORD_MIN)
        pin_field_error_add(fe, "password", "ERR_TOO_SHORT",
                            "is too short (minimum is 8 characters)");
    else if (pin_utf8_chars(password) > PIN_PASSWORD_MAX)
        pin_field_error_add(fe, "password", "ERR_TOO_LONG",
                            "is too long (maximum is 128 characters)");
    if (!in->agreement) pin_field_error_add(fe, "agreement", "ERR_ACCEPTED", "must be accepted");
    if (in->locale && (strlen(in->locale) > 16 || !pin_utf8_valid(in->locale, strlen(in->locale))))
        pin_field_error_add(fe, "locale", "ERR_INVALID", "is not a supported language");
    if (in->reason && pin_utf8_chars(in->reason) > 500)
        pin_field_error_add(fe, "reason", "ERR_TOO_LONG",
                            "is too long (maximum is 500 characters)");
    if (fe->n) return PIN_EUNPROCESSABLE;

    char hash[128];
    pin_err err = pin_secret_password_hash(password, svc->cfg->argon2_ops, svc->cfg->argon2_mem_kib,
                                           hash, sizeof(hash));
    if (err) return err;
    const char *token = in->app_id ? pin_secret_token(a) : NULL;
    reg_tx t = {svc,
                a,
                in,
                lower(a, username),
                lower(a, email),
                hash,
                token ? pin_secret_hash(a, token) : NULL,
                out,
                fe};
    pin_db *db;
    err = pin_svc_db(svc, &db);
    if (!err) err = pin_db_tx(db, true, reg_body, &t);
    if (!err) out->token = token;
    return err;
}

pin_err pin_account_authenticate(pin_svc *svc, pin_arena *a, const char *login,
                                 const char *password, pin_id *account_id, int *retry_after_s)
{
    pin_db *db;
    pin_err err = pin_svc_db(svc, &db);
    if (err) return err;
    const char *key = lower(a, login ? login : "");
    pin_q q;
    pin_db_query(db, &q,
                 "SELECT a.id, u.password_hash FROM accounts a JOIN users u ON u.account_id = a.id"
                 " WHERE (a.username_key = ? AND a.domain = '') OR u.email_key = ? LIMIT 1",
                 "ss", key, key);
    pin_id id = 0;
    const char *hash = svc->dummy_hash;
    if (pin_q_step(&q)) {
        id = pin_q_i64(&q, 0);
        hash = pin_q_strdup(&q, 1, a);
    }
    err = pin_q_end(&q);
    if (err) return err;
    if (id) {
        /* Guessing at one account from many addresses is limited too. */
        const char *bucket = pin_arena_printf(a, "fail:acct:%lld", (long long)id);
        err = pin_ratelimit_peek(svc, bucket, svc->cfg->rate_account_limit,
                                 svc->cfg->rate_auth_window_s, retry_after_s);
        if (err) return err;
    }
    /* Always verify, against a dummy hash for unknown logins, so the time
     * taken says nothing about whether the account exists. */
    bool ok = pin_secret_password_verify(hash, password ? password : "");
    if (!ok || !id) {
        if (id) {
            const char *bucket = pin_arena_printf(a, "fail:acct:%lld", (long long)id);
            int ignored;
            /* Going over here is expected: the next attempt's peek refuses. */
            pin_err counted = pin_ratelimit_hit(svc, bucket, svc->cfg->rate_account_limit + 1,
                                                svc->cfg->rate_auth_window_s, &ignored);
            if (counted && counted != PIN_ERATELIMIT) PIN_WARN("could not count a failed sign-in");
        }
        return PIN_EAUTH;
    }
    *account_id = id;
    /* The sign-in time feeds only statistics: failing to record it is no reason to refuse. */
    if (pin_db_exec(db, NULL, "UPDATE users SET sign_in_at = ? WHERE account_id = ?", "ii",
                    pin_now_ms(), id))
        PIN_WARN("could not record sign-in time");
    return PIN_OK;
}

static void parse_fields(pin_arena *a, const char *json, pin_account *out)
{
    out->nfields = 0;
    if (!json || !strcmp(json, "[]")) return; /* most profiles: nothing to parse */
    json_t *arr = json_loads(json, 0, NULL);
    size_t i;
    json_t *f;
    out->nfields = 0;
    json_array_foreach(arr, i, f)
    {
        if (out->nfields >= PIN_FIELDS_MAX) break;
        const char *n = json_string_value(json_object_get(f, "name"));
        const char *v = json_string_value(json_object_get(f, "value"));
        if (!n || !v) continue;
        out->fields[out->nfields++] =
            (pin_profile_field){pin_arena_strdup(a, n), pin_arena_strdup(a, v)};
    }
    json_decref(arr);
}

#define ACCOUNT_COLUMNS                                                                            \
    "a.id, a.username, a.domain, a.display_name, a.note, a.fields, a.locked, a.bot,"               \
    " a.discoverable, a.followers_count, a.following_count, a.statuses_count,"                     \
    " COALESCE(a.last_status_at, 0), a.created_at, COALESCE(a.suspended_at, 0), a.privacy,"        \
    " a.sensitive, a.language, u.role, u.approved, u.email,"                                       \
    " (SELECT token FROM media WHERE id = a.avatar_media_id),"                                     \
    " (SELECT token FROM media WHERE id = a.header_media_id)"
/* ... and what only the account's owner sees (read_account's `full`). */
#define ACCOUNT_COLUMNS_FULL                                                                       \
    ACCOUNT_COLUMNS ", (SELECT COUNT(*) FROM follow_requests r WHERE r.target_id = a.id)"

static void read_account(pin_q *q, pin_arena *a, bool full, pin_account *out)
{
    memset(out, 0, sizeof(*out));
    out->id = pin_q_i64(q, 0);
    out->username = pin_q_strdup(q, 1, a);
    out->domain = pin_q_strdup(q, 2, a);
    out->display_name = pin_q_strdup(q, 3, a);
    out->note = pin_q_strdup(q, 4, a);
    parse_fields(a, pin_q_text(q, 5), out);
    out->locked = pin_q_i64(q, 6);
    out->bot = pin_q_i64(q, 7);
    out->discoverable = pin_q_i64(q, 8);
    out->followers_count = pin_q_i64(q, 9);
    out->following_count = pin_q_i64(q, 10);
    out->statuses_count = pin_q_i64(q, 11);
    out->last_status_at = pin_q_i64(q, 12);
    out->created_at = pin_q_i64(q, 13);
    out->suspended_at = pin_q_i64(q, 14);
    out->role = pin_q_null(q, 18) ? "user" : pin_q_strdup(q, 18, a);
    out->avatar_token = pin_q_strdup(q, 21, a);
    out->header_token = pin_q_strdup(q, 22, a);
    if (!full) return;
    out->privacy = pin_q_strdup(q, 15, a);
    out->sensitive = pin_q_i64(q, 16);
    out->language = pin_q_strdup(q, 17, a);
    out->approved = pin_q_i64(q, 19);
    out->email = pin_q_strdup(q, 20, a);
    out->follow_requests_count = pin_q_i64(q, 23);
}

pin_err pin_account_get(pin_svc *svc, pin_arena *a, pin_id id, bool full, pin_account *out)
{
    pin_db *db;
    pin_err err = pin_svc_db(svc, &db);
    if (err) return err;
    pin_q q;
    if (full)
        pin_db_query(db, &q,
                     "SELECT " ACCOUNT_COLUMNS_FULL
                     " FROM accounts a LEFT JOIN users u ON u.account_id = a.id WHERE a.id = ?",
                     "i", id);
    else
        pin_db_query(db, &q,
                     "SELECT " ACCOUNT_COLUMNS
                     " FROM accounts a LEFT JOIN users u ON u.account_id = a.id WHERE a.id = ?",
                     "i", id);
    bool found = pin_q_step(&q);
    if (found) read_account(&q, a, full, out);
    err = pin_q_end(&q);
    if (err) return err;
    return found ? PIN_OK : PIN_ENOTFOUND;
}

pin_err pin_accounts_get(pin_svc *svc, pin_arena *a, const pin_id *ids, int n, pin_account *out)
{
    pin_db *db;
    pin_err err = pin_svc_db(svc, &db);
    return err ? err : pin_accounts_load(db, a, ids, n, out);
}

pin_err pin_accounts_load(pin_db *db, pin_arena *a, const pin_id *ids, int n, pin_account *out)
{
    for (int i = 0; i < n; i++)
        out[i].id = 0;
    for (int off = 0; off < n; off += PIN_DB_LIST) {
        pin_id list[PIN_DB_LIST];
        pin_db_list(list, ids, n, off);
        pin_q q;
        pin_db_query(db, &q,
                     PIN_DB_GENERIC "SELECT " ACCOUNT_COLUMNS
                                    " FROM accounts a LEFT JOIN users u ON u.account_id = a.id"
                                    " WHERE a.id IN " PIN_DB_LIST_SQL,
                     "L", list);
        while (pin_q_step(&q)) {
            pin_id id = pin_q_i64(&q, 0);
            int first = -1;
            for (int i = 0; i < n; i++) {
                if (ids[i] != id || out[i].id) continue;
                if (first < 0)
                    read_account(&q, a, false, &out[first = i]);
                else
                    out[i] = out[first];
            }
        }
        pin_err err = pin_q_end(&q);
        if (err) return err;
    }
    return PIN_OK;
}

/* The id and username of the local account `acct` names. */
static pin_err find_local(pin_svc *svc, pin_arena *a, const char *acct, int64_t *id,
                          const char **username)
{
    /* Any form core/acct.h reads; only this instance's own domain is local. */
    pin_acct ac;
    if (!acct || !pin_acct_parse(acct, strlen(acct), &ac) ||
        !pin_acct_is_local(&ac, svc->cfg->base_url) || strlen(ac.user) > PIN_USERNAME_MAX)
        return PIN_ENOTFOUND;
    pin_db *db;
    pin_err err = pin_svc_db(svc, &db);
    if (err) return err;
    pin_q q;
    pin_db_query(db, &q, "SELECT id, username FROM accounts WHERE username_key = ? AND domain = ''",
                 "s", pin_arena_strdup(a, ac.user));
    bool found = pin_q_step(&q);
    if (found) {
        *id = pin_q_i64(&q, 0);
        *username = pin_q_strdup(&q, 1, a);
    }
    err = pin_q_end(&q);
    if (err) return err;
    return found ? PIN_OK : PIN_ENOTFOUND;
}

pin_err pin_account_lookup(pin_svc *svc, pin_arena *a, const char *acct, pin_account *out)
{
    int64_t id;
    const char *username;
    pin_err err = find_local(svc, a, acct, &id, &username);
    if (err) return err;
    return pin_account_get(svc, a, id, false, out);
}

pin_err pin_account_username(pin_svc *svc, pin_arena *a, const char *acct, const char **out)
{
    int64_t id;
    return find_local(svc, a, acct, &id, out);
}

typedef struct upd_tx {
    const pin_viewer *v;
    const pin_profile_update *u;
    const char *fields_json;
} upd_tx;

static pin_err upd_body(pin_db *db, void *ctx)
{
    upd_tx *t = ctx;
    const pin_profile_update *u = t->u;
    int64_t changed = 0;
    pin_err err =
        pin_db_exec(db, &changed,
                    "UPDATE accounts SET"
                    " display_name = COALESCE(?, display_name), note = COALESCE(?, note),"
                    " locked = CASE WHEN ? < 0 THEN locked ELSE ? END,"
                    " bot = CASE WHEN ? < 0 THEN bot ELSE ? END,"
                    " discoverable = CASE WHEN ? < 0 THEN discoverable ELSE ? END,"
                    " sensitive = CASE WHEN ? < 0 THEN sensitive ELSE ? END,"
                    " privacy = COALESCE(?, privacy), language = COALESCE(?, language),"
                    " fields = COALESCE(?, fields), updated_at = ? WHERE id = ?",
                    "ssiiiiiiiisssii", u->display_name, u->note, (int64_t)u->locked,
                    (int64_t)u->locked, (int64_t)u->bot, (int64_t)u->bot, (int64_t)u->discoverable,
                    (int64_t)u->discoverable, (int64_t)u->sensitive, (int64_t)u->sensitive,
                    u->privacy, u->language, t->fields_json, pin_now_ms(), t->v->account_id);
    if (err) return err;
    return changed ? PIN_OK : PIN_ENOTFOUND;
}

static void check_text(pin_field_errors *fe, const char *field, const char *s, size_t max)
{
    if (!s) return;
    if (!pin_utf8_valid(s, strlen(s)))
        pin_field_error_add(fe, field, "ERR_INVALID", "is not valid text");
    else if (pin_utf8_chars(s) > max)
        pin_field_error_add(fe, field, "ERR_TOO_LONG",
                            max == PIN_NOTE_MAX    ? "is too long (maximum is 500 characters)"
                            : max == PIN_FIELD_MAX ? "is too long (maximum is 255 characters)"
                                                   : "is too long (maximum is 30 characters)");
}

pin_err pin_account_update(pin_svc *svc, pin_arena *a, const pin_viewer *v,
                           const pin_profile_update *u, pin_field_errors *fe)
{
    if (!v->account_id) return PIN_EFORBIDDEN;
    check_text(fe, "display_name", u->display_name, PIN_DISPLAY_NAME_MAX);
    check_text(fe, "note", u->note, PIN_NOTE_MAX);
    if (u->privacy && strcmp(u->privacy, "public") && strcmp(u->privacy, "unlisted") &&
        strcmp(u->privacy, "private"))
        pin_field_error_add(fe, "source[privacy]", "ERR_INVALID",
                            "must be public, unlisted or private");
    if (u->language) {
        size_t n = strlen(u->language);
        bool ok = n >= 2 && n <= 3;
        for (size_t i = 0; ok && i < n; i++)
            ok = islower((unsigned char)u->language[i]);
        if (!ok)
            pin_field_error_add(fe, "source[language]", "ERR_INVALID", "is not an ISO 639 code");
    }
    const char *fields_json = NULL;
    if (u->set_fields) {
        if (u->nfields > PIN_FIELDS_MAX)
            pin_field_error_add(fe, "fields_attributes", "ERR_TOO_LONG", "has more than 4 fields");
        json_t *arr = json_array();
        for (int i = 0; i < u->nfields && i < PIN_FIELDS_MAX; i++) {
            check_text(fe, "fields_attributes", u->fields[i].name, PIN_FIELD_MAX);
            check_text(fe, "fields_attributes", u->fields[i].value, PIN_FIELD_MAX);
            if (!*u->fields[i].name && !*u->fields[i].value) continue; /* blank rows drop */
            json_array_append_new(arr, json_pack("{s:s?,s:s?}", "name", u->fields[i].name, "value",
                                                 u->fields[i].value));
        }
        fields_json = pin_json_dump(a, arr, NULL);
        json_decref(arr);
    }
    if (fe->n) return PIN_EUNPROCESSABLE;
    pin_db *db;
    pin_err err = pin_svc_db(svc, &db);
    if (err) return err;
    upd_tx t = {v, u, fields_json};
    return pin_db_tx(db, true, upd_body, &t);
}

typedef struct image_tx {
    const pin_viewer *v;
    bool header;
    pin_id media;
} image_tx;

static pin_err image_body(pin_db *db, void *ctx)
{
    image_tx *t = ctx;
    const char *purpose = t->header ? "header" : "avatar";
    int64_t old = 0;
    pin_err err =
        pin_db_i64(db, &old,
                   t->header ? "SELECT COALESCE(header_media_id, 0) FROM accounts WHERE id = ?"
                             : "SELECT COALESCE(avatar_media_id, 0) FROM accounts WHERE id = ?",
                   "i", t->v->account_id);
    if (err) return err;
    int64_t mine = 0;
    err = pin_db_i64(db, &mine,
                     "SELECT COUNT(*) FROM media WHERE id = ? AND account_id = ? AND purpose = ?",
                     "iis", t->media, t->v->account_id, purpose);
    if (err) return err;
    if (!mine) return PIN_ENOTFOUND;
    err = pin_db_exec(db, NULL,
                      t->header
                          ? "UPDATE accounts SET header_media_id = ?, updated_at = ? WHERE id = ?"
                          : "UPDATE accounts SET avatar_media_id = ?, updated_at = ? WHERE id = ?",
                      "iii", t->media, pin_now_ms(), t->v->account_id);
    /* The replaced image's rows go; its blobs are swept when unreferenced. */
    if (!err && old && old != t->media)
        err = pin_db_exec(db, NULL, "DELETE FROM media WHERE id = ?", "i", old);
    return err;
}

pin_err pin_account_set_image(pin_svc *svc, const pin_viewer *v, bool header, pin_id media_id)
{
    pin_db *db;
    pin_err err = pin_svc_db(svc, &db);
    if (err) return err;
    image_tx t = {v, header, media_id};
    return pin_db_tx(db, true, image_body, &t);
}

pin_err pin_account_approve(pin_svc *svc, const char *username)
{
    pin_db *db;
    pin_arena a = {0};
    pin_err err = pin_svc_db(svc, &db);
    int64_t changed = 0;
    if (!err)
        err = pin_db_exec(db, &changed,
                          "UPDATE users SET approved = 1 WHERE account_id ="
                          " (SELECT id FROM accounts WHERE username_key = ? AND domain = '')",
                          "s", lower(&a, username));
    pin_arena_clear(&a);
    if (err) return err;
    return changed ? PIN_OK : PIN_ENOTFOUND;
}

pin_err pin_account_change_password(pin_svc *svc, pin_arena *a, const pin_viewer *v,
                                    const char *current, const char *next, pin_field_errors *fe,
                                    int *retry_after_s)
{
    pin_db *db;
    pin_err err = pin_svc_db(svc, &db);
    if (err) return err;
    const char *username = NULL;
    pin_q q;
    pin_db_query(db, &q, "SELECT username FROM accounts WHERE id = ?", "i", v->account_id);
    if (pin_q_step(&q)) username = pin_q_strdup(&q, 0, a);
    err = pin_q_end(&q);
    if (err) return err;
    if (!username) return PIN_ENOTFOUND;
    pin_id who = 0;
    err = pin_account_authenticate(svc, a, username, current ? current : "", &who, retry_after_s);
    if (err) return err;
    const char *pw = next ? next : "";
    size_t plen = strlen(pw);
    if (!plen)
        pin_field_error_add(fe, "password", "ERR_BLANK", "can't be blank");
    else if (!pin_utf8_valid(pw, plen))
        pin_field_error_add(fe, "password", "ERR_INVALID", "is not valid text");
    else if (pin_utf8_chars(pw) < PIN_PASSWORD_MIN)
        pin_field_error_add(fe, "password", "ERR_TOO_SHORT",
                            "is too short (minimum is 8 characters)");
    else if (pin_utf8_chars(pw) > PIN_PASSWORD_MAX)
        pin_field_error_add(fe, "password", "ERR_TOO_LONG",
                            "is too long (maximum is 128 characters)");
    if (fe->n) return PIN_EUNPROCESSABLE;
    char hash[128];
    err = pin_secret_password_hash(pw, svc->cfg->argon2_ops, svc->cfg->argon2_mem_kib, hash,
                                   sizeof(hash));
    if (!err)
        err = pin_db_exec(db, NULL, "UPDATE users SET password_hash = ? WHERE account_id = ?", "si",
                          hash, v->account_id);
    if (!err) err = pin_token_revoke_all(svc, v->account_id, v->token_id);
    return err;
}
