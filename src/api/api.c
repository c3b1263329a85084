/* The route table and the request path through it: route -> token ->
 * scope -> handler. Everything that decides who may call what is here, once. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/api_int.h"
#include "core/json.h"
#include "core/log.h"
#include "service/oauth.h"

#define ROUTE(m, p, fn, auth, scope, flags)                                                        \
    {                                                                                              \
        {m, p}, fn, auth, scope, flags                                                             \
    }
#define S(x) PIN_SCOPE_##x

static const api_route routes[] = {
    ROUTE("GET", "/healthz", h_healthz, AUTH_NONE, S(NONE), 0),
    ROUTE("GET", "/readyz", h_readyz, AUTH_NONE, S(NONE), F_OWN_TX),
    ROUTE("GET", "/", h_home_page, AUTH_NONE, S(NONE), F_HTML),
    ROUTE("GET", "/assets/:file", h_asset, AUTH_NONE, S(NONE), F_HTML),
    ROUTE("GET", "/app/:file", h_app_file, AUTH_NONE, S(NONE), F_HTML),
    ROUTE("GET", "/api/v1/instance", h_instance_v1, AUTH_NONE, S(NONE), 0),
    ROUTE("GET", "/api/v2/instance", h_instance_v2, AUTH_NONE, S(NONE), 0),
    ROUTE("POST", "/api/v1/apps", h_apps_create, AUTH_NONE, S(NONE), 0),
    ROUTE("GET", "/api/v1/apps/verify_credentials", h_apps_verify, AUTH_APP, S(NONE),
          F_ALLOW_PENDING),
    ROUTE("GET", "/oauth/authorize", h_oauth_authorize_get, AUTH_NONE, S(NONE), F_HTML),
    ROUTE("POST", "/oauth/authorize", h_oauth_authorize_post, AUTH_NONE, S(NONE), F_HTML),
    ROUTE("POST", "/oauth/token", h_oauth_token, AUTH_NONE, S(NONE), 0),
    ROUTE("POST", "/oauth/revoke", h_oauth_revoke, AUTH_NONE, S(NONE), 0),
    ROUTE("GET", "/.well-known/oauth-authorization-server", h_oauth_metadata, AUTH_NONE, S(NONE),
          0),
    ROUTE("GET", "/auth/sign_up", h_sign_up_get, AUTH_NONE, S(NONE), F_HTML),
    ROUTE("POST", "/auth/sign_up", h_sign_up_post, AUTH_NONE, S(NONE), F_HTML),
    ROUTE("POST", "/api/v1/accounts", h_accounts_create, AUTH_APP, S(WRITE_ACCOUNTS), 0),
    ROUTE("GET", "/api/v1/accounts/verify_credentials", h_accounts_verify, AUTH_USER, S(PROFILE),
          F_ALLOW_PENDING),
    ROUTE("PATCH", "/api/v1/accounts/update_credentials", h_accounts_update, AUTH_USER,
          S(WRITE_ACCOUNTS), F_UPLOAD),
    ROUTE("GET", "/api/v1/accounts/lookup", h_accounts_lookup, AUTH_NONE, S(NONE), 0),
    ROUTE("GET", "/api/v1/accounts/relationships", h_relationships, AUTH_USER, S(READ_FOLLOWS), 0),
    ROUTE("GET", "/api/v1/accounts/:id", h_accounts_get, AUTH_NONE, S(NONE), 0),
    ROUTE("GET", "/api/v1/accounts/:id/followers", h_followers, AUTH_NONE, S(READ_ACCOUNTS), 0),
    ROUTE("GET", "/api/v1/accounts/:id/following", h_following, AUTH_NONE, S(READ_ACCOUNTS), 0),
    ROUTE("POST", "/api/v1/accounts/:id/follow", h_follow, AUTH_USER, S(WRITE_FOLLOWS), 0),
    ROUTE("POST", "/api/v1/accounts/:id/unfollow", h_unfollow, AUTH_USER, S(WRITE_FOLLOWS), 0),
    ROUTE("POST", "/api/v1/accounts/:id/remove_from_followers", h_remove_follower, AUTH_USER,
          S(WRITE_FOLLOWS), 0),
    ROUTE("POST", "/api/v1/accounts/:id/block", h_block, AUTH_USER, S(WRITE_BLOCKS), 0),
    ROUTE("POST", "/api/v1/accounts/:id/unblock", h_unblock, AUTH_USER, S(WRITE_BLOCKS), 0),
    ROUTE("POST", "/api/v1/accounts/:id/mute", h_mute, AUTH_USER, S(WRITE_MUTES), 0),
    ROUTE("POST", "/api/v1/accounts/:id/unmute", h_unmute, AUTH_USER, S(WRITE_MUTES), 0),
    ROUTE("GET", "/api/v1/blocks", h_blocks, AUTH_USER, S(READ_BLOCKS), 0),
    ROUTE("GET", "/api/v1/mutes", h_mutes, AUTH_USER, S(READ_MUTES), 0),
    ROUTE("GET", "/api/v1/follow_requests", h_follow_requests, AUTH_USER, S(READ_FOLLOWS), 0),
    ROUTE("POST", "/api/v1/follow_requests/:id/authorize", h_request_authorize, AUTH_USER,
          S(WRITE_FOLLOWS), 0),
    ROUTE("POST", "/api/v1/follow_requests/:id/reject", h_request_reject, AUTH_USER,
          S(WRITE_FOLLOWS), 0),
    ROUTE("POST", "/api/v1/pinhole/account/password", h_password_change, AUTH_USER,
          S(WRITE_ACCOUNTS), 0),
    ROUTE("POST", "/api/v1/pinhole/account/sign_out_everywhere", h_sign_out_everywhere, AUTH_USER,
          S(WRITE_ACCOUNTS), 0),
    ROUTE("GET", "/api/v1/pinhole/followers/history", h_followers_history, AUTH_USER,
          S(READ_ACCOUNTS), 0),
    ROUTE("POST", "/api/v1/media", h_media_create, AUTH_USER, S(WRITE_MEDIA), F_UPLOAD),
    ROUTE("POST", "/api/v2/media", h_media_create, AUTH_USER, S(WRITE_MEDIA), F_UPLOAD),
    ROUTE("GET", "/api/v1/media/:id", h_media_get, AUTH_USER, S(WRITE_MEDIA), 0),
    ROUTE("PUT", "/api/v1/media/:id", h_media_update, AUTH_USER, S(WRITE_MEDIA), 0),
    ROUTE("DELETE", "/api/v1/media/:id", h_media_delete, AUTH_USER, S(WRITE_MEDIA), 0),
    ROUTE("GET", "/media/:token/:variant", h_media_file, AUTH_NONE, S(NONE), F_HTML),
    ROUTE("POST", "/api/v1/statuses", h_statuses_create, AUTH_USER, S(WRITE_STATUSES), 0),
    ROUTE("GET", "/api/v1/statuses/:id", h_statuses_get, AUTH_NONE, S(READ_STATUSES), 0),
    ROUTE("PUT", "/api/v1/statuses/:id", h_statuses_edit, AUTH_USER, S(WRITE_STATUSES), 0),
    ROUTE("DELETE", "/api/v1/statuses/:id", h_statuses_delete, AUTH_USER, S(WRITE_STATUSES), 0),
    ROUTE("GET", "/api/v1/statuses/:id/history", h_statuses_history, AUTH_NONE, S(READ_STATUSES),
          0),
    ROUTE("GET", "/api/v1/statuses/:id/source", h_statuses_source, AUTH_USER, S(READ_STATUSES), 0),
    ROUTE("GET", "/api/v1/statuses/:id/context", h_context, AUTH_NONE, S(READ_STATUSES), 0),
    ROUTE("GET", "/api/v1/statuses/:id/favourited_by", h_favourited_by, AUTH_NONE, S(READ_ACCOUNTS),
          0),
    ROUTE("GET", "/api/v1/statuses/:id/reblogged_by", h_reblogged_by, AUTH_NONE, S(READ_ACCOUNTS),
          0),
    ROUTE("POST", "/api/v1/statuses/:id/favourite", h_favourite, AUTH_USER, S(WRITE_FAVOURITES), 0),
    ROUTE("POST", "/api/v1/statuses/:id/unfavourite", h_unfavourite, AUTH_USER, S(WRITE_FAVOURITES),
          0),
    ROUTE("POST", "/api/v1/statuses/:id/bookmark", h_bookmark, AUTH_USER, S(WRITE_BOOKMARKS), 0),
    ROUTE("POST", "/api/v1/statuses/:id/reblog", h_reblog, AUTH_USER, S(WRITE_STATUSES), 0),
    ROUTE("POST", "/api/v1/statuses/:id/unreblog", h_unreblog, AUTH_USER, S(WRITE_STATUSES), 0),
    ROUTE("POST", "/api/v1/statuses/:id/pin", h_pin, AUTH_USER, S(WRITE_ACCOUNTS), 0),
    ROUTE("POST", "/api/v1/statuses/:id/unpin", h_unpin, AUTH_USER, S(WRITE_ACCOUNTS), 0),
    ROUTE("POST", "/api/v1/statuses/:id/unbookmark", h_unbookmark, AUTH_USER, S(WRITE_BOOKMARKS),
          0),
    ROUTE("GET", "/api/v1/timelines/home", h_timeline_home, AUTH_USER, S(READ_STATUSES), 0),
    ROUTE("GET", "/api/v1/timelines/public", h_timeline_public, AUTH_NONE, S(READ_STATUSES), 0),
    ROUTE("GET", "/api/v1/timelines/tag/:tag", h_timeline_tag, AUTH_NONE, S(READ_STATUSES), 0),
    ROUTE("GET", "/api/v1/accounts/:id/statuses", h_account_statuses, AUTH_NONE, S(READ_STATUSES),
          0),
    ROUTE("GET", "/api/v1/favourites", h_favourites, AUTH_USER, S(READ_FAVOURITES), 0),
    ROUTE("GET", "/api/v1/bookmarks", h_bookmarks, AUTH_USER, S(READ_BOOKMARKS), 0),
    ROUTE("GET", "/api/v1/notifications", h_notifications, AUTH_USER, S(READ_NOTIFICATIONS), 0),
    ROUTE("GET", "/api/v1/notifications/unread_count", h_notifications_unread, AUTH_USER,
          S(READ_NOTIFICATIONS), 0),
    ROUTE("POST", "/api/v1/notifications/clear", h_notifications_clear, AUTH_USER,
          S(WRITE_NOTIFICATIONS), 0),
    ROUTE("GET", "/api/v1/notifications/:id", h_notification_get, AUTH_USER, S(READ_NOTIFICATIONS),
          0),
    ROUTE("POST", "/api/v1/notifications/:id/dismiss", h_notification_dismiss, AUTH_USER,
          S(WRITE_NOTIFICATIONS), 0),
    ROUTE("POST", "/api/v1/markers", h_markers_post, AUTH_USER, S(WRITE_STATUSES), 0),
    ROUTE("GET", "/api/v1/markers", h_markers_get, AUTH_USER, S(READ_STATUSES), 0),
    ROUTE("GET", "/api/v1/tags/:name", h_tag_get, AUTH_NONE, S(READ_STATUSES), 0),
    ROUTE("POST", "/api/v1/tags/:name/follow", h_tag_follow, AUTH_USER, S(WRITE_FOLLOWS), 0),
    ROUTE("POST", "/api/v1/tags/:name/unfollow", h_tag_unfollow, AUTH_USER, S(WRITE_FOLLOWS), 0),
    ROUTE("GET", "/api/v1/followed_tags", h_followed_tags, AUTH_USER, S(READ_FOLLOWS), 0),
    ROUTE("GET", "/api/v1/trends/tags", h_trends_tags, AUTH_NONE, S(READ_STATUSES), 0),
    ROUTE("GET", "/api/v1/trends", h_trends_tags, AUTH_NONE, S(READ_STATUSES), 0),
    ROUTE("GET", "/api/v1/trends/statuses", h_trends_statuses, AUTH_NONE, S(READ_STATUSES), 0),
    ROUTE("GET", "/api/v2/search", h_search, AUTH_NONE, S(READ_SEARCH), 0),
};

enum { NROUTES = sizeof(routes) / sizeof(routes[0]) };

/* Browser routes the web app handles itself (/@alice, /p/123, /explore...):
 * any GET outside the API's own prefixes gets the app's page. */
