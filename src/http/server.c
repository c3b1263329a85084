/* libmicrohttpd glue. See http.h for the contract.
 *
 * Keep-alive: libmicrohttpd 0.9.75 sends `Connection: close` with a response
 * queued on the handler's first call for a request, so ordinary responses are
 * queued on a later call (the one that follows the end of the body). Only a
 * refusal that must not read the body (413 from Content-Length) is queued on
 * the first call, where closing is what we want anyway.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/id.h"
#include "core/log.h"
#include "core/text.h"
#include "http/http.h"

struct pin_http_server {
    struct MHD_Daemon *d;
    pin_http_app app;
    bool trust_proxy;
    atomic_int inflight;
};

typedef enum { ST_NEW, ST_BODY, ST_DEFERRED, ST_DONE } req_state;

/* The most body bytes read and dropped after refusing a request as too large. */
#define DRAIN_MAX (256ull << 20)

typedef struct req_int {
    pin_req pub; /* first, so pin_req * and req_int * convert */
    pin_http_server *srv;
    req_state state;
    int64_t limit;
    int64_t received;
    struct MHD_PostProcessor *pp;
    pin_buf body;
    bool body_started;
    pin_param **form_tail;
    pin_param *last_field; /* the field a chunked form value is appended to */
    int file_fd;           /* the multipart file being written, or -1 */
    int64_t sent_bytes;
    /* The arena's first block: most requests allocate nothing else. */
    _Alignas(max_align_t) unsigned char scratch[6144];
} req_int;

/* Per connection: the request on_uri made that no other hook owns yet. */
typedef struct conn_ctx {
    req_int *pending;
} conn_ctx;

static void release(pin_http_server *srv, req_int *r);

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    (void)conn;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        *socket_context = pin_xmalloc(sizeof(conn_ctx));
        ((conn_ctx *)*socket_context)->pending = NULL;
        return;
    }
    conn_ctx *cc = *socket_context;
    if (!cc) return;
    if (cc->pending) {
        if (!cc->pending->pub.status) cc->pending->pub.status = 400; /* for the log */
        release(cls, cc->pending);
    }
    free(cc);
    *socket_context = NULL;
}

static conn_ctx *conn_ctx_of(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci ? ci->socket_context : NULL;
}

static void owned(struct MHD_Connection *conn, req_int *r)
{
    conn_ctx *cc = conn_ctx_of(conn);
    if (cc && cc->pending == r) cc->pending = NULL;
}

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
    pin_http_server *srv = cls;
    req_int *r = pin_xmalloc(sizeof(*r));
    memset(r, 0, offsetof(req_int, scratch));
    pin_arena_init(&r->pub.arena, r->scratch, sizeof(r->scratch));
    r->srv = srv;
    r->pub.id = (uint64_t)pin_id_new();
    r->pub.start_us = pin_mono_us();
    r->pub.conn = conn;
    r->pub.resp_fd = -1;
    r->pub.method = "?";
    r->pub.path = "";
    r->pub.content_type = "";
    r->file_fd = -1;
    /* Keep the raw URI for the log, bounded so a huge URI cannot flood it. */
    size_t n = strlen(uri);
    r->pub.raw_uri = pin_arena_strndup(&r->pub.arena, uri, n > 512 ? 512 : n);
    /* An encoded NUL would silently cut the decoded path: refuse it. */
    for (const char *p = uri; (p = strchr(p, '%')) != NULL; p++) {
        if (p[1] == '0' && p[2] == '0') r->pub.bad = true;
    }
    atomic_fetch_add(&srv->inflight, 1);
    /* Until the access handler sees it, the connection owns the request:
     * libmicrohttpd drops a request it cannot parse (more headers or query
     * arguments than its per-connection memory holds) without calling the
     * completion hook, and on_connection() then frees it at the close. */
    conn_ctx *cc = conn_ctx_of(conn);
    if (cc) cc->pending = r;
    return r;
}

