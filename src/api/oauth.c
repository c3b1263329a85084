/* OAuth 2: app registration, the authorize page, the token and revoke
 * endpoints, and the server metadata document. */
#include <sodium.h>
#include <string.h>

#include "api/api_int.h"
#include "core/html.h"
#include "core/text.h"
#include "service/oauth.h"
#include "service/ratelimit.h"

static json_t *app_json(api_ctx *c, const pin_app *app)
{
    json_t *uris = json_array();
    pin_buf joined;
    pin_buf_init(&joined, c->a);
    for (int i = 0; i < app->nredirects; i++) {
        json_array_append_new(uris, json_string(app->redirect_uris[i]));
        if (i) pin_buf_putc(&joined, '\n');
        pin_buf_puts(&joined, app->redirect_uris[i]);
    }
    json_t *scopes = json_array();
    for (int i = 0; i < PIN_SCOPE_COUNT; i++) {
        if (app->scopes & PIN_SCOPE_BIT(i))
            json_array_append_new(scopes, json_string(pin_scope_name(i)));
    }
    json_t *o = json_pack("{s:s,s:s,s:s?,s:o,s:s,s:o}", "id",
                          pin_arena_printf(c->a, "%lld", (long long)app->id), "name", app->name,
                          "website", app->website, "scopes", scopes, "redirect_uri", joined.data,
                          "redirect_uris", uris);
    return o;
}

void h_apps_create(api_ctx *c)
{
    const char *uris[PIN_REDIRECTS_MAX + 1];
    int n = api_param_all(c, "redirect_uris", uris, PIN_REDIRECTS_MAX + 1);
    /* A single string may list several URIs separated by newlines or spaces. */
    if (n == 1) {
        char *s = pin_arena_strdup(c->a, uris[0]);
        n = 0;
        for (char *tok = strtok(s, "\n\r "); tok && n <= PIN_REDIRECTS_MAX;
             tok = strtok(NULL, "\n\r "))
            uris[n++] = tok;
    }
    pin_field_errors fe = {0};
    pin_app app;
    pin_err err = pin_app_create(c->svc, c->a, api_param(c, "client_name"), api_param(c, "website"),
                                 uris, n, api_param(c, "scopes"), &app, &fe);
    if (err == PIN_EUNPROCESSABLE) {
        api_field_errors(c, &fe);
        return;
    }
    if (err) {
        api_error(c, err, NULL);
        return;
    }
    json_t *o = app_json(c, &app);
    json_object_set_new(o, "client_id", json_string(app.client_id));
    json_object_set_new(o, "client_secret", json_string(app.client_secret));
    json_object_set_new(o, "client_secret_expires_at", json_integer(0));
    api_json(c, 200, o);
}

void h_apps_verify(api_ctx *c)
{
    pin_app app;
    pin_err err = pin_app_get(c->svc, c->a, c->viewer.app_id, &app);
    if (err) {
        api_error(c, err == PIN_ENOTFOUND ? PIN_EAUTH : err, NULL);
        return;
    }
    api_json(c, 200, app_json(c, &app));
}

void h_oauth_metadata(api_ctx *c)
{
    const char *base = c->api->cfg->base_url;
    json_t *scopes = json_array();
    for (int i = 0; i < PIN_SCOPE_COUNT; i++)
        json_array_append_new(scopes, json_string(pin_scope_name(i)));
    api_json(c, 200,
             json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:o,s:[s],s:[s,s],s:[s],s:[s,s,s],s:[s,s,s]}",
                       "issuer", pin_arena_printf(c->a, "%s/", base), "service_documentation",
                       "https://docs.joinmastodon.org/", "authorization_endpoint",
                       pin_arena_printf(c->a, "%s/oauth/authorize", base), "token_endpoint",
                       pin_arena_printf(c->a, "%s/oauth/token", base), "revocation_endpoint",
                       pin_arena_printf(c->a, "%s/oauth/revoke", base), "app_registration_endpoint",
                       pin_arena_printf(c->a, "%s/api/v1/apps", base), "scopes_supported", scopes,
                       "response_types_supported", "code", "response_modes_supported", "query",
                       "fragment", "code_challenge_methods_supported", "S256",
                       "grant_types_supported", "authorization_code", "password",
                       "client_credentials", "token_endpoint_auth_methods_supported",
                       "client_secret_basic", "client_secret_post", "none"));
}

