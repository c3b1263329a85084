/* Local-disk blob store. See blob.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "media/blob.h"

struct pin_blobs {
    char dir[1024];
    int dirfd;
};

static pin_err errno_err(int e)
{
    return e == ENOSPC || e == EDQUOT ? PIN_ENOSPACE : PIN_EIO;
}

pin_err pin_blobs_open(const char *dir, pin_blobs **out)
{
    if (mkdir(dir, 0750) != 0 && errno != EEXIST) return PIN_EIO;
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return PIN_EIO;
    if (sodium_init() < 0) {
        close(fd);
        return PIN_EIO;
    }
    pin_blobs *b = pin_xcalloc(1, sizeof(*b));
    snprintf(b->dir, sizeof(b->dir), "%s", dir);
    b->dirfd = fd;
    *out = b;
    return PIN_OK;
}

void pin_blobs_close(pin_blobs *b)
{
    if (!b) return;
    close(b->dirfd);
    free(b);
}

bool pin_blob_key_valid(const char *key)
{
    if (!key) return false;
    for (int i = 0; i < PIN_BLOB_KEY_LEN; i++) {
        char c = key[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    }
    return key[PIN_BLOB_KEY_LEN] == 0;
}

/* "ab/cd" and "ab/cd/KEY" relative to the store's folder. */
static void rel_paths(const char *key, char sub[8], char path[80])
{
    snprintf(sub, 8, "%.2s/%.2s", key, key + 2);
    snprintf(path, 80, "%s/%s", sub, key);
}

static int fsync_dir_at(int dirfd, const char *rel)
{
    int fd = openat(dirfd, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return -1;
    int rc = fsync(fd);
    int e = errno;
    close(fd);
    errno = e;
    return rc;
}

static int ensure_dirs(pin_blobs *b, const char *key, bool *created)
{
    char top[3] = {key[0], key[1], 0}, sub[8], path[80];
    rel_paths(key, sub, path);
    *created = false;
    if (mkdirat(b->dirfd, top, 0750) == 0)
        *created = true;
    else if (errno != EEXIST)
        return -1;
    if (mkdirat(b->dirfd, sub, 0750) == 0)
        *created = true;
    else if (errno != EEXIST)
        return -1;
    return 0;
}

static pin_err write_all(int fd, const unsigned char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            return errno_err(errno);
        }
        if (w == 0) return PIN_EIO;
        p += w;
        n -= (size_t)w;
    }
    return PIN_OK;
}

/* Moves the finished temporary file `tmp` into place as `key`, durably. */
static pin_err commit_tmp(pin_blobs *b, const char *tmp, int fd, const char *key)
{
    char sub[8], path[80];
    rel_paths(key, sub, path);
    int rc;
    while ((rc = fsync(fd)) != 0 && errno == EINTR) {}
    if (rc != 0) {
        pin_err err = errno_err(errno);
        close(fd);
        unlinkat(b->dirfd, tmp, 0);
        return err;
    }
    close(fd);
    bool created;
    if (ensure_dirs(b, key, &created) != 0) {
        pin_err err = errno_err(errno);
        unlinkat(b->dirfd, tmp, 0);
        return err;
    }
    if (renameat(b->dirfd, tmp, b->dirfd, path) != 0) {
        pin_err err = errno_err(errno);
        unlinkat(b->dirfd, tmp, 0);
        return err;
    }
    /* The rename is durable once its directory is synced; new parent
     * directories need their own parents synced too. */
    if (fsync_dir_at(b->dirfd, sub) != 0) return errno_err(errno);
    if (created) {
        char top[3] = {key[0], key[1], 0};
        if (fsync_dir_at(b->dirfd, top) != 0 || fsync(b->dirfd) != 0) return errno_err(errno);
    }
    return PIN_OK;
}

static int open_tmp(pin_blobs *b, char tmp[64])
{
    unsigned char r[8];
    randombytes_buf(r, sizeof(r));
    snprintf(tmp, 64, "tmp-%02x%02x%02x%02x%02x%02x%02x%02x", r[0], r[1], r[2], r[3], r[4], r[5],
             r[6], r[7]);
    return openat(b->dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
}

static void hex(const unsigned char h[32], char key[65])
{
    sodium_bin2hex(key, 65, h, 32);
}

pin_err pin_blob_put(pin_blobs *b, const void *data, size_t len, char key[65])
{
    unsigned char h[32];
    crypto_hash_sha256(h, data, len);
    hex(h, key);
    if (pin_blob_exists(b, key)) return PIN_OK;
    char tmp[64];
    int fd = open_tmp(b, tmp);
    if (fd < 0) return errno_err(errno);
    pin_err err = write_all(fd, data, len);
    if (err) {
        close(fd);
        unlinkat(b->dirfd, tmp, 0);
        return err;
    }
    return commit_tmp(b, tmp, fd, key);
}

pin_err pin_blob_put_fd(pin_blobs *b, int in, char key[65], int64_t *size)
{
    char tmp[64];
    int fd = open_tmp(b, tmp);
    if (fd < 0) return errno_err(errno);
    crypto_hash_sha256_state st;
    crypto_hash_sha256_init(&st);
    unsigned char buf[65536];
    int64_t total = 0;
    pin_err err = PIN_OK;
    off_t off = 0;
    for (;;) {
        ssize_t n = pread(in, buf, sizeof(buf), off);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            err = PIN_EIO;
            break;
        }
        if (n == 0) break;
        crypto_hash_sha256_update(&st, buf, (size_t)n);
        err = write_all(fd, buf, (size_t)n);
        if (err) break;
        off += n;
        total += n;
    }
    if (err) {
        close(fd);
        unlinkat(b->dirfd, tmp, 0);
        return err;
    }
    unsigned char h[32];
    crypto_hash_sha256_final(&st, h);
    hex(h, key);
    *size = total;
    if (pin_blob_exists(b, key)) {
        close(fd);
        unlinkat(b->dirfd, tmp, 0);
        return PIN_OK;
    }
    return commit_tmp(b, tmp, fd, key);
}

