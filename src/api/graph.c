/* Social graph endpoints: follow, block, mute, requests, relationships,
 * follower and following lists, and the follower ledger. */
#include <string.h>

#include "api/api_int.h"
#include "core/html.h"
#include "service/graph.h"

static json_t *relationship_json(api_ctx *c, const pin_relationship *r)
{
    return json_pack("{s:s,s:b,s:b,s:b,s:n,s:b,s:b,s:b,s:b,s:b,s:b,s:b,s:b,s:b,s:s}", "id",
                     pin_arena_printf(c->a, "%lld", (long long)r->id), "following", r->following,
                     "showing_reblogs", r->showing_reblogs, "notifying", r->notifying, "languages",
                     "followed_by", r->followed_by, "blocking", r->blocking, "blocked_by",
                     r->blocked_by, "muting", r->muting, "muting_notifications",
                     r->muting_notifications, "requested", r->requested, "requested_by",
                     r->requested_by, "domain_blocking", 0, "endorsed", 0, "note", "");
}

typedef enum {
    G_FOLLOW,
    G_UNFOLLOW,
    G_BLOCK,
    G_UNBLOCK,
    G_MUTE,
    G_UNMUTE,
    G_REMOVE,
    G_AUTHORIZE,
    G_REJECT
} graph_op;

static void graph_action(api_ctx *c, graph_op op)
{
    pin_id id;
    if (!pin_id_parse(api_cap(c, "id"), &id)) {
        api_error(c, PIN_ENOTFOUND, NULL);
        return;
    }
    pin_relationship r;
    pin_err err;
    switch (op) {
    case G_FOLLOW:
        err = pin_follow(c->svc, &c->viewer, id, &r);
        break;
    case G_UNFOLLOW:
        err = pin_unfollow(c->svc, &c->viewer, id, &r);
        break;
    case G_BLOCK:
        err = pin_block(c->svc, &c->viewer, id, &r);
        break;
    case G_UNBLOCK:
        err = pin_unblock(c->svc, &c->viewer, id, &r);
        break;
    case G_MUTE:
        err = pin_mute(c->svc, &c->viewer, id, api_param_bool(c, "notifications") != 0, &r);
        break;
    case G_UNMUTE:
        err = pin_unmute(c->svc, &c->viewer, id, &r);
        break;
    case G_REMOVE:
        err = pin_remove_follower(c->svc, &c->viewer, id, &r);
        break;
    case G_AUTHORIZE:
        err = pin_follow_request_answer(c->svc, &c->viewer, id, true, &r);
        break;
    default:
        err = pin_follow_request_answer(c->svc, &c->viewer, id, false, &r);
        break;
    }
    if (err) {
        api_error(c, err,
                  err == PIN_EUNPROCESSABLE && id == c->viewer.account_id
                      ? "Validation failed: You cannot do that to yourself"
                  : err == PIN_EUNPROCESSABLE
                      ? pin_arena_printf(
                            c->a, "Validation failed: You cannot follow more than %d accounts",
                            c->svc->cfg->max_following)
                  : err == PIN_EFORBIDDEN ? "This action is not allowed"
                                          : NULL);
        return;
    }
    api_json(c, 200, relationship_json(c, &r));
}

void h_follow(api_ctx *c)
{
    graph_action(c, G_FOLLOW);
}
void h_unfollow(api_ctx *c)
{
    graph_action(c, G_UNFOLLOW);
}
void h_block(api_ctx *c)
{
    graph_action(c, G_BLOCK);
}
void h_unblock(api_ctx *c)
{
    graph_action(c, G_UNBLOCK);
}
void h_mute(api_ctx *c)
{
    graph_action(c, G_MUTE);
}
void h_unmute(api_ctx *c)
{
    graph_action(c, G_UNMUTE);
}
void h_remove_follower(api_ctx *c)
{
    graph_action(c, G_REMOVE);
}
void h_request_authorize(api_ctx *c)
{
    graph_action(c, G_AUTHORIZE);
}
void h_request_reject(api_ctx *c)
{
    graph_action(c, G_REJECT);
}

void h_relationships(api_ctx *c)
{
    const char *ids[41];
    int n = api_param_all(c, "id", ids, 40);
    if (n > 40) n = 40;
    pin_db *db;
    pin_err err = pin_svc_db(c->svc, &db);
    if (err) {
        api_error(c, err, NULL);
        return;
    }
    json_t *arr = json_array();
    for (int i = 0; i < n; i++) {
        pin_id id;
        pin_relationship r;
        if (!pin_id_parse(ids[i], &id)) continue;
        err = pin_relationship_get(c->svc, db, c->viewer.account_id, id, &r);
        if (err) {
            json_decref(arr);
            api_error(c, err, NULL);
            return;
        }
        json_array_append_new(arr, relationship_json(c, &r));
    }
    api_json(c, 200, arr);
}

bool api_page_params(api_ctx *c, pin_page *p, int def, int max)
{
    memset(p, 0, sizeof(*p));
    const char *v;
    p->limit = def;
    if ((v = api_param(c, "limit"))) {
        char *end;
        long n = strtol(v, &end, 10);
        if (*end || end == v) {
            api_error(c, PIN_EINVAL, "limit must be a number");
            return false;
        }
        p->limit = n < 1 ? 1 : n > max ? max : (int)n;
    }
    struct {
        const char *key;
        pin_id *out;
    } ids[] = {{"max_id", &p->max_id}, {"since_id", &p->since_id}, {"min_id", &p->min_id}};
    for (int i = 0; i < 3; i++) {
        if ((v = api_param(c, ids[i].key)) && *v && !pin_id_parse(v, ids[i].out)) {
            api_error(c, PIN_EINVAL, pin_arena_printf(c->a, "%s must be an id", ids[i].key));
            return false;
        }
    }
    return true;
}