static const api_route app_route =
    ROUTE("GET", "(web app)", api_app_shell, AUTH_NONE, S(NONE), F_HTML);
static const char *const api_prefixes[] = {"/api/",    "/oauth/",  "/media/",
                                           "/assets/", "/app/",    "/.well-known/",
                                           "/auth/",   "/healthz", "/readyz"};

static bool browser_route(const pin_req *req)
{
    if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") != 0) return false;
    for (size_t i = 0; i < sizeof(api_prefixes) / sizeof(api_prefixes[0]); i++) {
        if (!strncmp(req->path, api_prefixes[i], strlen(api_prefixes[i]))) return false;
    }
    return true;
}

void pin_api_each_route(pin_api_route_fn fn, void *ctx)
{
    static const char *const auth_names[] = {"public", "app token", "user token"};
    for (int i = 0; i < NROUTES; i++)
        fn(ctx, routes[i].r.method, routes[i].r.pattern,
           routes[i].scope == PIN_SCOPE_NONE ? "" : pin_scope_name(routes[i].scope),
           auth_names[routes[i].auth]);
}

pin_api *pin_api_new(pin_svc *svc)
{
    pin_api *api = pin_xcalloc(1, sizeof(*api));
    api->svc = svc;
    api->cfg = svc->cfg;
    pthread_mutex_init(&api->cache_lock, NULL);
    /* One photo worker per core; a short queue, then 503. */
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    if (cores < 1) cores = 1;
    api->pool = pin_pool_new((int)cores, 64);
    /* Writers mostly wait (on the database lock, on fsync), so several per
     * core; their queue holds as many requests as there are connections. */
    int writers = api->cfg->write_threads > 0 ? api->cfg->write_threads : 4 * (int)cores;
    api->writers = pin_pool_new(writers, 4096);
    api->write_wait_ms = api->cfg->busy_timeout_ms;
    return api;
}

