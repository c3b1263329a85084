/* Timelines, likes, bookmarks, context and notifications endpoints. */
#include <string.h>

#include "api/api_int.h"
#include "core/text.h"
#include "service/interact.h"
#include "service/timelines.h"

/* A page of a timeline. The loader leaves out what the viewer may not see
 * that the timeline's SQL let through (a reblog of a post whose author
 * blocks the viewer): a page left short reads on past it, a few rounds at
 * most, so that a page holds `limit` posts while there are more. Pages read
 * downward (the first, max_id) go on below; pages read upward from min_id
 * go on above, or a client asking for what is newer than its newest post
 * would get the same empty page for ever. The Link header covers everything
 * read. */
static void timeline(api_ctx *c, pin_timeline_q *q)
{
    enum { ROUNDS = 4 };
    if (!api_page_params(c, &q->page, 20, 40)) return;
    int limit = q->page.limit, got = 0, read = 0;
    bool up = q->page.min_id != 0, more = false;
    pin_status *s = pin_arena_alloc(c->a, sizeof(*s) * (size_t)limit);
    pin_status *round_s = up ? pin_arena_alloc(c->a, sizeof(*s) * (size_t)limit) : NULL;
    pin_id newest = 0, oldest = 0;
    for (int round = 0; round < ROUNDS && got < limit; round++) {
        pin_id *ids, *edge;
        int n = 0, k = 0;
        q->page.limit = limit - got;
        pin_err err = pin_timeline(c->svc, c->a, &c->viewer, q, &ids, &edge, &n);
        if (!err)
            err = pin_statuses_get(c->svc, c->a, &c->viewer, ids, n, up ? round_s : s + got, &k);
        if (err) {
            api_error(c, err, NULL);
            return;
        }
        if (n == 0) break;
        if (up) { /* this round is newer than what came before: it goes first */
            memmove(s + k, s, sizeof(*s) * (size_t)got);
            memcpy(s, round_s, sizeof(*s) * (size_t)k);
        }
        if (!read || up) newest = edge[0];
        if (!read || !up) oldest = edge[n - 1];
        read += n;
        got += k;
        more = n == q->page.limit;
        if (!more) break;
        if (up)
            q->page.min_id = edge[0];
        else
            q->page.max_id = edge[n - 1];
    }
    json_t *arr = json_array();
    for (int i = 0; i < got; i++)
        json_array_append_new(arr, api_status_json(c, &s[i]));
    /* n >= limit asks api_link_header for a next link. */
    api_link_header(c, newest, oldest, !read ? 0 : more ? limit : 1, limit);
    api_json(c, 200, arr);
}

void h_timeline_home(api_ctx *c)
{
    pin_timeline_q q = {.kind = PIN_TL_HOME};
    timeline(c, &q);
}

void h_timeline_public(api_ctx *c)
{
    pin_timeline_q q = {.kind = PIN_TL_PUBLIC};
    timeline(c, &q);
}

void h_timeline_tag(api_ctx *c)
{
    const char *tag = api_cap(c, "tag");
    const char *key = pin_text_tag_key(c->a, tag, strlen(tag));
    if (!key) {
        api_json(c, 200, json_array()); /* not a hashtag: nothing can carry it */
        return;
    }
    pin_timeline_q q = {.kind = PIN_TL_TAG, .tag = key};
    timeline(c, &q);
}

void h_account_statuses(api_ctx *c)
{
    pin_id id;
    pin_account acc;
    if (!pin_id_parse(api_cap(c, "id"), &id) || pin_account_get(c->svc, c->a, id, false, &acc)) {
        api_error(c, PIN_ENOTFOUND, NULL);
        return;
    }
    pin_timeline_q q = {.kind = api_param_bool(c, "pinned") == 1 ? PIN_TL_PINNED : PIN_TL_ACCOUNT,
                        .account = id,
                        .exclude_replies = api_param_bool(c, "exclude_replies") == 1};
    timeline(c, &q);
}

void h_favourites(api_ctx *c)
{
    pin_timeline_q q = {.kind = PIN_TL_FAVOURITES};
    timeline(c, &q);
}

void h_bookmarks(api_ctx *c)
{
    pin_timeline_q q = {.kind = PIN_TL_BOOKMARKS};
    timeline(c, &q);
}

static void mark(api_ctx *c, bool fav, bool on)
{
    pin_id id;
    pin_status s;
    pin_err err = pin_id_parse(api_cap(c, "id"), &id) ? PIN_OK : PIN_ENOTFOUND;
    if (!err)
        err = fav ? pin_favourite(c->svc, c->a, &c->viewer, id, on, &s)
                  : pin_bookmark(c->svc, c->a, &c->viewer, id, on, &s);
    if (err) {
        api_error(c, err, NULL);
        return;
    }
    api_json(c, 200, api_status_json(c, &s));
}

