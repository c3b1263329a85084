/* OAuth scopes as a bit set, with Mastodon's hierarchy: `read` grants every
 * `read:*`, `write` every `write:*`, and the legacy `follow` grants
 * read/write of follows, blocks and mutes. */
#ifndef PIN_CORE_SCOPE_H
#define PIN_CORE_SCOPE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/arena.h"

typedef uint64_t pin_scopes;

enum {
    PIN_SCOPE_READ,
    PIN_SCOPE_READ_ACCOUNTS,
    PIN_SCOPE_READ_BLOCKS,
    PIN_SCOPE_READ_BOOKMARKS,
    PIN_SCOPE_READ_FAVOURITES,
    PIN_SCOPE_READ_FILTERS,
    PIN_SCOPE_READ_FOLLOWS,
    PIN_SCOPE_READ_LISTS,
    PIN_SCOPE_READ_MUTES,
    PIN_SCOPE_READ_NOTIFICATIONS,
    PIN_SCOPE_READ_SEARCH,
    PIN_SCOPE_READ_STATUSES,
    PIN_SCOPE_WRITE,
    PIN_SCOPE_WRITE_ACCOUNTS,
    PIN_SCOPE_WRITE_BLOCKS,
    PIN_SCOPE_WRITE_BOOKMARKS,
    PIN_SCOPE_WRITE_CONVERSATIONS,
    PIN_SCOPE_WRITE_FAVOURITES,
    PIN_SCOPE_WRITE_FILTERS,
    PIN_SCOPE_WRITE_FOLLOWS,
    PIN_SCOPE_WRITE_LISTS,
    PIN_SCOPE_WRITE_MEDIA,
    PIN_SCOPE_WRITE_MUTES,
    PIN_SCOPE_WRITE_NOTIFICATIONS,
    PIN_SCOPE_WRITE_REPORTS,
    PIN_SCOPE_WRITE_STATUSES,
    PIN_SCOPE_FOLLOW,
    PIN_SCOPE_PUSH,
    PIN_SCOPE_PROFILE,
    PIN_SCOPE_ADMIN_READ,
    PIN_SCOPE_ADMIN_WRITE,
    PIN_SCOPE_COUNT,
    PIN_SCOPE_NONE = 63 /* route needs no scope */
};

#define PIN_SCOPE_BIT(s) ((pin_scopes)1 << (s))

/* Parses a space-separated scope list ("read write:statuses follow"); an
 * empty string gives `read`, as Mastodon does. False on an unknown name,
 * with the first bad name in *bad (points into s, not terminated). */
bool pin_scopes_parse(const char *s, pin_scopes *out, const char **bad, int *badlen);
/* Space-separated canonical text of a set, in the arena. */
const char *pin_scopes_format(pin_scopes set, pin_arena *a);
/* True when a token holding `granted` may use a route needing `need`. */
bool pin_scopes_allow(pin_scopes granted, int need);
/* The name of one scope ("read:accounts"). */
const char *pin_scope_name(int scope);

#endif
