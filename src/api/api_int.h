/* Internals shared by the API's handler files. */
#ifndef PIN_API_API_INT_H
#define PIN_API_API_INT_H

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>

#include "api/api.h"
#include "core/pool.h"
#include "core/scope.h"
#include "http/router.h"
#include "service/accounts.h"
#include "service/media.h"
#include "service/statuses.h"

struct pin_api {
    pin_svc *svc;
    const pin_config *cfg;
    pthread_mutex_t cache_lock; /* guards the instance cache below */
    int64_t cache_at_ms;
    char *cache_v1, *cache_v2; /* rendered instance documents (heap, owned here) */
    size_t cache_v1_len, cache_v2_len;
    pin_pool *pool;    /* photo processing workers (owned) */
    pin_pool *writers; /* threads that run every request but reads (owned) */
    int write_wait_ms; /* a write that waited longer than this for a thread answers 503 */
};

/* How a route authenticates. */
enum {
    AUTH_NONE = 0, /* no token needed; a token, if sent, is still checked */
    AUTH_APP = 1,  /* any valid token, app or user */
    AUTH_USER = 2, /* a signed-in person's token */
};

/* Route flags. */
enum {
    F_HTML = 1 << 0,          /* a page: errors render as HTML, not JSON */
    F_ALLOW_PENDING = 1 << 1, /* usable by accounts awaiting approval or suspended */
    F_UPLOAD = 1 << 2,        /* multipart files stream to disk; body up to media_max_bytes */
    F_OWN_TX = 1 << 3,        /* a GET that manages its own transactions (a write probe) */
};

typedef struct api_ctx {
    pin_api *api;
    pin_svc *svc;
    pin_req *req;
    pin_arena *a;
    pin_viewer viewer;
    pin_param *caps;                        /* captured path segments */
    pin_param *params;                      /* body (JSON flattened, or form) then query */
    void (*deferred_fn)(struct api_ctx *c); /* what runs off the HTTP thread */
    atomic_int *holds; /* threads still working on the request; the last resumes it */
    bool handed_off;   /* deferred_fn passed the request on to another pool */
    int64_t queued_ms; /* when the request was queued for a pool thread */
} api_ctx;

typedef void (*api_handler)(api_ctx *c);

typedef struct api_route {
    pin_route r;
    api_handler fn;
    int auth;
    int scope;
    unsigned flags;
} api_route;

/* Parameters: body first, then query. Arrays: "key[]" or repeated "key". */
const char *api_param(api_ctx *c, const char *key);
const char *api_cap(api_ctx *c, const char *key);
int api_param_all(api_ctx *c, const char *key, const char **out, int max);
/* Mastodon's boolean forms: true/1/on/t/yes and false/0/off/f/no/"". -1 if
 * absent, -2 if not a boolean. */
int api_param_bool(api_ctx *c, const char *key);

/* A multipart file field (streamed to disk), or NULL. */
const pin_param *api_file(api_ctx *c, const char *key);
/* Runs fn(c) on the photo workers and answers when it is done (CPU-heavy
 * work must not hold a thread others wait for). fn must set the response.
 * Nothing may touch `c` or its request after this call. */
void api_defer(api_ctx *c, void (*fn)(api_ctx *c));

/* Sends a JSON document (consumes `doc`). */
void api_json(api_ctx *c, int status, json_t *doc);
void api_error(api_ctx *c, pin_err err, const char *msg);
/* 422 with Mastodon's "Validation failed: ..." text and details. */
void api_field_errors(api_ctx *c, const pin_field_errors *fe);
void api_rate_limited(api_ctx *c, int retry_after_s, bool html);

/* Serializers (api/serialize.c). */
json_t *api_account_json(api_ctx *c, const pin_account *acc);
json_t *api_credential_account_json(api_ctx *c, const pin_account *acc);
json_t *api_media_json(api_ctx *c, const pin_media *m);
json_t *api_status_json(api_ctx *c, const pin_status *s);
/* The posts `ids` the viewer may see, in order, as a JSON array, read in
 * one snapshot (pin_statuses_get); the others are left out. NULL with *err
 * set when the database fails. */
json_t *api_statuses_json(api_ctx *c, const pin_id *ids, int n, pin_err *err);
const char *api_iso_time(pin_arena *a, int64_t ms);
const char *api_render_text(api_ctx *c, const char *text);

