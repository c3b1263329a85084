/* libFuzzer target: query strings, through the whole server.
 *
 * The first byte picks a GET route (bit 7 set: without a token); the rest
 * is the query string after '?', as raw as a request line allows (see
 * fz_target): libmicrohttpd splits and percent-decodes it (collect_query
 * in src/http/server.c), api.c turns it into params, and the handler reads
 * ids, limits, max_id/since_id/min_id, arrays (id[]=, types[]=), acct and
 * search text. The last routes take the input as the whole path and query,
 * so the router and path decoding get fuzzed too. Placeholders ($A, $S...,
 * fuzz_http.h) name the fixture's rows. Findings: a crash or sanitizer
 * report, no answer, a 500, or JSON that is not JSON (fuzz_http.c).
 */
#include <stdint.h>
#include <stdlib.h>

#include "fuzz_http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const fz_route routes[] = {
    {"GET", "/api/v1/timelines/home?"},
    {"GET", "/api/v1/timelines/public?"},
    {"GET", "/api/v1/timelines/tag/sunset?"},
    {"GET", "/api/v1/accounts/$A/statuses?"},
    {"GET", "/api/v1/accounts/relationships?"},
    {"GET", "/api/v2/search?"},
    {"GET", "/api/v1/accounts/lookup?"},
    {"GET", "/api/v1/notifications?"},
    {"GET", "/api/v1/accounts/$A/followers?"},
    {"GET", "/api/v1/accounts/$B/following?"},
    {"GET", "/api/v1/favourites?"},
    {"GET", "/api/v1/bookmarks?"},
    {"GET", "/api/v1/pinhole/followers/history?"},
    {"GET", "/api/v1/trends/tags?"},
    {"GET", "/api/v1/trends/statuses?"},
    {"GET", "/api/v1/markers?"},
    {"GET", "/oauth/authorize?"},
    {"GET", "/auth/sign_up?"},
    {"GET", "/api/v1/statuses/$S/context?"},
    {"GET", "/api/v1/statuses/$O/favourited_by?"},
    {"GET", "/api/v1/followed_tags?"},
    {"GET", "/api/v1/blocks?"},
    {"GET", "/api/v1/follow_requests?"},
    {"GET", "/api/v1/notifications/unread_count?"},
    {"GET", "/api/v1/accounts/verify_credentials?"},
    {"GET", "/api/v1/instance?"},
    {"GET", "/"}, /* the input is the path and the query */
    {"GET", "/api/v1/"},
};
enum { NROUTES = sizeof(routes) / sizeof(routes[0]) };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    const fz_route *r = &routes[(data[0] & 0x7f) % NROUTES];
    char *target = fz_target(r->path, data + 1, size - 1);
    fz_request(r->method, target, !(data[0] & 0x80), NULL, NULL, 0);
    free(target);
    return 0;
}
