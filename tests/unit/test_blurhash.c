/* Unit tests for core/blurhash: exact hashes for small synthetic images.
 *
 * The expected strings were not produced by this encoder. They come from an
 * independent double-precision Python transcription of the reference
 * algorithm, and every one was checked against the official JavaScript
 * encoder (npm "blurhash" 2.0.5) with its maximum taken over |AC| as in the
 * C reference. Each image is a formula (see pixel()), so the vectors can be
 * regenerated; no value in them lies within 4e-4 of a rounding step, so
 * summation order and libm differences cannot flip a digit.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/arena.h"
#include "core/blurhash.h"

static const char B83[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                          "abcdefghijklmnopqrstuvwxyz#$%*+,-.:;=?@[]^_{|}~";

/* ---- synthetic images ---- */

typedef enum image_kind {
    IMG_SOLID,   /* 8x6, #4A90E2 */
    IMG_BLACK,   /* 3x3, #000000: the only solid colour whose AC is exactly zero */
    IMG_WHITE,   /* 5x2, #FFFFFF */
    IMG_ONE,     /* 1x1, (200, 100, 50) */
    IMG_HGRAD,   /* 16x8, red rises and blue falls left to right */
    IMG_VGRAD,   /* 7x12, green rises top to bottom */
    IMG_CHECKER, /* 2x2, white and black */
    IMG_PATTERN, /* 32x24, busy: the size the media pipeline passes */
    IMG_TALL,    /* 1x9, one column */
} image_kind;

static const struct {
    int w, h;
} dims[] = {
    [IMG_SOLID] = {8, 6},   [IMG_BLACK] = {3, 3},     [IMG_WHITE] = {5, 2},
    [IMG_ONE] = {1, 1},     [IMG_HGRAD] = {16, 8},    [IMG_VGRAD] = {7, 12},
    [IMG_CHECKER] = {2, 2}, [IMG_PATTERN] = {32, 24}, [IMG_TALL] = {1, 9},
};

static void pixel(image_kind k, int x, int y, unsigned char p[3])
{
    int r = 0, g = 0, b = 0;
    switch (k) {
    case IMG_SOLID:
        r = 0x4A, g = 0x90, b = 0xE2;
        break;
    case IMG_BLACK:
        break;
    case IMG_WHITE:
        r = g = b = 255;
        break;
    case IMG_ONE:
        r = 200, g = 100, b = 50;
        break;
    case IMG_HGRAD:
        r = x * 17, g = 128, b = 255 - x * 17;
        break;
    case IMG_VGRAD:
        g = y * 21, b = 60;
        break;
    case IMG_CHECKER:
        r = g = b = (x + y) % 2 == 0 ? 255 : 0;
        break;
    case IMG_PATTERN:
        r = (x * 37 + y * 91) % 256, g = (x * x + 3 * y) % 256, b = (x * y * 7) % 256;
        break;
    case IMG_TALL:
        r = y * 30, g = 255 - y * 30, b = 90;
        break;
    }
    p[0] = (unsigned char)r, p[1] = (unsigned char)g, p[2] = (unsigned char)b;
}

/* A w x h image of kind k in rows of `stride` bytes; padding bytes are 0xA5
 * so that reading them would change the hash. Caller frees. */
static unsigned char *make_image(image_kind k, size_t stride)
{
    int w = dims[k].w, h = dims[k].h;
    unsigned char *img = malloc(stride * (size_t)h);
    assert_non_null(img);
    memset(img, 0xA5, stride * (size_t)h);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            pixel(k, x, y, img + (size_t)y * stride + 3 * (size_t)x);
    return img;
}

/* Encodes image k tightly packed; the result lives in `a`. */
static const char *encode(pin_arena *a, image_kind k, int xc, int yc)
{
    unsigned char *img = make_image(k, 3 * (size_t)dims[k].w);
    const char *hash =
        pin_blurhash_encode(a, img, dims[k].w, dims[k].h, 3 * (size_t)dims[k].w, xc, yc);
    free(img);
    return hash;
}

/* ---- fixtures ---- */

static int setup(void **state)
{
    pin_arena *a = calloc(1, sizeof(*a));
    if (!a) return -1;
    *state = a;
    return 0;
}

static int teardown(void **state)
{
    pin_arena *a = *state;
    pin_arena_clear(a);
    free(a);
    return 0;
}

/* ---- known vectors ---- */

