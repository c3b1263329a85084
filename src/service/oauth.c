/* OAuth 2 applications, codes and tokens. See oauth.h. */
#include "service/oauth.h"

#include <string.h>

#include "core/text.h"
#include "service/secret.h"

static bool uri_valid(const char *u)
{
    if (!strcmp(u, PIN_OOB_URI)) return true;
    size_t n = strlen(u);
    if (n == 0 || n > PIN_REDIRECT_MAX || !pin_utf8_valid(u, n) || strchr(u, '#')) return false;
    /* scheme ":" rest, scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) */
    const char *p = u;
    if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z'))) return false;
    while (*p && *p != ':') {
        char c = *p++;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '+' || c == '-' || c == '.'))
            return false;
    }
    if (*p != ':' || !p[1]) return false;
    for (const char *q = u; *q; q++) {
        if ((unsigned char)*q <= ' ') return false;
    }
    /* http(s) must name a host. */
    if ((!strncasecmp(u, "http:", 5) || !strncasecmp(u, "https:", 6)) &&
        (!strstr(u, "://") || strstr(u, "://")[3] == 0 || strstr(u, "://")[3] == '/'))
        return false;
    return true;
}

pin_err pin_app_create(pin_svc *svc, pin_arena *a, const char *name, const char *website,
                       const char *const *redirect_uris, int nredirects, const char *scopes,
                       pin_app *out, pin_field_errors *fe)
{
    memset(out, 0, sizeof(*out));
    if (!name || !*name)
        pin_field_error_add(fe, "client_name", "ERR_BLANK", "can't be blank");
    else if (strlen(name) > PIN_APP_NAME_MAX || !pin_utf8_valid(name, strlen(name)))
        pin_field_error_add(fe, "client_name", "ERR_TOO_LONG",
                            "is too long (maximum is 200 characters)");
    if (nredirects <= 0)
        pin_field_error_add(fe, "redirect_uris", "ERR_BLANK", "can't be blank");
    else if (nredirects > PIN_REDIRECTS_MAX)
        pin_field_error_add(fe, "redirect_uris", "ERR_TOO_LONG", "has too many entries");
    for (int i = 0; i < nredirects && i < PIN_REDIRECTS_MAX; i++) {
        if (!uri_valid(redirect_uris[i])) {
            pin_field_error_add(fe, "redirect_uris", "ERR_INVALID", "must be an absolute URI.");
            break;
        }
    }
    if (website && *website && (strlen(website) > PIN_REDIRECT_MAX || !uri_valid(website)))
        pin_field_error_add(fe, "website", "ERR_INVALID", "must be an absolute URI.");
    pin_scopes set;
    const char *bad;
    int badlen;
    if (!pin_scopes_parse(scopes, &set, &bad, &badlen)) {
        /* The message goes out as JSON: echo at most 40 bytes cut at a
         * character boundary, and only if they are text (fuzz_form). */
        int n = badlen > 40 ? 40 : badlen;
        while (n > 0 && n < badlen && ((unsigned char)bad[n] & 0xC0) == 0x80)
            n--;
        pin_field_error_add(fe, "scopes", "ERR_INVALID",
                            pin_utf8_valid(bad, (size_t)n)
                                ? pin_arena_printf(a, "contains an unknown scope \"%.*s\"", n, bad)
                                : "contains an unknown scope");
    }
    if (fe->n) return PIN_EUNPROCESSABLE;

    pin_buf uris;
    pin_buf_init(&uris, a);
    for (int i = 0; i < nredirects; i++) {
        if (i) pin_buf_putc(&uris, '\n');
        pin_buf_puts(&uris, redirect_uris[i]);
        out->redirect_uris[i] = redirect_uris[i];
    }
    out->nredirects = nredirects;
    out->id = pin_id_new();
    out->name = name;
    out->website = website && *website ? website : NULL;
    out->scopes = set;
    out->client_id = pin_secret_token(a);
    out->client_secret = pin_secret_token(a);
    pin_db *db;
    pin_err err = pin_svc_db(svc, &db);
    if (err) return err;
    return pin_db_exec(db, NULL,
                       "INSERT INTO apps (id, name, website, redirect_uris, scopes, client_id,"
                       " secret_hash, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                       "issssssi", out->id, name, out->website, uris.data,
                       pin_scopes_format(set, a), out->client_id,
                       pin_secret_hash(a, out->client_secret), pin_now_ms());
}

static void read_app(pin_q *q, pin_arena *a, pin_app *out)
{
    memset(out, 0, sizeof(*out));
    out->id = pin_q_i64(q, 0);
    out->name = pin_q_strdup(q, 1, a);
    out->website = pin_q_strdup(q, 2, a);
    char *uris = pin_q_strdup(q, 3, a);
    for (char *p = uris; p && *p && out->nredirects < PIN_REDIRECTS_MAX;) {
        out->redirect_uris[out->nredirects++] = p;
        char *nl = strchr(p, '\n');
        if (!nl) break;
        *nl = 0;
        p = nl + 1;
    }
    if (!pin_scopes_parse(pin_q_text(q, 4), &out->scopes, NULL, NULL)) out->scopes = 0;
    out->client_id = pin_q_strdup(q, 5, a);
}

