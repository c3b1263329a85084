/* BlurHash encoder; the contract and the format notes are in blurhash.h.
 *
 * One pass over the pixels accumulates every component at once: for each
 * pixel the linear colour is looked up (a 256-entry table built per call) and
 * multiplied by cos_x[x][i] * cos_y[y][j] from two tables built per call, so
 * the inner loop is multiply-adds only. Everything is on the stack or in the
 * caller's arena; nothing is shared between calls.
 */
#include "core/blurhash.h"

#include <math.h>
#include <stdint.h>

enum { MAXC = PIN_BLURHASH_MAX_COMPONENTS };

static const double PI = 3.14159265358979323846;

/* BlurHash's base83 digits, in value order. */
static const char B83[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                          "abcdefghijklmnopqrstuvwxyz#$%*+,-.:;=?@[]^_{|}~";

/* Writes v as `digits` base83 digits, most significant first; returns the
 * position after them. v must be below 83^digits. */
static char *put_b83(char *p, unsigned long v, int digits)
{
    for (int i = digits - 1; i >= 0; i--) {
        p[i] = B83[v % 83];
        v /= 83;
    }
    return p + digits;
}

/* The sRGB transfer function, 8-bit value to linear light in [0, 1]. */
static double srgb_to_linear(int c)
{
    double v = c / 255.0;
    return v <= 0.04045 ? v / 12.92 : pow((v + 0.055) / 1.055, 2.4);
}

/* Linear light back to 8-bit sRGB, clamped; +0.5 and truncation round to
 * nearest, as the reference does. */
static unsigned long linear_to_srgb(double v)
{
    if (v < 0) v = 0;
    if (v > 1) v = 1;
    double s = v <= 0.0031308 ? v * 12.92 : 1.055 * pow(v, 1 / 2.4) - 0.055;
    return (unsigned long)(s * 255 + 0.5);
}

/* floor(x) clamped to [lo, hi]; x is finite here. */
static int clamp_floor(double x, int lo, int hi)
{
    double f = floor(x);
    if (f < lo) return lo;
    if (f > hi) return hi;
    return (int)f;
}

/* One AC channel to 0..18: the square root (sign kept) spends the 19 steps
 * more finely near zero, where most of an image's AC energy is. */
static int quantise_ac(double v, double max)
{
    double r = v / max;
    return clamp_floor(copysign(sqrt(fabs(r)), r) * 9 + 9.5, 0, 18);
}

/* cos(pi * k * n / len) for n in [0, len), k in [0, kc), at tab[n * kc + k]. */
static double *cos_table(pin_arena *a, int len, int kc)
{
    double *tab = pin_arena_alloc(a, sizeof(double) * (size_t)len * (size_t)kc);
    for (int n = 0; n < len; n++)
        for (int k = 0; k < kc; k++)
            tab[(size_t)n * kc + k] = cos(PI * k * n / len);
    return tab;
}

const char *pin_blurhash_encode(pin_arena *a, const unsigned char *rgb, int width, int height,
                                size_t stride, int xc, int yc)
{
    if (!a || !rgb || width < 1 || height < 1) return NULL;
    if (xc < 1 || xc > MAXC || yc < 1 || yc > MAXC) return NULL;
    if (stride / 3 < (size_t)width) return NULL; /* stride < 3 * width, without overflow */
    /* The tables must be addressable (only a 32-bit size_t can fail this). */
    if ((size_t)width > SIZE_MAX / (sizeof(double) * MAXC) ||
        (size_t)height > SIZE_MAX / (sizeof(double) * MAXC))
        return NULL;

    double lin[256];
    for (int c = 0; c < 256; c++)
        lin[c] = srgb_to_linear(c);
    const double *cos_x = cos_table(a, width, xc);
    const double *cos_y = cos_table(a, height, yc);

    /* f[j * xc + i] is component (i, j); f[0] is the average (DC). */
    int n = xc * yc;
    double f[MAXC * MAXC][3] = {{0}};
    for (int y = 0; y < height; y++) {
        const unsigned char *row = rgb + (size_t)y * stride;
        const double *cy = cos_y + (size_t)y * yc;
        for (int x = 0; x < width; x++) {
            double r = lin[row[3 * x]], g = lin[row[3 * x + 1]], b = lin[row[3 * x + 2]];
            const double *cx = cos_x + (size_t)x * xc;
            for (int j = 0; j < yc; j++) {
                for (int i = 0; i < xc; i++) {
                    double basis = cy[j] * cx[i];
                    double *fk = f[j * xc + i];
                    fk[0] += basis * r;
                    fk[1] += basis * g;
                    fk[2] += basis * b;
                }
            }
        }
    }
    /* The DC term is a plain mean; AC terms carry the DCT's factor 2. */
    double pixels = (double)width * height;
    for (int k = 0; k < n; k++) {
        double scale = (k == 0 ? 1.0 : 2.0) / pixels;
        for (int c = 0; c < 3; c++)
            f[k][c] *= scale;
    }

    char *out = pin_arena_alloc(a, 4 + 2 * (size_t)n + 1);
    char *p = put_b83(out, (unsigned long)((xc - 1) + (yc - 1) * 9), 1);

    /* AC values are sent relative to the largest magnitude, itself sent as
     * one digit q meaning (q + 1) / 166. */
    double max = 1;
    int q = 0;
    if (n > 1) {
        double actual = 0;
        for (int k = 1; k < n; k++)
            for (int c = 0; c < 3; c++)
                if (fabs(f[k][c]) > actual) actual = fabs(f[k][c]);
        q = clamp_floor(actual * 166 - 0.5, 0, 82);
        max = (q + 1) / 166.0;
    }
    p = put_b83(p, (unsigned long)q, 1);

    unsigned long dc =
        linear_to_srgb(f[0][0]) << 16 | linear_to_srgb(f[0][1]) << 8 | linear_to_srgb(f[0][2]);
    p = put_b83(p, dc, 4);

    for (int k = 1; k < n; k++) {
        int v = quantise_ac(f[k][0], max) * 19 * 19 + quantise_ac(f[k][1], max) * 19 +
                quantise_ac(f[k][2], max);
        p = put_b83(p, (unsigned long)v, 2);
    }
    *p = '\0';
    return out;
}