pin_err pin_blob_open(pin_blobs *b, const char *key, int *fd, int64_t *size)
{
    if (!pin_blob_key_valid(key)) return PIN_ENOTFOUND;
    char sub[8], path[80];
    rel_paths(key, sub, path);
    int f = openat(b->dirfd, path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (f < 0) return errno == ENOENT ? PIN_ENOTFOUND : PIN_EIO;
    struct stat st;
    if (fstat(f, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(f);
        return PIN_EIO;
    }
    *fd = f;
    *size = st.st_size;
    return PIN_OK;
}

bool pin_blob_exists(pin_blobs *b, const char *key)
{
    if (!pin_blob_key_valid(key)) return false;
    char sub[8], path[80];
    rel_paths(key, sub, path);
    struct stat st;
    return fstatat(b->dirfd, path, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode);
}

pin_err pin_blob_delete(pin_blobs *b, const char *key)
{
    if (!pin_blob_key_valid(key)) return PIN_OK;
    char sub[8], path[80];
    rel_paths(key, sub, path);
    if (unlinkat(b->dirfd, path, 0) != 0 && errno != ENOENT) return PIN_EIO;
    return PIN_OK;
}

static void trash_path(const char *key, char out[80])
{
    snprintf(out, 80, "trash-%s", key);
}

pin_err pin_blob_retire(pin_blobs *b, const char *key)
{
    if (!pin_blob_key_valid(key)) return PIN_ENOTFOUND;
    char sub[8], path[80], trash[80];
    rel_paths(key, sub, path);
    trash_path(key, trash);
    if (renameat(b->dirfd, path, b->dirfd, trash) != 0)
        return errno == ENOENT ? PIN_ENOTFOUND : PIN_EIO;
    return PIN_OK;
}

pin_err pin_blob_restore(pin_blobs *b, const char *key)
{
    if (!pin_blob_key_valid(key)) return PIN_ENOTFOUND;
    char sub[8], path[80], trash[80];
    rel_paths(key, sub, path);
    trash_path(key, trash);
    if (renameat(b->dirfd, trash, b->dirfd, path) != 0) return PIN_EIO;
    return fsync_dir_at(b->dirfd, sub) == 0 ? PIN_OK : PIN_EIO;
}

pin_err pin_blob_purge(pin_blobs *b, const char *key)
{
    if (!pin_blob_key_valid(key)) return PIN_ENOTFOUND;
    char trash[80];
    trash_path(key, trash);
    if (unlinkat(b->dirfd, trash, 0) != 0 && errno != ENOENT) return PIN_EIO;
    return PIN_OK;
}

pin_err pin_blob_verify(pin_blobs *b, const char *key)
{
    int fd;
    int64_t size;
    pin_err err = pin_blob_open(b, key, &fd, &size);
    if (err) return err;
    crypto_hash_sha256_state st;
    crypto_hash_sha256_init(&st);
    unsigned char buf[65536];
    ssize_t n;
    while ((n = read(fd, buf, sizeof(buf))) > 0)
        crypto_hash_sha256_update(&st, buf, (size_t)n);
    close(fd);
    if (n < 0) return PIN_EIO;
    unsigned char h[32];
    char got[65];
    crypto_hash_sha256_final(&st, h);
    hex(h, got);
    return strcmp(got, key) == 0 ? PIN_OK : PIN_EIO;
}

pin_err pin_upload_sweep(const char *dir, int64_t idle_ms, int *removed)
{
    *removed = 0;
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) return errno == ENOENT ? PIN_OK : PIN_EIO;
    DIR *d = fdopendir(dfd);
    if (!d) {
        close(dfd);
        return PIN_EIO;
    }
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strncmp(e->d_name, "upload-", 7) != 0) continue;
        struct stat st;
        if (fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode))
            continue;
        int64_t age = ((int64_t)now.tv_sec - (int64_t)st.st_mtime) * 1000;
        if (age >= idle_ms && unlinkat(dfd, e->d_name, 0) == 0) (*removed)++;
    }
    closedir(d);
    return PIN_OK;
}
