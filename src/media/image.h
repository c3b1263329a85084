/* The photo pipeline (libvips): from an uploaded file to the derivatives we
 * serve.
 *
 * One decode with shrink-on-load to the largest size we serve (1080 px on
 * the long side, never upscaled), with EXIF orientation applied and colour
 * converted to sRGB; the smaller sizes and the square thumbnail are derived
 * from that decode in memory. Every derivative is re-encoded from pixels with
 * all metadata removed (no EXIF, no GPS, no XMP, no ICC). The original file
 * is not touched: the caller keeps it for export.
 *
 * Refusals happen before any pixel is decoded: the type comes from the bytes
 * (core/sniff.h), only the loaders for accepted types are enabled, and the
 * pixel count is read from the header. Truncated files fail to load.
 */
#ifndef PIN_MEDIA_IMAGE_H
#define PIN_MEDIA_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/err.h"
#include "core/sniff.h"

enum { PIN_DERIV_FEED, PIN_DERIV_PREVIEW, PIN_DERIV_SMALL, PIN_DERIV_THUMB, PIN_DERIV_COUNT };

/* Progressive JPEGs decode in full before shrinking, so they have their own
 * pixel limit below the configured one. */
enum { PIN_PROGRESSIVE_MAX_PIXELS = 20000000 };

typedef struct pin_encoded {
    unsigned char *data; /* g_malloc'd by libvips; freed by pin_image_result_clear */
    size_t len;
} pin_encoded;

typedef struct pin_derivative {
    int width, height;
    pin_encoded jpeg, webp;
} pin_derivative;

typedef struct pin_image_result {
    pin_img_type type; /* of the original */
    int width, height; /* of the original, upright */
    pin_derivative d[PIN_DERIV_COUNT];
    const char *blurhash; /* in the arena passed to pin_image_process */
} pin_image_result;

typedef struct pin_image_opts {
    int64_t max_pixels;      /* refuse originals larger than this */
    double focus_x, focus_y; /* -1..1, Mastodon's focal point; centre the square crop on it */
    bool square_only;        /* avatars: every size is a centred square */
} pin_image_opts;

/* Sets libvips up for a server (call once, from main, before threads):
 * one thread per image, no operation cache, untrusted and unaccepted
 * loaders blocked. PIN_EIO if libvips cannot start. */
pin_err pin_image_init(const char *argv0) PIN_WUR;
void pin_image_shutdown(void);

/* The long side of each derivative (the thumbnail is a square). */
int pin_image_size(int deriv);
/* "feed", "preview", "small", "thumb". */
const char *pin_image_deriv_name(int deriv);

/* Processes the file at `path`. On refusal (unknown type, too many pixels,
 * undecodable) returns PIN_EUNPROCESSABLE with a sentence for the person in
 * *why (static or in the arena). The caller frees the result with
 * pin_image_result_clear (also after an error). */
pin_err pin_image_process(pin_arena *a, const char *path, const pin_image_opts *opts,
                          pin_image_result *out, const char **why) PIN_WUR;
void pin_image_result_clear(pin_image_result *r);

#endif
