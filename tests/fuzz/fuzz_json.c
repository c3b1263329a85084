/* libFuzzer target: JSON request bodies, through the whole server.
 *
 * The first byte picks a POST/PUT/PATCH route (bit 7 set: without a
 * token); the rest is the body, sent as application/json. api.c's
 * parse_params loads it with jansson and flattens it into form-style keys
 * ("a[b]", "list[]", "rows[0][x]") that the handlers read like a form:
 * nesting, duplicates, NUL escapes, numbers and every type where a string
 * is expected. Same routes as fuzz_form, so a seed can move between them.
 * Findings: a crash or sanitizer report, no answer, a 500, or JSON that is
 * not JSON.
 */
#include <stdint.h>

#include "fuzz_body_routes.h"
#include "fuzz_http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_body_input(fz_body_routes, FZ_NBODY_ROUTES, "application/json", data, size);
    return 0;
}
