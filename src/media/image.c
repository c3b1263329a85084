/* The photo pipeline on libvips. See image.h for what it promises. */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <vips/vips.h>

#include "core/blurhash.h"
#include "core/log.h"
#include "core/webp.h"
#include "media/image.h"

static const int sizes[PIN_DERIV_COUNT] = {1080, 640, 320, 150};
static const char *const names[PIN_DERIV_COUNT] = {"feed", "preview", "small", "thumb"};

int pin_image_size(int d)
{
    return d >= 0 && d < PIN_DERIV_COUNT ? sizes[d] : 0;
}

const char *pin_image_deriv_name(int d)
{
    return d >= 0 && d < PIN_DERIV_COUNT ? names[d] : "";
}

pin_err pin_image_init(const char *argv0)
{
    if (VIPS_INIT(argv0)) return PIN_EIO;
    /* One thread per image: a worker per core gives better throughput. */
    vips_concurrency_set(1);
    vips_cache_set_max(0);
    vips_cache_set_max_mem(0);
    /* Only the loaders for the types we accept; everything else refused
     * even if a file manages to look like it. */
    vips_block_untrusted_set(TRUE);
    vips_operation_block_set("VipsForeignLoad", TRUE);
    vips_operation_block_set("VipsForeignLoadJpeg", FALSE);
    vips_operation_block_set("VipsForeignLoadPng", FALSE);
    vips_operation_block_set("VipsForeignLoadWebp", FALSE);
    vips_operation_block_set("VipsForeignLoadNsgif", FALSE);
    vips_operation_block_set("VipsForeignLoadHeif", FALSE);
    return PIN_OK;
}

void pin_image_shutdown(void)
{
    vips_shutdown();
}

void pin_image_result_clear(pin_image_result *r)
{
    for (int i = 0; i < PIN_DERIV_COUNT; i++) {
        g_free(r->d[i].jpeg.data);
        g_free(r->d[i].webp.data);
        r->d[i].jpeg.data = r->d[i].webp.data = NULL;
    }
}

static const char *loader_for(pin_img_type t)
{
    switch (t) {
    case PIN_IMG_JPEG:
        return "jpegload";
    case PIN_IMG_PNG:
        return "pngload";
    case PIN_IMG_WEBP:
        return "webpload";
    case PIN_IMG_GIF:
        return "gifload";
    case PIN_IMG_HEIC:
    case PIN_IMG_AVIF:
        return "heifload";
    default:
        return NULL;
    }
}

static void vips_failed(const char *what)
{
    const char *msg = vips_error_buffer();
    PIN_INFO("image: %s: %.300s", what, msg && *msg ? msg : "(no detail)");
    vips_error_clear();
}

/* A copy of `in` with every metadata field removed, so no saver can write
 * EXIF, GPS, XMP, IPTC or an ICC profile (libvips 8.14's WebP saver keeps
 * EXIF despite `strip`). */
static VipsImage *bare(VipsImage *in)
{
    VipsImage *c;
    if (vips_copy(in, &c, NULL)) return NULL;
    gchar **fields = vips_image_get_fields(c);
    for (int i = 0; fields && fields[i]; i++)
        vips_image_remove(c, fields[i]);
    g_strfreev(fields);
    return c;
}

static pin_err encode(VipsImage *img, pin_derivative *d)
{
    VipsImage *c = bare(img);
    if (!c) return PIN_EIO;
    d->width = vips_image_get_width(c);
    d->height = vips_image_get_height(c);
    void *buf = NULL;
    size_t len = 0;
    int rc = vips_jpegsave_buffer(c, &buf, &len, "Q", 82, "interlace", TRUE, "strip", TRUE,
                                  "optimize_coding", TRUE, NULL);
    if (!rc) {
        d->jpeg = (pin_encoded){buf, len};
        buf = NULL;
        rc = vips_webpsave_buffer(c, &buf, &len, "Q", 80, "effort", 2, "strip", TRUE, NULL);
        if (!rc) {
            size_t n = pin_webp_strip_metadata(buf, len);
            d->webp = (pin_encoded){buf, n};
            if (!n) rc = -1; /* never serve a WebP we could not clean */
        }
    }
    g_object_unref(c);
    if (rc) vips_failed("encode");
    return rc ? PIN_EIO : PIN_OK;
}

