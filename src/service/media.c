/* Media attachments. See media.h. */
#include "service/media.h"

#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "core/text.h"
#include "service/secret.h"

static const char *const formats[2] = {"jpeg", "webp"};

bool pin_media_parse_focus(const char *s, double *x, double *y)
{
    if (!s || strlen(s) > 64) return false;
    char *end;
    double a = strtod(s, &end);
    if (end == s || *end != ',') return false;
    const char *t = end + 1;
    double b = strtod(t, &end);
    if (end == t || *end) return false;
    if (!isfinite(a) || !isfinite(b) || a < -1 || a > 1 || b < -1 || b > 1) return false;
    *x = a;
    *y = b;
    return true;
}

static const char *check_description(const char *d)
{
    if (!d) return NULL;
    if (!pin_utf8_valid(d, strlen(d))) return "The description is not valid text.";
    if (pin_utf8_chars(d) > PIN_DESCRIPTION_MAX)
        return "The description is too long (maximum is 1500 characters).";
    return NULL;
}

typedef struct create_tx {
    const pin_viewer *v;
    pin_media *m;
    const char *original_key;
    const char *keys[PIN_DERIV_COUNT][2];
    const pin_image_result *img;
} create_tx;

static pin_err touch_blob(pin_db *db, const char *key, int64_t size, int64_t now)
{
    return pin_db_exec(db, NULL,
                       "INSERT INTO blobs (key, size, touched_at) VALUES (?, ?, ?)"
                       " ON CONFLICT (key) DO UPDATE SET touched_at = excluded.touched_at",
                       "sii", key, size, now);
}

static pin_err create_body(pin_db *db, void *ctx)
{
    create_tx *t = ctx;
    pin_media *m = t->m;
    pin_err err = touch_blob(db, t->original_key, m->size, m->created_at);
    for (int d = 0; !err && d < PIN_DERIV_COUNT; d++) {
        err = touch_blob(db, t->keys[d][0], (int64_t)t->img->d[d].jpeg.len, m->created_at);
        if (!err)
            err = touch_blob(db, t->keys[d][1], (int64_t)t->img->d[d].webp.len, m->created_at);
    }
    if (!err)
        err = pin_db_exec(db, NULL,
                          "INSERT INTO media (id, account_id, purpose, token, description, focus_x,"
                          " focus_y, blurhash, original_key, original_type, original_size, width,"
                          " height, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                          "iisssddsssiiii", m->id, m->account_id, m->purpose, m->token,
                          m->description, m->focus_x, m->focus_y, m->blurhash, t->original_key,
                          m->original_type, m->size, (int64_t)m->width, (int64_t)m->height,
                          m->created_at);
    for (int d = 0; !err && d < PIN_DERIV_COUNT; d++) {
        for (int f = 0; !err && f < 2; f++) {
            const pin_encoded *e = f ? &t->img->d[d].webp : &t->img->d[d].jpeg;
            err = pin_db_exec(db, NULL,
                              "INSERT INTO media_files (media_id, variant, format, blob_key, width,"
                              " height, size) VALUES (?, ?, ?, ?, ?, ?, ?)",
                              "isssiii", m->id, pin_image_deriv_name(d), formats[f], t->keys[d][f],
                              (int64_t)t->img->d[d].width, (int64_t)t->img->d[d].height,
                              (int64_t)e->len);
        }
    }
    return err;
}

