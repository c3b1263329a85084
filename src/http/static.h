/* Static files from one folder (the web app's assets), sent with sendfile.
 * The name must be a single path segment of [A-Za-z0-9._-] not starting with
 * '.', so no client input can leave the folder. */
#ifndef PIN_HTTP_STATIC_H
#define PIN_HTTP_STATIC_H

#include "http/http.h"

/* Answers req with the file `name` from `dir`: 200 with the content type
 * of its extension, an ETag and Cache-Control; 304 on a matching
 * If-None-Match; 404 for anything else. */
void pin_http_static_file(pin_req *req, const char *dir, const char *name);

/* Answers req with an open file (consumed: the server closes it): 200, or
 * 304 when If-None-Match has `etag`, or 206 for one satisfiable
 * "Range: bytes=" range (416 when unsatisfiable; several ranges get the
 * whole file). Sets Content-Type, ETag, Cache-Control and Accept-Ranges. */
void pin_http_send_file(pin_req *req, int fd, int64_t size, const char *type, const char *etag,
                        const char *cache_control);

#endif