static VipsImage *shrink_to(VipsImage *in, int longest)
{
    int w = vips_image_get_width(in), h = vips_image_get_height(in);
    int l = w > h ? w : h;
    VipsImage *out;
    if (l <= longest) {
        g_object_ref(in);
        return in;
    }
    if (vips_resize(in, &out, (double)longest / l, NULL)) return NULL;
    return out;
}

/* A side x side square around the focal point (Mastodon's focus: x -1..1
 * left to right, y -1..1 bottom to top). */
static VipsImage *square(VipsImage *in, int side, double fx, double fy)
{
    int w = vips_image_get_width(in), h = vips_image_get_height(in);
    int s = w < h ? w : h;
    VipsImage *scaled = NULL, *out = NULL;
    if (s > side) {
        if (vips_resize(in, &scaled, (double)side / s, NULL)) return NULL;
    } else {
        g_object_ref(in);
        scaled = in;
        side = s;
    }
    w = vips_image_get_width(scaled);
    h = vips_image_get_height(scaled);
    if (side > w) side = w;
    if (side > h) side = h;
    int cx = (int)((fx + 1) / 2 * w), cy = (int)((1 - fy) / 2 * h);
    int left = cx - side / 2, top = cy - side / 2;
    if (left < 0) left = 0;
    if (top < 0) top = 0;
    if (left > w - side) left = w - side;
    if (top > h - side) top = h - side;
    int rc = vips_extract_area(scaled, &out, left, top, side, side, NULL);
    g_object_unref(scaled);
    return rc ? NULL : out;
}

static const char *blurhash_of(pin_arena *a, VipsImage *img)
{
    VipsImage *tiny = shrink_to(img, 32);
    if (!tiny) return NULL;
    VipsImage *mem = vips_image_copy_memory(tiny);
    g_object_unref(tiny);
    if (!mem) return NULL;
    size_t n;
    unsigned char *px = vips_image_write_to_memory(mem, &n);
    int w = vips_image_get_width(mem), h = vips_image_get_height(mem);
    g_object_unref(mem);
    if (!px) return NULL;
    const char *hash = pin_blurhash_encode(a, px, w, h, (size_t)w * 3, 4, 4);
    g_free(px);
    return hash;
}

/* Loads with the type's own loader, shrinking on load (JPEG by 2/4/8, WebP
 * by any scale) as far as still leaves at least the feed size. */
static int load_shrunk(pin_img_type type, const char *path, int64_t longest, VipsImage **out)
{
    int feed = sizes[PIN_DERIV_FEED];
    switch (type) {
    case PIN_IMG_JPEG: {
        int shrink = 1;
        while (shrink < 8 && longest / (shrink * 2) >= feed)
            shrink *= 2;
        return vips_jpegload(path, out, "shrink", shrink, "fail_on", VIPS_FAIL_ON_TRUNCATED,
                             "access", VIPS_ACCESS_SEQUENTIAL, NULL);
    }
    case PIN_IMG_WEBP: {
        double scale = longest > feed ? (double)feed / (double)longest : 1.0;
        return vips_webpload(path, out, "scale", scale, "fail_on", VIPS_FAIL_ON_TRUNCATED, "access",
                             VIPS_ACCESS_SEQUENTIAL, NULL);
    }
    case PIN_IMG_PNG:
        return vips_pngload(path, out, "fail_on", VIPS_FAIL_ON_TRUNCATED, "access",
                            VIPS_ACCESS_SEQUENTIAL, NULL);
    case PIN_IMG_GIF:
        return vips_gifload(path, out, "fail_on", VIPS_FAIL_ON_TRUNCATED, "access",
                            VIPS_ACCESS_SEQUENTIAL, NULL);
    case PIN_IMG_HEIC:
    case PIN_IMG_AVIF:
        return vips_heifload(path, out, "fail_on", VIPS_FAIL_ON_TRUNCATED, "access",
                             VIPS_ACCESS_SEQUENTIAL, NULL);
    default:
        return -1;
    }
}

