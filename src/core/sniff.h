/* Image type from the first bytes of a file: the only thing that decides
 * what an upload is (never its name or declared type). Pure. */
#ifndef PIN_CORE_SNIFF_H
#define PIN_CORE_SNIFF_H

#include <stddef.h>

typedef enum pin_img_type {
    PIN_IMG_UNKNOWN = 0,
    PIN_IMG_JPEG,
    PIN_IMG_PNG,
    PIN_IMG_WEBP,
    PIN_IMG_GIF,
    PIN_IMG_HEIC,
    PIN_IMG_AVIF,
} pin_img_type;

enum { PIN_SNIFF_BYTES = 32 }; /* how many leading bytes pin_sniff_image looks at */

/* Classifies `n` leading bytes of a file (n may be less than
 * PIN_SNIFF_BYTES for tiny files, which are then UNKNOWN unless complete). */
pin_img_type pin_sniff_image(const unsigned char *head, size_t n);
/* "image/jpeg", ...; NULL for UNKNOWN. */
const char *pin_img_mime(pin_img_type t);
/* "jpeg", "png", ... for logs and messages; "unknown" for UNKNOWN. */
const char *pin_img_name(pin_img_type t);

#endif