pin_err pin_media_create(pin_svc *svc, pin_arena *a, const pin_viewer *v, const pin_media_in *in,
                         pin_media *out, const char **why)
{
    memset(out, 0, sizeof(*out));
    *why = NULL;
    const char *purpose = in->purpose ? in->purpose : "post";
    if ((*why = check_description(in->description))) return PIN_EUNPROCESSABLE;
    double fx = 0, fy = 0;
    if (in->focus && !pin_media_parse_focus(in->focus, &fx, &fy)) {
        *why = "The focus must be two numbers from -1 to 1, like \"0.5,-0.25\".";
        return PIN_EUNPROCESSABLE;
    }
    pin_err err = pin_svc_check_space(svc);
    if (err) return err;

    pin_image_opts io = {.max_pixels = svc->cfg->media_max_pixels,
                         .focus_x = fx,
                         .focus_y = fy,
                         .square_only = !strcmp(purpose, "avatar")};
    pin_image_result img;
    err = pin_image_process(a, in->path, &io, &img, why);
    if (err) goto out;

    int fd = open(in->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        err = PIN_EIO;
        goto out;
    }
    char okey[65], keys[PIN_DERIV_COUNT][2][65];
    int64_t osize = 0;
    err = pin_blob_put_fd(svc->blobs, fd, okey, &osize);
    for (int d = 0; !err && d < PIN_DERIV_COUNT; d++) {
        err = pin_blob_put(svc->blobs, img.d[d].jpeg.data, img.d[d].jpeg.len, keys[d][0]);
        if (!err) err = pin_blob_put(svc->blobs, img.d[d].webp.data, img.d[d].webp.len, keys[d][1]);
    }
    if (err) {
        close(fd);
        goto out; /* blobs written so far are unreferenced: the sweep removes them */
    }
    out->id = pin_id_new();
    out->account_id = v->account_id;
    out->token = pin_secret_token(a);
    out->purpose = purpose;
    out->description = in->description && *in->description ? in->description : NULL;
    out->focus_x = fx;
    out->focus_y = fy;
    out->blurhash = img.blurhash;
    out->original_type = pin_img_mime(img.type);
    out->width = img.width;
    out->height = img.height;
    out->size = osize;
    out->created_at = pin_now_ms();
    for (int d = 0; d < PIN_DERIV_COUNT; d++)
        out->files[d] =
            (pin_media_file){img.d[d].width, img.d[d].height, (int64_t)img.d[d].jpeg.len};
    create_tx t = {v, out, okey, {{0}}, &img};
    for (int d = 0; d < PIN_DERIV_COUNT; d++)
        t.keys[d][0] = keys[d][0], t.keys[d][1] = keys[d][1];
    pin_db *db;
    err = pin_svc_db(svc, &db);
    if (!err) err = pin_db_tx(db, true, create_body, &t);
    /* A sweep may have removed an identical, unreferenced blob between our
     * put and our commit; the commit touched it, so writing it again now is
     * final. */
    if (!err && !pin_blob_exists(svc->blobs, okey))
        err = pin_blob_put_fd(svc->blobs, fd, okey, &osize);
    for (int d = 0; !err && d < PIN_DERIV_COUNT; d++) {
        if (!pin_blob_exists(svc->blobs, keys[d][0]))
            err = pin_blob_put(svc->blobs, img.d[d].jpeg.data, img.d[d].jpeg.len, keys[d][0]);
        if (!err && !pin_blob_exists(svc->blobs, keys[d][1]))
            err = pin_blob_put(svc->blobs, img.d[d].webp.data, img.d[d].webp.len, keys[d][1]);
    }
    close(fd);
out:
    pin_image_result_clear(&img);
    return err;
}

#define MEDIA_COLUMNS                                                                              \
    "m.id, m.account_id, COALESCE(m.status_id, 0), m.token, m.purpose, m.description, m.focus_x,"  \
    " m.focus_y, m.blurhash, m.original_type, m.width, m.height, m.original_size, m.created_at"

static void read_media(pin_q *q, pin_arena *a, pin_media *m)
{
    memset(m, 0, sizeof(*m));
    m->id = pin_q_i64(q, 0);
    m->account_id = pin_q_i64(q, 1);
    m->status_id = pin_q_i64(q, 2);
    m->token = pin_q_strdup(q, 3, a);
    m->purpose = pin_q_strdup(q, 4, a);
    m->description = pin_q_strdup(q, 5, a);
    m->focus_x = pin_q_double(q, 6);
    m->focus_y = pin_q_double(q, 7);
    m->blurhash = pin_q_strdup(q, 8, a);
    m->original_type = pin_q_strdup(q, 9, a);
    m->width = (int)pin_q_i64(q, 10);
    m->height = (int)pin_q_i64(q, 11);
    m->size = pin_q_i64(q, 12);
    m->created_at = pin_q_i64(q, 13);
}

