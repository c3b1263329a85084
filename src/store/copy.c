/* Copies an instance between databases. See copy.h. */
#include "store/copy.h"

#include <stdlib.h>
#include <string.h>

#include "core/log.h"

/* In an order that satisfies every foreign key. */
static const char *const tables[] = {
    "accounts",        "users",           "apps",          "tokens",
    "oauth_codes",     "rate_limits",     "blobs",         "statuses",
    "media",           "media_files",     "status_edits",  "tags",
    "status_tags",     "status_mentions", "follows",       "idempotency_keys",
    "follow_requests", "blocks",          "mutes",         "follower_events",
    "favourites",      "bookmarks",       "notifications", "tag_follows",
    "tag_uses",
};
enum { NTABLES = sizeof(tables) / sizeof(tables[0]), BATCH = 2000 };

/* FNV-1a of a row's values, NULL marked, numbers in one canonical form. */
static uint64_t row_hash(pin_q *q, int ncols)
{
    uint64_t h = 1469598103934665603ull;
    for (int i = 0; i < ncols; i++) {
        const char *t = pin_q_text(q, i);
        char num[64];
        if (!t) {
            t = "\x01NULL";
        } else if (strpbrk(t, ".eE") && strlen(t) < 40) {
            char *end;
            double d = strtod(t, &end);
            if (!*end && end != t) {
                snprintf(num, sizeof(num), "%.12g", d);
                t = num;
            }
        }
        for (const unsigned char *p = (const unsigned char *)t; *p; p++)
            h = (h ^ *p) * 1099511628211ull;
        h = (h ^ 0xff) * 1099511628211ull;
    }
    return h;
}

typedef struct batch {
    const char *insert;
    int ncols, nrows;
    char **values; /* nrows * ncols, heap */
} batch;

static pin_err write_batch(pin_db *db, void *ctx)
{
    batch *b = ctx;
    pin_err err = PIN_OK;
    for (int r = 0; !err && r < b->nrows; r++)
        err = pin_db_exec_texts(db, b->insert,
                                (const char *const *)b->values + (size_t)r * b->ncols, b->ncols);
    return err;
}

static void free_batch(batch *b)
{
    for (int i = 0; i < b->nrows * b->ncols; i++)
        free(b->values[i]);
    b->nrows = 0;
}

/* Counts and checksums a table (order-independent sum of row hashes). */
static pin_err measure(pin_db *db, const char *select, int64_t *rows, uint64_t *sum)
{
    pin_q q;
    pin_db_query(db, &q, select, NULL);
    *rows = 0;
    *sum = 0;
    while (pin_q_step(&q)) {
        *sum += row_hash(&q, pin_q_columns(&q));
        (*rows)++;
    }
    return pin_q_end(&q);
}

pin_err pin_store_copy(pin_store *from, pin_store *to, FILE *out, bool tty, pin_copy_report *rep)
{
    memset(rep, 0, sizeof(*rep));
    pin_db *src, *dst;
    pin_err err = pin_store_db(from, &src);
    if (!err) err = pin_store_db(to, &dst);
    if (err) return err;
    int64_t present = 0;
    err = pin_db_i64(dst, &present, "SELECT COUNT(*) FROM accounts", NULL);
    if (err) return err;
    if (present) return PIN_ECONFLICT;
    /* Statement texts must outlive the stores' statement caches: one arena
     * for the whole copy, cleared at the end. */
    pin_arena a = {0};
    batch b = {0};
    for (int t = 0; !err && t < NTABLES; t++) {
        const char *select = pin_arena_printf(&a, "SELECT * FROM %s", tables[t]);
        int64_t total = 0, done = 0;
        err = pin_db_i64(src, &total, pin_arena_printf(&a, "SELECT COUNT(*) FROM %s", tables[t]),
                         NULL);
        if (err) break;
        pin_q q;
        pin_db_query(src, &q, select, NULL);
        uint64_t sum = 0;
        while (!err && pin_q_step(&q)) {
            int n = pin_q_columns(&q);
            if (!b.insert) {
                pin_buf sql;
                pin_buf_init(&sql, &a);
                pin_buf_printf(&sql, "INSERT INTO %s VALUES (", tables[t]);
                for (int i = 0; i < n; i++)
                    pin_buf_puts(&sql, i ? ", ?" : "?");
                pin_buf_putc(&sql, ')');
                b.insert = sql.data;
                b.ncols = n;
                b.values = pin_xcalloc((size_t)BATCH * (size_t)n, sizeof(char *));
            }
            for (int i = 0; i < n; i++) {
                const char *v = pin_q_text(&q, i);
                b.values[(size_t)b.nrows * n + i] = v ? pin_xstrdup(v) : NULL;
            }
            sum += row_hash(&q, n);
            if (++b.nrows == BATCH) {
                err = pin_db_tx(dst, true, write_batch, &b);
                free_batch(&b);
            }
            done++;
            if (tty && done % 5000 == 0)
                fprintf(out, "\r%-18s %lld/%lld", tables[t], (long long)done, (long long)total);
        }
        pin_err qerr = pin_q_end(&q);
        if (!err) err = qerr;
        if (!err && b.nrows) err = pin_db_tx(dst, true, write_batch, &b);
        free_batch(&b);
        free(b.values);
        b = (batch){0};
        if (err) break;
        int64_t got = 0;
        uint64_t got_sum = 0;
        err = measure(dst, pin_arena_printf(&a, "SELECT * FROM %s", tables[t]), &got, &got_sum);
        if (err) break;
        bool ok = got == done && got_sum == sum;
        if (!ok) rep->mismatches++;
        fprintf(out, "%s%-18s %lld rows, checksum %016llx %s\n", tty ? "\r" : "", tables[t],
                (long long)done, (unsigned long long)sum,
                ok ? "ok"
                   : pin_arena_printf(&a, "DIFFERS: target has %lld rows, checksum %016llx",
                                      (long long)got, (unsigned long long)got_sum));
        rep->tables++;
        rep->rows += done;
    }
    /* SQLite keeps captions' search index in its own table: rebuild it. */
    if (!err && pin_db_kind_of(dst) == PIN_DB_SQLITE)
        err = pin_db_exec(dst, NULL,
                          "INSERT INTO status_search (rowid, text) SELECT id, text FROM statuses",
                          NULL);
    pin_arena_clear(&a);
    if (!err && rep->mismatches) err = PIN_EIO;
    return err;
}