static void access_log(req_int *r)
{
    if (pin_log_threshold < PIN_LOG_INFO) return;
    char line[1024];
    int64_t us = pin_mono_us() - r->pub.start_us;
    int n = snprintf(line, sizeof(line), "%s %s %d %lld %lldus req=%llx ip=%s", r->pub.method,
                     r->pub.raw_uri, r->pub.status, (long long)r->sent_bytes, (long long)us,
                     (unsigned long long)r->pub.id, r->pub.client_ip);
    /* Never let a client write control characters into the log. */
    for (int i = 0; i < n && i < (int)sizeof(line); i++) {
        if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f) line[i] = '?';
    }
    pin_log_raw(line, n < (int)sizeof(line) ? n : (int)sizeof(line) - 1);
}

/* Logs the request and frees it with everything it holds. */
static void release(pin_http_server *srv, req_int *r)
{
    access_log(r);
    if (r->pp) MHD_destroy_post_processor(r->pp);
    if (r->file_fd >= 0) close(r->file_fd);
    for (pin_param *p = r->pub.form; p; p = p->next) {
        if (p->file) unlink(p->value);
    }
    pin_arena_clear(&r->pub.arena);
    free(r);
    atomic_fetch_sub(&srv->inflight, 1);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    req_int *r = *con_cls;
    if (!r) return;
    owned(conn, r);
    if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK && r->pub.status == 0) r->pub.status = 499;
    release(cls, r);
    *con_cls = NULL;
}

static enum MHD_Result collect_query(void *cls, enum MHD_ValueKind kind, const char *key,
                                     size_t key_size, const char *value, size_t value_size)
{
    (void)kind;
    req_int *r = cls;
    pin_param *p = pin_arena_zalloc(&r->pub.arena, sizeof(*p));
    p->key = pin_arena_strndup(&r->pub.arena, key, key_size);
    p->value = value ? pin_arena_strndup(&r->pub.arena, value, value_size) : "";
    p->len = value ? value_size : 0;
    /* Prepend, then reverse once at the end to keep order. */
    p->next = r->pub.query;
    r->pub.query = p;
    return MHD_YES;
}

static pin_param *reverse(pin_param *p)
{
    pin_param *out = NULL;
    while (p) {
        pin_param *next = p->next;
        p->next = out;
        out = p;
        p = next;
    }
    return out;
}

/* Appends a chunk of a multipart file to its temporary file. */
static enum MHD_Result file_chunk(req_int *r, pin_param *p, const char *data, size_t size)
{
    while (size > 0) {
        ssize_t w = write(r->file_fd, data, size);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
            pin_resp_error(&r->pub, errno == ENOSPC || errno == EDQUOT ? PIN_ENOSPACE : PIN_EIO,
                           errno == ENOSPC ? "Storage is full; try again later" : NULL);
            return MHD_NO;
        }
        data += w;
        size -= (size_t)w;
        p->len += (size_t)w;
    }
    return MHD_YES;
}

static enum MHD_Result on_form(void *cls, enum MHD_ValueKind kind, const char *key,
                               const char *filename, const char *ctype, const char *encoding,
                               const char *data, uint64_t off, size_t size)
{
    (void)kind, (void)ctype, (void)encoding;
    req_int *r = cls;
    pin_arena *a = &r->pub.arena;
    if (!key) return MHD_NO;
    pin_param *p = r->last_field;
    bool streamed = filename && r->pub.upload_dir;
    /* A value may arrive in several calls; libmicrohttpd can also announce
     * a value with an empty first call at offset 0. A new field starts
     * when the key changes or offset 0 comes after data. */
    if (!p || strcmp(p->key, key) != 0 || (off == 0 && p->len > 0)) {
        p = pin_arena_zalloc(a, sizeof(*p));
        p->key = pin_arena_strdup(a, key);
        p->value = "";
        *r->form_tail = p;
        r->form_tail = &p->next;
        r->last_field = p;
        if (r->file_fd >= 0) {
            close(r->file_fd);
            r->file_fd = -1;
        }
        if (streamed) {
            char *path = pin_arena_printf(a, "%s/upload-XXXXXX", r->pub.upload_dir);
            r->file_fd = mkostemp(path, O_CLOEXEC);
            if (r->file_fd < 0) {
                pin_resp_error(&r->pub, errno == ENOSPC ? PIN_ENOSPACE : PIN_EIO, NULL);
                return MHD_NO;
            }
            p->value = path;
            p->file = true;
        }
    }
    if (p->file) return file_chunk(r, p, data, size);
    if (size > 0) {
        char *v = pin_arena_alloc(a, p->len + size + 1);
        memcpy(v, p->value, p->len);
        memcpy(v + p->len, data, size);
        p->len += size;
        v[p->len] = 0;
        p->value = v;
    }
    return MHD_YES;
}