void pin_api_stop(pin_api *api)
{
    pin_pool_free(api->writers); /* first: a write may pass work on to a photo worker */
    api->writers = NULL;
    pin_pool_free(api->pool);
    api->pool = NULL;
}

void pin_api_free(pin_api *api)
{
    if (!api) return;
    pin_api_stop(api);
    pthread_mutex_destroy(&api->cache_lock);
    free(api->cache_v1);
    free(api->cache_v2);
    free(api);
}

/* ---- parameters ---- */

static void add_param(pin_arena *a, pin_param ***tail, const char *key, const char *value)
{
    pin_param *p = pin_arena_zalloc(a, sizeof(*p));
    p->key = key;
    p->value = value;
    p->len = strlen(value);
    **tail = p;
    *tail = &p->next;
}

/* Flattens a JSON body into form-style keys ("a[b]", "list[]", "rows[0][x]"),
 * so handlers read JSON and forms alike. Depth is bounded by jansson's own
 * limit; the keys are bounded here, because each nested key repeats its
 * prefix: a key longer than FLAT_KEY_MAX is no key any handler reads and is
 * left out with everything under it, and all keys together may take at most
 * *budget bytes (false when they would take more). Without that, one 1 MB
 * body of a long key over many short children made gigabytes of keys
 * (found by tests/fuzz/fuzz_json). */