/* Replaces *img by an upright copy no larger than the feed size. */
static int to_feed(VipsImage **img)
{
    VipsImage *in = *img, *small = NULL, *rot = NULL;
    int feed = sizes[PIN_DERIV_FEED];
    int w = vips_image_get_width(in), h = vips_image_get_height(in);
    int l = w > h ? w : h;
    if (l > feed) {
        if (vips_resize(in, &small, (double)feed / l, NULL)) return -1;
    } else {
        g_object_ref(in);
        small = in;
    }
    /* The decode is sequential: bring the (small) image into memory before
     * rotating, which reads it in another order. */
    VipsImage *mem = vips_image_copy_memory(small);
    g_object_unref(small);
    if (!mem) return -1;
    int rc = vips_autorot(mem, &rot, NULL);
    g_object_unref(mem);
    if (rc) return -1;
    g_object_unref(in);
    *img = rot;
    return 0;
}

/* sRGB, 8 bits a channel: through the embedded ICC profile when there is
 * one (CMYK without one uses libvips' fallback profile). */
static int to_srgb(VipsImage *in, VipsImage **out)
{
    VipsImage *icc = NULL;
    bool has_icc = vips_image_get_typeof(in, VIPS_META_ICC_NAME) != 0;
    if (has_icc || vips_image_get_interpretation(in) == VIPS_INTERPRETATION_CMYK) {
        if (vips_icc_transform(in, &icc, "srgb", "embedded", TRUE, "input_profile",
                               has_icc ? "srgb" : "cmyk", NULL)) {
            /* A broken embedded profile: fall back to a plain conversion. */
            vips_error_clear();
            icc = NULL;
        }
    }
    VipsImage *src = icc ? icc : in;
    int rc = vips_colourspace(src, out, VIPS_INTERPRETATION_sRGB, NULL);
    if (icc) g_object_unref(icc);
    if (rc) return -1;
    if (vips_image_get_format(*out) != VIPS_FORMAT_UCHAR) {
        VipsImage *c;
        rc = vips_cast(*out, &c, VIPS_FORMAT_UCHAR, NULL);
        g_object_unref(*out);
        *out = rc ? NULL : c;
    }
    return rc;
}

