/* Unit tests for image sniffing, WebP metadata stripping and the blob store. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/sniff.h"
#include "core/webp.h"
#include "media/blob.h"

static void sniff_types(void **state)
{
    (void)state;
    assert_int_equal(pin_sniff_image((const unsigned char *)"\xFF\xD8\xFF\xE0", 4), PIN_IMG_JPEG);
    assert_int_equal(pin_sniff_image((const unsigned char *)"\x89PNG\r\n\x1a\n", 8), PIN_IMG_PNG);
    assert_int_equal(pin_sniff_image((const unsigned char *)"RIFF\0\0\0\0WEBPVP8 ", 16),
                     PIN_IMG_WEBP);
    assert_int_equal(pin_sniff_image((const unsigned char *)"GIF89a", 6), PIN_IMG_GIF);
    assert_int_equal(pin_sniff_image((const unsigned char *)"\0\0\0\x18"
                                                            "ftypheic",
                                     12),
                     PIN_IMG_HEIC);
    assert_int_equal(pin_sniff_image((const unsigned char *)"\0\0\0\x18"
                                                            "ftypavif",
                                     12),
                     PIN_IMG_AVIF);
    assert_int_equal(pin_sniff_image((const unsigned char *)"<svg xmlns=", 11), PIN_IMG_UNKNOWN);
    assert_int_equal(pin_sniff_image((const unsigned char *)"\xFF\xD8", 2), PIN_IMG_UNKNOWN);
    assert_int_equal(pin_sniff_image((const unsigned char *)"RIFF\0\0\0\0AVI ", 12),
                     PIN_IMG_UNKNOWN);
    assert_int_equal(pin_sniff_image(NULL, 0), PIN_IMG_UNKNOWN);
    assert_string_equal(pin_img_mime(PIN_IMG_WEBP), "image/webp");
    assert_null(pin_img_mime(PIN_IMG_UNKNOWN));
}

static size_t chunk(unsigned char *p, const char *cc, const char *payload, size_t n)
{
    memcpy(p, cc, 4);
    p[4] = (unsigned char)n, p[5] = (unsigned char)(n >> 8), p[6] = 0, p[7] = 0;
    memcpy(p + 8, payload, n);
    size_t len = 8 + n;
    if (n & 1) p[len++] = 0;
    return len;
}

static void webp_strip(void **state)
{
    (void)state;
    unsigned char buf[256];
    size_t n = 12;
    memcpy(buf, "RIFF\0\0\0\0WEBP", 12);
    n += chunk(buf + n, "VP8X", "\x2c\0\0\0\0\0\0\0\0\0", 10); /* ICC|EXIF|XMP */
    n += chunk(buf + n, "ICCP", "icc", 3);
    n += chunk(buf + n, "VP8 ", "pixels", 6);
    n += chunk(buf + n, "EXIF", "GPS-secret", 10);
    n += chunk(buf + n, "XMP ", "<x>", 3);
    buf[4] = (unsigned char)(n - 8);
    size_t out = pin_webp_strip_metadata(buf, n);
    assert_int_equal(out, 12 + 18 + 14);
    assert_int_equal(buf[4], out - 8);
    assert_memory_equal(buf + 12, "VP8X", 4);
    assert_int_equal(buf[20], 0); /* flags cleared */
    assert_memory_equal(buf + 30, "VP8 ", 4);
    assert_null(memmem(buf, out, "GPS", 3));
    assert_int_equal(pin_webp_strip_metadata(buf, out), out); /* idempotent */
    /* Malformed: a chunk running past the end leaves the buffer alone. */
    unsigned char bad[32];
    memcpy(bad, "RIFF\x18\0\0\0WEBPEXIF\xff\0\0\0abcdefgh", 28);
    bad[4] = 20;
    unsigned char copy[32];
    memcpy(copy, bad, sizeof(bad));
    assert_int_equal(pin_webp_strip_metadata(bad, 28), 0);
    assert_memory_equal(bad, copy, 28);
    assert_int_equal(pin_webp_strip_metadata((unsigned char *)"RIFF", 4), 0);
}

