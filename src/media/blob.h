/* The blob store: immutable files named by the SHA-256 of their bytes.
 *
 * Photos and their derivatives live here. A put writes a temporary file,
 * fsyncs it, renames it into place and fsyncs the directory, so a blob that
 * exists is complete and durable; putting the same bytes twice stores them
 * once. Keys are 64 lower-case hex characters and are the only names that
 * reach the file system: nothing a client sends becomes a path.
 *
 * The local-disk backend keeps blob KEY at DIR/KEY[0..1]/KEY[2..3]/KEY.
 * (An S3-compatible backend can implement the same functions.)
 */
#ifndef PIN_MEDIA_BLOB_H
#define PIN_MEDIA_BLOB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

enum { PIN_BLOB_KEY_LEN = 64 };

typedef struct pin_blobs pin_blobs;

/* Opens (creating if needed) a local blob folder. PIN_EIO if it cannot be
 * created. Caller frees with pin_blobs_close(). */
pin_err pin_blobs_open(const char *dir, pin_blobs **out) PIN_WUR;
void pin_blobs_close(pin_blobs *b);

/* Stores bytes; writes the key (and its NUL) into key[65]. PIN_ENOSPACE when
 * the disk is full, PIN_EIO on other failures; nothing partial is left. */
pin_err pin_blob_put(pin_blobs *b, const void *data, size_t len, char key[65]) PIN_WUR;
/* Stores the whole content of an open file (read from offset 0). */
pin_err pin_blob_put_fd(pin_blobs *b, int fd, char key[65], int64_t *size) PIN_WUR;
/* Opens a blob for reading (caller closes *fd). PIN_ENOTFOUND if absent. */
pin_err pin_blob_open(pin_blobs *b, const char *key, int *fd, int64_t *size) PIN_WUR;
/* True if the blob exists. */
bool pin_blob_exists(pin_blobs *b, const char *key);
/* Removes a blob; absent is not an error. */
pin_err pin_blob_delete(pin_blobs *b, const char *key) PIN_WUR;
/* Two-step removal for the sweeper: retire moves a blob aside (it no longer
 * exists), then either restore puts it back or purge deletes it. Retiring a
 * missing blob is PIN_ENOTFOUND. */
pin_err pin_blob_retire(pin_blobs *b, const char *key) PIN_WUR;
pin_err pin_blob_restore(pin_blobs *b, const char *key) PIN_WUR;
pin_err pin_blob_purge(pin_blobs *b, const char *key) PIN_WUR;
/* Removes files named upload-* in `dir` (the server's upload folder) not
 * modified for `idle_ms`: uploads a crash or a kill cut off. A live upload
 * writes its file as data arrives, so it is never that idle. */
pin_err pin_upload_sweep(const char *dir, int64_t idle_ms, int *removed) PIN_WUR;
/* Recomputes a blob's SHA-256 and compares it with its key (audits). */
pin_err pin_blob_verify(pin_blobs *b, const char *key) PIN_WUR;
/* True for 64 lower-case hex characters. */
bool pin_blob_key_valid(const char *key);

#endif
