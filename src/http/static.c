#include "http/static.h"

#include <fcntl.h>
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
    const char *etag = pin_arena_printf(&req->arena, "\"%llx-%llx\"", (unsigned long long)st.st_size,
                                        (unsigned long long)st.st_mtime);
    pin_resp_header(req, "ETag", etag);
    pin_resp_header(req, "Cache-Control", "public, max-age=3600");
    const char *inm = pin_req_header(req, "If-None-Match");
    if (inm && strstr(inm, etag)) {
        close(fd);
        pin_resp_set(req, 304, NULL, "", 0);
        return;
    }
    pin_resp_set(req, 200, type, NULL, 0);
    req->resp_fd = fd;
    req->resp_fd_off = 0;
    req->resp_fd_len = st.st_size;
}