#define APP_COLUMNS "id, name, website, redirect_uris, scopes, client_id, secret_hash"

pin_err pin_app_get(pin_svc *svc, pin_arena *a, pin_id id, pin_app *out)
{
    pin_db *db;
    pin_err err = pin_svc_db(svc, &db);
    if (err) return err;
    pin_q q;
    pin_db_query(db, &q, "SELECT " APP_COLUMNS " FROM apps WHERE id = ?", "i", id);
    bool found = pin_q_step(&q);
    if (found) read_app(&q, a, out);
    err = pin_q_end(&q);
    return err ? err : found ? PIN_OK : PIN_ENOTFOUND;
}

pin_err pin_app_find(pin_svc *svc, pin_arena *a, const char *client_id, const char *secret,
                     pin_app *out)
{
    if (!client_id || !*client_id || strlen(client_id) > 128) return PIN_EAUTH;
    pin_db *db;
    pin_err err = pin_svc_db(svc, &db);
    if (err) return err;
    pin_q q;
    pin_db_query(db, &q, "SELECT " APP_COLUMNS " FROM apps WHERE client_id = ?", "s", client_id);
    bool found = pin_q_step(&q);
    const char *hash = NULL;
    if (found) {
        read_app(&q, a, out);
        hash = pin_q_strdup(&q, 6, a);
    }
    err = pin_q_end(&q);
    if (err) return err;
    if (!found) return PIN_EAUTH;
    if (secret && !pin_secret_equal(hash, pin_secret_hash(a, secret))) return PIN_EAUTH;
    return PIN_OK;
}

bool pin_app_redirect_ok(const pin_app *app, const char *uri)
{
    for (int i = 0; i < app->nredirects; i++) {
        if (!strcmp(app->redirect_uris[i], uri)) return true;
    }
    return false;
}

pin_err pin_token_issue(pin_svc *svc, pin_arena *a, pin_id app_id, pin_id account_id,
                        pin_scopes scopes, const char **token, int64_t *created_at)
{
    pin_db *db;
    pin_err err = pin_svc_db(svc, &db);
    if (err) return err;
    const char *t = pin_secret_token(a);
    int64_t now = pin_now_ms();
    err = pin_db_exec(db, NULL,
                      "INSERT INTO tokens (id, token_hash, app_id, account_id, scopes, created_at)"
                      " VALUES (?, ?, ?, ?, ?, ?)",
                      "isiIsi", pin_id_new(), pin_secret_hash(a, t), app_id, account_id,
                      pin_scopes_format(scopes, a), now);
    if (err) return err;
    *token = t;
    if (created_at) *created_at = now;
    return PIN_OK;
}

pin_err pin_token_authenticate(pin_svc *svc, pin_arena *a, const char *token, pin_viewer *out)
{
    memset(out, 0, sizeof(*out));
    size_t n = token ? strlen(token) : 0;
    if (n == 0 || n > 256) return PIN_EAUTH;
    pin_db *db;
    pin_err err = pin_svc_db(svc, &db);
    if (err) return err;
    pin_q q;
    pin_db_query(
        db, &q,
        PIN_DB_GENERIC
        "SELECT t.id, t.app_id, COALESCE(t.account_id, 0), t.scopes, COALESCE(u.approved, 1),"
        " COALESCE(a.suspended_at, 0), COALESCE(u.role, 'user')"
        " FROM tokens t LEFT JOIN users u ON u.account_id = t.account_id"
        " LEFT JOIN accounts a ON a.id = t.account_id WHERE t.token_hash = ?",
        "s", pin_secret_hash(a, token));
    bool found = pin_q_step(&q);
    if (found) {
        out->token_id = pin_q_i64(&q, 0);
        out->app_id = pin_q_i64(&q, 1);
        out->account_id = pin_q_i64(&q, 2);
        if (!pin_scopes_parse(pin_q_text(&q, 3), &out->scopes, NULL, NULL)) out->scopes = 0;
        out->approved = pin_q_i64(&q, 4);
        out->suspended = pin_q_i64(&q, 5) != 0;
        out->admin = !strcmp(pin_q_text(&q, 6), "admin");
    }
    err = pin_q_end(&q);
    if (err) return err;
    return found ? PIN_OK : PIN_EAUTH;
}

pin_err pin_token_revoke(pin_svc *svc, pin_arena *a, pin_id app_id, const char *token)
{
    if (!token || !*token || strlen(token) > 256) return PIN_OK;
    pin_db *db;
    pin_err err = pin_svc_db(svc, &db);
    if (err) return err;
    const char *hash = pin_secret_hash(a, token);
    int64_t owner = 0;
    err = pin_db_i64(db, &owner, "SELECT app_id FROM tokens WHERE token_hash = ?", "s", hash);
    if (err == PIN_ENOTFOUND) return PIN_OK;
    if (err) return err;
    if (owner != app_id) return PIN_EFORBIDDEN;
    return pin_db_exec(db, NULL, "DELETE FROM tokens WHERE token_hash = ? AND app_id = ?", "si",
                       hash, app_id);
}

