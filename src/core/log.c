#include "core/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

pin_log_level pin_log_threshold = PIN_LOG_INFO;
_Thread_local uint64_t pin_log_request_id;

pin_err pin_log_parse_level(const char *s, pin_log_level *out)
{
    static const char *const names[] = {"error", "warn", "info", "debug"};
    for (int i = 0; i < 4; i++) {
        if (strcmp(s, names[i]) == 0) {
            *out = (pin_log_level)i;
            return PIN_OK;
        }
    }
    return PIN_EINVAL;
}

static void write_all(const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(STDERR_FILENO, p, n);
        if (w <= 0) return; /* nowhere left to report a logging failure */
        p += w;
        n -= (size_t)w;
    }
}

void pin_log_raw(const char *line, int len)
{
    char buf[2048];
    if (len < 0) return;
    if ((size_t)len > sizeof(buf) - 1) len = sizeof(buf) - 1;
    memcpy(buf, line, (size_t)len);
    buf[len] = '\n';
    write_all(buf, (size_t)len + 1);
}

void pin_log_write(pin_log_level lv, const char *file, int line, const char *fmt, ...)
{
    static const char *const tags[] = {"ERROR", "WARN", "INFO", "DEBUG"};
    char buf[2048];
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    int n = snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s req=%llx ",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                     ts.tv_nsec / 1000000, tags[lv], (unsigned long long)pin_log_request_id);
    va_list ap;
    va_start(ap, fmt);
    n += vsnprintf(buf + n, sizeof(buf) - (size_t)n, fmt, ap);
    va_end(ap);
    if (n > (int)sizeof(buf) - 64) n = (int)sizeof(buf) - 64;
    if (lv <= PIN_LOG_WARN) n += snprintf(buf + n, sizeof(buf) - (size_t)n, " (%s:%d)", file, line);
    buf[n++] = '\n';
    write_all(buf, (size_t)n);
}
