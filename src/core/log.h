/* Levelled logging. A line is formatted only when its level is on; every
 * line carries the current thread's request id (0 outside requests). Lines
 * go to stderr with one write(2) each, so concurrent lines never interleave. */
#ifndef PIN_CORE_LOG_H
#define PIN_CORE_LOG_H

#include <stdint.h>

#include "core/err.h"

typedef enum pin_log_level {
    PIN_LOG_ERROR,
    PIN_LOG_WARN,
    PIN_LOG_INFO,
    PIN_LOG_DEBUG
} pin_log_level;

extern pin_log_level pin_log_threshold;
/* Set by the HTTP layer at the start of each request, cleared at its end. */
extern _Thread_local uint64_t pin_log_request_id;

/* Parses "error", "warn", "info", "debug"; PIN_EINVAL otherwise. */
pin_err pin_log_parse_level(const char *s, pin_log_level *out);

void pin_log_write(pin_log_level lv, const char *file, int line, const char *fmt, ...)
    PIN_PRINTF(4, 5);
/* Writes one raw line (a trailing newline is added), no prefix; for access logs. */
void pin_log_raw(const char *line, int len);

#define PIN_LOG(lv, ...)                                                                           \
    do {                                                                                           \
        if ((lv) <= pin_log_threshold) pin_log_write((lv), __FILE__, __LINE__, __VA_ARGS__);       \
    } while (0)
#define PIN_ERROR(...) PIN_LOG(PIN_LOG_ERROR, __VA_ARGS__)
#define PIN_WARN(...)  PIN_LOG(PIN_LOG_WARN, __VA_ARGS__)
#define PIN_INFO(...)  PIN_LOG(PIN_LOG_INFO, __VA_ARGS__)
#define PIN_DEBUG(...) PIN_LOG(PIN_LOG_DEBUG, __VA_ARGS__)

#endif