/* Each attachment's JPEG derivative sizes, a list of them at a time. */
static pin_err load_files_of(pin_db *db, pin_media *m, int n)
{
    pin_id ids[PIN_DB_LIST];
    for (int off = 0; off < n; off += PIN_DB_LIST) {
        int k = 0;
        for (; k < PIN_DB_LIST && off + k < n; k++)
            ids[k] = m[off + k].id;
        pin_db_list(ids, ids, k, 0);
        pin_q q;
        pin_db_query(db, &q,
                     PIN_DB_GENERIC
                     "SELECT media_id, variant, width, height, size FROM media_files WHERE"
                     " media_id IN " PIN_DB_LIST_SQL " AND format = 'jpeg'",
                     "L", ids);
        while (pin_q_step(&q)) {
            pin_id id = pin_q_i64(&q, 0);
            const char *variant = pin_q_text(&q, 1);
            int d = 0;
            while (d < PIN_DERIV_COUNT && strcmp(variant, pin_image_deriv_name(d)))
                d++;
            for (int j = 0; j < k && d < PIN_DERIV_COUNT; j++) {
                if (ids[j] == id)
                    m[off + j].files[d] = (pin_media_file){(int)pin_q_i64(&q, 2),
                                                           (int)pin_q_i64(&q, 3), pin_q_i64(&q, 4)};
            }
        }
        pin_err err = pin_q_end(&q);
        if (err) return err;
    }
    return PIN_OK;
}

pin_err pin_media_load(pin_svc *svc, pin_db *db, pin_arena *a, pin_id id, pin_media *out)
{
    (void)svc;
    pin_q q;
    pin_db_query(db, &q, "SELECT " MEDIA_COLUMNS " FROM media m WHERE m.id = ?", "i", id);
    bool found = pin_q_step(&q);
    if (found) read_media(&q, a, out);
    pin_err err = pin_q_end(&q);
    if (err) return err;
    if (!found) return PIN_ENOTFOUND;
    return load_files_of(db, out, 1);
}

pin_err pin_media_of_statuses(pin_db *db, pin_arena *a, const pin_id *status_ids, int n,
                              pin_media **media, int *counts)
{
    int cap = 16, total = 0;
    pin_media *all = pin_arena_alloc(a, sizeof(*all) * (size_t)cap);
    for (int off = 0; off < n; off += PIN_DB_LIST) {
        pin_id list[PIN_DB_LIST];
        pin_db_list(list, status_ids, n, off);
        pin_q q;
        pin_db_query(db, &q,
                     PIN_DB_GENERIC "SELECT " MEDIA_COLUMNS
                                    " FROM media m WHERE m.status_id IN " PIN_DB_LIST_SQL
                                    " AND m.position >= 0 ORDER BY m.status_id, m.position",
                     "L", list);
        while (pin_q_step(&q)) {
            if (total == cap) {
                pin_media *grown = pin_arena_alloc(a, sizeof(*all) * (size_t)cap * 2);
                memcpy(grown, all, sizeof(*all) * (size_t)cap);
                all = grown, cap *= 2;
            }
            read_media(&q, a, &all[total++]);
        }
        pin_err err = pin_q_end(&q);
        if (err) return err;
    }
    pin_err err = load_files_of(db, all, total);
    if (err) return err;
    /* Rows come grouped by post; a post asked for twice shares its group. */
    for (int i = 0; i < n; i++) {
        int j = 0;
        while (j < total && all[j].status_id != status_ids[i])
            j++;
        media[i] = &all[j];
        counts[i] = 0;
        while (j + counts[i] < total && all[j + counts[i]].status_id == status_ids[i])
            counts[i]++;
    }
    return PIN_OK;
}