enum { FLAT_KEY_MAX = 256 };

static bool flatten(pin_arena *a, pin_param ***tail, const char *prefix, json_t *v, size_t *budget)
{
    size_t plen = prefix ? strlen(prefix) : 0;
    if (json_is_object(v)) {
        const char *k;
        json_t *x;
        json_object_foreach(v, k, x)
        {
            size_t n = plen + strlen(k) + (prefix ? 2 : 0);
            if (n > FLAT_KEY_MAX) continue;
            if (n > *budget) return false;
            *budget -= n;
            const char *key =
                prefix ? pin_arena_printf(a, "%s[%s]", prefix, k) : pin_arena_strdup(a, k);
            if (!flatten(a, tail, key, x, budget)) return false;
        }
    } else if (json_is_array(v)) {
        size_t i;
        json_t *x;
        json_array_foreach(v, i, x)
        {
            char idx[24] = ""; /* "list[]" for values, "rows[0]" for objects and arrays */
            if (json_is_object(x) || json_is_array(x)) snprintf(idx, sizeof(idx), "%zu", i);
            size_t n = plen + 2 + strlen(idx);
            if (n > FLAT_KEY_MAX) continue;
            if (n > *budget) return false;
            *budget -= n;
            const char *key = pin_arena_printf(a, "%s[%s]", prefix ? prefix : "", idx);
            if (!flatten(a, tail, key, x, budget)) return false;
        }
    } else if (prefix) {
        const char *s;
        if (json_is_string(v))
            s = pin_arena_strndup(a, json_string_value(v), json_string_length(v));
        else if (json_is_true(v))
            s = "true";
        else if (json_is_false(v))
            s = "false";
        else if (json_is_integer(v))
            s = pin_arena_printf(a, "%lld", (long long)json_integer_value(v));
        else if (json_is_real(v))
            s = pin_arena_printf(a, "%.17g", json_real_value(v));
        else
            return true; /* null: as if absent */
        add_param(a, tail, prefix, s);
    }
    return true;
}

