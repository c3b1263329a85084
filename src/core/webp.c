#include "core/webp.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put_le32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)v, p[1] = (unsigned char)(v >> 8), p[2] = (unsigned char)(v >> 16),
    p[3] = (unsigned char)(v >> 24);
}

enum { FLAG_ICC = 0x20, FLAG_EXIF = 0x08, FLAG_XMP = 0x04 };

size_t pin_webp_strip_metadata(unsigned char *buf, size_t len)
{
    if (len < 12 || memcmp(buf, "RIFF", 4) != 0 || memcmp(buf + 8, "WEBP", 4) != 0) return 0;
    if ((size_t)le32(buf + 4) + 8 != len) return 0;
    /* First pass: validate every chunk, so a bad file is left untouched. */
    for (size_t off = 12; off < len;) {
        if (len - off < 8) return 0;
        size_t size = le32(buf + off + 4);
        size_t padded = size + (size & 1);
        if (padded > len - off - 8) return 0;
        off += 8 + padded;
    }
    size_t w = 12;
    unsigned char *vp8x = NULL;
    for (size_t off = 12; off < len;) {
        size_t size = le32(buf + off + 4);
        size_t chunk = 8 + size + (size & 1);
        const unsigned char *cc = buf + off;
        bool drop = !memcmp(cc, "EXIF", 4) || !memcmp(cc, "XMP ", 4) || !memcmp(cc, "ICCP", 4);
        if (!drop) {
            memmove(buf + w, buf + off, chunk);
            if (!memcmp(buf + w, "VP8X", 4) && size >= 1) vp8x = buf + w + 8;
            w += chunk;
        }
        off += chunk;
    }
    if (vp8x) vp8x[0] &= (unsigned char)~(FLAG_ICC | FLAG_EXIF | FLAG_XMP);
    put_le32(buf + 4, (uint32_t)(w - 8));
    return w;
}
