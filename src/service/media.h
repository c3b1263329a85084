/* Media attachments: uploading a photo, describing it, serving its files.
 *
 * An upload is processed completely (original kept, derivatives made and
 * stored durably, rows committed) before it is acknowledged, so a media id
 * that was answered exists in full. Until a post uses it, an attachment is
 * its owner's alone; after, it is as visible as the post.
 */
#ifndef PIN_SERVICE_MEDIA_H
#define PIN_SERVICE_MEDIA_H

#include "media/image.h"
#include "service/svc.h"

enum { PIN_DESCRIPTION_MAX = 1500 };

typedef struct pin_media_file {
    int width, height;
    int64_t size; /* of the JPEG */
} pin_media_file;

typedef struct pin_media {
    pin_id id, account_id, status_id;
    const char *token;       /* the unguessable part of its file URLs */
    const char *purpose;     /* "post", "avatar", "header" */
    const char *description; /* NULL when none */
    double focus_x, focus_y;
    const char *blurhash;
    const char *original_type; /* "image/jpeg", ... */
    int width, height;         /* original, upright */
    int64_t size;              /* original bytes */
    pin_media_file files[PIN_DERIV_COUNT];
    int64_t created_at;
} pin_media;

typedef struct pin_media_in {
    const char *path;        /* the uploaded file (a temporary file of the server's) */
    const char *description; /* may be NULL */
    const char *focus;       /* "x,y" or NULL */
    const char *purpose;     /* NULL: "post" */
} pin_media_in;

/* Processes and stores an upload for the viewer. PIN_EUNPROCESSABLE with
 * *why for refused files or fields; PIN_ENOSPACE when storage is at its
 * reserve. Nothing is left behind on any error. */
pin_err pin_media_create(pin_svc *svc, pin_arena *a, const pin_viewer *v, const pin_media_in *in,
                         pin_media *out, const char **why) PIN_WUR;
/* Loads one of the viewer's own attachments (others' are reached through
 * the posts that carry them). PIN_ENOTFOUND otherwise, exactly as if absent. */
pin_err pin_media_get(pin_svc *svc, pin_arena *a, const pin_viewer *v, pin_id id,
                      pin_media *out) PIN_WUR;
/* Loads attachments by id (no visibility check: for callers that checked). */
pin_err pin_media_load(pin_svc *svc, pin_db *db, pin_arena *a, pin_id id, pin_media *out) PIN_WUR;
/* The attachments of posts, in order: media[i] gets counts[i] entries for
 * status_ids[i], with a few statements whatever n is (no visibility check:
 * for callers that checked, inside their read transaction). */
pin_err pin_media_of_statuses(pin_db *db, pin_arena *a, const pin_id *status_ids, int n,
                              pin_media **media, int *counts) PIN_WUR;
/* Changes description and focus of the viewer's own attachment while no
 * post uses it (after that, edit the post, which keeps the history). */
pin_err pin_media_update(pin_svc *svc, pin_arena *a, const pin_viewer *v, pin_id id,
                         const char *description, const char *focus, pin_media *out,
                         const char **why) PIN_WUR;
/* Deletes the viewer's own attachment that no post uses yet
 * (PIN_EUNPROCESSABLE when a post uses it). */
pin_err pin_media_delete(pin_svc *svc, const pin_viewer *v, pin_id id) PIN_WUR;

/* For serving: the blob key and content type of one file of an attachment
 * named by its token. PIN_ENOTFOUND if there is none. */
pin_err pin_media_file_key(pin_svc *svc, pin_arena *a, const char *token, int deriv, bool webp,
                           const char **key) PIN_WUR;

/* Parses "x,y" with both in -1..1. */
bool pin_media_parse_focus(const char *s, double *x, double *y);

/* Housekeeping: removes attachments no post used within `max_age_ms`, then
 * blobs nothing references that were last touched before `grace_ms` ago. */
pin_err pin_media_sweep(pin_svc *svc, int64_t max_age_ms, int64_t grace_ms, int *media_removed,
                        int *blobs_removed) PIN_WUR;

#endif