static pin_err parse_params(api_ctx *c)
{
    pin_req *r = c->req;
    pin_param *head = NULL, **tail = &head;
    if (r->body && r->body_len > 0) {
        if (strcmp(r->content_type, "application/json") != 0) return PIN_EMEDIATYPE;
        json_error_t je;
        json_t *doc = json_loadb(r->body, r->body_len, JSON_REJECT_DUPLICATES, &je);
        if (!doc) return PIN_EINVAL;
        if (!json_is_object(doc)) {
            json_decref(doc);
            return PIN_EINVAL;
        }
        /* Keys may take 16 times the body: far more than any real request. */
        size_t budget = 16 * r->body_len + 4096;
        bool ok = flatten(c->a, &tail, NULL, doc, &budget);
        json_decref(doc);
        if (!ok) return PIN_ETOOBIG;
    }
    for (pin_param *p = r->form; p; p = p->next)
        add_param(c->a, &tail, p->key, p->value);
    for (pin_param *p = r->query; p; p = p->next)
        add_param(c->a, &tail, p->key, p->value);
    c->params = head;
    return PIN_OK;
}

const char *api_param(api_ctx *c, const char *key)
{
    for (pin_param *p = c->params; p; p = p->next) {
        if (!strcmp(p->key, key)) return p->value;
    }
    return NULL;
}

const char *api_cap(api_ctx *c, const char *key)
{
    for (pin_param *p = c->caps; p; p = p->next) {
        if (!strcmp(p->key, key)) return p->value;
    }
    return NULL;
}

int api_param_all(api_ctx *c, const char *key, const char **out, int max)
{
    size_t kl = strlen(key);
    int n = 0;
    for (pin_param *p = c->params; p; p = p->next) {
        bool same =
            !strcmp(p->key, key) || (!strncmp(p->key, key, kl) && !strcmp(p->key + kl, "[]"));
        if (!same) continue;
        if (n < max) out[n] = p->value;
        n++;
    }
    return n;
}

int api_param_bool(api_ctx *c, const char *key)
{
    const char *v = api_param(c, key);
    if (!v) return -1;
    static const char *const yes[] = {"true", "1", "on", "t", "yes", "True", "TRUE"};
    static const char *const no[] = {"false", "0", "off", "f", "no", "", "False", "FALSE"};
    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
        if (!strcmp(v, yes[i])) return 1;
    }
    for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
        if (!strcmp(v, no[i])) return 0;
    }
    return -2;
}

/* ---- responses ---- */