static const struct vector {
    image_kind image;
    int xc, yc;
    const char *hash;
} vectors[] = {
    /* A solid colour: DC "8jTk" is 0x4A90E2; the odd AC terms are not zero
     * because the basis samples pixels at x / width, as the reference does. */
    {IMG_SOLID, 1, 1, "008jTk"},
    {IMG_SOLID, 4, 3, "Lf8jTkpLfQpLtpkDfQkDfQfQfQfQ"},
    {IMG_SOLID, 3, 4, "Tf8jTkpLfQtpkDfQfQfQfQtpkDfQ"},
    {IMG_SOLID, 2, 2, "Af8jTkpLtpkD"},
    {IMG_SOLID, 9, 9,
     "|f8jTkpLfQpLfQpLfQpLfQtpkDfQkDfQkDfQkDfQfQfQfQfQfQfQfQfQfQtpkDfQkDfQkDfQkDfQfQfQfQfQfQfQfQ"
     "fQfQtpkDfQkDfQkDfQkDfQfQfQfQfQfQfQfQfQfQtpkDfQkDfQkDfQkDfQfQfQfQfQfQfQfQfQfQ"},
    {IMG_WHITE, 4, 3, "L~TSUA_3fQ_3~q-;fQ-;fQfQfQfQ"},
    {IMG_WHITE, 9, 1, "8*TSUA~qfQ~qfQ~qfQ~qfQ"},
    /* One pixel: every basis function is 1 there, so all AC terms are equal
     * (2x the DC in linear light, clamped to the largest step). */
    {IMG_ONE, 1, 1, "00M|T9"},
    {IMG_ONE, 4, 3, "L~M|T9}=}=}=}=}=}=}=}=}=}=}="},
    {IMG_ONE, 9, 9,
     "|~M|T9}=}=}=}=}=}=}=}=}=}=}=}=}=}=}=}=}=}=}=}=}=}=}=}=}=}=}=}=}=}=}=}=}=}=}=}=}=}=}=}=}="
     "}=}=}=}=}=}=}=}=}=}=}=}=}=}=}=}=}=}=}=}=}=}=}=}=}=}=}=}=}=}=}=}=}=}=}=}=}=}=}="},
    {IMG_HGRAD, 1, 1, "00Hw+l"},
    {IMG_HGRAD, 4, 3, "L@Hw+l77sakFxbSijvj]fQfQfQfQ"},
    {IMG_HGRAD, 9, 1, "8@Hw+l77sakFSQs=SQs=SQ"},
    {IMG_HGRAD, 1, 9, "=CHw+l~EfQ~EfQ~EfQ~EfQ"},
    {IMG_HGRAD, 5, 5, "e@Hw+l77sakFSQxbSijvj]a}fQfQfQfQfQxbSijvj]a}fQfQfQfQfQ"},
    {IMG_VGRAD, 3, 4, "Tn05HigLfQdMerfQg0fjfQg1fkfQ"},
    {IMG_VGRAD, 1, 9, "=n05HidMg0g1eXgKeXgKeX"},
    {IMG_VGRAD, 9, 1, "8B05HihZfQhZfQhZfQhZfQ"},
    {IMG_CHECKER, 2, 2, "A~Lqe9~q~q~q"},
    {IMG_CHECKER, 4, 3, "L~Lqe9~qfQ~q~q~q~q~qfQ~q~q~q"},
    {IMG_PATTERN, 1, 1, "00HBoT"},
    {IMG_PATTERN, 4, 3, "LJHBoTupmAqxs8RQe.oaV;X2R+XO"},
    {IMG_PATTERN, 3, 4, "TJHBoTupmAs8RQe.V;X2R+xCjrbE"},
    {IMG_PATTERN, 2, 2, "AJHBoTups8RQ"},
    {IMG_PATTERN, 5, 5, "eJHBoTupmAqxbCs8RQe.oaf}V;X2R+XOaPxCjrbEV_XSV=k7bboJWF"},
    {IMG_PATTERN, 9, 9,
     "|JHBoTupmAqxbCy4YDr1U|s8RQe.oaf}b=a2izXRV;X2R+XOaPjYW?bbWrxCjrbEV_XSaibuj0W?V=k7bboJWFbJR."
     "kTWCxpi{azajflk8WYWVS5W+j=ajoKbJoKjcr]SwxVjXjKbEjJf7kBf5wcWUWXbIaiW;W;axWTWm"},
    {IMG_TALL, 4, 3, "L~G]WU~n~n~nC{C{C{C{l3l3l3l3"},
    {IMG_TALL, 1, 9, "=~G]WUC{l3tiP5x?P5x?P5"},
};