void api_link_header(api_ctx *c, pin_id newest, pin_id oldest, int n, int limit)
{
    if (n == 0) return;
    pin_arena *a = c->a;
    /* The same request with the page moved: other parameters (filters) stay. */
    pin_buf keep;
    pin_buf_init(&keep, a);
    for (pin_param *p = c->req->query; p; p = p->next) {
        if (!strcmp(p->key, "limit") || !strcmp(p->key, "max_id") || !strcmp(p->key, "min_id") ||
            !strcmp(p->key, "since_id"))
            continue;
        pin_buf_printf(&keep, "&%s=%s", pin_url_encode(a, p->key, false),
                       pin_url_encode(a, p->value, false));
    }
    const char *base = pin_arena_printf(a, "%s%s?limit=%d%s", c->api->cfg->base_url,
                                        pin_url_encode(a, c->req->path, true), limit, keep.data);
    pin_buf b;
    pin_buf_init(&b, a);
    if (n >= limit) pin_buf_printf(&b, "<%s&max_id=%lld>; rel=\"next\", ", base, (long long)oldest);
    pin_buf_printf(&b, "<%s&min_id=%lld>; rel=\"prev\"", base, (long long)newest);
    pin_resp_header(c->req, "Link", b.data);
}

static void account_list(api_ctx *c, pin_list_kind kind, pin_id owner)
{
    pin_page page;
    if (!api_page_params(c, &page, 40, 80)) return;
    pin_id *ids, *edge;
    int n = 0;
    pin_err err = pin_graph_list(c->svc, c->a, &c->viewer, kind, owner, &page, &ids, &edge, &n);
    if (err) {
        api_error(c, err, NULL);
        return;
    }
    api_accounts_page(c, ids, edge, n, page.limit);
}

void api_accounts_page(api_ctx *c, const pin_id *ids, const pin_id *edge, int n, int limit)
{
    json_t *arr = json_array();
    for (int i = 0; i < n; i++) {
        pin_account acc;
        if (pin_account_get(c->svc, c->a, ids[i], false, &acc) == PIN_OK)
            json_array_append_new(arr, api_account_json(c, &acc));
    }
    api_link_header(c, n ? edge[0] : 0, n ? edge[n - 1] : 0, n, limit);
    api_json(c, 200, arr);
}

static bool owner_id(api_ctx *c, pin_id *id)
{
    pin_account acc;
    if (pin_id_parse(api_cap(c, "id"), id) &&
        pin_account_get(c->svc, c->a, *id, false, &acc) == PIN_OK)
        return true;
    api_error(c, PIN_ENOTFOUND, NULL);
    return false;
}

void h_followers(api_ctx *c)
{
    pin_id id;
    if (owner_id(c, &id)) account_list(c, PIN_LIST_FOLLOWERS, id);
}

void h_following(api_ctx *c)
{
    pin_id id;
    if (owner_id(c, &id)) account_list(c, PIN_LIST_FOLLOWING, id);
}

void h_blocks(api_ctx *c)
{
    account_list(c, PIN_LIST_BLOCKS, 0);
}
void h_mutes(api_ctx *c)
{
    account_list(c, PIN_LIST_MUTES, 0);
}
void h_follow_requests(api_ctx *c)
{
    account_list(c, PIN_LIST_REQUESTS, 0);
}

/* GET /api/v1/pinhole/followers/history?days=N: the follower ledger. */
void h_followers_history(api_ctx *c)
{
    int days = 30;
    const char *d = api_param(c, "days");
    if (d) {
        char *end;
        long n = strtol(d, &end, 10);
        if (*end || n < 1 || n > 366) {
            api_error(c, PIN_EINVAL, "days must be a number from 1 to 366");
            return;
        }
        days = (int)n;
    }
    pin_ledger_day *rows;
    pin_ledger_event *ev;
    int nev = 0;
    pin_err err = pin_ledger_get(c->svc, c->a, &c->viewer, days, &rows, &ev, &nev, 1000);
    if (err) {
        api_error(c, err, NULL);
        return;
    }
    json_t *daily = json_array(), *events = json_array();
    for (int i = 0; i < days; i++) {
        json_t *causes = json_object();
        for (int k = 0; k < 8; k++) {
            if (rows[i].by_cause[k])
                json_object_set_new(causes, pin_ledger_causes[k],
                                    json_integer(rows[i].by_cause[k]));
        }
        json_array_append_new(
            daily,
            json_pack("{s:s,s:I,s:I,s:I,s:o}", "date",
                      pin_arena_strndup(c->a, api_iso_time(c->a, rows[i].day_ms), 10), "followers",
                      (json_int_t)rows[i].followers, "gained", (json_int_t)rows[i].gained, "lost",
                      (json_int_t)rows[i].lost, "by_cause", causes));
    }
    for (int i = 0; i < nev; i++) {
        pin_account acc;
        json_t *who = pin_account_get(c->svc, c->a, ev[i].follower_id, false, &acc) == PIN_OK
                          ? api_account_json(c, &acc)
                          : json_null();
        json_array_append_new(events, json_pack("{s:s,s:s,s:i,s:s,s:o}", "id",
                                                pin_arena_printf(c->a, "%lld", (long long)ev[i].id),
                                                "created_at", api_iso_time(c->a, ev[i].at), "delta",
                                                ev[i].delta, "cause", ev[i].cause, "account", who));
    }
    api_json(c, 200, json_pack("{s:o,s:o}", "days", daily, "events", events));
}
