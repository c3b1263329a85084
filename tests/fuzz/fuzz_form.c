/* libFuzzer target: application/x-www-form-urlencoded bodies, through the
 * whole server.
 *
 * The first byte picks a POST/PUT/PATCH route (bit 7 set: without a
 * token); the rest is the body. libmicrohttpd's post processor decodes it
 * and our iterator (on_form in src/http/server.c) collects fields, values
 * that arrive in pieces included; api.c merges them with the query into
 * params, and the handlers read statuses, media_ids[], booleans, OAuth
 * grants, registrations, profile fields, markers. Placeholders ($S, $M,
 * $I, $K...: fuzz_http.h) name the fixture's rows and app. Findings: a
 * crash or sanitizer report, no answer, a 500, or JSON that is not JSON.
 */
#include <stdint.h>

#include "fuzz_body_routes.h"
#include "fuzz_http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_body_input(fz_body_routes, FZ_NBODY_ROUTES, "application/x-www-form-urlencoded", data, size);
    return 0;
}
