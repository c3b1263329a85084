#include "http/router.h"

#include <string.h>

/* Compares one pattern with a path segment by segment; fills caps on match. */
static bool match(const char *pat, const char *path, pin_arena *a, pin_param **caps)
{
    pin_param *found = NULL;
    while (*pat && *path) {
        if (*pat != '/' || *path != '/') return false;
        pat++, path++;
        size_t pl = strcspn(pat, "/"), sl = strcspn(path, "/");
        if (*pat == ':') {
            if (sl == 0) return false;
            if (a) {
                pin_param *p = pin_arena_zalloc(a, sizeof(*p));
                p->key = pin_arena_strndup(a, pat + 1, pl - 1);
                p->value = pin_arena_strndup(a, path, sl);
                p->len = sl;
                p->next = found;
                found = p;
            }
        } else if (pl != sl || memcmp(pat, path, pl) != 0) {
            return false;
        }
        pat += pl, path += sl;
    }
    if (*pat || *path) return false;
    if (caps) *caps = found;
    return true;
}

pin_err pin_router_find(const void *table, size_t count, size_t stride, const char *method,
                        const char *path, pin_arena *a, size_t *idx, pin_param **caps,
                        const char **allow)
{
    const char *m = strcmp(method, "HEAD") == 0 ? "GET" : method;
    bool path_seen = false;
    pin_buf methods;
    methods.data = NULL;
    for (size_t i = 0; i < count; i++) {
        const pin_route *r = (const pin_route *)((const char *)table + i * stride);
        if (!match(r->pattern, path, NULL, NULL)) continue;
        if (strcmp(r->method, m) == 0) {
            *idx = i;
            (void)match(r->pattern, path, a, caps);
            return PIN_OK;
        }
        if (!path_seen) pin_buf_init(&methods, a);
        /* Name each method once (a literal and a :param route may both match). */
        bool listed = false;
        for (const char *p = methods.data; path_seen && p && *p;
             p += strcspn(p, ",") + (p[strcspn(p, ",")] ? 2 : 0)) {
            if (!strncmp(p, r->method, strlen(r->method)) &&
                (p[strlen(r->method)] == ',' || !p[strlen(r->method)]))
                listed = true;
        }
        if (listed) continue;
        if (path_seen) pin_buf_puts(&methods, ", ");
        pin_buf_puts(&methods, r->method);
        path_seen = true;
    }
    if (!path_seen) return PIN_ENOTFOUND;
    *allow = methods.data;
    return PIN_EMETHOD;
}
