/* libFuzzer target: multipart/form-data bodies, through the whole server.
 *
 * The first byte picks a route (bit 7 set: without a token); the rest is
 * the body, sent with the fixed header
 *   Content-Type: multipart/form-data; boundary=fuzzboundary
 * libmicrohttpd's post processor splits the parts; our iterator (on_form
 * in src/http/server.c) keeps fields in memory and, on the upload routes
 * (/api/v2/media, update_credentials), streams file parts to temporary
 * files that the media pipeline (libvips) then reads. The seeds carry an
 * 8x8 PNG so that path is reached. Findings: a crash or sanitizer report,
 * no answer, a 500, or JSON that is not JSON.
 */
#include <stdint.h>

#include "fuzz_http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const fz_route routes[] = {
    {"POST", "/api/v2/media"},    {"PATCH", "/api/v1/accounts/update_credentials"},
    {"POST", "/api/v1/statuses"}, {"POST", "/api/v1/media"},
    {"POST", "/oauth/token"},     {"POST", "/api/v1/apps"},
    {"PUT", "/api/v1/media/$M"},  {"POST", "/auth/sign_up"},
};
enum { NROUTES = sizeof(routes) / sizeof(routes[0]) };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_body_input(routes, NROUTES, "multipart/form-data; boundary=fuzzboundary", data, size);
    return 0;
}