/* Handlers by file. */
void h_healthz(api_ctx *c);
void h_readyz(api_ctx *c);
void h_instance_v1(api_ctx *c);
void h_instance_v2(api_ctx *c);
void h_asset(api_ctx *c);
void h_home_page(api_ctx *c);
void h_app_file(api_ctx *c);
/* Answers with the web app's page (browser routes such as /@alice). */
void api_app_shell(api_ctx *c);

void h_apps_create(api_ctx *c);
void h_apps_verify(api_ctx *c);
void h_oauth_authorize_get(api_ctx *c);
void h_oauth_authorize_post(api_ctx *c);
void h_oauth_token(api_ctx *c);
void h_oauth_revoke(api_ctx *c);
void h_oauth_metadata(api_ctx *c);

void h_accounts_create(api_ctx *c);
void h_accounts_verify(api_ctx *c);
void h_accounts_update(api_ctx *c);
void h_accounts_get(api_ctx *c);
void h_accounts_lookup(api_ctx *c);
void h_sign_up_get(api_ctx *c);
void h_sign_up_post(api_ctx *c);
void h_password_change(api_ctx *c);
void h_sign_out_everywhere(api_ctx *c);

void h_media_create(api_ctx *c);
void h_media_get(api_ctx *c);
void h_media_update(api_ctx *c);
void h_media_delete(api_ctx *c);
void h_media_file(api_ctx *c);

void h_statuses_create(api_ctx *c);
void h_statuses_get(api_ctx *c);
void h_statuses_delete(api_ctx *c);
void h_statuses_edit(api_ctx *c);
void h_statuses_history(api_ctx *c);
void h_statuses_source(api_ctx *c);

void h_follow(api_ctx *c);
void h_unfollow(api_ctx *c);
void h_block(api_ctx *c);
void h_unblock(api_ctx *c);
void h_mute(api_ctx *c);
void h_unmute(api_ctx *c);
void h_remove_follower(api_ctx *c);
void h_request_authorize(api_ctx *c);
void h_request_reject(api_ctx *c);
void h_relationships(api_ctx *c);
void h_followers(api_ctx *c);
void h_following(api_ctx *c);
void h_blocks(api_ctx *c);
void h_mutes(api_ctx *c);
void h_follow_requests(api_ctx *c);
void h_followers_history(api_ctx *c);

void h_timeline_home(api_ctx *c);
void h_timeline_public(api_ctx *c);
void h_timeline_tag(api_ctx *c);
void h_account_statuses(api_ctx *c);
void h_favourites(api_ctx *c);
void h_bookmarks(api_ctx *c);
void h_favourite(api_ctx *c);
void h_reblog(api_ctx *c);
void h_unreblog(api_ctx *c);
void h_pin(api_ctx *c);
void h_unpin(api_ctx *c);
void h_unfavourite(api_ctx *c);
void h_bookmark(api_ctx *c);
void h_unbookmark(api_ctx *c);
void h_favourited_by(api_ctx *c);
void h_reblogged_by(api_ctx *c);
void h_context(api_ctx *c);
void h_notifications(api_ctx *c);
void h_notification_get(api_ctx *c);
void h_notification_dismiss(api_ctx *c);
void h_notifications_clear(api_ctx *c);
void h_notifications_unread(api_ctx *c);
void h_markers_post(api_ctx *c);
void h_markers_get(api_ctx *c);

void h_tag_get(api_ctx *c);
void h_tag_follow(api_ctx *c);
void h_tag_unfollow(api_ctx *c);
void h_followed_tags(api_ctx *c);
void h_trends_tags(api_ctx *c);
void h_trends_statuses(api_ctx *c);
void h_search(api_ctx *c);

/* Pagination: reads limit/max_id/since_id/min_id (answers 400 and returns
 * false when malformed), and writes Mastodon's Link header for a page whose
 * first and last items have pagination ids `newest` and `oldest`. */
struct pin_page;
bool api_page_params(api_ctx *c, struct pin_page *p, int def, int max);
void api_link_header(api_ctx *c, pin_id newest, pin_id oldest, int n, int limit);
/* Answers a page of accounts (skipping any gone since) with its Link header. */
void api_accounts_page(api_ctx *c, const pin_id *ids, const pin_id *edge, int n, int limit);

/* Server-rendered pages (api/pages.c): a complete HTML document around
 * `body_html` (already safe HTML), with the page CSP. */
void api_page(api_ctx *c, int status, const char *title, const char *body_html);

#endif
