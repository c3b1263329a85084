/* Media endpoints: upload (processed on the worker pool, off the HTTP
 * threads), read, describe, delete, and the files themselves. */
#include <stdlib.h>
#include <string.h>

#include "api/api_int.h"
#include "core/json.h"
#include "core/log.h"
#include "http/static.h"

/* The first multipart file field named `key`, or NULL. */
const pin_param *api_file(api_ctx *c, const char *key)
{
    for (pin_param *p = c->req->form; p; p = p->next) {
        if (p->file && !strcmp(p->key, key)) return p;
    }
    return NULL;
}

static void create_job(api_ctx *c)
{
    const pin_param *file = api_file(c, "file");
    pin_media_in in = {.path = file->value,
                       .description = api_param(c, "description"),
                       .focus = api_param(c, "focus")};
    pin_media m;
    const char *why = NULL;
    pin_err err = pin_media_create(c->svc, c->a, &c->viewer, &in, &m, &why);
    if (err) {
        api_error(c, err, why);
        return;
    }
    PIN_INFO("media %lld stored: %dx%d %s", (long long)m.id, m.width, m.height, m.original_type);
    api_json(c, 200, api_media_json(c, &m));
}

void h_media_create(api_ctx *c)
{
    const pin_param *file = api_file(c, "file");
    if (!file) {
        api_error(c, PIN_EUNPROCESSABLE,
                  "Validation failed: File can't be blank (send it as the "
                  "multipart field \"file\")");
        return;
    }
    if (file->len == 0) {
        api_error(c, PIN_EUNPROCESSABLE, "Validation failed: File is empty");
        return;
    }
    if ((int64_t)file->len > c->api->cfg->media_max_bytes) {
        api_error(c, PIN_ETOOBIG,
                  pin_arena_printf(c->a, "The file is larger than the limit of %lld bytes",
                                   (long long)c->api->cfg->media_max_bytes));
        return;
    }
    api_defer(c, create_job);
}

static bool media_id(api_ctx *c, pin_id *id)
{
    if (pin_id_parse(api_cap(c, "id"), id)) return true;
    api_error(c, PIN_ENOTFOUND, NULL);
    return false;
}

void h_media_get(api_ctx *c)
{
    pin_id id;
    pin_media m;
    if (!media_id(c, &id)) return;
    pin_err err = pin_media_get(c->svc, c->a, &c->viewer, id, &m);
    if (err) {
        api_error(c, err, NULL);
        return;
    }
    api_json(c, 200, api_media_json(c, &m));
}

void h_media_update(api_ctx *c)
{
    pin_id id;
    pin_media m;
    const char *why = NULL;
    if (!media_id(c, &id)) return;
    pin_err err = pin_media_update(c->svc, c->a, &c->viewer, id, api_param(c, "description"),
                                   api_param(c, "focus"), &m, &why);
    if (err) {
        api_error(c, err, why);
        return;
    }
    api_json(c, 200, api_media_json(c, &m));
}

void h_media_delete(api_ctx *c)
{
    pin_id id;
    if (!media_id(c, &id)) return;
    pin_err err = pin_media_delete(c->svc, &c->viewer, id);
    if (err == PIN_EUNPROCESSABLE) {
        api_error(c, err, "This photo is part of a post: edit or delete the post instead");
        return;
    }
    if (err) {
        api_error(c, err, NULL);
        return;
    }
    api_json(c, 200, json_object());
}

/* True when an Accept header lists image/webp with q > 0 (a wildcard alone
 * does not ask for WebP: JPEG is the answer every client can show). */
static bool accepts_webp(const char *accept)
{
    bool webp = false;
    for (const char *p = accept; p && *p;) {
        while (*p == ' ' || *p == ',')
            p++;
        size_t n = strcspn(p, ",");
        const char *semi = memchr(p, ';', n);
        size_t tn = semi ? (size_t)(semi - p) : n;
        while (tn > 0 && p[tn - 1] == ' ')
            tn--;
        double q = 1;
        const char *qs = semi ? strstr(semi, "q=") : NULL;
        if (qs && qs < p + n) q = strtod(qs + 2, NULL);
        if (tn == 10 && !strncasecmp(p, "image/webp", 10)) webp = q > 0;
        p += n;
    }
    return webp;
}

/* GET /media/:token/:variant: the JPEG or, when the client accepts it, the
 * WebP of one derivative. Immutable: a new image gets a new token. */
void h_media_file(api_ctx *c)
{
    const char *variant = api_cap(c, "variant");
    int deriv = -1;
    for (int d = 0; d < PIN_DERIV_COUNT; d++) {
        if (!strcmp(variant, pin_image_deriv_name(d))) deriv = d;
    }
    bool webp = accepts_webp(pin_req_header(c->req, "Accept"));
    const char *key = NULL;
    pin_err err = deriv < 0
                      ? PIN_ENOTFOUND
                      : pin_media_file_key(c->svc, c->a, api_cap(c, "token"), deriv, webp, &key);
    int fd = -1;
    int64_t size = 0;
    if (!err) err = pin_blob_open(c->svc->blobs, key, &fd, &size);
    if (err) {
        api_error(c, err, NULL);
        return;
    }
    pin_resp_header(c->req, "Vary", "Accept");
    /* Never let a browser treat a photo as a page, whatever its bytes say. */
    pin_resp_header(c->req, "Content-Security-Policy", "sandbox; default-src 'none'");
    pin_http_send_file(c->req, fd, size, webp ? "image/webp" : "image/jpeg",
                       pin_arena_printf(c->a, "\"%s\"", key),
                       "public, max-age=31536000, immutable");
}
