/* Matching a method and path against a route table.
 *
 * The table itself is data owned by the app (api/routes.c): an array of
 * structs whose first member is a pin_route. Patterns are literal segments
 * and `:name` captures, e.g. "/api/v1/accounts/:id/follow". A capture
 * matches one non-empty segment. HEAD matches GET routes.
 */
#ifndef PIN_HTTP_ROUTER_H
#define PIN_HTTP_ROUTER_H

#include <stddef.h>

#include "http/http.h"

typedef struct pin_route {
    const char *method;
    const char *pattern;
} pin_route;

/* Finds the route for method + path in `table` (count entries, each `stride`
 * bytes, each starting with a pin_route). On PIN_OK *idx is the entry and
 * *caps the captured segments (key = name without ':'), in the arena.
 * PIN_ENOTFOUND: no pattern matches the path. PIN_EMETHOD: some pattern
 * matches with another method; *allow lists them ("GET, POST"). */
pin_err pin_router_find(const void *table, size_t count, size_t stride, const char *method,
                        const char *path, pin_arena *a, size_t *idx, pin_param **caps,
                        const char **allow) PIN_WUR;

#endif
