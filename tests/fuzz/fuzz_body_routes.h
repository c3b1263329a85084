/* The routes that take a body, shared by fuzz_form and fuzz_json so that
 * a seed's first byte picks the same route in both. Left out on purpose:
 * password change and sign out everywhere (they would lock the fixture's
 * token out) and deletions (they would remove its rows). */
#ifndef PIN_FUZZ_BODY_ROUTES_H
#define PIN_FUZZ_BODY_ROUTES_H

#include "fuzz_http.h"

static const fz_route fz_body_routes[] = {
    {"POST", "/api/v1/statuses"},                     /* 0 */
    {"PUT", "/api/v1/statuses/$S"},                   /* 1 */
    {"POST", "/oauth/token"},                         /* 2 */
    {"POST", "/api/v1/accounts"},                     /* 3 */
    {"PATCH", "/api/v1/accounts/update_credentials"}, /* 4 */
    {"POST", "/api/v1/apps"},                         /* 5 */
    {"POST", "/api/v1/markers"},                      /* 6 */
    {"PUT", "/api/v1/media/$M"},                      /* 7 */
    {"POST", "/oauth/authorize"},                     /* 8 */
    {"POST", "/auth/sign_up"},                        /* 9 */
    {"POST", "/api/v1/accounts/$B/follow"},           /* 10 */
    {"POST", "/api/v1/accounts/$B/mute"},             /* 11 */
    {"POST", "/oauth/revoke"},                        /* 12 */
    {"POST", "/api/v1/statuses/$O/reblog"},           /* 13 */
    {"POST", "/api/v1/tags/sunset/follow"},           /* 14 */
    {"POST", "/api/v1/statuses/$O/favourite"},        /* 15 */
};
enum { FZ_NBODY_ROUTES = sizeof(fz_body_routes) / sizeof(fz_body_routes[0]) };

#endif
