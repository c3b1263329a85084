#include "core/sniff.h"

#include <string.h>

pin_img_type pin_sniff_image(const unsigned char *h, size_t n)
{
    if (n >= 3 && h[0] == 0xFF && h[1] == 0xD8 && h[2] == 0xFF) return PIN_IMG_JPEG;
    if (n >= 8 && memcmp(h, "\x89PNG\r\n\x1a\n", 8) == 0) return PIN_IMG_PNG;
    if (n >= 12 && memcmp(h, "RIFF", 4) == 0 && memcmp(h + 8, "WEBP", 4) == 0) return PIN_IMG_WEBP;
    if (n >= 6 && (memcmp(h, "GIF87a", 6) == 0 || memcmp(h, "GIF89a", 6) == 0)) return PIN_IMG_GIF;
    /* ISO BMFF: size(4) "ftyp" major-brand(4). */
    if (n >= 12 && memcmp(h + 4, "ftyp", 4) == 0) {
        const unsigned char *brand = h + 8;
        static const char *const heic[] = {"heic", "heix", "heim", "heis", "mif1", "msf1"};
        if (memcmp(brand, "avif", 4) == 0 || memcmp(brand, "avis", 4) == 0) return PIN_IMG_AVIF;
        for (size_t i = 0; i < sizeof(heic) / sizeof(heic[0]); i++) {
            if (memcmp(brand, heic[i], 4) == 0) return PIN_IMG_HEIC;
        }
    }
    return PIN_IMG_UNKNOWN;
}

const char *pin_img_mime(pin_img_type t)
{
    switch (t) {
    case PIN_IMG_JPEG:
        return "image/jpeg";
    case PIN_IMG_PNG:
        return "image/png";
    case PIN_IMG_WEBP:
        return "image/webp";
    case PIN_IMG_GIF:
        return "image/gif";
    case PIN_IMG_HEIC:
        return "image/heic";
    case PIN_IMG_AVIF:
        return "image/avif";
    default:
        return NULL;
    }
}

const char *pin_img_name(pin_img_type t)
{
    switch (t) {
    case PIN_IMG_JPEG:
        return "jpeg";
    case PIN_IMG_PNG:
        return "png";
    case PIN_IMG_WEBP:
        return "webp";
    case PIN_IMG_GIF:
        return "gif";
    case PIN_IMG_HEIC:
        return "heic";
    case PIN_IMG_AVIF:
        return "avif";
    default:
        return "unknown";
    }
}
