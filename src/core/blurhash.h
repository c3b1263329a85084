/* BlurHash encoder: a short ASCII string that clients draw as a blurred
 * placeholder while a photo loads (the `blurhash` field of a Mastodon media
 * attachment).
 *
 * The media pipeline downsamples an upload to about 32 px on its long side
 * and hands the pixels here; the string is stored with the attachment. Only
 * encoding lives here: clients decode.
 *
 * The output matches the reference encoder (github.com/woltapp/blurhash, C
 * version, which Mastodon's gem wraps): base83 digits, a size flag, the
 * quantised largest AC magnitude, the average colour in 4 digits, then 2
 * digits per AC component. Like the reference, the cosine basis samples pixel
 * x at angle pi*i*x/width (not at pixel centres), so even a solid-colour
 * image has non-zero odd AC components once xc or yc > 1. Do not "fix" that:
 * the hashes would stop matching everyone else's. Arithmetic is in double
 * (the reference uses float), which can move a digit only when a value lies
 * within float rounding of a quantisation step.
 *
 * Layer: core. Depends on the arena and libm only.
 */
#ifndef PIN_CORE_BLURHASH_H
#define PIN_CORE_BLURHASH_H

#include <stddef.h>

#include "core/arena.h"

enum {
    PIN_BLURHASH_MAX_COMPONENTS = 9, /* per axis; the format cannot hold more */
    /* Longest hash plus its NUL: 4 + 2 * 9 * 9 + 1. */
    PIN_BLURHASH_MAX_LEN = 4 + 2 * PIN_BLURHASH_MAX_COMPONENTS * PIN_BLURHASH_MAX_COMPONENTS + 1,
};

/* Encodes an sRGB image (8-bit RGB, rows of `stride` bytes, width x height >= 1) with
 * xc x yc components (1..9 each). Returns a NUL-terminated hash in the arena, or NULL on
 * invalid arguments. Pure: no I/O, no global state, thread-safe.
 *
 *  - rgb is borrowed and only read: `height` rows, each starting `stride`
 *    bytes after the previous one, of `width` packed R,G,B triples; bytes
 *    past 3 * width in a row are ignored. stride < 3 * width is invalid.
 *  - On success the hash is exactly 4 + 2 * xc * yc characters from the
 *    base83 alphabet, owned by `a` (it dies with pin_arena_clear()).
 *  - Invalid arguments (NULL arena or pixels, width or height < 1, xc or yc
 *    outside 1..9, stride too small, or on a 32-bit size_t a width or height
 *    whose table size would overflow) return NULL and allocate nothing.
 *  - Scratch memory (two cosine tables, (width * xc + height * yc) doubles)
 *    also comes from `a`; it is proportional to the image the caller already
 *    holds, so the caller bounds it by bounding the image. Cost is
 *    O(width * height * xc * yc) multiply-adds, with no cos() in the loop.
 *  - Thread-safe in the usual sense: concurrent calls are fine as long as
 *    each uses its own arena (an arena belongs to one thread at a time). */
const char *pin_blurhash_encode(pin_arena *a, const unsigned char *rgb, int width, int height,
                                size_t stride, int xc, int yc) PIN_WUR;

#endif