static void share(api_ctx *c, bool reblog, bool on)
{
    pin_id id;
    pin_status s;
    pin_err err = pin_id_parse(api_cap(c, "id"), &id) ? PIN_OK : PIN_ENOTFOUND;
    if (!err)
        err = reblog ? pin_status_reblog(c->svc, c->a, &c->viewer, id, on, &s)
                     : pin_status_pin(c->svc, c->a, &c->viewer, id, on, &s);
    if (err == PIN_EUNPROCESSABLE) {
        api_error(c, err,
                  reblog ? "Validation failed: Followers-only and direct posts cannot be shared"
                         : "Validation failed: You can pin up to 5 of your own posts, and not "
                           "direct ones");
        return;
    }
    if (err) {
        api_error(c, err, NULL);
        return;
    }
    api_json(c, 200, api_status_json(c, &s));
}

void h_reblog(api_ctx *c)
{
    share(c, true, true);
}
void h_unreblog(api_ctx *c)
{
    share(c, true, false);
}
void h_pin(api_ctx *c)
{
    share(c, false, true);
}
void h_unpin(api_ctx *c)
{
    share(c, false, false);
}

void h_favourite(api_ctx *c)
{
    mark(c, true, true);
}
void h_unfavourite(api_ctx *c)
{
    mark(c, true, false);
}
void h_bookmark(api_ctx *c)
{
    mark(c, false, true);
}
void h_unbookmark(api_ctx *c)
{
    mark(c, false, false);
}

static void actors(api_ctx *c, bool reblogs)
{
    pin_id id;
    pin_page page;
    if (!api_page_params(c, &page, 40, 80)) return;
    pin_id *ids, *edge;
    int n = 0;
    pin_err err = pin_id_parse(api_cap(c, "id"), &id) ? PIN_OK : PIN_ENOTFOUND;
    if (!err)
        err = (reblogs ? pin_reblogged_by : pin_favourited_by)(c->svc, c->a, &c->viewer, id, &page,
                                                               &ids, &edge, &n);
    if (err) {
        api_error(c, err, NULL);
        return;
    }
    api_accounts_page(c, ids, edge, n, page.limit);
}

void h_favourited_by(api_ctx *c)
{
    actors(c, false);
}

void h_reblogged_by(api_ctx *c)
{
    actors(c, true);
}

void h_context(api_ctx *c)
{
    pin_id id, *anc, *desc;
    int na = 0, nd = 0;
    pin_err err = pin_id_parse(api_cap(c, "id"), &id) ? PIN_OK : PIN_ENOTFOUND;
    if (!err) err = pin_status_context(c->svc, c->a, &c->viewer, id, &anc, &na, &desc, &nd);
    json_t *a = err ? NULL : api_statuses_json(c, anc, na, &err);
    json_t *d = err ? NULL : api_statuses_json(c, desc, nd, &err);
    if (err) {
        json_decref(a);
        api_error(c, err, NULL);
        return;
    }
    api_json(c, 200, json_pack("{s:o,s:o}", "ancestors", a, "descendants", d));
}

/* ---- notifications ---- */

/* Notifications as Mastodon's entities, their accounts and posts loaded
 * with the batch loaders (a few statements for the page, not a few per
 * notification). A post the viewer may no longer see is null. NULL and
 * *err on a database error. */
static json_t *notifications_json(api_ctx *c, const pin_notification *list, int n, pin_err *err)
{
    size_t cap = (size_t)(n ? n : 1);
    pin_id *from = pin_arena_alloc(c->a, cap * sizeof(*from));
    pin_id *posts = pin_arena_alloc(c->a, cap * sizeof(*posts));
    int nposts = 0;
    for (int i = 0; i < n; i++) {
        from[i] = list[i].from_account;
        if (list[i].status_id) posts[nposts++] = list[i].status_id;
    }
    pin_account *accs = pin_arena_alloc(c->a, cap * sizeof(*accs));
    pin_status *ss = pin_arena_alloc(c->a, (size_t)(nposts ? nposts : 1) * sizeof(*ss));
    int got = 0;
    *err = pin_accounts_get(c->svc, c->a, from, n, accs);
    if (!*err) *err = pin_statuses_get(c->svc, c->a, &c->viewer, posts, nposts, ss, &got);
    if (*err) return NULL;
    json_t *arr = json_array();
    for (int i = 0; i < n; i++) {
        const pin_notification *x = &list[i];
        json_t *status = json_null();
        for (int j = 0; x->status_id && j < got; j++) {
            if (ss[j].id != x->status_id) continue;
            json_decref(status);
            status = api_status_json(c, &ss[j]);
            break;
        }
        json_array_append_new(
            arr,
            json_pack("{s:s,s:s,s:s,s:o,s:o}", "id",
                      pin_arena_printf(c->a, "%lld", (long long)x->id), "type", x->type,
                      "created_at", api_iso_time(c->a, x->created_at), "account",
                      accs[i].id ? api_account_json(c, &accs[i]) : json_null(), "status", status));
    }
    return arr;
}