static void test_known_vectors(void **state)
{
    pin_arena *a = *state;
    for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
        const struct vector *v = &vectors[i];
        const char *got = encode(a, v->image, v->xc, v->yc);
        assert_non_null(got);
        if (strcmp(got, v->hash) != 0)
            print_error("vector %zu (image %d, %dx%d components)\n", i, (int)v->image, v->xc,
                        v->yc);
        assert_string_equal(got, v->hash);
    }
}

/* ---- structure ---- */

/* n as `digits` base83 digits, written here independently of the encoder. */
static void b83(char *out, unsigned long n, int digits)
{
    for (int i = digits - 1; i >= 0; i--, n /= 83)
        out[i] = B83[n % 83];
    out[digits] = '\0';
}

/* Black is 0 in linear light, so every AC term is exactly zero: the hash is
 * size flag, '0' (smallest maximum), DC "0000", then "fQ" (9*361 + 9*19 + 9,
 * the zero step on all three channels) per AC term: 6 + 2 * (xc*yc - 1). */
static void test_zero_ac_form(void **state)
{
    pin_arena *a = *state;
    char want[PIN_BLURHASH_MAX_LEN];
    for (int yc = 1; yc <= 9; yc++) {
        for (int xc = 1; xc <= 9; xc++) {
            b83(want, (unsigned long)((xc - 1) + (yc - 1) * 9), 1);
            strcpy(want + 1, "00000");
            for (int k = 1; k < xc * yc; k++)
                strcpy(want + 6 + 2 * (k - 1), "fQ");
            const char *got = encode(a, IMG_BLACK, xc, yc);
            assert_int_equal(strlen(got), 6 + 2 * (xc * yc - 1));
            assert_string_equal(got, want);
        }
    }
}

/* The DC digits of a solid image are its colour, whatever the components. */
static void test_solid_dc_is_the_colour(void **state)
{
    pin_arena *a = *state;
    static const unsigned char colours[][3] = {
        {0, 0, 0}, {1, 2, 3}, {10, 200, 99}, {127, 128, 129}, {254, 255, 0}, {0x4A, 0x90, 0xE2},
    };
    enum { W = 5, H = 4 };
    unsigned char img[W * H * 3];
    char dc[5];
    for (size_t c = 0; c < sizeof(colours) / sizeof(colours[0]); c++) {
        for (int i = 0; i < W * H; i++)
            memcpy(img + 3 * i, colours[c], 3);
        b83(dc,
            (unsigned long)colours[c][0] << 16 | (unsigned long)colours[c][1] << 8 | colours[c][2],
            4);
        for (int yc = 1; yc <= 9; yc += 2) {
            for (int xc = 1; xc <= 9; xc += 4) {
                const char *got = pin_blurhash_encode(a, img, W, H, W * 3, xc, yc);
                assert_non_null(got);
                assert_memory_equal(got + 2, dc, 4);
            }
        }
    }
    assert_string_equal(dc, "8jTk"); /* the last colour, as in the vectors */
}

/* Every size: length 4 + 2*xc*yc, size flag first, only base83 digits. */
static void test_length_and_alphabet_every_size(void **state)
{
    pin_arena *a = *state;
    for (int yc = 1; yc <= 9; yc++) {
        for (int xc = 1; xc <= 9; xc++) {
            const char *got = encode(a, IMG_PATTERN, xc, yc);
            assert_non_null(got);
            assert_int_equal(strlen(got), 4 + 2 * xc * yc);
            assert_int_equal(got[0], B83[(xc - 1) + (yc - 1) * 9]);
            for (const char *p = got; *p; p++)
                assert_non_null(memchr(B83, *p, 83));
        }
    }
}