pin_err pin_media_get(pin_svc *svc, pin_arena *a, const pin_viewer *v, pin_id id, pin_media *out)
{
    pin_db *db;
    pin_err err = pin_svc_db(svc, &db);
    if (err) return err;
    pin_id me = v->account_id;
    pin_q q;
    pin_db_query(db, &q,
                 "SELECT " MEDIA_COLUMNS " FROM media m WHERE m.id = ? AND m.account_id = ?", "ii",
                 id, me);
    bool found = pin_q_step(&q);
    if (found) read_media(&q, a, out);
    err = pin_q_end(&q);
    if (err) return err;
    if (!found) return PIN_ENOTFOUND;
    return load_files_of(db, out, 1);
}

typedef struct update_tx {
    const pin_viewer *v;
    pin_id id;
    const char *description;
    bool set_focus;
    double fx, fy;
    int64_t changed;
} update_tx;

static pin_err update_body(pin_db *db, void *ctx)
{
    update_tx *t = ctx;
    return pin_db_exec(db, &t->changed,
                       "UPDATE media SET description = CASE WHEN ? = 1 THEN ? ELSE description END,"
                       " focus_x = CASE WHEN ? = 1 THEN ? ELSE focus_x END,"
                       " focus_y = CASE WHEN ? = 1 THEN ? ELSE focus_y END"
                       " WHERE id = ? AND account_id = ? AND status_id IS NULL",
                       "isididii", (int64_t)(t->description != NULL),
                       t->description && *t->description ? t->description : NULL,
                       (int64_t)t->set_focus, t->fx, (int64_t)t->set_focus, t->fy, t->id,
                       t->v->account_id);
}

pin_err pin_media_update(pin_svc *svc, pin_arena *a, const pin_viewer *v, pin_id id,
                         const char *description, const char *focus, pin_media *out,
                         const char **why)
{
    *why = NULL;
    if ((*why = check_description(description))) return PIN_EUNPROCESSABLE;
    update_tx t = {v, id, description, focus != NULL, 0, 0, 0};
    if (focus && !pin_media_parse_focus(focus, &t.fx, &t.fy)) {
        *why = "The focus must be two numbers from -1 to 1, like \"0.5,-0.25\".";
        return PIN_EUNPROCESSABLE;
    }
    pin_db *db;
    pin_err err = pin_svc_db(svc, &db);
    if (!err) err = pin_db_tx(db, true, update_body, &t);
    if (err) return err;
    if (!t.changed) return PIN_ENOTFOUND;
    return pin_media_get(svc, a, v, id, out);
}

typedef struct delete_tx {
    const pin_viewer *v;
    pin_id id;
    pin_err verdict;
} delete_tx;

static pin_err delete_body(pin_db *db, void *ctx)
{
    delete_tx *t = ctx;
    int64_t status_id = 0;
    pin_err err = pin_db_i64(
        db, &status_id, "SELECT COALESCE(status_id, 0) FROM media WHERE id = ? AND account_id = ?",
        "ii", t->id, t->v->account_id);
    if (err) return err;
    if (status_id) return PIN_EUNPROCESSABLE;
    return pin_db_exec(db, NULL, "DELETE FROM media WHERE id = ?", "i", t->id);
}

pin_err pin_media_delete(pin_svc *svc, const pin_viewer *v, pin_id id)
{
    pin_db *db;
    pin_err err = pin_svc_db(svc, &db);
    if (err) return err;
    delete_tx t = {v, id, PIN_OK};
    return pin_db_tx(db, true, delete_body, &t);
}