static void client_ip(req_int *r, struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    char *out = r->pub.client_ip;
    size_t cap = sizeof(r->pub.client_ip);
    snprintf(out, cap, "?");
    bool loopback = false;
    if (ci && ci->client_addr) {
        const struct sockaddr *sa = ci->client_addr;
        if (sa->sa_family == AF_INET) {
            const struct sockaddr_in *in = (const void *)sa;
            inet_ntop(AF_INET, &in->sin_addr, out, (socklen_t)cap);
            loopback = (ntohl(in->sin_addr.s_addr) >> 24) == 127;
        } else if (sa->sa_family == AF_INET6) {
            const struct sockaddr_in6 *in6 = (const void *)sa;
            inet_ntop(AF_INET6, &in6->sin6_addr, out, (socklen_t)cap);
            loopback = IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr);
        }
    }
    if (!r->srv->trust_proxy || !loopback) return;
    const char *xff = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Forwarded-For");
    if (!xff) return;
    /* The proxy appends the address it saw last: take the last entry. */
    const char *last = strrchr(xff, ',');
    last = last ? last + 1 : xff;
    while (*last == ' ')
        last++;
    size_t n = strcspn(last, " ,");
    if (n == 0 || n >= cap) return;
    for (size_t i = 0; i < n; i++) {
        if (!isxdigit((unsigned char)last[i]) && last[i] != '.' && last[i] != ':') return;
    }
    memcpy(out, last, n);
    out[n] = 0;
}

static const char *media_type(pin_arena *a, const char *ct)
{
    if (!ct) return "";
    size_t n = strcspn(ct, ";");
    while (n > 0 && ct[n - 1] == ' ')
        n--;
    if (n > 200) n = 200;
    char *m = pin_arena_strndup(a, ct, n);
    for (char *p = m; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    return m;
}

static enum MHD_Result queue(req_int *r, struct MHD_Connection *conn)
{
    pin_req *q = &r->pub;
    struct MHD_Response *resp;
    if (q->status == 0) pin_resp_error(q, PIN_EIO, NULL);
    if (q->resp_fd >= 0) {
        resp = MHD_create_response_from_fd_at_offset64((uint64_t)q->resp_fd_len, q->resp_fd,
                                                       (uint64_t)q->resp_fd_off);
        r->sent_bytes = q->resp_fd_len;
    } else {
        resp = MHD_create_response_from_buffer(
            q->resp_len, (void *)(q->resp_body ? q->resp_body : ""), MHD_RESPMEM_PERSISTENT);
        r->sent_bytes = (int64_t)q->resp_len;
    }
    if (!resp) return MHD_NO;
    if (q->resp_type) MHD_add_response_header(resp, "Content-Type", q->resp_type);
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    for (pin_header *h = q->resp_headers; h; h = h->next)
        MHD_add_response_header(resp, h->name, h->value);
    enum MHD_Result ret = MHD_queue_response(conn, (unsigned)q->status, resp);
    MHD_destroy_response(resp);
    return ret;
}

typedef struct framing {
    int cl, te;
    const char *first_cl;
    bool cl_conflict;
    bool bad_name; /* a header name that is not an RFC 9110 token ("Name : v") */
} framing;

static bool token_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c && strchr("!#$%&'*+-.^_`|~", c));
}

