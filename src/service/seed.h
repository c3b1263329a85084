/* A synthetic instance for benchmarks: users, a heavy-tailed follow graph
 * (the top account followed by about half of everyone), posts with
 * hashtags, likes and comments. Rows are written in large transactions
 * straight into the tables, then every counter is set from the rows, so an
 * audit of a seeded instance is clean. Deterministic for a given seed.
 *
 * Seeding an instance seeded before (it has user0 ... user<users-1>) adds
 * posts, likes and comments (spread over the same past year) and keeps its
 * accounts and follow graph: a benchmark can time one instance at 1 and
 * then at 3 million posts. One seeded with fewer users: PIN_ECONFLICT.
 * Other accounts already there are left alone. */
#ifndef PIN_SERVICE_SEED_H
#define PIN_SERVICE_SEED_H

#include <stdio.h>

#include "service/svc.h"

typedef struct pin_seed_opts {
    int users;
    int follows_per_user; /* mean; the distribution is heavy-tailed */
    int64_t posts;
    double likes_per_post, comments_per_post;
    int tags; /* size of the hashtag pool */
    unsigned seed;
    FILE *progress; /* a terminal for the progress bar, or NULL */
} pin_seed_opts;

typedef struct pin_seed_stats {
    int64_t users, follows, posts, likes, comments;
    pin_id top_account; /* the most-followed account */
} pin_seed_stats;

pin_err pin_seed(pin_svc *svc, const pin_seed_opts *o, pin_seed_stats *out) PIN_WUR;

#endif
