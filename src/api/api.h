/* The Mastodon-compatible API, OAuth and the server-rendered pages.
 *
 * Thin by design: each handler parses its input, calls one service
 * operation and serializes the result. Routing, token checks and scope
 * checks come from the one route table in routes.c.
 */
#ifndef PIN_API_API_H
#define PIN_API_API_H

#include "http/http.h"
#include "service/svc.h"

typedef struct pin_api pin_api;

/* Creates the API over a ready service. Caller frees with pin_api_free(). */
pin_api *pin_api_new(pin_svc *svc);
/* Finishes the requests handed to writer and photo threads (new ones are
 * refused with 503) and stops those threads: after pin_http_quiesce,
 * before pin_http_stop. */
void pin_api_stop(pin_api *api);
void pin_api_free(pin_api *api);
/* The hooks the HTTP server calls (ctx is the api). */
pin_http_app pin_api_http_app(pin_api *api);

/* Calls fn for every route (method, pattern, scope name, whether it needs a
 * signed-in person), for `pinhole routes` and the README's endpoint list. */
typedef void (*pin_api_route_fn)(void *ctx, const char *method, const char *pattern,
                                 const char *scope, const char *auth);
void pin_api_each_route(pin_api_route_fn fn, void *ctx);

#endif