void api_json(api_ctx *c, int status, json_t *doc)
{
    if (!doc) { /* json_pack refused a value: a bug, never an empty 200 */
        PIN_ERROR("an answer could not be built as JSON: %s %s", c->req->method, c->req->path);
        api_error(c, PIN_EIO, NULL);
        return;
    }
    size_t len;
    const char *body = pin_json_dump(c->a, doc, &len);
    json_decref(doc);
    pin_resp_set(c->req, status, "application/json; charset=utf-8", body, len);
}

void api_error(api_ctx *c, pin_err err, const char *msg)
{
    pin_resp_error(c->req, err, msg);
}

void api_field_errors(api_ctx *c, const pin_field_errors *fe)
{
    pin_buf msg;
    pin_buf_init(&msg, c->a);
    pin_buf_puts(&msg, "Validation failed: ");
    json_t *details = json_object();
    for (int i = 0; i < fe->n; i++) {
        const pin_field_error *e = &fe->items[i];
        if (i) pin_buf_puts(&msg, ", ");
        /* "Username is already taken" */
        char first =
            e->field[0] >= 'a' && e->field[0] <= 'z' ? (char)(e->field[0] - 32) : e->field[0];
        pin_buf_putc(&msg, first);
        for (const char *p = e->field + 1; *p; p++)
            pin_buf_putc(&msg, *p == '_' ? ' ' : *p);
        pin_buf_printf(&msg, " %s", e->description);
        json_t *list = json_object_get(details, e->field);
        if (!list) {
            list = json_array();
            json_object_set_new(details, e->field, list);
        }
        json_array_append_new(
            list, json_pack("{s:s,s:s}", "error", e->code, "description", e->description));
    }
    api_json(c, 422, json_pack("{s:s,s:o}", "error", msg.data, "details", details));
}

void api_rate_limited(api_ctx *c, int retry_after_s, bool html)
{
    if (html)
        api_page(c, 429, "Too many attempts",
                 "<h1>Too many attempts</h1><p>Please wait a few minutes and try again.</p>");
    else
        api_error(c, PIN_ERATELIMIT, "Too many requests");
    pin_resp_header(c->req, "Retry-After", pin_arena_printf(c->a, "%d", retry_after_s));
}

/* ---- the request path ---- */

/* Cross-origin use, as Mastodon allows it, so that Mastodon clients that
 * run in a browser on their own site work: the API, the token endpoints and
 * /.well-known, from any origin, never with credentials (the API takes
 * bearer tokens, not cookies). */
static bool cors_path(const char *path)
{
    return !strncmp(path, "/api/", 5) || !strncmp(path, "/.well-known/", 13) ||
           !strcmp(path, "/oauth/token") || !strcmp(path, "/oauth/revoke");
}

/* Adds the CORS headers; true when the request was a preflight, answered. */
static bool cors(pin_req *req)
{
    if (!cors_path(req->path)) return false;
    pin_resp_header(req, "Access-Control-Allow-Origin", "*");
    if (strcmp(req->method, "OPTIONS")) {
        pin_resp_header(req, "Access-Control-Expose-Headers",
                        "Link, Retry-After, X-RateLimit-Limit, X-RateLimit-Remaining, "
                        "X-RateLimit-Reset, Idempotency-Key");
        return false;
    }
    pin_resp_header(req, "Access-Control-Allow-Methods", "GET, POST, PUT, PATCH, DELETE, OPTIONS");
    /* Any request header, as Mastodon allows: the browser names the ones it
     * will send (its own header line, so it holds no line break). */
    const char *h = pin_req_header(req, "Access-Control-Request-Headers");
    if (h && *h) pin_resp_header(req, "Access-Control-Allow-Headers", h);
    pin_resp_header(req, "Access-Control-Max-Age", "7200");
    pin_resp_set(req, 204, NULL, "", 0);
    return true;
}

