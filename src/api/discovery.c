/* Hashtags, trends and search endpoints. */
#include <stdlib.h>
#include <string.h>

#include "api/api_int.h"
#include "core/html.h"
#include "service/discovery.h"

json_t *api_tag_json(api_ctx *c, const pin_tag *t)
{
    json_t *history = json_array();
    for (int i = 0; i < PIN_TREND_DAYS; i++)
        json_array_append_new(
            history,
            json_pack("{s:s,s:s,s:s}", "day",
                      pin_arena_printf(c->a, "%lld", (long long)(t->history[i].day_ms / 1000)),
                      "uses", pin_arena_printf(c->a, "%lld", (long long)t->history[i].uses),
                      "accounts",
                      pin_arena_printf(c->a, "%lld", (long long)t->history[i].accounts)));
    return json_pack("{s:s,s:s,s:o,s:b}", "name", t->key, "url",
                     pin_arena_printf(c->a, "%s/tags/%s", c->api->cfg->base_url,
                                      pin_url_encode(c->a, t->key, false)),
                     "history", history, "following", t->following);
}

static int int_param(api_ctx *c, const char *key, int def, int lo, int hi)
{
    const char *v = api_param(c, key);
    if (!v) return def;
    char *end;
    long n = strtol(v, &end, 10);
    if (*end || end == v) return def;
    return n < lo ? lo : n > hi ? hi : (int)n;
}

void h_tag_get(api_ctx *c)
{
    pin_tag t;
    pin_err err = pin_tag_get(c->svc, c->a, &c->viewer, api_cap(c, "name"), &t);
    if (err) {
        api_error(c, err, NULL);
        return;
    }
    api_json(c, 200, api_tag_json(c, &t));
}

static void tag_follow(api_ctx *c, bool on)
{
    pin_tag t;
    pin_err err = pin_tag_follow(c->svc, c->a, &c->viewer, api_cap(c, "name"), on, &t);
    if (err) {
        api_error(c, err,
                  err == PIN_EUNPROCESSABLE ? "Validation failed: Name is not a valid hashtag"
                                            : NULL);
        return;
    }
    api_json(c, 200, api_tag_json(c, &t));
}

void h_tag_follow(api_ctx *c)
{
    tag_follow(c, true);
}
void h_tag_unfollow(api_ctx *c)
{
    tag_follow(c, false);
}

/* Answers a list of tags, or the error that prevented it. */
static void answer_tags(api_ctx *c, pin_err err, const pin_tag *tags, int n)
{
    if (err) {
        api_error(c, err, NULL);
        return;
    }
    json_t *arr = json_array();
    for (int i = 0; i < n; i++)
        json_array_append_new(arr, api_tag_json(c, &tags[i]));
    api_json(c, 200, arr);
}

void h_followed_tags(api_ctx *c)
{
    pin_tag *tags = NULL;
    int n = 0;
    pin_err err =
        pin_followed_tags(c->svc, c->a, &c->viewer, int_param(c, "limit", 100, 1, 200), &tags, &n);
    answer_tags(c, err, tags, n);
}

void h_trends_tags(api_ctx *c)
{
    pin_tag *tags = NULL;
    int n = 0;
    pin_err err = pin_trends_tags(c->svc, c->a, &c->viewer, int_param(c, "limit", 10, 1, 20),
                                  int_param(c, "offset", 0, 0, 200), &tags, &n);
    answer_tags(c, err, tags, n);
}

void h_trends_statuses(api_ctx *c)
{
    pin_id *ids;
    int n = 0;
    pin_err err = pin_trends_statuses(c->svc, c->a, &c->viewer, int_param(c, "limit", 20, 1, 40),
                                      int_param(c, "offset", 0, 0, 500), &ids, &n);
    json_t *arr = err ? NULL : api_statuses_json(c, ids, n, &err);
    if (!arr) {
        api_error(c, err, NULL);
        return;
    }
    api_json(c, 200, arr);
}

void h_search(api_ctx *c)
{
    const char *q = api_param(c, "q");
    if (!q) {
        api_error(c, PIN_EINVAL, "Missing parameter: q");
        return;
    }
    pin_search_result r;
    pin_err err =
        pin_search(c->svc, c->a, &c->viewer, q, api_param(c, "type"),
                   int_param(c, "limit", 20, 1, 40), int_param(c, "offset", 0, 0, 10000), &r);
    if (err) {
        api_error(c, err,
                  err == PIN_EINVAL ? "Invalid search: q must be text of at most 500 bytes and "
                                      "type accounts, hashtags or statuses"
                                    : NULL);
        return;
    }
    json_t *statuses = api_statuses_json(c, r.statuses, r.nstatuses, &err);
    if (!statuses) {
        api_error(c, err, NULL);
        return;
    }
    json_t *accounts = json_array(), *tags = json_array();
    for (int i = 0; i < r.naccounts; i++) {
        pin_account acc;
        if (pin_account_get(c->svc, c->a, r.accounts[i], false, &acc) == PIN_OK)
            json_array_append_new(accounts, api_account_json(c, &acc));
    }
    for (int i = 0; i < r.ntags; i++)
        json_array_append_new(tags, api_tag_json(c, &r.tags[i]));
    api_json(
        c, 200,
        json_pack("{s:o,s:o,s:o}", "accounts", accounts, "hashtags", tags, "statuses", statuses));
}