/* ---- the authorize page ---- */

typedef struct authz {
    pin_app app;
    const char *client_id, *redirect_uri, *scope, *state, *challenge, *method;
    pin_scopes scopes;
} authz;

static const char *with_query(pin_arena *a, const char *uri, const char *params)
{
    return pin_arena_printf(a, "%s%c%s", uri, strchr(uri, '?') ? '&' : '?', params);
}

static void redirect(api_ctx *c, const char *location)
{
    pin_resp_set(c->req, 302, "text/plain; charset=utf-8", "", 0);
    pin_resp_header(c->req, "Location", location);
}

static void redirect_error(api_ctx *c, const authz *z, const char *error)
{
    const char *q = pin_arena_printf(c->a, "error=%s", error);
    if (z->state)
        q = pin_arena_printf(c->a, "%s&state=%s", q, pin_url_encode(c->a, z->state, false));
    redirect(c, with_query(c->a, z->redirect_uri, q));
}

static void problem_page(api_ctx *c, int status, const char *what)
{
    api_page(c, status, "Authorization problem",
             pin_arena_printf(c->a,
                              "<h1>This sign-in link does not work</h1><p>%s</p><p>Go back to "
                              "the app and try again; if it keeps happening, tell the app's "
                              "makers.</p>",
                              pin_html_escaped(c->a, what)));
}

/* Validates the request's client and redirect URI (shown as a page when
 * wrong: never redirect to an unverified URI), then the rest (reported to
 * the app by redirect). True when the request may proceed. */
static bool authz_parse(api_ctx *c, authz *z)
{
    memset(z, 0, sizeof(*z));
    z->client_id = api_param(c, "client_id");
    z->redirect_uri = api_param(c, "redirect_uri");
    z->scope = api_param(c, "scope");
    z->state = api_param(c, "state");
    z->challenge = api_param(c, "code_challenge");
    z->method = api_param(c, "code_challenge_method");
    pin_err err = pin_app_find(c->svc, c->a, z->client_id, NULL, &z->app);
    if (err == PIN_EAUTH) {
        problem_page(c, 400, "The app is not known to this server (unknown client_id).");
        return false;
    }
    if (err) {
        api_page(c, pin_http_status_of(err), "Unavailable", "<h1>Try again shortly</h1>");
        return false;
    }
    if (!z->redirect_uri && z->app.nredirects == 1) z->redirect_uri = z->app.redirect_uris[0];
    if (!z->redirect_uri || !pin_app_redirect_ok(&z->app, z->redirect_uri)) {
        problem_page(c, 400, "The redirect address is not one the app registered.");
        return false;
    }
    const char *rt = api_param(c, "response_type");
    if (!rt || strcmp(rt, "code") != 0) {
        redirect_error(c, z, "unsupported_response_type");
        return false;
    }
    if (!pin_scopes_parse(z->scope, &z->scopes, NULL, NULL) || (z->scopes & ~z->app.scopes)) {
        redirect_error(c, z, "invalid_scope");
        return false;
    }
    if (z->challenge) {
        size_t n = strlen(z->challenge);
        if (!z->method || strcmp(z->method, "S256") != 0 || n < 43 || n > 128) {
            redirect_error(c, z, "invalid_request");
            return false;
        }
    }
    return true;
}

static void hidden(pin_buf *b, pin_arena *a, const char *name, const char *value)
{
    if (!value) return;
    pin_buf_printf(b, "<input type=\"hidden\" name=\"%s\" value=\"%s\">", name,
                   pin_html_escaped(a, value));
}

