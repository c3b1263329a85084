#include "core/html.h"

#include <string.h>

void pin_html_escape(pin_buf *out, const char *s, size_t len)
{
    size_t start = 0;
    for (size_t i = 0; i < len; i++) {
        const char *rep;
        switch (s[i]) {
        case '&':
            rep = "&amp;";
            break;
        case '<':
            rep = "&lt;";
            break;
        case '>':
            rep = "&gt;";
            break;
        case '"':
            rep = "&quot;";
            break;
        case '\'':
            rep = "&#39;";
            break;
        default:
            continue;
        }
        pin_buf_append(out, s + start, i - start);
        pin_buf_puts(out, rep);
        start = i + 1;
    }
    pin_buf_append(out, s + start, len - start);
}

const char *pin_html_escaped(pin_arena *a, const char *s)
{
    pin_buf b;
    pin_buf_init(&b, a);
    pin_html_escape(&b, s, strlen(s));
    return b.data;
}

const char *pin_url_encode(pin_arena *a, const char *s, bool keep_slash)
{
    pin_buf b;
    pin_buf_init(&b, a);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            *p == '-' || *p == '_' || *p == '.' || *p == '~' || (keep_slash && *p == '/'))
            pin_buf_putc(&b, (char)*p);
        else
            pin_buf_printf(&b, "%%%02X", *p);
    }
    return b.data;
}
