/* Runs pinhole's photo pipeline over files, as the server would, and prints
 * per-photo CPU milliseconds and the process's peak memory. Used by
 * bench/media.sh; also handy to see what the pipeline makes of a file:
 *     build/pipeline [--out DIR] FILE...
 */
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "media/image.h"

static double cpu_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void save(const char *dir, const char *file, const char *deriv, const char *ext,
                 const pin_encoded *e)
{
    const char *base = strrchr(file, '/');
    base = base ? base + 1 : file;
    char path[2048];
    snprintf(path, sizeof(path), "%s/%s.%s.%s", dir, base, deriv, ext);
    FILE *f = fopen(path, "wb");
    if (!f) return;
    fwrite(e->data, 1, e->len, f);
    fclose(f);
}

int main(int argc, char **argv)
{
    const char *outdir = NULL;
    int first = 1;
    if (argc > 2 && !strcmp(argv[1], "--out")) {
        outdir = argv[2];
        first = 3;
    }
    if (first >= argc) {
        fprintf(stderr, "usage: pipeline [--out DIR] FILE...\n");
        return 2;
    }
    if (pin_image_init(argv[0])) return 1;
    int failures = 0;
    for (int i = first; i < argc; i++) {
        pin_arena a = {0};
        pin_image_result r;
        const char *why = NULL;
        pin_image_opts o = {.max_pixels = 50000000};
        double t0 = cpu_ms();
        pin_err err = pin_image_process(&a, argv[i], &o, &r, &why);
        double t1 = cpu_ms();
        if (err) {
            printf("%s\trefused\t%s\t%s\n", argv[i], pin_err_name(err), why ? why : "");
            failures++;
        } else {
            size_t bytes = 0;
            for (int d = 0; d < PIN_DERIV_COUNT; d++) {
                bytes += r.d[d].jpeg.len + r.d[d].webp.len;
                if (outdir) {
                    save(outdir, argv[i], pin_image_deriv_name(d), "jpg", &r.d[d].jpeg);
                    save(outdir, argv[i], pin_image_deriv_name(d), "webp", &r.d[d].webp);
                }
            }
            printf("%s\t%.1f ms\t%dx%d\t%s\t%zu bytes\t%s\n", argv[i], t1 - t0, r.width, r.height,
                   pin_img_name(r.type), bytes, r.blurhash);
        }
        pin_image_result_clear(&r);
        pin_arena_clear(&a);
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("peak_rss_kb\t%ld\n", ru.ru_maxrss);
    pin_image_shutdown();
    return failures ? 1 : 0;
}
