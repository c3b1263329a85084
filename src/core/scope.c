#include "core/scope.h"

#include <string.h>

static const char *const names[PIN_SCOPE_COUNT] = {
    "read",
    "read:accounts",
    "read:blocks",
    "read:bookmarks",
    "read:favourites",
    "read:filters",
    "read:follows",
    "read:lists",
    "read:mutes",
    "read:notifications",
    "read:search",
    "read:statuses",
    "write",
    "write:accounts",
    "write:blocks",
    "write:bookmarks",
    "write:conversations",
    "write:favourites",
    "write:filters",
    "write:follows",
    "write:lists",
    "write:media",
    "write:mutes",
    "write:notifications",
    "write:reports",
    "write:statuses",
    "follow",
    "push",
    "profile",
    "admin:read",
    "admin:write",
};

const char *pin_scope_name(int scope)
{
    return scope >= 0 && scope < PIN_SCOPE_COUNT ? names[scope] : "";
}

bool pin_scopes_parse(const char *s, pin_scopes *out, const char **bad, int *badlen)
{
    pin_scopes set = 0;
    const char *p = s ? s : "";
    while (*p) {
        while (*p == ' ' || *p == '+')
            p++;
        const char *start = p;
        while (*p && *p != ' ' && *p != '+')
            p++;
        size_t n = (size_t)(p - start);
        if (!n) continue;
        int found = -1;
        for (int i = 0; i < PIN_SCOPE_COUNT && found < 0; i++) {
            if (!strncmp(names[i], start, n) && !names[i][n]) found = i;
        }
        if (found < 0) {
            if (bad) *bad = start;
            if (badlen) *badlen = (int)n;
            return false;
        }
        set |= PIN_SCOPE_BIT(found);
    }
    *out = set ? set : PIN_SCOPE_BIT(PIN_SCOPE_READ);
    return true;
}

const char *pin_scopes_format(pin_scopes set, pin_arena *a)
{
    pin_buf b;
    pin_buf_init(&b, a);
    for (int i = 0; i < PIN_SCOPE_COUNT; i++) {
        if (!(set & PIN_SCOPE_BIT(i))) continue;
        if (b.len) pin_buf_putc(&b, ' ');
        pin_buf_puts(&b, names[i]);
    }
    return b.data;
}

bool pin_scopes_allow(pin_scopes granted, int need)
{
    if (need == PIN_SCOPE_NONE) return true;
    if (granted & PIN_SCOPE_BIT(need)) return true;
    if (need > PIN_SCOPE_READ && need <= PIN_SCOPE_READ_STATUSES)
        return (granted & PIN_SCOPE_BIT(PIN_SCOPE_READ)) ||
               ((granted & PIN_SCOPE_BIT(PIN_SCOPE_FOLLOW)) &&
                (need == PIN_SCOPE_READ_FOLLOWS || need == PIN_SCOPE_READ_BLOCKS ||
                 need == PIN_SCOPE_READ_MUTES));
    if (need > PIN_SCOPE_WRITE && need <= PIN_SCOPE_WRITE_STATUSES)
        return (granted & PIN_SCOPE_BIT(PIN_SCOPE_WRITE)) ||
               ((granted & PIN_SCOPE_BIT(PIN_SCOPE_FOLLOW)) &&
                (need == PIN_SCOPE_WRITE_FOLLOWS || need == PIN_SCOPE_WRITE_BLOCKS ||
                 need == PIN_SCOPE_WRITE_MUTES));
    if (need == PIN_SCOPE_PROFILE)
        return (granted & PIN_SCOPE_BIT(PIN_SCOPE_READ)) ||
               (granted & PIN_SCOPE_BIT(PIN_SCOPE_READ_ACCOUNTS));
    return false;
}
