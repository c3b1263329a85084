/* Removing metadata from WebP files.
 *
 * libvips 8.14's WebP saver writes an EXIF chunk even when asked to strip,
 * so every WebP we serve passes through here: the EXIF, XMP and ICCP chunks
 * are dropped from the RIFF container and the VP8X flags cleared. Pure, in
 * place, linear; a fuzz target checks it on hostile input.
 */
#ifndef PIN_CORE_WEBP_H
#define PIN_CORE_WEBP_H

#include <stddef.h>

/* Rewrites buf[0..len) in place. Returns the new length, or 0 if the data
 * is not a well-formed WebP RIFF container (then buf is unchanged). */
size_t pin_webp_strip_metadata(unsigned char *buf, size_t len);

#endif
