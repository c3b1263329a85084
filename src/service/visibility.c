#include "service/visibility.h"

#include <string.h>

static const char *const names[] = {"public", "unlisted", "private", "direct"};

const char *pin_visibility_name(int level)
{
    return level >= 0 && level <= 3 ? names[level] : NULL;
}

int pin_visibility_parse(const char *name)
{
    for (int i = 0; name && i < 4; i++) {
        if (!strcmp(name, names[i])) return i;
    }
    return -1;
}
