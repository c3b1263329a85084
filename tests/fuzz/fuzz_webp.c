/* Fuzz target: WebP metadata stripping and image sniffing on hostile bytes.
 * Checks: no out-of-bounds access (sanitizers), the result is never longer
 * than the input, and a stripped file strips to itself. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/sniff.h"
#include "core/webp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    (void)pin_sniff_image(data, size < PIN_SNIFF_BYTES ? size : PIN_SNIFF_BYTES);
    unsigned char *buf = malloc(size ? size : 1);
    memcpy(buf, data, size);
    size_t n = pin_webp_strip_metadata(buf, size);
    if (n > size) abort();
    if (n) {
        size_t again = pin_webp_strip_metadata(buf, n);
        if (again != n) abort();
    }
    free(buf);
    return 0;
}