void h_notifications(api_ctx *c)
{
    pin_page page;
    if (!api_page_params(c, &page, 40, 80)) return;
    const char *types[16], *exclude[16];
    int nt = api_param_all(c, "types", types, 16),
        ne = api_param_all(c, "exclude_types", exclude, 16);
    pin_notification *list;
    int n = 0;
    pin_err err = pin_notifications(c->svc, c->a, &c->viewer, &page, types, nt > 16 ? 16 : nt,
                                    exclude, ne > 16 ? 16 : ne, &list, &n);
    if (err) {
        api_error(c, err, NULL);
        return;
    }
    json_t *arr = notifications_json(c, list, n, &err);
    if (!arr) {
        api_error(c, err, NULL);
        return;
    }
    api_link_header(c, n ? list[0].id : 0, n ? list[n - 1].id : 0, n, page.limit);
    api_json(c, 200, arr);
}

void h_notification_get(api_ctx *c)
{
    pin_id id;
    pin_notification n;
    pin_err err = pin_id_parse(api_cap(c, "id"), &id) ? PIN_OK : PIN_ENOTFOUND;
    if (!err) err = pin_notification_get(c->svc, c->a, &c->viewer, id, &n);
    json_t *arr = err ? NULL : notifications_json(c, &n, 1, &err);
    if (!arr) {
        api_error(c, err, NULL);
        return;
    }
    api_json(c, 200, json_incref(json_array_get(arr, 0)));
    json_decref(arr);
}

void h_notification_dismiss(api_ctx *c)
{
    pin_id id;
    pin_err err = pin_id_parse(api_cap(c, "id"), &id) ? PIN_OK : PIN_ENOTFOUND;
    if (!err) err = pin_notification_dismiss(c->svc, &c->viewer, id);
    if (err) {
        api_error(c, err, NULL);
        return;
    }
    api_json(c, 200, json_object());
}

void h_notifications_clear(api_ctx *c)
{
    pin_err err = pin_notifications_clear(c->svc, &c->viewer);
    if (err) {
        api_error(c, err, NULL);
        return;
    }
    api_json(c, 200, json_object());
}

void h_notifications_unread(api_ctx *c)
{
    int64_t n = 0;
    pin_err err = pin_notifications_unread(c->svc, &c->viewer, &n);
    if (err) {
        api_error(c, err, NULL);
        return;
    }
    api_json(c, 200, json_pack("{s:I}", "count", (json_int_t)n));
}

/* POST /api/v1/markers with notifications[last_read_id]: marks read. */
void h_markers_post(api_ctx *c)
{
    const char *last = api_param(c, "notifications[last_read_id]");
    pin_id id;
    if (!last || !pin_id_parse(last, &id)) {
        api_error(c, PIN_EUNPROCESSABLE,
                  "Validation failed: notifications[last_read_id] is required");
        return;
    }
    pin_err err = pin_notifications_mark_read(c->svc, &c->viewer, id);
    if (err) {
        api_error(c, err, NULL);
        return;
    }
    api_json(c, 200,
             json_pack("{s:{s:s,s:i,s:s}}", "notifications", "last_read_id", last, "version", 0,
                       "updated_at", api_iso_time(c->a, pin_now_ms())));
}

/* GET /api/v1/markers?timeline[]=notifications: where reading stopped. */
void h_markers_get(api_ctx *c)
{
    const char *want[4];
    int n = api_param_all(c, "timeline", want, 4);
    json_t *o = json_object();
    for (int i = 0; i < n && i < 4; i++) {
        if (strcmp(want[i], "notifications") != 0) continue; /* no home marker is kept */
        pin_id id = 0;
        pin_err err = pin_notifications_read_id(c->svc, &c->viewer, &id);
        if (err) {
            json_decref(o);
            api_error(c, err, NULL);
            return;
        }
        if (id)
            json_object_set_new(o, "notifications",
                                json_pack("{s:s,s:i,s:s}", "last_read_id",
                                          pin_arena_printf(c->a, "%lld", (long long)id), "version",
                                          0, "updated_at", api_iso_time(c->a, pin_id_ms(id))));
    }
    api_json(c, 200, o);
}
