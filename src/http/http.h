/* The HTTP server: libmicrohttpd glue, one request object per request.
 *
 * libmicrohttpd runs an epoll thread pool; each request gets a pin_req whose
 * arena holds everything the request allocates and is freed when the response
 * has been sent. The body is read in full before the app's handler runs,
 * bounded by the limit the app chose from the request line: a larger
 * Content-Length is refused at once with 413. Forms (urlencoded and
 * multipart) are decoded into params; any other body is kept as bytes.
 *
 * One access-log line per request: method, path, status, bytes, microseconds.
 */
#ifndef PIN_HTTP_HTTP_H
#define PIN_HTTP_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/err.h"

typedef struct pin_param {
    const char *key;
    const char *value; /* NUL-terminated; may contain NUL only if len says so */
    size_t len;
    bool file; /* a multipart file streamed to disk: value is its temporary
                  path (removed by the server when the request ends), len its size */
    struct pin_param *next;
} pin_param;

typedef struct pin_header {
    const char *name, *value;
    struct pin_header *next;
} pin_header;

typedef struct pin_req {
    pin_arena arena;
    uint64_t id;         /* request id, also in every log line */
    int64_t start_us;    /* monotonic, for the access log */
    const char *method;  /* "GET", ... */
    const char *path;    /* percent-decoded, valid UTF-8, no NUL */
    const char *raw_uri; /* as received, for logs */
    char client_ip[64];
    const char *content_type; /* lower-cased media type without parameters, or "" */
    pin_param *query;         /* decoded query string, in order */
    pin_param *form;          /* decoded urlencoded or multipart body fields */
    const char *body;         /* raw body when not a form, NUL-terminated, else NULL */
    size_t body_len;
    void *conn;     /* libmicrohttpd connection, for header lookups */
    void *route;    /* the app's routing decision (set by its begin hook) */
    void *app_data; /* anything else the app keeps per request */

    /* The response, filled by the handler. */
    int status; /* 0 until set */
    const char *resp_type;
    const char *resp_body; /* arena or static; not freed by the server */
    size_t resp_len;
    int resp_fd; /* >= 0: send this file (server closes it) */
    int64_t resp_fd_off, resp_fd_len;
    pin_header *resp_headers;
    bool bad;               /* the server already decided a 4xx before routing */
    const char *upload_dir; /* set by the begin hook: stream multipart files to this folder */
    bool deferred;          /* the response comes later, from another thread */
} pin_req;

typedef struct pin_http_app {
    void *ctx;
    /* Called when the request line and headers are in (before the body).
     * Returns the most body bytes to accept for this request. May answer by
     * itself (setting req->status) to skip the body and the handler. */
    int64_t (*begin)(void *ctx, pin_req *req);
    /* Called once with the whole body; must set req->status. */
    void (*handle)(void *ctx, pin_req *req);
} pin_http_app;

typedef struct pin_http_opts {
    const char *listen; /* "127.0.0.1:8080", "[::1]:8080", ":8080" */
    int threads;        /* worker threads; 0 = one per core */
    int conn_timeout_s; /* idle or slow connections are closed after this (default 30) */
    bool trust_proxy;   /* X-Forwarded-For from a loopback peer names the client */
} pin_http_opts;

typedef struct pin_http_server pin_http_server;

/* Binds and starts serving. PIN_EINVAL for a bad listen address, PIN_EIO if
 * the address cannot be bound. Caller stops with pin_http_quiesce(), then
 * (once every deferred request has been resumed) pin_http_stop(). */
pin_err pin_http_start(const pin_http_opts *opts, const pin_http_app *app,
                       pin_http_server **out) PIN_WUR;
/* Stops accepting and lets requests in flight finish, waiting up to
 * `grace_ms` for them. Connections already open are still served. */
void pin_http_quiesce(pin_http_server *s, int grace_ms);
/* Closes every connection and frees the server. No request may still be
 * deferred: a thread resuming one would touch a closed connection. */
void pin_http_stop(pin_http_server *s);
/* The port actually bound (useful with port 0). */
int pin_http_port(const pin_http_server *s);

/* Defers the response: call from the handler, then finish the work on any
 * thread, fill the response and call pin_req_resume(). The request (and its
 * arena) stays valid until then. */
void pin_req_defer(pin_req *req);
void pin_req_resume(pin_req *req);

/* Request helpers. Header lookup is case-insensitive; NULL when absent. */
const char *pin_req_header(pin_req *req, const char *name);
/* First value of a query or form parameter (form first), or NULL. */
const char *pin_req_param(pin_req *req, const char *key);

/* Response helpers. Each copies nothing: `body` must outlive the request
 * (arena or static). */
void pin_resp_set(pin_req *req, int status, const char *type, const char *body, size_t len);
void pin_resp_header(pin_req *req, const char *name, const char *value);
/* An error answer: status from `err`, body {"error": msg} (msg NULL: a
 * generic text for the status). The one place a pin_err becomes HTTP. */
void pin_resp_error(pin_req *req, pin_err err, const char *msg);
int pin_http_status_of(pin_err err);

#endif
