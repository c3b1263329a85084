/* OAuth 2 applications, authorization codes and access tokens.
 *
 * Client secrets, codes and tokens are handed out once and stored only as
 * SHA-256 hashes. Codes live ten minutes and work once; PKCE (S256) binds a
 * code to its verifier. Tokens last until revoked.
 */
#ifndef PIN_SERVICE_OAUTH_H
#define PIN_SERVICE_OAUTH_H

#include "service/svc.h"

#define PIN_OOB_URI "urn:ietf:wg:oauth:2.0:oob"

enum { PIN_APP_NAME_MAX = 200, PIN_REDIRECT_MAX = 2000, PIN_REDIRECTS_MAX = 16 };

typedef struct pin_app {
    pin_id id;
    const char *name, *website; /* website may be NULL */
    const char *redirect_uris[PIN_REDIRECTS_MAX];
    int nredirects;
    pin_scopes scopes;
    const char *client_id;
    const char *client_secret; /* only right after creation; NULL otherwise */
} pin_app;

/* Registers an app. redirect_uris: each an absolute URI without fragment, or
 * PIN_OOB_URI. PIN_EUNPROCESSABLE with *fe on invalid input. */
pin_err pin_app_create(pin_svc *svc, pin_arena *a, const char *name, const char *website,
                       const char *const *redirect_uris, int nredirects, const char *scopes,
                       pin_app *out, pin_field_errors *fe) PIN_WUR;
pin_err pin_app_get(pin_svc *svc, pin_arena *a, pin_id id, pin_app *out) PIN_WUR;
/* Finds an app by client_id; when `secret` is non-NULL it must match
 * (PIN_EAUTH otherwise, as for an unknown client). */
pin_err pin_app_find(pin_svc *svc, pin_arena *a, const char *client_id, const char *secret,
                     pin_app *out) PIN_WUR;
/* True if `uri` is registered for the app (exact match). */
bool pin_app_redirect_ok(const pin_app *app, const char *uri);

/* Issues a token for the app and (optional) account. Returns the token text
 * in *token (arena). */
pin_err pin_token_issue(pin_svc *svc, pin_arena *a, pin_id app_id, pin_id account_id,
                        pin_scopes scopes, const char **token, int64_t *created_at) PIN_WUR;
/* Resolves an Authorization bearer token. PIN_EAUTH if unknown or revoked. */
pin_err pin_token_authenticate(pin_svc *svc, pin_arena *a, const char *token,
                               pin_viewer *out) PIN_WUR;
/* Revokes a token belonging to the app. Unknown tokens are not an error
 * (RFC 7009); a token of another app is left alone and PIN_EFORBIDDEN. */
pin_err pin_token_revoke(pin_svc *svc, pin_arena *a, pin_id app_id, const char *token) PIN_WUR;
/* Revokes every token of an account (sign out everywhere), except
 * `keep_token_id` (0: none). */
pin_err pin_token_revoke_all(pin_svc *svc, pin_id account_id, pin_id keep_token_id) PIN_WUR;

/* Creates a one-time authorization code for an account that consented.
 * `challenge` is the PKCE S256 challenge or NULL. */
pin_err pin_code_issue(pin_svc *svc, pin_arena *a, pin_id app_id, pin_id account_id,
                       const char *redirect_uri, pin_scopes scopes, const char *challenge,
                       const char **code) PIN_WUR;
/* Exchanges a code for a token: the code must exist, be unexpired, belong to
 * the app, carry the same redirect_uri and, with PKCE, match the verifier. A
 * code issued without PKCE needs an authenticated client (`client_verified`,
 * the secret checked). The code is consumed whatever the outcome. PIN_EAUTH
 * for any mismatch. */
pin_err pin_code_exchange(pin_svc *svc, pin_arena *a, const pin_app *app, bool client_verified,
                          const char *code, const char *redirect_uri, const char *verifier,
                          const char **token, pin_scopes *scopes, int64_t *created_at) PIN_WUR;

#endif