static void blob_roundtrip(void **state)
{
    (void)state;
    char dir[] = "/tmp/pinhole-blobs-XXXXXX";
    assert_non_null(mkdtemp(dir));
    pin_blobs *b;
    assert_int_equal(pin_blobs_open(dir, &b), PIN_OK);
    char key[65], key2[65];
    assert_int_equal(pin_blob_put(b, "hello", 5, key), PIN_OK);
    /* sha256("hello") */
    assert_string_equal(key, "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
    assert_true(pin_blob_exists(b, key));
    assert_int_equal(pin_blob_put(b, "hello", 5, key2), PIN_OK); /* stored once */
    assert_string_equal(key, key2);
    int fd;
    int64_t size;
    assert_int_equal(pin_blob_open(b, key, &fd, &size), PIN_OK);
    assert_int_equal(size, 5);
    char got[8] = {0};
    assert_int_equal(read(fd, got, sizeof(got)), 5);
    close(fd);
    assert_string_equal(got, "hello");
    assert_int_equal(pin_blob_verify(b, key), PIN_OK);
    /* From a file descriptor. */
    char tmp[] = "/tmp/pinhole-blobsrc-XXXXXX";
    int src = mkstemp(tmp);
    assert_true(src >= 0);
    assert_int_equal(write(src, "hello", 5), 5);
    assert_int_equal(pin_blob_put_fd(b, src, key2, &size), PIN_OK);
    close(src);
    unlink(tmp);
    assert_string_equal(key, key2);
    /* Keys are the only names: anything else is not found. */
    assert_int_equal(pin_blob_open(b, "../../etc/passwd", &fd, &size), PIN_ENOTFOUND);
    assert_int_equal(
        pin_blob_open(b, "2CF24DBA5FB0A30E26E83B2AC5B9E29E1B161E5C1FA7425E73043362938B9824", &fd,
                      &size),
        PIN_ENOTFOUND);
    assert_false(pin_blob_key_valid(""));
    assert_int_equal(pin_blob_delete(b, key), PIN_OK);
    assert_false(pin_blob_exists(b, key));
    assert_int_equal(pin_blob_delete(b, key), PIN_OK);
    pin_blobs_close(b);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

static void upload_sweep_removes_only_idle_uploads(void **state)
{
    (void)state;
    char dir[] = "/tmp/pinhole-uploads-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[128];
    const char *names[] = {"upload-old", "upload-new", "keep-old"};
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        fputs("x", f);
        fclose(f);
        if (i != 1) { /* two hours old */
            struct timespec t[2] = {{time(NULL) - 7200, 0}, {time(NULL) - 7200, 0}};
            assert_int_equal(utimensat(AT_FDCWD, path, t, 0), 0);
        }
    }
    int removed = -1;
    assert_int_equal(pin_upload_sweep(dir, 3600 * 1000, &removed), PIN_OK);
    assert_int_equal(removed, 1);
    snprintf(path, sizeof(path), "%s/upload-old", dir);
    assert_int_not_equal(access(path, F_OK), 0);
    snprintf(path, sizeof(path), "%s/upload-new", dir);
    assert_int_equal(access(path, F_OK), 0);
    snprintf(path, sizeof(path), "%s/keep-old", dir); /* not an upload: never touched */
    assert_int_equal(access(path, F_OK), 0);
    assert_int_equal(pin_upload_sweep("/nonexistent-pinhole-dir", 0, &removed), PIN_OK);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sniff_types),
        cmocka_unit_test(webp_strip),
        cmocka_unit_test(blob_roundtrip),
        cmocka_unit_test(upload_sweep_removes_only_idle_uploads),
    };
    return cmocka_run_group_tests_name("media", tests, NULL, NULL);
}
