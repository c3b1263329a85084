/* The in-process pinhole server that the HTTP fuzz targets talk to.
 *
 * libmicrohttpd's query and form parsers need a real connection, so the
 * honest way to fuzz them, and our glue behind them (src/http/server.c,
 * api.c's parse_params and the handlers reading the params), is the whole
 * program: fz_start() runs the real HTTP app (SQLite, the worker pool,
 * libvips) on 127.0.0.1 with an ephemeral port, over a fresh data folder
 * in /dev/shm (or $TMPDIR) that is removed at exit; folders left by a run
 * that crashed are removed by the next one. Argon2 is set cheap and the
 * rate limits high so that nothing a fuzzer does locks the fixture out.
 *
 * The fixture: alice (whose token authenticated requests carry, every
 * scope but admin), bob, a post of each, an unattached photo of alice's
 * and the app both tokens came from. Inputs name them with placeholders
 * (fz_expand). Routes that would destroy the fixture (password change,
 * sign out everywhere) are left out of the targets' tables.
 */
#ifndef PIN_FUZZ_HTTP_H
#define PIN_FUZZ_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct fz_route {
    const char *method;
    const char *path; /* may hold placeholders */
} fz_route;

/* Starts the server and makes the fixture, once per process. Aborts with
 * a message if anything fails. */
/* Called by LLVMFuzzerInitialize, which fuzz_http.c defines for every target
 * linked with it. */
void fz_start(void);

/* A malloc'd copy of data[0, size) with each placeholder replaced: $A
 * alice's account id, $B bob's, $S alice's post, $O bob's post, $M alice's
 * unattached media, $I the app's client_id, $K its client_secret, $U
 * alice's username, $P her password. Any other '$' stays. NUL-terminated;
 * *outlen is its length. */
char *fz_expand(const void *data, size_t size, size_t *outlen);

/* A request target: `prefix` (placeholders expanded), then the bytes
 * q[0, qlen), placeholders expanded too, with the bytes a request line
 * cannot carry (controls, space, '#', DEL, non-ASCII) percent-encoded, so
 * the server decodes them back; everything else, '%' included, goes as
 * is. malloc'd, NUL-terminated. */
char *fz_target(const char *prefix, const uint8_t *q, size_t qlen);

/* Sends one HTTP/1.1 request over a new loopback connection
 * (Connection: close), with alice's token when `auth`, and reads the
 * answer. Aborts (a finding) unless the server answers within
 * FZ_TIMEOUT_S with a status line, the status is not 500, a JSON content
 * type comes with a body that is valid JSON, and no HTML page holds the
 * marker "<fz" (input the page did not escape).
 * Returns the status. */
enum { FZ_TIMEOUT_S = 10 };
int fz_request(const char *method, const char *target, bool auth, const char *content_type,
               const char *body, size_t blen);

/* Picks a route from the input's first byte (bit 7: no Authorization) and
 * sends the rest as the body with `content_type`: the shared body of the
 * form, JSON and multipart targets. */
int fz_body_input(const fz_route *routes, size_t nroutes, const char *content_type,
                  const uint8_t *data, size_t size);

#endif