static int64_t api_begin(void *ctx, pin_req *req)
{
    pin_api *api = ctx;
    if (cors(req)) return 0;
    size_t idx;
    pin_param *caps = NULL;
    const char *allow = NULL;
    pin_err err = pin_router_find(routes, NROUTES, sizeof(routes[0]), req->method, req->path,
                                  &req->arena, &idx, &caps, &allow);
    if (err == PIN_ENOTFOUND && browser_route(req)) {
        req->route = (void *)&app_route;
        req->app_data = NULL;
        return api->cfg->body_max;
    }
    if (err == PIN_ENOTFOUND) {
        pin_resp_error(req, PIN_ENOTFOUND, NULL);
        return 0;
    }
    if (err == PIN_EMETHOD) {
        pin_resp_error(req, PIN_EMETHOD, NULL);
        pin_resp_header(req, "Allow", allow);
        return 0;
    }
    req->route = (void *)&routes[idx];
    req->app_data = caps;
    if ((routes[idx].flags & F_UPLOAD) && !strcmp(req->content_type, "multipart/form-data")) {
        req->upload_dir = api->svc->upload_dir;
        return api->cfg->media_max_bytes + 64 * 1024; /* the file plus its form fields */
    }
    return api->cfg->body_max;
}

static void error_for(api_ctx *c, const api_route *rt, pin_err err, const char *msg)
{
    if (rt->flags & F_HTML) {
        int status = pin_http_status_of(err);
        api_page(c, status, "Error",
                 pin_arena_printf(c->a, "<h1>%d</h1><p>%s</p>", status,
                                  msg ? msg : "That did not work."));
    } else {
        api_error(c, err, msg);
    }
}

static bool authenticate(api_ctx *c, const api_route *rt)
{
    const char *h = pin_req_header(c->req, "Authorization");
    if (!h) {
        if (rt->auth == AUTH_NONE) return true;
        error_for(c, rt, PIN_EAUTH, "The access token is invalid");
        return false;
    }
    if (strncasecmp(h, "Bearer ", 7) != 0) {
        /* Basic credentials belong to /oauth/token and /oauth/revoke only. */
        if (rt->auth == AUTH_NONE && strncasecmp(h, "Basic ", 6) == 0) return true;
        error_for(c, rt, PIN_EAUTH, "The access token is invalid");
        return false;
    }
    const char *tok = h + 7;
    while (*tok == ' ')
        tok++;
    pin_err err = pin_token_authenticate(c->svc, c->a, tok, &c->viewer);
    if (err) {
        error_for(c, rt, err, err == PIN_EAUTH ? "The access token is invalid" : NULL);
        return false;
    }
    if (rt->auth == AUTH_USER && !c->viewer.account_id) {
        error_for(c, rt, PIN_EFORBIDDEN, "This method requires an authenticated user");
        return false;
    }
    if (c->viewer.account_id && !(rt->flags & F_ALLOW_PENDING)) {
        if (!c->viewer.approved) {
            error_for(c, rt, PIN_EFORBIDDEN, "Your login is currently pending approval");
            return false;
        }
        if (c->viewer.suspended) {
            error_for(c, rt, PIN_EFORBIDDEN, "Your login is currently disabled");
            return false;
        }
    }
    if (!pin_scopes_allow(c->viewer.scopes, rt->scope)) {
        error_for(c, rt, PIN_EFORBIDDEN, "This action is outside the authorized scopes");
        return false;
    }
    return true;
}

static void run(api_ctx *c, const api_route *rt);

typedef struct read_run {
    api_ctx *c;
    const api_route *rt;
} read_run;

static pin_err run_read(pin_db *db, void *p)
{
    (void)db;
    read_run *r = p;
    r->c->req->status = 0; /* a retried attempt answers afresh */
    run(r->c, r->rt);
    return PIN_OK;
}

static void defer_on(api_ctx *c, pin_pool *pool, void (*fn)(api_ctx *c), const char *busy);

/* A write, on a writer thread. One that waited for a thread longer than a
 * write may wait for the database lock answers as a lock timeout would. */
static void run_write(api_ctx *c)
{
    const api_route *rt = c->req->route;
    if (pin_mono_us() / 1000 - c->queued_ms > c->api->write_wait_ms) {
        error_for(c, rt, PIN_EUNAVAILABLE, "The server is busy; try again shortly");
        return;
    }
    run(c, rt);
}