static enum MHD_Result count_framing(void *cls, enum MHD_ValueKind kind, const char *key,
                                     const char *value)
{
    (void)kind;
    framing *f = cls;
    for (const char *p = key; *p; p++) {
        if (!token_char((unsigned char)*p)) f->bad_name = true;
    }
    if (!*key) f->bad_name = true;
    if (!strcasecmp(key, "Content-Length")) {
        if (f->cl++ && (!value || !f->first_cl || strcmp(value, f->first_cl) != 0))
            f->cl_conflict = true;
        if (!f->first_cl) f->first_cl = value;
    } else if (!strcasecmp(key, "Transfer-Encoding")) {
        f->te++;
    }
    return MHD_YES;
}

static bool start(req_int *r, struct MHD_Connection *conn, const char *url, const char *method,
                  const char *version)
{
    pin_req *q = &r->pub;
    pin_arena *a = &q->arena;
    q->method = pin_arena_strdup(a, method);
    /* Absolute-form targets (RFC 9112 3.2.2, sent to proxies): keep the path. */
    if (!strncasecmp(url, "http://", 7) || !strncasecmp(url, "https://", 8)) {
        const char *path = strchr(strstr(url, "://") + 3, '/');
        url = path ? path : "/";
    }
    size_t ulen = strlen(url);
    if (ulen > 8192 || !pin_utf8_valid(url, ulen)) q->bad = true;
    q->path = pin_arena_strndup(a, url, ulen > 8192 ? 8192 : ulen);
    client_ip(r, conn);
    pin_log_request_id = q->id;
    MHD_get_connection_values_n(conn, MHD_GET_ARGUMENT_KIND, collect_query, r);
    q->query = reverse(q->query);
    q->content_type =
        media_type(a, MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Type"));
    if (q->bad) {
        pin_resp_error(q, PIN_EINVAL, "Malformed request path");
        r->limit = 0;
        return true;
    }
    /* Framing that proxies and we could read differently is refused, and
     * the connection closed (request smuggling). */
    framing f = {0, 0, NULL, false, false};
    MHD_get_connection_values(conn, MHD_HEADER_KIND, count_framing, &f);
    if (f.bad_name) {
        pin_resp_error(q, PIN_EINVAL, "Malformed header name");
        pin_resp_header(q, "Connection", "close");
        return false;
    }
    if (f.te && f.cl) {
        pin_resp_error(q, PIN_EINVAL, "Content-Length and Transfer-Encoding together");
        pin_resp_header(q, "Connection", "close");
        return false;
    }
    if (f.cl_conflict) {
        pin_resp_error(q, PIN_EINVAL, "Conflicting Content-Length headers");
        pin_resp_header(q, "Connection", "close");
        return false;
    }
    if (!strcmp(version, MHD_HTTP_VERSION_1_1) &&
        !MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Host")) {
        pin_resp_error(q, PIN_EINVAL, "Missing Host header");
        pin_resp_header(q, "Connection", "close");
        return false;
    }
    r->limit = r->srv->app.begin(r->srv->app.ctx, q);
    if (q->status) return true;
    const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
    if (cl) {
        char *end;
        unsigned long long n = strtoull(cl, &end, 10);
        if (*end || end == cl) {
            pin_resp_error(q, PIN_EINVAL, "Malformed Content-Length");
            pin_resp_header(q, "Connection", "close");
            return false;
        }
        if (n > (unsigned long long)r->limit) {
            pin_resp_error(q, PIN_ETOOBIG, "Request body too large");
            pin_resp_header(q, "Connection", "close");
            /* A client that waits (Expect: 100-continue) or a body too big to
             * be worth reading gets the answer now. Otherwise the body is read
             * and dropped first, so the client, still sending, sees the 413
             * rather than a reset connection. */
            if (MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Expect") || n > DRAIN_MAX)
                return false;
            return true;
        }
    }
    if (!strcmp(q->content_type, "application/x-www-form-urlencoded") ||
        !strcmp(q->content_type, "multipart/form-data")) {
        r->form_tail = &q->form;
        r->pp = MHD_create_post_processor(conn, 16 * 1024, on_form, r);
        if (!r->pp) pin_resp_error(q, PIN_EINVAL, "Malformed form body");
    }
    pin_buf_init(&r->body, a);
    return true;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls)
{
    pin_http_server *srv = cls;
    req_int *r = *con_cls;
    if (!r) return MHD_NO; /* the URI callback always runs first */
    pin_log_request_id = r->pub.id;
    if (r->state == ST_NEW) {
        owned(conn, r); /* from here on_completed() frees it */
        r->state = ST_BODY;
        if (!start(r, conn, url, method, version)) {
            r->state = ST_DONE;
            return queue(r, conn);
        }
        return MHD_YES;
    }
    if (r->state == ST_BODY && *upload_size > 0) {
        size_t n = *upload_size;
        *upload_size = 0;
        if (r->pub.status) return MHD_YES; /* already refused: drain */
        r->received += (int64_t)n;
        if (r->received > r->limit) {
            pin_resp_error(&r->pub, PIN_ETOOBIG, "Request body too large");
            return MHD_YES;
        }
        if (r->pp) {
            /* A failure writing an uploaded file has already set its answer
             * (507 or 500); anything else the parser refuses is malformed. */
            if (MHD_post_process(r->pp, upload, n) != MHD_YES && !r->pub.status)
                pin_resp_error(&r->pub, PIN_EINVAL, "Malformed form body");
        } else {
            pin_buf_append(&r->body, upload, n);
        }
        return MHD_YES;
    }
    if (r->state == ST_BODY) {
        r->state = ST_DONE;
        pin_req *q = &r->pub;
        if (!q->status && r->pp) {
            enum MHD_Result ok = MHD_destroy_post_processor(r->pp);
            r->pp = NULL;
            /* A multipart body in which no part could be found is malformed. */
            bool partless =
                !q->form && r->received > 0 && !strcmp(q->content_type, "multipart/form-data");
            if (ok != MHD_YES || partless) pin_resp_error(q, PIN_EINVAL, "Malformed form body");
        }
        if (r->file_fd >= 0) {
            close(r->file_fd);
            r->file_fd = -1;
        }
        if (!q->status) {
            if (!q->form && r->received > 0) {
                q->body = r->body.data;
                q->body_len = r->body.len;
            }
            srv->app.handle(srv->app.ctx, q);
            if (q->deferred) {
                r->state = ST_DEFERRED; /* suspended; resumed by pin_req_resume */
                return MHD_YES;
            }
        }
        return queue(r, conn);
    }
    if (r->state == ST_DEFERRED) {
        r->state = ST_DONE;
        return queue(r, conn);
    }
    return MHD_NO;
}

static bool parse_listen(const char *s, struct sockaddr_storage *ss, socklen_t *len, bool *v6)
{
    char host[128];
    const char *colon;
    memset(ss, 0, sizeof(*ss));
    if (s[0] == '[') {
        const char *rb = strchr(s, ']');
        if (!rb || rb[1] != ':' || (size_t)(rb - s - 1) >= sizeof(host)) return false;
        memcpy(host, s + 1, (size_t)(rb - s - 1));
        host[rb - s - 1] = 0;
        colon = rb + 1;
    } else {
        colon = strrchr(s, ':');
        if (!colon || (size_t)(colon - s) >= sizeof(host)) return false;
        memcpy(host, s, (size_t)(colon - s));
        host[colon - s] = 0;
    }
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (*end || end == colon + 1 || port < 0 || port > 65535) return false;
    struct sockaddr_in *in = (void *)ss;
    struct sockaddr_in6 *in6 = (void *)ss;
    if (!host[0] || !strcmp(host, "0.0.0.0")) {
        in->sin_family = AF_INET;
        in->sin_addr.s_addr = htonl(INADDR_ANY);
    } else if (inet_pton(AF_INET, host, &in->sin_addr) == 1) {
        in->sin_family = AF_INET;
    } else if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons((uint16_t)port);
        *len = sizeof(*in6);
        *v6 = true;
        return true;
    } else {
        return false;
    }
    in->sin_port = htons((uint16_t)port);
    *len = sizeof(*in);
    *v6 = false;
    return true;
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char buf[512];
    vsnprintf(buf, sizeof(buf), fmt, ap);
    size_t n = strlen(buf);
    while (n && buf[n - 1] == '\n')
        buf[--n] = 0;
    PIN_DEBUG("libmicrohttpd: %s", buf);
}

pin_err pin_http_start(const pin_http_opts *opts, const pin_http_app *app, pin_http_server **out)
{
    struct sockaddr_storage ss;
    socklen_t sslen;
    bool v6;
    if (!parse_listen(opts->listen, &ss, &sslen, &v6)) return PIN_EINVAL;
    /* One per core by default: handlers that may wait (writes, for the
     * database lock or a sync) defer to threads of their own, so these only
     * parse, read and answer. More threads than cores would only take turns
     * on them, and each turn is a wait for the connections of the others. */
    int threads = opts->threads > 0 ? opts->threads : (int)sysconf(_SC_NPROCESSORS_ONLN);
    if (threads < 1) threads = 1;
    pin_http_server *s = pin_xcalloc(1, sizeof(*s));
    s->app = *app;
    s->trust_proxy = opts->trust_proxy;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
                     MHD_USE_ERROR_LOG | (v6 ? MHD_USE_IPv6 : 0);
    int timeout = opts->conn_timeout_s > 0 ? opts->conn_timeout_s : 30;
    s->d = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, s, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)threads, MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned)timeout, MHD_OPTION_CONNECTION_LIMIT, 4096u, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
        1024u, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)32 * 1024, MHD_OPTION_URI_LOG_CALLBACK,
        on_uri, s, MHD_OPTION_NOTIFY_COMPLETED, on_completed, s, MHD_OPTION_NOTIFY_CONNECTION,
        on_connection, s, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL, MHD_OPTION_LISTEN_BACKLOG_SIZE,
        1024u, MHD_OPTION_END);
    if (!s->d) {
        free(s);
        return PIN_EIO;
    }
    *out = s;
    return PIN_OK;
}