static void authorize_form(api_ctx *c, const authz *z, int status, const char *error,
                           const char *login)
{
    pin_arena *a = c->a;
    pin_buf b;
    pin_buf_init(&b, a);
    pin_buf_printf(&b, "<h1>Sign in to %s</h1>", pin_html_escaped(a, c->api->cfg->title));
    pin_buf_printf(&b,
                   "<p class=\"lead\"><strong>%s</strong> wants to use your account. It will be "
                   "able to:</p><ul class=\"scopes\">",
                   pin_html_escaped(a, z->app.name));
    for (int i = 0; i < PIN_SCOPE_COUNT; i++) {
        if (z->scopes & PIN_SCOPE_BIT(i))
            pin_buf_printf(&b, "<li><code>%s</code></li>", pin_scope_name(i));
    }
    pin_buf_puts(&b, "</ul>");
    if (error)
        pin_buf_printf(&b, "<p class=\"errors\" role=\"alert\">%s</p>", pin_html_escaped(a, error));
    pin_buf_puts(&b, "<form method=\"post\" action=\"/oauth/authorize\">");
    hidden(&b, a, "response_type", "code");
    hidden(&b, a, "client_id", z->client_id);
    hidden(&b, a, "redirect_uri", z->redirect_uri);
    hidden(&b, a, "scope", pin_scopes_format(z->scopes, a));
    hidden(&b, a, "state", z->state);
    hidden(&b, a, "code_challenge", z->challenge);
    hidden(&b, a, "code_challenge_method", z->method);
    pin_buf_printf(&b,
                   "<label>Username or e-mail<input name=\"username\" autocomplete=\"username\" "
                   "required value=\"%s\"></label>"
                   "<label>Password<input name=\"password\" type=\"password\" "
                   "autocomplete=\"current-password\" required></label>"
                   "<div class=\"actions\"><button type=\"submit\" name=\"decision\" "
                   "value=\"allow\">Authorize</button>"
                   "<button type=\"submit\" name=\"decision\" value=\"deny\" class=\"secondary\" "
                   "formnovalidate>Deny</button></div></form>",
                   pin_html_escaped(a, login ? login : ""));
    if (c->api->cfg->registrations != PIN_REG_CLOSED) {
        /* Come back here after signing up. */
        pin_buf q;
        pin_buf_init(&q, a);
        pin_buf_printf(
            &q, "/oauth/authorize?response_type=code&client_id=%s&redirect_uri=%s&scope=%s",
            pin_url_encode(a, z->client_id, false), pin_url_encode(a, z->redirect_uri, false),
            pin_url_encode(a, pin_scopes_format(z->scopes, a), false));
        if (z->state) pin_buf_printf(&q, "&state=%s", pin_url_encode(a, z->state, false));
        if (z->challenge)
            pin_buf_printf(&q, "&code_challenge=%s&code_challenge_method=S256",
                           pin_url_encode(a, z->challenge, false));
        pin_buf_printf(
            &b,
            "<p class=\"alt\">New here? <a href=\"/auth/sign_up?return_to=%s\">Create an "
            "account</a></p>",
            pin_html_escaped(a, pin_url_encode(a, q.data, false)));
    }
    api_page(c, status, "Authorize", b.data);
}

void h_oauth_authorize_get(api_ctx *c)
{
    authz z;
    if (!authz_parse(c, &z)) return;
    authorize_form(c, &z, 200, NULL, NULL);
}

