#include "http/static.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const struct {
    const char *ext, *type;
} types[] = {
    {".css", "text/css; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".mjs", "text/javascript; charset=utf-8"},
    {".html", "text/html; charset=utf-8"},
    {".json", "application/json; charset=utf-8"},
    {".webmanifest", "application/manifest+json"},
    {".png", "image/png"},
    {".svg", "image/svg+xml"},
    {".ico", "image/x-icon"},
    {".woff2", "font/woff2"},
    {".txt", "text/plain; charset=utf-8"},
};

static const char *type_of(const char *name)
{
    const char *dot = strrchr(name, '.');
    if (!dot) return NULL;
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        if (!strcmp(dot, types[i].ext)) return types[i].type;
    }
    return NULL;
}

static bool name_ok(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > 128 || name[0] == '.') return false;
    for (const char *p = name; *p; p++) {
        char c = *p;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return false;
    }
    return true;
}

void pin_http_static_file(pin_req *req, const char *dir, const char *name)
{
    const char *type = name_ok(name) ? type_of(name) : NULL;
    if (!type) {
        pin_resp_error(req, PIN_ENOTFOUND, NULL);
        return;
    }
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int fd = dfd < 0 ? -1 : openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (dfd >= 0) close(dfd);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        if (fd >= 0) close(fd);
        pin_resp_error(req, PIN_ENOTFOUND, NULL);
        return;
    }
    const char *etag =
        pin_arena_printf(&req->arena, "\"%llx-%llx\"", (unsigned long long)st.st_size,
                         (unsigned long long)st.st_mtime);
    pin_http_send_file(req, fd, st.st_size, type, etag, "public, max-age=3600");
}

/* Parses a single "bytes=a-b", "bytes=a-" or "bytes=-n" range. Returns 1 for
 * a satisfiable range, 0 to ignore the header, -1 for unsatisfiable. */
static int parse_range(const char *h, int64_t size, int64_t *from, int64_t *to)
{
    if (strncmp(h, "bytes=", 6) != 0 || strchr(h, ',')) return 0;
    const char *p = h + 6;
    char *end;
    if (*p == '-') {
        long long n = strtoll(p + 1, &end, 10);
        if (*end || end == p + 1 || n <= 0) return 0;
        if (size == 0) return -1;
        *from = n >= size ? 0 : size - n;
        *to = size - 1;
        return 1;
    }
    if (*p < '0' || *p > '9') return 0;
    long long a = strtoll(p, &end, 10);
    if (*end != '-' || a < 0) return 0;
    const char *q = end + 1;
    long long b = size - 1;
    if (*q) {
        b = strtoll(q, &end, 10);
        if (*end || b < a) return 0;
        if (b >= size) b = size - 1;
    }
    if (a >= size) return -1;
    *from = a;
    *to = b;
    return 1;
}

void pin_http_send_file(pin_req *req, int fd, int64_t size, const char *type, const char *etag,
                        const char *cache_control)
{
    pin_resp_header(req, "ETag", etag);
    pin_resp_header(req, "Cache-Control", cache_control);
    pin_resp_header(req, "Accept-Ranges", "bytes");
    const char *inm = pin_req_header(req, "If-None-Match");
    if (inm && (strstr(inm, etag) || !strcmp(inm, "*"))) {
        close(fd);
        pin_resp_set(req, 304, NULL, "", 0);
        return;
    }
    const char *range = pin_req_header(req, "Range");
    const char *if_range = pin_req_header(req, "If-Range");
    int64_t from = 0, to = size - 1;
    int r =
        range && (!if_range || !strcmp(if_range, etag)) ? parse_range(range, size, &from, &to) : 0;
    if (r < 0) {
        close(fd);
        pin_resp_set(req, 416, "text/plain; charset=utf-8", "", 0);
        pin_resp_header(req, "Content-Range",
                        pin_arena_printf(&req->arena, "bytes */%lld", (long long)size));
        return;
    }
    pin_resp_set(req, r > 0 ? 206 : 200, type, NULL, 0);
    if (r > 0)
        pin_resp_header(req, "Content-Range",
                        pin_arena_printf(&req->arena, "bytes %lld-%lld/%lld", (long long)from,
                                         (long long)to, (long long)size));
    req->resp_fd = fd;
    req->resp_fd_off = from;
    req->resp_fd_len = to - from + 1;
}