int pin_http_port(const pin_http_server *s)
{
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
    return di ? di->port : 0;
}

void pin_http_quiesce(pin_http_server *s, int grace_ms)
{
    MHD_socket fd = MHD_quiesce_daemon(s->d);
    if (fd != MHD_INVALID_SOCKET) close(fd);
    for (int waited = 0; atomic_load(&s->inflight) > 0 && waited < grace_ms; waited += 10)
        usleep(10000);
}

void pin_http_stop(pin_http_server *s)
{
    if (!s) return;
    if (atomic_load(&s->inflight) > 0)
        PIN_WARN("stopping with %d requests still in flight", atomic_load(&s->inflight));
    MHD_stop_daemon(s->d);
    free(s);
}

void pin_req_defer(pin_req *req)
{
    req->deferred = true;
    MHD_suspend_connection(req->conn);
}

void pin_req_resume(pin_req *req)
{
    MHD_resume_connection(req->conn);
}

const char *pin_req_header(pin_req *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

const char *pin_req_param(pin_req *req, const char *key)
{
    for (pin_param *p = req->form; p; p = p->next) {
        if (!strcmp(p->key, key)) return p->value;
    }
    for (pin_param *p = req->query; p; p = p->next) {
        if (!strcmp(p->key, key)) return p->value;
    }
    return NULL;
}