pin_err pin_media_file_key(pin_svc *svc, pin_arena *a, const char *token, int deriv, bool webp,
                           const char **key)
{
    if (!token || strlen(token) > 64 || deriv < 0 || deriv >= PIN_DERIV_COUNT) return PIN_ENOTFOUND;
    pin_db *db;
    pin_err err = pin_svc_db(svc, &db);
    if (err) return err;
    pin_q q;
    pin_db_query(db, &q,
                 "SELECT f.blob_key FROM media m JOIN media_files f ON f.media_id = m.id"
                 " WHERE m.token = ? AND f.variant = ? AND f.format = ?",
                 "sss", token, pin_image_deriv_name(deriv), formats[webp ? 1 : 0]);
    bool found = pin_q_step(&q);
    if (found) *key = pin_q_strdup(&q, 0, a);
    err = pin_q_end(&q);
    return err ? err : found ? PIN_OK : PIN_ENOTFOUND;
}

typedef struct sweep_tx {
    const char *key;
    int64_t before;
    int64_t changed;
} sweep_tx;

/* Deletes the blob's row if nothing references it and nobody touched it
 * since `before`. */
static pin_err forget_blob(pin_db *db, void *ctx)
{
    sweep_tx *t = ctx;
    return pin_db_exec(db, &t->changed,
                       "DELETE FROM blobs WHERE key = ? AND touched_at < ?"
                       " AND NOT EXISTS (SELECT 1 FROM media WHERE original_key = blobs.key)"
                       " AND NOT EXISTS (SELECT 1 FROM media_files WHERE blob_key = blobs.key)",
                       "si", t->key, t->before);
}

static pin_err blob_row_exists(pin_db *db, void *ctx)
{
    sweep_tx *t = ctx;
    return pin_db_i64(db, &t->changed, "SELECT COUNT(*) FROM blobs WHERE key = ?", "s", t->key);
}

pin_err pin_media_sweep(pin_svc *svc, int64_t max_age_ms, int64_t grace_ms, int *media_removed,
                        int *blobs_removed)
{
    *media_removed = *blobs_removed = 0;
    pin_db *db;
    pin_err err = pin_svc_db(svc, &db);
    if (err) return err;
    int64_t now = pin_now_ms(), changed = 0;
    err = pin_db_exec(db, &changed,
                      "DELETE FROM media WHERE status_id IS NULL AND created_at < ? AND"
                      " (purpose = 'post' OR NOT EXISTS (SELECT 1 FROM accounts WHERE"
                      " avatar_media_id = media.id OR header_media_id = media.id))",
                      "i", now - max_age_ms);
    if (err) return err;
    *media_removed = (int)changed;

    pin_arena a = {0};
    const char *keys[256];
    int n = 0;
    pin_q q;
    pin_db_query(db, &q,
                 "SELECT key FROM blobs b WHERE touched_at < ?"
                 " AND NOT EXISTS (SELECT 1 FROM media WHERE original_key = b.key)"
                 " AND NOT EXISTS (SELECT 1 FROM media_files WHERE blob_key = b.key) LIMIT 256",
                 "i", now - grace_ms);
    while (pin_q_step(&q))
        keys[n++] = pin_q_strdup(&q, 0, &a);
    err = pin_q_end(&q);
    for (int i = 0; !err && i < n; i++) {
        sweep_tx t = {keys[i], now - grace_ms, 0};
        err = pin_db_tx(db, true, forget_blob, &t);
        if (err || !t.changed) continue;
        /* Set the file aside, then look again: an upload of the same bytes
         * may have touched the row since. It re-writes a file it finds
         * missing, and we put ours back if the row returned. */
        if (pin_blob_retire(svc->blobs, t.key) != PIN_OK) continue;
        err = pin_db_tx(db, false, blob_row_exists, &t);
        if (!err && t.changed) {
            err = pin_blob_restore(svc->blobs, t.key);
        } else if (!err) {
            err = pin_blob_purge(svc->blobs, t.key);
            if (!err) (*blobs_removed)++;
        }
    }
    pin_arena_clear(&a);
    return err;
}
