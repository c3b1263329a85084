/* Status endpoints: post, read, edit (with history and source), delete. */
#include <string.h>

#include "api/api_int.h"

/* Reads the fields shared by POST and PUT. */
static void read_input(api_ctx *c, pin_status_in *in, const char **media, int max)
{
    memset(in, 0, sizeof(*in));
    in->text = api_param(c, "status");
    in->spoiler_text = api_param(c, "spoiler_text");
    in->sensitive = api_param_bool(c, "sensitive");
    in->visibility = api_param(c, "visibility");
    in->language = api_param(c, "language");
    in->nmedia = api_param_all(c, "media_ids", media, max);
    in->set_media = in->nmedia > 0 || api_param(c, "media_ids[]") || api_param(c, "media_ids");
    in->media_ids = media;
    if (in->nmedia > max) in->nmedia = max + 1; /* reported as too many */
}

static void answer_status(api_ctx *c, int status_code, pin_id id)
{
    pin_status s;
    pin_err err = pin_status_get(c->svc, c->a, &c->viewer, id, &s);
    if (err) {
        api_error(c, err, NULL);
        return;
    }
    api_json(c, status_code, api_status_json(c, &s));
}

void h_statuses_create(api_ctx *c)
{
    const char *media[65];
    pin_status_in in;
    read_input(c, &in, media, 64);
    if (in.sensitive == -2) {
        api_error(c, PIN_EUNPROCESSABLE, "Validation failed: Sensitive must be true or false");
        return;
    }
    const char *reply = api_param(c, "in_reply_to_id");
    if (reply && *reply && !pin_id_parse(reply, &in.in_reply_to_id)) {
        api_error(c, PIN_ENOTFOUND, NULL); /* as for a missing or hidden post */
        return;
    }
    in.idempotency_key = pin_req_header(c->req, "Idempotency-Key");
    pin_id id = 0;
    const char *why = NULL;
    pin_err err = pin_status_create(c->svc, c->a, &c->viewer, &in, &id, &why);
    if (err) {
        api_error(c, err, why);
        return;
    }
    answer_status(c, 200, id);
}

static bool status_id(api_ctx *c, pin_id *id)
{
    if (pin_id_parse(api_cap(c, "id"), id)) return true;
    api_error(c, PIN_ENOTFOUND, NULL);
    return false;
}

void h_statuses_get(api_ctx *c)
{
    pin_id id;
    if (status_id(c, &id)) answer_status(c, 200, id);
}

void h_statuses_delete(api_ctx *c)
{
    pin_id id;
    if (!status_id(c, &id)) return;
    pin_status s;
    pin_err err = pin_status_delete(c->svc, c->a, &c->viewer, id, &s);
    if (err) {
        api_error(c, err, NULL);
        return;
    }
    /* Mastodon answers with the deleted post and its source, for redrafting. */
    json_t *o = api_status_json(c, &s);
    json_object_set_new(o, "text", json_string(s.text));
    api_json(c, 200, o);
}