static void api_handle(void *ctx, pin_req *req)
{
    pin_api *api = ctx;
    const api_route *rt = req->route;
    api_ctx c = {.api = api, .svc = api->svc, .req = req, .a = &req->arena, .caps = req->app_data};
    /* GET handlers only read, here: the token check and every read of the
     * request share one read transaction (one snapshot, one lock round on
     * SQLite). Anything else may wait (for the database lock, a sync, a
     * password hash) and runs on the writer threads, so that no request
     * waits behind it on this thread. */
    if ((strcmp(req->method, "GET") && strcmp(req->method, "HEAD")) || (rt->flags & F_OWN_TX)) {
        defer_on(&c, api->writers, run_write, "The server is busy; try again shortly");
        return;
    }
    pin_arena *prev = pin_json_arena(c.a); /* the answer's JSON dies with the request */
    pin_db *db;
    pin_err err = pin_svc_db(api->svc, &db);
    read_run r = {&c, rt};
    if (!err) {
        pin_db_budget(db, api->cfg->read_budget_ms); /* no query holds this thread for long */
        err = pin_db_tx(db, false, run_read, &r);
        pin_db_budget(db, 0);
    }
    if (err && !req->status) error_for(&c, rt, err, NULL);
    pin_json_arena(prev);
}

static void run(api_ctx *c, const api_route *rt)
{
    if (!authenticate(c, rt)) return;
    pin_err err = parse_params(c);
    if (err) {
        error_for(c, rt, err,
                  err == PIN_EMEDIATYPE ? NULL
                  : err == PIN_ETOOBIG  ? "The request body has too many nested keys"
                                        : "The request body is not a valid JSON object");
        return;
    }
    rt->fn(c);
    /* Deferred: the answer comes from another thread, maybe already. */
    if (!c->req->deferred && !c->req->status) api_error(c, PIN_EIO, NULL);
}

/* ---- work off the HTTP threads ----
 * The connection stays suspended while any thread holds the request: the
 * writer thread that runs a handler and the photo worker the handler may
 * pass it on to. The last to let go resumes it, and only then may the
 * request (and its arena) go. */

static void release(api_ctx *c)
{
    if (atomic_fetch_sub(c->holds, 1) == 1) pin_req_resume(c->req);
}

static void run_deferred(void *arg)
{
    api_ctx *c = arg;
    pin_log_request_id = c->req->id;
    pin_arena *prev = pin_json_arena(c->a);
    c->deferred_fn(c);
    pin_json_arena(prev);
    /* Handed off: another thread owns the answer (and the arena) now. */
    if (!c->handed_off && !c->req->status) api_error(c, PIN_EIO, NULL);
    pin_log_request_id = 0;
    release(c);
}

static void defer_on(api_ctx *c, pin_pool *pool, void (*fn)(api_ctx *c), const char *busy)
{
    bool first = !c->holds; /* on the HTTP thread, not yet suspended */
    if (first) {
        c->holds = pin_arena_alloc(c->a, sizeof(*c->holds));
        atomic_init(c->holds, 1); /* the caller's, let go below */
        pin_req_defer(c->req);
    }
    api_ctx *copy = pin_arena_alloc(c->a, sizeof(*copy));
    *copy = *c;
    copy->deferred_fn = fn;
    copy->handed_off = false;
    copy->queued_ms = pin_mono_us() / 1000;
    atomic_fetch_add(c->holds, 1);
    if (pin_pool_submit(pool, run_deferred, copy)) {
        c->handed_off = true;
    } else {
        atomic_fetch_sub(c->holds, 1);
        error_for(c, c->req->route, PIN_EUNAVAILABLE, busy);
    }
    if (first) release(c);
}

void api_defer(api_ctx *c, void (*fn)(api_ctx *c))
{
    defer_on(c, c->api->pool, fn, "The server is busy processing photos; try again shortly");
}

pin_http_app pin_api_http_app(pin_api *api)
{
    return (pin_http_app){.ctx = api, .begin = api_begin, .handle = api_handle};
}