/* Row padding is never read: a padded copy hashes like the packed one. */
static void test_stride_padding_ignored(void **state)
{
    pin_arena *a = *state;
    int w = dims[IMG_PATTERN].w, h = dims[IMG_PATTERN].h;
    size_t stride = 3 * (size_t)w + 7;
    unsigned char *img = make_image(IMG_PATTERN, stride);
    assert_string_equal(pin_blurhash_encode(a, img, w, h, stride, 4, 3),
                        "LJHBoTupmAqxs8RQe.oaV;X2R+XO");
    assert_string_equal(pin_blurhash_encode(a, img, w, h, stride, 9, 9),
                        encode(a, IMG_PATTERN, 9, 9));
    /* A sub-rectangle: the left 16 columns of the pattern, through the full stride. */
    unsigned char *left = malloc(3 * 16 * (size_t)h);
    assert_non_null(left);
    for (int y = 0; y < h; y++)
        memcpy(left + 3 * 16 * (size_t)y, img + (size_t)y * stride, 3 * 16);
    assert_string_equal(pin_blurhash_encode(a, img, 16, h, stride, 4, 3),
                        pin_blurhash_encode(a, left, 16, h, 3 * 16, 4, 3));
    free(left);
    free(img);
}

static void test_one_pixel_image(void **state)
{
    pin_arena *a = *state;
    const unsigned char px[3] = {200, 100, 50};
    assert_string_equal(pin_blurhash_encode(a, px, 1, 1, 3, 1, 1), "00M|T9");
    assert_string_equal(pin_blurhash_encode(a, px, 1, 1, 3, 2, 1), "1~M|T9}=");
    /* The stride of a single row is never used to step, only checked. */
    assert_string_equal(pin_blurhash_encode(a, px, 1, 1, 1000, 1, 1), "00M|T9");
}

static void test_invalid_arguments(void **state)
{
    pin_arena *a = *state;
    const unsigned char px[4 * 3 * 2] = {0};
    size_t before = a->total;
    assert_null(pin_blurhash_encode(NULL, px, 4, 2, 12, 4, 3));
    assert_null(pin_blurhash_encode(a, NULL, 4, 2, 12, 4, 3));
    assert_null(pin_blurhash_encode(a, px, 0, 2, 12, 4, 3));
    assert_null(pin_blurhash_encode(a, px, 4, 0, 12, 4, 3));
    assert_null(pin_blurhash_encode(a, px, -1, 2, 12, 4, 3));
    assert_null(pin_blurhash_encode(a, px, 4, -5, 12, 4, 3));
    assert_null(pin_blurhash_encode(a, px, 4, 2, 12, 0, 3));
    assert_null(pin_blurhash_encode(a, px, 4, 2, 12, 10, 3));
    assert_null(pin_blurhash_encode(a, px, 4, 2, 12, 4, 0));
    assert_null(pin_blurhash_encode(a, px, 4, 2, 12, 4, 10));
    assert_null(pin_blurhash_encode(a, px, 4, 2, 12, -1, -1));
    assert_null(pin_blurhash_encode(a, px, 4, 2, 11, 4, 3)); /* stride < 3 * width */
    assert_null(pin_blurhash_encode(a, px, 4, 2, 0, 4, 3));
    assert_int_equal(a->total, before); /* nothing allocated on refusal */
    /* The edges of the valid ranges are accepted. */
    assert_non_null(pin_blurhash_encode(a, px, 4, 2, 12, 1, 1));
    assert_non_null(pin_blurhash_encode(a, px, 4, 2, 12, 9, 9));
}

/* Pure: the same input gives the same string, in the arena it was given,
 * and calls on different arenas do not disturb each other. */
static void test_pure_and_arena_owned(void **state)
{
    pin_arena *a = *state;
    pin_arena b = {0};
    const char *h1 = encode(a, IMG_HGRAD, 4, 3);
    size_t used = a->total;
    const char *h2 = encode(&b, IMG_HGRAD, 4, 3);
    assert_int_equal(a->total, used);
    assert_true(b.total > 0);
    assert_ptr_not_equal(h1, h2);
    assert_string_equal(h1, h2);
    pin_arena_clear(&b);
    assert_string_equal(h1, "L@Hw+l77sakFxbSijvj]fQfQfQfQ");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_known_vectors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_zero_ac_form, setup, teardown),
        cmocka_unit_test_setup_teardown(test_solid_dc_is_the_colour, setup, teardown),
        cmocka_unit_test_setup_teardown(test_length_and_alphabet_every_size, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stride_padding_ignored, setup, teardown),
        cmocka_unit_test_setup_teardown(test_one_pixel_image, setup, teardown),
        cmocka_unit_test_setup_teardown(test_invalid_arguments, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pure_and_arena_owned, setup, teardown),
    };
    return cmocka_run_group_tests_name("blurhash", tests, NULL, NULL);
}