pin_err pin_token_revoke_all(pin_svc *svc, pin_id account_id, pin_id keep_token_id)
{
    pin_db *db;
    pin_err err = pin_svc_db(svc, &db);
    if (err) return err;
    return pin_db_exec(db, NULL, "DELETE FROM tokens WHERE account_id = ? AND id <> ?", "ii",
                       account_id, keep_token_id);
}

enum { CODE_TTL_MS = 10 * 60 * 1000 };

pin_err pin_code_issue(pin_svc *svc, pin_arena *a, pin_id app_id, pin_id account_id,
                       const char *redirect_uri, pin_scopes scopes, const char *challenge,
                       const char **code)
{
    pin_db *db;
    pin_err err = pin_svc_db(svc, &db);
    if (err) return err;
    const char *c = pin_secret_token(a);
    int64_t now = pin_now_ms();
    /* Expired codes of anyone are swept on the way. */
    err = pin_db_exec(db, NULL, "DELETE FROM oauth_codes WHERE expires_at < ?", "i", now);
    if (!err)
        err = pin_db_exec(db, NULL,
                          "INSERT INTO oauth_codes (code_hash, app_id, account_id, redirect_uri,"
                          " scopes, challenge, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                          "siisssi", pin_secret_hash(a, c), app_id, account_id, redirect_uri,
                          pin_scopes_format(scopes, a), challenge, now + CODE_TTL_MS);
    if (err) return err;
    *code = c;
    return PIN_OK;
}

typedef struct exch_tx {
    pin_arena *a;
    const pin_app *app;
    bool client_verified;
    const char *code_hash, *redirect_uri, *verifier;
    const char *token;
    pin_scopes scopes;
    int64_t now;
    bool ok;
} exch_tx;

static pin_err exch_body(pin_db *db, void *ctx)
{
    exch_tx *t = ctx;
    pin_q q;
    t->ok = false;
    pin_db_query(db, &q,
                 "DELETE FROM oauth_codes WHERE code_hash = ?"
                 " RETURNING app_id, account_id, redirect_uri, scopes, challenge, expires_at",
                 "s", t->code_hash);
    pin_id app_id = 0, account_id = 0;
    const char *redirect = NULL, *scopes = NULL, *challenge = NULL;
    int64_t expires = 0;
    if (pin_q_step(&q)) {
        app_id = pin_q_i64(&q, 0);
        account_id = pin_q_i64(&q, 1);
        redirect = pin_q_strdup(&q, 2, t->a);
        scopes = pin_q_strdup(&q, 3, t->a);
        challenge = pin_q_strdup(&q, 4, t->a);
        expires = pin_q_i64(&q, 5);
    }
    pin_err err = pin_q_end(&q);
    if (err) return err;
    if (!app_id || app_id != t->app->id || expires < t->now) return PIN_OK;
    if (!t->redirect_uri || strcmp(redirect, t->redirect_uri) != 0) return PIN_OK;
    if (!challenge && !t->client_verified) return PIN_OK;
    if (challenge) {
        if (!t->verifier || strlen(t->verifier) < 43 || strlen(t->verifier) > 128) return PIN_OK;
        if (!pin_secret_equal(pin_secret_s256(t->a, t->verifier), challenge)) return PIN_OK;
    }
    if (!pin_scopes_parse(scopes, &t->scopes, NULL, NULL)) return PIN_OK;
    const char *tok = pin_secret_token(t->a);
    err = pin_db_exec(db, NULL,
                      "INSERT INTO tokens (id, token_hash, app_id, account_id, scopes, created_at)"
                      " VALUES (?, ?, ?, ?, ?, ?)",
                      "isiisi", pin_id_new(), pin_secret_hash(t->a, tok), app_id, account_id,
                      scopes, t->now);
    if (err) return err;
    t->token = tok;
    t->ok = true;
    return PIN_OK;
}

pin_err pin_code_exchange(pin_svc *svc, pin_arena *a, const pin_app *app, bool client_verified,
                          const char *code, const char *redirect_uri, const char *verifier,
                          const char **token, pin_scopes *scopes, int64_t *created_at)
{
    if (!code || !*code || strlen(code) > 256) return PIN_EAUTH;
    pin_db *db;
    pin_err err = pin_svc_db(svc, &db);
    if (err) return err;
    exch_tx t = {a,
                 app,
                 client_verified,
                 pin_secret_hash(a, code),
                 redirect_uri,
                 verifier,
                 NULL,
                 0,
                 pin_now_ms(),
                 false};
    err = pin_db_tx(db, true, exch_body, &t);
    if (err) return err;
    if (!t.ok) return PIN_EAUTH;
    *token = t.token;
    *scopes = t.scopes;
    *created_at = t.now;
    return PIN_OK;
}
