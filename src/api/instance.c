/* Instance documents, health checks. /api/v1/instance and /api/v2/instance
 * are rendered at most once a second and served from memory: they are the
 * most requested documents and change only with the stats. */
#include <string.h>

#include "api/api_int.h"
#include "core/json.h"
#include "service/instance.h"

#define PIN_VERSION "0.1.0"
/* Clients read the Mastodon version to decide which features to use. */
#define MASTODON_COMPAT "4.3.0 (compatible; pinhole " PIN_VERSION ")"

static const char *host_of(const char *base)
{
    const char *h = strstr(base, "://");
    return h ? h + 3 : base;
}

static json_t *statuses_conf(const pin_config *cfg)
{
    return json_pack("{s:i,s:i,s:i}", "max_characters", cfg->max_caption_chars,
                     "max_media_attachments", cfg->max_media_attachments,
                     "characters_reserved_per_url", 23);
}

static json_t *media_conf(const pin_config *cfg)
{
    return json_pack("{s:[s,s,s,s,s,s],s:I,s:I,s:i,s:i,s:i}", "supported_mime_types", "image/jpeg",
                     "image/png", "image/webp", "image/gif", "image/heic", "image/avif",
                     "image_size_limit", (json_int_t)cfg->media_max_bytes, "image_matrix_limit",
                     (json_int_t)cfg->media_max_pixels, "video_size_limit", 0,
                     "video_frame_rate_limit", 0, "video_matrix_limit", 0);
}

static char *render_v1(api_ctx *c, const pin_instance_stats *st)
{
    const pin_config *cfg = c->api->cfg;
    const char *base = cfg->base_url;
    json_t *o = json_pack(
        "{s:s,s:s,s:s,s:s,s:s,s:s,s:{s:s},s:{s:I,s:I,s:I},s:s,s:[s],s:b,s:b,s:b,"
        "s:{s:o,s:o,s:{s:i}},s:n,s:[]}",
        "uri", host_of(base), "title", cfg->title, "short_description", cfg->description,
        "description", cfg->description, "email", cfg->contact_email, "version", MASTODON_COMPAT,
        "urls", "streaming_api", "", "stats", "user_count", (json_int_t)st->user_count,
        "status_count", (json_int_t)st->status_count, "domain_count", (json_int_t)st->domain_count,
        "thumbnail", pin_arena_printf(c->a, "%s/assets/thumbnail.png", base), "languages", "en",
        "registrations", cfg->registrations != PIN_REG_CLOSED, "approval_required",
        cfg->registrations == PIN_REG_APPROVAL, "invites_enabled", 0, "configuration", "statuses",
        statuses_conf(cfg), "media_attachments", media_conf(cfg), "accounts", "max_featured_tags",
        0, "contact_account", "rules");
    char *s = strdup(pin_json_dump(c->a, o, NULL)); /* kept past the request */
    json_decref(o);
    return s;
}

static char *render_v2(api_ctx *c, const pin_instance_stats *st)
{
    const pin_config *cfg = c->api->cfg;
    const char *base = cfg->base_url;
    json_t *o = json_pack(
        "{s:s,s:s,s:s,s:s,s:s,s:{s:{s:I}},s:{s:s},s:[s],"
        "s:{s:{s:s},s:{s:i,s:i},s:o,s:o,s:{s:b}},"
        "s:{s:b,s:b,s:n,s:s},s:{s:s,s:n},s:[],s:{s:i}}",
        "domain", host_of(base), "title", cfg->title, "version", MASTODON_COMPAT, "source_url",
        cfg->source_url, "description", cfg->description, "usage", "users", "active_month",
        (json_int_t)st->active_month, "thumbnail", "url",
        pin_arena_printf(c->a, "%s/assets/thumbnail.png", base), "languages", "en", "configuration",
        "urls", "streaming", "", "accounts", "max_featured_tags", 0, "max_pinned_statuses", 0,
        "statuses", statuses_conf(cfg), "media_attachments", media_conf(cfg), "translation",
        "enabled", 0, "registrations", "enabled", cfg->registrations != PIN_REG_CLOSED,
        "approval_required", cfg->registrations == PIN_REG_APPROVAL, "message", "url",
        pin_arena_printf(c->a, "%s/auth/sign_up", base), "contact", "email", cfg->contact_email,
        "account", "rules", "api_versions", "mastodon", 2);
    char *s = strdup(pin_json_dump(c->a, o, NULL)); /* kept past the request */
    json_decref(o);
    return s;
}

static void serve_instance(api_ctx *c, bool v2)
{
    pin_api *api = c->api;
    int64_t now = pin_now_ms();
    pthread_mutex_lock(&api->cache_lock);
    if (!api->cache_v1 || now - api->cache_at_ms > 1000) {
        pthread_mutex_unlock(&api->cache_lock);
        pin_instance_stats st;
        pin_err err = pin_instance_stats_get(c->svc, &st);
        if (err) {
            api_error(c, err, NULL);
            return;
        }
        char *v1 = render_v1(c, &st), *v2doc = render_v2(c, &st);
        if (!v1 || !v2doc) {
            free(v1);
            free(v2doc);
            api_error(c, PIN_EIO, NULL);
            return;
        }
        pthread_mutex_lock(&api->cache_lock);
        free(api->cache_v1);
        free(api->cache_v2);
        api->cache_v1 = v1;
        api->cache_v2 = v2doc;
        api->cache_v1_len = strlen(v1);
        api->cache_v2_len = strlen(v2doc);
        api->cache_at_ms = now;
    }
    /* Copy under the lock: another thread may replace the cache after. */
    size_t n = v2 ? api->cache_v2_len : api->cache_v1_len;
    char *body = pin_arena_alloc(c->a, n);
    memcpy(body, v2 ? api->cache_v2 : api->cache_v1, n);
    pthread_mutex_unlock(&api->cache_lock);
    pin_resp_set(c->req, 200, "application/json; charset=utf-8", body, n);
}

void h_instance_v1(api_ctx *c)
{
    serve_instance(c, false);
}

void h_instance_v2(api_ctx *c)
{
    serve_instance(c, true);
}

void h_healthz(api_ctx *c)
{
    static const char ok[] = "{\"status\":\"ok\"}";
    pin_resp_set(c->req, 200, "application/json; charset=utf-8", ok, sizeof(ok) - 1);
    pin_resp_header(c->req, "Cache-Control", "no-store");
}

void h_readyz(api_ctx *c)
{
    pin_readiness r;
    pin_instance_ready(c->svc, &r);
    bool ready = r.db_ok && r.disk_ok;
    api_json(c, ready ? 200 : 503,
             json_pack("{s:s,s:s,s:s,s:I,s:I}", "status", ready ? "ready" : "not ready", "database",
                       r.db_ok ? "ok" : r.db_error, "disk", r.disk_ok ? "ok" : "low on space",
                       "disk_free_mb", (json_int_t)r.disk_free_mb, "disk_reserve_mb",
                       (json_int_t)c->api->cfg->min_free_mb));
    pin_resp_header(c->req, "Cache-Control", "no-store");
    if (!ready) pin_resp_header(c->req, "Retry-After", "5");
}