void h_oauth_authorize_post(api_ctx *c)
{
    authz z;
    if (!authz_parse(c, &z)) return;
    const char *decision = api_param(c, "decision");
    if (decision && !strcmp(decision, "deny")) {
        redirect_error(c, &z, "access_denied");
        return;
    }
    int retry = 0;
    const char *bucket = pin_arena_printf(c->a, "signin:%s", c->req->client_ip);
    pin_err err = pin_ratelimit_hit(c->svc, bucket, c->api->cfg->rate_auth_limit,
                                    c->api->cfg->rate_auth_window_s, &retry);
    if (err == PIN_ERATELIMIT) {
        api_rate_limited(c, retry, true);
        return;
    }
    const char *login = api_param(c, "username");
    pin_id account_id = 0;
    if (!err)
        err = pin_account_authenticate(c->svc, c->a, login, api_param(c, "password"), &account_id,
                                       &retry);
    if (err == PIN_ERATELIMIT) {
        api_rate_limited(c, retry, true);
        return;
    }
    if (err == PIN_EAUTH) {
        authorize_form(c, &z, 401, "Wrong username or password.", login);
        return;
    }
    const char *code = NULL;
    if (!err)
        err = pin_code_issue(c->svc, c->a, z.app.id, account_id, z.redirect_uri, z.scopes,
                             z.challenge, &code);
    if (err) {
        api_page(c, pin_http_status_of(err), "Unavailable",
                 "<h1>Try again shortly</h1><p>The server could not complete the sign-in.</p>");
        return;
    }
    if (!strcmp(z.redirect_uri, PIN_OOB_URI)) {
        api_page(c, 200, "Authorization code",
                 pin_arena_printf(
                     c->a,
                     "<h1>Copy this code into the app</h1><p><code class=\"code\">%s</code></p>",
                     pin_html_escaped(c->a, code)));
        return;
    }
    const char *q = pin_arena_printf(c->a, "code=%s", code);
    if (z.state) q = pin_arena_printf(c->a, "%s&state=%s", q, pin_url_encode(c->a, z.state, false));
    redirect(c, with_query(c->a, z.redirect_uri, q));
}

/* ---- the token endpoint ---- */

static const char invalid_grant[] =
    "The provided authorization grant is invalid, expired, revoked, does not match the "
    "redirection URI used in the authorization request, or was issued to another client.";

static void oauth_error(api_ctx *c, pin_err err, const char *error, const char *description)
{
    api_json(c, pin_http_status_of(err),
             json_pack("{s:s,s:s}", "error", error, "error_description", description));
    if (err == PIN_EAUTH) pin_resp_header(c->req, "WWW-Authenticate", "Basic realm=\"pinhole\"");
    pin_resp_header(c->req, "Cache-Control", "no-store");
}

/* Client credentials from HTTP Basic or the body. */
static void client_credentials(api_ctx *c, const char **id, const char **secret)
{
    *id = api_param(c, "client_id");
    *secret = api_param(c, "client_secret");
    const char *h = pin_req_header(c->req, "Authorization");
    if (!h || strncasecmp(h, "Basic ", 6) != 0) return;
    const char *b64 = h + 6;
    size_t n = strlen(b64);
    if (n > 1024) return;
    char *raw = pin_arena_alloc(c->a, n + 1);
    size_t len = 0;
    if (sodium_base642bin((unsigned char *)raw, n, b64, n, NULL, &len, NULL,
                          sodium_base64_VARIANT_ORIGINAL) != 0)
        return;
    raw[len] = 0;
    char *colon = strchr(raw, ':');
    if (!colon) return;
    *colon = 0;
    *id = raw;
    *secret = colon + 1;
}

static void token_json(api_ctx *c, const char *token, pin_scopes scopes, int64_t created_ms)
{
    api_json(c, 200,
             json_pack("{s:s,s:s,s:s,s:I}", "access_token", token, "token_type", "Bearer", "scope",
                       pin_scopes_format(scopes, c->a), "created_at",
                       (json_int_t)(created_ms / 1000)));
    pin_resp_header(c->req, "Cache-Control", "no-store");
}

