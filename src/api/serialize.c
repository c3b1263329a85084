/* Entities as Mastodon's API shows them. */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "api/api_int.h"
#include "core/html.h"
#include "core/json.h"
#include "core/text.h"
#include "service/visibility.h"

const char *api_iso_time(pin_arena *a, int64_t ms)
{
    time_t s = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&s, &tm);
    return pin_arena_printf(a, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                            tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                            (int)(ms % 1000));
}

static const char *iso_date(pin_arena *a, int64_t ms)
{
    time_t s = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&s, &tm);
    return pin_arena_printf(a, "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

static const char *resolve_local(void *ctx, pin_arena *a, const char *username, const char *domain)
{
    api_ctx *c = ctx;
    if (domain) return NULL; /* no federation yet: remote names stay text */
    const char *name;
    if (pin_account_username(c->svc, a, username, &name) != PIN_OK) return NULL;
    return pin_arena_printf(a, "%s/@%s", c->api->cfg->base_url, name);
}

static const char *render(api_ctx *c, const char *text, pin_text_resolve_fn resolve, void *ctx)
{
    if (!*text) return ""; /* an empty note or caption renders to nothing */
    pin_text_opts o = {.base_url = c->api->cfg->base_url, .resolve = resolve, .resolve_ctx = ctx};
    pin_text_out out;
    pin_text_render(c->a, text, strlen(text), &o, &out);
    return out.html;
}

const char *api_render_text(api_ctx *c, const char *text)
{
    return render(c, text, resolve_local, c);
}

/* A caption links the mentions its post recorded when it was written. */
typedef struct post_ctx {
    api_ctx *c;
    const pin_status *s;
} post_ctx;

static const char *resolve_mention(void *ctx, pin_arena *a, const char *username,
                                   const char *domain)
{
    const post_ctx *p = ctx;
    for (int i = 0; !domain && i < p->s->nmentions; i++) {
        if (!strcasecmp(p->s->mentions[i].username, username))
            return pin_arena_printf(a, "%s/@%s", p->c->api->cfg->base_url,
                                    p->s->mentions[i].username);
    }
    return NULL;
}

static const char *render_caption(api_ctx *c, const pin_status *s)
{
    post_ctx p = {c, s};
    return render(c, s->text, resolve_mention, &p);
}

/* A profile field value: rendered like a caption, without the paragraph. */
static const char *field_html(api_ctx *c, const char *value)
{
    const char *h = api_render_text(c, value);
    size_t n = strlen(h);
    if (n >= 7 && !strncmp(h, "<p>", 3) && !strcmp(h + n - 4, "</p>") && !strstr(h + 3, "<p>"))
        return pin_arena_strndup(c->a, h + 3, n - 7);
    return h;
}

/* ---- accounts ----
 * Written straight to text: a page of posts has an account in every post. */

static void key(pin_buf *b, const char *k) /* ,"k": */
{
    pin_buf_putc(b, ',');
    pin_json_put_string(b, k);
    pin_buf_putc(b, ':');
}

static void put_str(pin_buf *b, const char *k, const char *v)
{
    key(b, k);
    pin_json_put_string(b, v ? v : "");
}

static void put_bool(pin_buf *b, const char *k, bool v)
{
    key(b, k);
    pin_buf_puts(b, v ? "true" : "false");
}

static void put_int(pin_buf *b, const char *k, int64_t v)
{
    key(b, k);
    pin_json_put_integer(b, v);
}

/* ,"fields":[...]: values as HTML (the profile) or as typed (its source). */
static void put_fields(api_ctx *c, pin_buf *b, const pin_account *acc, bool html)
{
    pin_buf_puts(b, ",\"fields\":[");
    for (int i = 0; i < acc->nfields; i++) {
        pin_buf_puts(b, i ? ",{\"name\":" : "{\"name\":");
        pin_json_put_string(b, acc->fields[i].name);
        const char *v = acc->fields[i].value;
        put_str(b, "value", html ? field_html(c, v) : v);
        pin_buf_puts(b, ",\"verified_at\":null}");
    }
    pin_buf_putc(b, ']');
}

/* The fields of Mastodon's Account entity, from '{' to the last field (no
 * closing brace): a CredentialAccount goes on from there. */
static void put_account(api_ctx *c, pin_buf *b, const pin_account *acc)
{
    const char *base = c->api->cfg->base_url;
    pin_arena *a = c->a;
    const char *avatar = acc->avatar_token
                             ? pin_arena_printf(a, "%s/media/%s/preview", base, acc->avatar_token)
                             : pin_arena_printf(a, "%s/assets/avatar.png", base);
    const char *header = acc->header_token
                             ? pin_arena_printf(a, "%s/media/%s/feed", base, acc->header_token)
                             : pin_arena_printf(a, "%s/assets/header.png", base);
    /* created_at is given at day precision, as Mastodon does. */
    int64_t day = acc->created_at - acc->created_at % 86400000;
    pin_buf_puts(b, "{\"id\":\"");
    pin_json_put_integer(b, acc->id);
    pin_buf_putc(b, '"');
    put_str(b, "username", acc->username);
    put_str(b, "acct", acc->username);
    put_str(b, "display_name", acc->display_name);
    put_bool(b, "locked", acc->locked);
    put_bool(b, "bot", acc->bot);
    put_bool(b, "discoverable", acc->discoverable);
    put_bool(b, "group", false);
    put_bool(b, "indexable", acc->discoverable);
    put_str(b, "created_at", api_iso_time(a, day));
    put_str(b, "note", api_render_text(c, acc->note));
    put_str(b, "url", pin_arena_printf(a, "%s/@%s", base, acc->username));
    put_str(b, "uri", pin_arena_printf(a, "%s/users/%s", base, acc->username));
    put_str(b, "avatar", avatar);
    put_str(b, "avatar_static", avatar);
    put_str(b, "header", header);
    put_str(b, "header_static", header);
    put_int(b, "followers_count", acc->followers_count);
    put_int(b, "following_count", acc->following_count);
    put_int(b, "statuses_count", acc->statuses_count);
    key(b, "last_status_at");
    pin_json_put_string(b, acc->last_status_at ? iso_date(a, acc->last_status_at) : NULL);
    pin_buf_puts(b, ",\"emojis\":[]");
    put_fields(c, b, acc, true);
    put_bool(b, "noindex", !acc->discoverable);
    put_bool(b, "hide_collections", false);
    put_bool(b, "memorial", false);
    if (acc->suspended_at) put_bool(b, "suspended", true);
}

json_t *api_account_json(api_ctx *c, const pin_account *acc)
{
    pin_buf b;
    pin_buf_init(&b, c->a);
    put_account(c, &b, acc);
    pin_buf_putc(&b, '}');
    return pin_json_raw(b.data, b.len);
}

json_t *api_credential_account_json(api_ctx *c, const pin_account *acc)
{
    pin_buf b;
    pin_buf_init(&b, c->a);
    put_account(c, &b, acc);
    pin_buf_puts(&b, ",\"source\":{\"privacy\":");
    pin_json_put_string(&b, acc->privacy ? acc->privacy : "public");
    put_bool(&b, "sensitive", acc->sensitive);
    key(&b, "language");
    pin_json_put_string(&b, acc->language);
    put_str(&b, "note", acc->note);
    put_fields(c, &b, acc, false);
    put_int(&b, "follow_requests_count", acc->follow_requests_count);
    /* Mastodon's built-in role ids: 0 everyone, 1 moderator, 2 admin... 3 owner. */
    const char *role = acc->role ? acc->role : "user";
    bool admin = !strcmp(role, "admin"), mod = !strcmp(role, "moderator");
    pin_buf_puts(&b,
                 admin ? "},\"role\":{\"id\":\"3\",\"name\":\"Admin\",\"permissions\":\"1\""
                 : mod ? "},\"role\":{\"id\":\"1\",\"name\":\"Moderator\",\"permissions\":\"1024\""
                       : "},\"role\":{\"id\":\"-99\",\"name\":\"\",\"permissions\":\"0\"");
    pin_buf_puts(&b, admin || mod ? ",\"color\":\"\",\"highlighted\":true}}"
                                  : ",\"color\":\"\",\"highlighted\":false}}");
    return pin_json_raw(b.data, b.len);
}

static json_t *dims(int w, int h, int64_t bytes)
{
    json_t *o = json_pack("{s:i,s:i,s:s,s:f}", "width", w, "height", h, "size", "", "aspect",
                          h ? (double)w / h : 0.0);
    char buf[48];
    snprintf(buf, sizeof(buf), "%dx%d", w, h);
    json_object_set_new(o, "size", json_string(buf));
    if (bytes >= 0) json_object_set_new(o, "bytes", json_integer(bytes));
    return o;
}

json_t *api_media_json(api_ctx *c, const pin_media *m)
{
    pin_arena *a = c->a;
    const char *base = c->api->cfg->base_url;
    json_t *variants = json_object();
    for (int d = 0; d < PIN_DERIV_COUNT; d++) {
        json_t *v = dims(m->files[d].width, m->files[d].height, -1);
        json_object_set_new(v, "url",
                            json_string(pin_arena_printf(a, "%s/media/%s/%s", base, m->token,
                                                         pin_image_deriv_name(d))));
        json_object_set_new(variants, pin_image_deriv_name(d), v);
    }
    const pin_media_file *prev = &m->files[PIN_DERIV_PREVIEW];
    return json_pack(
        "{s:s,s:s,s:s,s:s,s:n,s:n,s:n,s:{s:o,s:o,s:{s:f,s:f}},s:s?,s:s,s:o}", "id",
        pin_arena_printf(a, "%lld", (long long)m->id), "type", "image", "url",
        pin_arena_printf(a, "%s/media/%s/feed", base, m->token), "preview_url",
        pin_arena_printf(a, "%s/media/%s/preview", base, m->token), "remote_url",
        "preview_remote_url", "text_url", "meta", "original", dims(m->width, m->height, m->size),
        "small", dims(prev->width, prev->height, -1), "focus", "x", m->focus_x, "y", m->focus_y,
        "description", m->description, "blurhash", m->blurhash, "pinhole_variants", variants);
}

json_t *api_status_json(api_ctx *c, const pin_status *s)
{
    pin_arena *a = c->a;
    const char *base = c->api->cfg->base_url;
    json_t *media = json_array(), *mentions = json_array(), *tags = json_array();
    for (int i = 0; i < s->nmedia; i++)
        json_array_append_new(media, api_media_json(c, &s->media[i]));
    for (int i = 0; i < s->nmentions; i++)
        json_array_append_new(
            mentions,
            json_pack("{s:s,s:s,s:s,s:s}", "id",
                      pin_arena_printf(a, "%lld", (long long)s->mentions[i].id), "username",
                      s->mentions[i].username, "acct", s->mentions[i].username, "url",
                      pin_arena_printf(a, "%s/@%s", base, s->mentions[i].username)));
    for (int i = 0; i < s->ntags; i++) {
        const char *key = pin_text_tag_key(a, s->tags[i], strlen(s->tags[i]));
        json_array_append_new(
            tags, json_pack("{s:s,s:s}", "name", key ? key : s->tags[i], "url",
                            pin_arena_printf(a, "%s/tags/%s", base,
                                             pin_url_encode(a, key ? key : s->tags[i], false))));
    }
    const char *url =
        pin_arena_printf(a, "%s/@%s/%lld", base, s->account.username, (long long)s->id);
    json_t *o = json_pack(
        "{s:s,s:s,s:o,s:o,s:b,s:s,s:s,s:s?,s:s,s:s,s:I,s:I,s:I,s:o,s:b,s:b,s:b,s:b,s:b,s:s,"
        "s:[],s:o,s:o,s:o,s:o,s:o,s:o,s:[],s:n,s:n}",
        "id", pin_arena_printf(a, "%lld", (long long)s->id), "created_at",
        api_iso_time(a, s->created_at), "in_reply_to_id",
        s->in_reply_to_id ? json_string(pin_arena_printf(a, "%lld", (long long)s->in_reply_to_id))
                          : json_null(),
        "in_reply_to_account_id",
        s->in_reply_to_account_id
            ? json_string(pin_arena_printf(a, "%lld", (long long)s->in_reply_to_account_id))
            : json_null(),
        "sensitive", s->sensitive, "spoiler_text", s->spoiler_text, "visibility",
        pin_visibility_name(s->visibility), "language", s->language, "uri",
        pin_arena_printf(a, "%s/users/%s/statuses/%lld", base, s->account.username,
                         (long long)s->id),
        "url", url, "replies_count", (json_int_t)s->replies_count, "reblogs_count",
        (json_int_t)s->reblogs_count, "favourites_count", (json_int_t)s->favourites_count,
        "edited_at", s->edited_at ? json_string(api_iso_time(a, s->edited_at)) : json_null(),
        "favourited", s->favourited, "reblogged", s->reblogged, "muted", 0, "bookmarked",
        s->bookmarked, "pinned", s->pinned, "content", render_caption(c, s), "filtered", "reblog",
        s->reblog ? api_status_json(c, s->reblog) : json_null(), "application",
        s->app_name ? json_pack("{s:s,s:n}", "name", s->app_name, "website") : json_null(),
        "account", api_account_json(c, &s->account), "media_attachments", media, "mentions",
        mentions, "tags", tags, "emojis", "card", "poll");
    return o;
}

json_t *api_statuses_json(api_ctx *c, const pin_id *ids, int n, pin_err *err)
{
    pin_status *s = pin_arena_alloc(c->a, sizeof(pin_status) * (size_t)(n ? n : 1));
    int got = 0;
    *err = pin_statuses_get(c->svc, c->a, &c->viewer, ids, n, s, &got);
    if (*err) return NULL;
    json_t *arr = json_array();
    for (int i = 0; i < got; i++)
        json_array_append_new(arr, api_status_json(c, &s[i]));
    return arr;
}
