#include "core/id.h"

#include <stdatomic.h>
#include <time.h>

static unsigned node_bits;
/* Last issued (ms << 10 | seq) of this process. */
static _Atomic int64_t last_tick;

void pin_id_set_node(unsigned node)
{
    node_bits = node & 63u;
}

int64_t pin_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t pin_mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

pin_id pin_id_new(void)
{
    int64_t now = pin_now_ms() << 10;
    int64_t prev = atomic_load(&last_tick), next;
    do {
        next = now > prev ? now : prev + 1;
    } while (!atomic_compare_exchange_weak(&last_tick, &prev, next));
    return ((next >> 10) << 16) | ((int64_t)node_bits << 10) | (next & 1023);
}

pin_id pin_id_from_ms(int64_t ms)
{
    return ms << 16;
}

int64_t pin_id_ms(pin_id id)
{
    return id >> 16;
}

bool pin_id_parse(const char *s, pin_id *out)
{
    if (!s || !*s) return false;
    int64_t v = 0;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9') return false;
        if (v > (INT64_MAX - (*p - '0')) / 10) return false;
        v = v * 10 + (*p - '0');
        if (p - s > 19) return false;
    }
    if (v <= 0) return false;
    *out = v;
    return true;
}