void h_oauth_token(api_ctx *c)
{
    const char *grant = api_param(c, "grant_type");
    const char *cid, *secret;
    client_credentials(c, &cid, &secret);
    if (!grant) {
        oauth_error(c, PIN_EINVAL, "invalid_request", "Missing parameter: grant_type");
        return;
    }
    bool code_grant = !strcmp(grant, "authorization_code");
    if (!code_grant && strcmp(grant, "password") && strcmp(grant, "client_credentials")) {
        oauth_error(c, PIN_EINVAL, "unsupported_grant_type",
                    "The authorization grant type is not supported by the authorization server.");
        return;
    }
    /* Public clients using PKCE may leave the secret out; every other grant
     * needs it. */
    bool pkce = code_grant && api_param(c, "code_verifier");
    pin_app app;
    pin_err err =
        pin_app_find(c->svc, c->a, cid, secret || !pkce ? (secret ? secret : "") : NULL, &app);
    if (err == PIN_EAUTH) {
        oauth_error(c, PIN_EAUTH, "invalid_client",
                    "Client authentication failed due to unknown client, no client "
                    "authentication included, or unsupported authentication method.");
        return;
    }
    if (err) {
        api_error(c, err, NULL);
        return;
    }
    if (code_grant) {
        const char *token;
        pin_scopes scopes;
        int64_t created;
        err = pin_code_exchange(c->svc, c->a, &app, secret != NULL, api_param(c, "code"),
                                api_param(c, "redirect_uri"), api_param(c, "code_verifier"), &token,
                                &scopes, &created);
        if (err == PIN_EAUTH) {
            oauth_error(c, PIN_EINVAL, "invalid_grant", invalid_grant);
            return;
        }
        if (err) {
            api_error(c, err, NULL);
            return;
        }
        token_json(c, token, scopes, created);
        return;
    }
    pin_scopes scopes;
    if (!pin_scopes_parse(api_param(c, "scope"), &scopes, NULL, NULL) || (scopes & ~app.scopes)) {
        oauth_error(c, PIN_EINVAL, "invalid_scope",
                    "The requested scope is invalid, unknown, or malformed.");
        return;
    }
    pin_id account_id = 0;
    if (!strcmp(grant, "password")) {
        int retry = 0;
        const char *bucket = pin_arena_printf(c->a, "signin:%s", c->req->client_ip);
        err = pin_ratelimit_hit(c->svc, bucket, c->api->cfg->rate_auth_limit,
                                c->api->cfg->rate_auth_window_s, &retry);
        if (!err)
            err = pin_account_authenticate(c->svc, c->a, api_param(c, "username"),
                                           api_param(c, "password"), &account_id, &retry);
        if (err == PIN_ERATELIMIT) {
            api_rate_limited(c, retry, false);
            return;
        }
        if (err == PIN_EAUTH) {
            oauth_error(c, PIN_EINVAL, "invalid_grant", invalid_grant);
            return;
        }
        if (err) {
            api_error(c, err, NULL);
            return;
        }
    }
    const char *token;
    int64_t created;
    err = pin_token_issue(c->svc, c->a, app.id, account_id, scopes, &token, &created);
    if (err) {
        api_error(c, err, NULL);
        return;
    }
    token_json(c, token, scopes, created);
}

void h_oauth_revoke(api_ctx *c)
{
    const char *cid, *secret;
    client_credentials(c, &cid, &secret);
    pin_app app;
    pin_err err = pin_app_find(c->svc, c->a, cid, secret ? secret : "", &app);
    if (err == PIN_EAUTH) {
        oauth_error(c, PIN_EFORBIDDEN, "unauthorized_client",
                    "You are not authorized to revoke this token");
        return;
    }
    if (!err) err = pin_token_revoke(c->svc, c->a, app.id, api_param(c, "token"));
    if (err == PIN_EFORBIDDEN) {
        oauth_error(c, PIN_EFORBIDDEN, "unauthorized_client",
                    "You are not authorized to revoke this token");
        return;
    }
    if (err) {
        api_error(c, err, NULL);
        return;
    }
    api_json(c, 200, json_object());
}