void h_statuses_edit(api_ctx *c)
{
    pin_id id;
    if (!status_id(c, &id)) return;
    const char *media[65];
    pin_status_in in;
    read_input(c, &in, media, 64);
    if (in.sensitive == -2) {
        api_error(c, PIN_EUNPROCESSABLE, "Validation failed: Sensitive must be true or false");
        return;
    }
    /* Rails' array form: media_attributes[][id]=..&media_attributes[][description]=..,
     * each [id] starting the next entry. */
    for (pin_param *p = c->params; p; p = p->next) {
        const char *k = p->key;
        if (strncmp(k, "media_attributes[][", 19) != 0) continue;
        if (!strcmp(k + 19, "id]")) {
            if (in.nattrs >= 32) {
                in.nattrs = 33;
                break;
            }
            in.media_attrs[in.nattrs].id = p->value;
            in.media_attrs[in.nattrs].description = in.media_attrs[in.nattrs].focus = NULL;
            in.nattrs++;
        } else if (in.nattrs > 0 && !strcmp(k + 19, "description]")) {
            in.media_attrs[in.nattrs - 1].description = p->value;
        } else if (in.nattrs > 0 && !strcmp(k + 19, "focus]")) {
            in.media_attrs[in.nattrs - 1].focus = p->value;
        }
    }
    for (int i = 0; i < 33 && in.nattrs <= 32; i++) {
        const char *mid = api_param(c, pin_arena_printf(c->a, "media_attributes[%d][id]", i));
        if (!mid) continue;
        if (in.nattrs == 32) {
            in.nattrs++;
            break;
        }
        in.media_attrs[in.nattrs].id = mid;
        in.media_attrs[in.nattrs].description =
            api_param(c, pin_arena_printf(c->a, "media_attributes[%d][description]", i));
        in.media_attrs[in.nattrs].focus =
            api_param(c, pin_arena_printf(c->a, "media_attributes[%d][focus]", i));
        in.nattrs++;
    }
    const char *why = NULL;
    pin_err err = pin_status_edit(c->svc, c->a, &c->viewer, id, &in, &why);
    if (err) {
        api_error(c, err, why);
        return;
    }
    answer_status(c, 200, id);
}

void h_statuses_history(api_ctx *c)
{
    pin_id id;
    if (!status_id(c, &id)) return;
    pin_status s;
    pin_status_version *v = NULL;
    int n = 0;
    pin_err err = pin_status_get(c->svc, c->a, &c->viewer, id, &s);
    if (!err) err = pin_status_history(c->svc, c->a, &c->viewer, id, &v, &n);
    if (err) {
        api_error(c, err, NULL);
        return;
    }
    json_t *arr = json_array();
    for (int i = 0; i < n; i++) {
        /* Attachments as they were: current files with that version's texts. */
        json_t *snap = json_loads(v[i].media_json, 0, NULL), *media = json_array();
        size_t k;
        json_t *item;
        json_array_foreach(snap, k, item)
        {
            pin_id mid = (pin_id)json_integer_value(json_object_get(item, "id"));
            pin_media m;
            /* As it was: its file with that version's description and focus
             * (a photo since taken off the post is still kept with it). */
            if (pin_status_media(c->svc, c->a, &s, mid, &m) != PIN_OK) continue;
            const char *d = json_string_value(json_object_get(item, "description"));
            m.description = d ? pin_arena_strdup(c->a, d) : NULL;
            m.focus_x = json_number_value(json_object_get(item, "focus_x"));
            m.focus_y = json_number_value(json_object_get(item, "focus_y"));
            json_array_append_new(media, api_media_json(c, &m));
        }
        json_decref(snap);
        json_array_append_new(arr, json_pack("{s:s,s:s,s:b,s:s,s:o,s:o,s:[]}", "content",
                                             api_render_text(c, v[i].text), "spoiler_text",
                                             v[i].spoiler_text, "sensitive", v[i].sensitive,
                                             "created_at", api_iso_time(c->a, v[i].created_at),
                                             "account", api_account_json(c, &s.account),
                                             "media_attachments", media, "emojis"));
    }
    api_json(c, 200, arr);
}

void h_statuses_source(api_ctx *c)
{
    pin_id id;
    if (!status_id(c, &id)) return;
    pin_status s;
    pin_err err = pin_status_get(c->svc, c->a, &c->viewer, id, &s);
    /* Only the author may read the source. */
    if (!err && s.account.id != c->viewer.account_id) err = PIN_ENOTFOUND;
    if (err) {
        api_error(c, err, NULL);
        return;
    }
    api_json(c, 200,
             json_pack("{s:s,s:s,s:s}", "id", pin_arena_printf(c->a, "%lld", (long long)s.id),
                       "text", s.text, "spoiler_text", s.spoiler_text));
}