pin_err pin_image_process(pin_arena *a, const char *path, const pin_image_opts *opts,
                          pin_image_result *out, const char **why)
{
    memset(out, 0, sizeof(*out));
    *why = NULL;
    unsigned char head[PIN_SNIFF_BYTES];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return PIN_EIO;
    ssize_t got = read(fd, head, sizeof(head));
    close(fd);
    out->type = pin_sniff_image(head, got > 0 ? (size_t)got : 0);
    const char *loader = loader_for(out->type);
    if (!loader) {
        *why = "This file is not an image we accept: upload a JPEG, PNG, WebP, GIF, HEIC or AVIF "
               "photo.";
        return PIN_EUNPROCESSABLE;
    }
    /* The header alone: dimensions and orientation, no pixels decoded. */
    VipsImage *hdr = vips_image_new_from_file(path, "access", VIPS_ACCESS_SEQUENTIAL, NULL);
    if (!hdr) {
        vips_failed("header");
        *why = "This image could not be read: the file may be damaged.";
        return PIN_EUNPROCESSABLE;
    }
    const char *used = NULL;
    if (vips_image_get_typeof(hdr, VIPS_META_LOADER))
        vips_image_get_string(hdr, VIPS_META_LOADER, &used);
    bool same_loader = used && !strncmp(used, loader, strlen(loader));
    int64_t w = vips_image_get_width(hdr), h = vips_image_get_height(hdr);
    int orientation = vips_image_get_orientation(hdr);
    /* A progressive JPEG is decoded whole before it can be shrunk: ~7 bytes a
     * pixel (a 43 MP one took 300 MB). Such files get a tighter limit. */
    int progressive = 0;
    if (out->type == PIN_IMG_JPEG && vips_image_get_typeof(hdr, "interlaced"))
        vips_image_get_int(hdr, "interlaced", &progressive);
    g_object_unref(hdr);
    if (!same_loader) {
        *why = "This file is not an image we accept: upload a JPEG, PNG, WebP, GIF, HEIC or AVIF "
               "photo.";
        return PIN_EUNPROCESSABLE;
    }
    if (w <= 0 || h <= 0 || w * h > opts->max_pixels) {
        *why = pin_arena_printf(a,
                                "This image has too many pixels (%lldx%lld): the limit is %.1f "
                                "megapixels.",
                                (long long)w, (long long)h, (double)opts->max_pixels / 1e6);
        return PIN_EUNPROCESSABLE;
    }
    if (progressive && w * h > PIN_PROGRESSIVE_MAX_PIXELS) {
        *why = "This progressive JPEG is too large to process: save it as a standard (baseline) "
               "JPEG or below 20 megapixels.";
        return PIN_EUNPROCESSABLE;
    }
    out->width = (int)(orientation >= 5 ? h : w);
    out->height = (int)(orientation >= 5 ? w : h);

    /* One decode, shrunk on load towards the feed size, then upright, sRGB
     * and exactly the feed size. Truncated or corrupt data fails here. */
    VipsImage *t = NULL, *srgb = NULL, *flat = NULL, *base = NULL;
    pin_err err = PIN_OK;
    if (load_shrunk(out->type, path, w > h ? w : h, &t) || to_feed(&t) || to_srgb(t, &srgb)) {
        vips_failed("decode");
        *why = "This image could not be decoded: the file may be damaged or incomplete.";
        err = PIN_EUNPROCESSABLE;
        goto out;
    }
    if (vips_image_hasalpha(srgb)) {
        double white[3] = {255, 255, 255};
        VipsArrayDouble *bg = vips_array_double_new(white, 3);
        int rc = vips_flatten(srgb, &flat, "background", bg, NULL);
        vips_area_unref(VIPS_AREA(bg));
        if (rc) {
            vips_failed("flatten");
            err = PIN_EIO;
            goto out;
        }
    } else {
        g_object_ref(srgb);
        flat = srgb;
    }
    base = vips_image_copy_memory(flat);
    if (!base) {
        vips_failed("decode");
        *why = "This image could not be decoded: the file may be damaged or incomplete.";
        err = PIN_EUNPROCESSABLE;
        goto out;
    }
    for (int i = 0; i < PIN_DERIV_COUNT && !err; i++) {
        VipsImage *d = i == PIN_DERIV_THUMB || opts->square_only
                           ? square(base, sizes[i], opts->focus_x, opts->focus_y)
                           : shrink_to(base, sizes[i]);
        if (!d) {
            vips_failed("resize");
            err = PIN_EIO;
            break;
        }
        /* Materialise once: the JPEG and the WebP saves would each redo a
         * lazy resize (the operation cache is off). */
        VipsImage *m = vips_image_copy_memory(d);
        g_object_unref(d);
        if (!m) {
            vips_failed("resize");
            err = PIN_EIO;
            break;
        }
        err = encode(m, &out->d[i]);
        g_object_unref(m);
    }
    if (!err) {
        out->blurhash = blurhash_of(a, base);
        if (!out->blurhash) err = PIN_EIO;
    }
out:
    if (t) g_object_unref(t);
    if (srgb) g_object_unref(srgb);
    if (flat) g_object_unref(flat);
    if (base) g_object_unref(base);
    return err;
}
