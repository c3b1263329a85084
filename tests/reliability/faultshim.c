/* faultshim: an LD_PRELOAD library that fails the Nth call of chosen file
 * system functions, to reach the error paths of a server that nothing
 * else reaches.
 *
 *   cc -shared -fPIC -O2 -o OUT/faultshim.so tests/reliability/faultshim.c -ldl
 *
 * Environment (read once, at the first intercepted call):
 *   FAULT_ARM_FILE  a path; nothing is counted while it does not exist, so
 *                   the server's start-up is not counted. The file holds
 *                   one line "GEN OPS N MODE":
 *                     GEN   a number; a new one resets the count (re-arm)
 *                     OPS   comma list of write,pwrite,pwrite64,fsync,
 *                           fdatasync,rename,renameat (or "none": count only)
 *                     N     fail the Nth counted call (1-based); 0: never
 *                     MODE  EIO, ENOSPC, EINTR (-1 with that errno, nothing
 *                           done) or SHORT (write/pwrite: write half, return
 *                           the shorter count)
 *                   Removing the file disarms the shim; a new file (new
 *                   inode or mtime) is read again.
 *   FAULT_PREFIX    count only calls on files under this folder (the data
 *                   dir): fds are resolved with /proc/self/fd, so sockets,
 *                   pipes and eventfds never count.
 *   FAULT_LOG       append a line per injected fault:
 *                   "fault gen=G n=N op=OP mode=MODE path=PATH"
 *   FAULT_TRACE     set (to anything): also append every counted call to
 *                   FAULT_LOG.trace as "G N OP PATH", so a test can see
 *                   which call sites an operation reaches.
 *
 * Each intercepted call costs one stat() while disarmed; calls on other
 * files one readlink() more while armed. Thread safe: the
 * count is atomic and one call only is failed per generation.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

enum { OP_WRITE, OP_PWRITE, OP_PWRITE64, OP_FSYNC, OP_FDATASYNC, OP_RENAME, OP_RENAMEAT, OP_COUNT };
static const char *const op_names[OP_COUNT] = {"write", "pwrite", "pwrite64", "fsync",
                                               "fdatasync", "rename", "renameat"};
enum { M_EIO, M_ENOSPC, M_EINTR, M_SHORT };

static ssize_t (*real_write)(int, const void *, size_t);
static ssize_t (*real_pwrite)(int, const void *, size_t, off_t);
static ssize_t (*real_pwrite64)(int, const void *, size_t, off_t);
static int (*real_fsync)(int);
static int (*real_fdatasync)(int);
static int (*real_rename)(const char *, const char *);
static int (*real_renameat)(int, const char *, int, const char *);

static pthread_once_t once = PTHREAD_ONCE_INIT;
static pthread_mutex_t cfg_lock = PTHREAD_MUTEX_INITIALIZER;
static const char *arm_file, *prefix, *log_path;
static size_t prefix_len;
static char trace_path[PATH_MAX];

/* The armed configuration; `gen` 0 = disarmed. */
static long cur_gen;
static unsigned ops_mask;
static long fail_n;
static int mode;
static long counted;  /* calls counted in this generation */
static int injected;  /* 1 once this generation's fault is done */

static void init(void)
{
    real_write = dlsym(RTLD_NEXT, "write");
    real_pwrite = dlsym(RTLD_NEXT, "pwrite");
    real_pwrite64 = dlsym(RTLD_NEXT, "pwrite64");
    real_fsync = dlsym(RTLD_NEXT, "fsync");
    real_fdatasync = dlsym(RTLD_NEXT, "fdatasync");
    real_rename = dlsym(RTLD_NEXT, "rename");
    real_renameat = dlsym(RTLD_NEXT, "renameat");
    arm_file = getenv("FAULT_ARM_FILE");
    prefix = getenv("FAULT_PREFIX");
    prefix_len = prefix ? strlen(prefix) : 0;
    log_path = getenv("FAULT_LOG");
    if (log_path && getenv("FAULT_TRACE")) snprintf(trace_path, sizeof(trace_path), "%s.trace", log_path);
}

static void append_log(const char *path, const char *line, int truncate)
{
    if (!path || !*path) return;
    int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | (truncate ? O_TRUNC : O_APPEND), 0644);
    if (fd < 0) return;
    size_t n = strlen(line);
    (void)real_write(fd, line, n);
    close(fd);
}

/* Reads the arm file when it is new (another inode or mtime); returns the
 * generation (0: disarmed). */
static dev_t arm_dev;
static ino_t arm_ino;
static struct timespec arm_mtim;

static long armed(void)
{
    if (!arm_file) return 0;
    struct stat st;
    if (stat(arm_file, &st) != 0) {
        __atomic_store_n(&cur_gen, 0, __ATOMIC_RELEASE);
        return 0;
    }
    pthread_mutex_lock(&cfg_lock);
    long gen = cur_gen;
    if (st.st_ino != arm_ino || st.st_dev != arm_dev || st.st_mtim.tv_sec != arm_mtim.tv_sec ||
        st.st_mtim.tv_nsec != arm_mtim.tv_nsec || !gen) {
        char buf[256] = {0};
        int fd = open(arm_file, O_RDONLY | O_CLOEXEC);
        ssize_t got = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
        if (fd >= 0) close(fd);
        buf[got > 0 ? got : 0] = 0;
        long n = 0;
        char ops[160] = {0}, md[16] = {0};
        gen = 0;
        if (sscanf(buf, "%ld %159s %ld %15s", &gen, ops, &n, md) == 4 && gen > 0) {
            arm_dev = st.st_dev;
            arm_ino = st.st_ino;
            arm_mtim = st.st_mtim;
            if (gen != cur_gen) {
                unsigned mask = 0;
                for (char *save = NULL, *t = strtok_r(ops, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
                    for (int i = 0; i < OP_COUNT; i++)
                        if (!strcmp(t, op_names[i])) mask |= 1u << i;
                }
                ops_mask = mask;
                fail_n = n;
                mode = !strcmp(md, "ENOSPC") ? M_ENOSPC
                       : !strcmp(md, "EINTR") ? M_EINTR
                       : !strcmp(md, "SHORT") ? M_SHORT
                                              : M_EIO;
                __atomic_store_n(&counted, 0, __ATOMIC_RELEASE);
                __atomic_store_n(&injected, 0, __ATOMIC_RELEASE);
            }
        } else {
            gen = 0; /* a half-written arm file: not yet */
        }
        __atomic_store_n(&cur_gen, gen, __ATOMIC_RELEASE);
    }
    pthread_mutex_unlock(&cfg_lock);
    return gen;
}

static int under_prefix(const char *path)
{
    if (!prefix_len) return 1;
    return strncmp(path, prefix, prefix_len) == 0 && (path[prefix_len] == '/' || path[prefix_len] == 0);
}

static int fd_path(int fd, char *out, size_t cap)
{
    char link[64];
    if (fd == AT_FDCWD) return getcwd(out, cap) ? 0 : -1;
    snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, out, cap - 1);
    if (n < 0) return -1;
    out[n] = 0;
    return 0;
}

static int at_path(int dirfd, const char *rel, char *out, size_t cap)
{
    if (rel[0] == '/') {
        snprintf(out, cap, "%s", rel);
        return 0;
    }
    char dir[PATH_MAX];
    if (fd_path(dirfd, dir, sizeof(dir)) != 0) return -1;
    snprintf(out, cap, "%s/%s", dir, rel);
    return 0;
}

/* Decides whether this call fails: 0 pass through, 1 inject. */
static int decide(int op, const char *path, int can_fail)
{
    long gen = __atomic_load_n(&cur_gen, __ATOMIC_ACQUIRE);
    if (!gen || !(ops_mask & (1u << op)) || !under_prefix(path)) return 0;
    if (mode == M_SHORT && op > OP_PWRITE64) return 0; /* a short fsync or rename does not exist */
    long n = __atomic_add_fetch(&counted, 1, __ATOMIC_ACQ_REL);
    char line[PATH_MAX + 160];
    if (trace_path[0]) {
        snprintf(line, sizeof(line), "%ld %ld %s %s\n", gen, n, op_names[op], path);
        append_log(trace_path, line, 0);
    }
    if (n != fail_n || !can_fail || __atomic_exchange_n(&injected, 1, __ATOMIC_ACQ_REL)) return 0;
    static const char *const modes[] = {"EIO", "ENOSPC", "EINTR", "SHORT"};
    snprintf(line, sizeof(line), "fault gen=%ld n=%ld op=%s mode=%s path=%s\n", gen, n, op_names[op],
             modes[mode], path);
    append_log(log_path, line, 0);
    return 1;
}

static int fail_errno(void)
{
    return mode == M_ENOSPC ? ENOSPC : mode == M_EINTR ? EINTR : EIO;
}

static int check_fd(int op, int fd, int can_fail)
{
    pthread_once(&once, init);
    if (!armed()) return 0;
    char path[PATH_MAX];
    if (fd_path(fd, path, sizeof(path)) != 0) return 0;
    return decide(op, path, can_fail);
}

static ssize_t do_write(int op, int fd, const void *buf, size_t n, off_t off, int positional)
{
    int e = errno;
    int hit = check_fd(op, fd, mode != M_SHORT || n >= 2);
    errno = e;
    ssize_t (*pw)(int, const void *, size_t, off_t) = op == OP_PWRITE64 ? real_pwrite64 : real_pwrite;
    if (hit) {
        if (mode == M_SHORT) {
            size_t half = n / 2;
            return positional ? pw(fd, buf, half, off) : real_write(fd, buf, half);
        }
        errno = fail_errno();
        return -1;
    }
    return positional ? pw(fd, buf, n, off) : real_write(fd, buf, n);
}

ssize_t write(int fd, const void *buf, size_t n)
{
    return do_write(OP_WRITE, fd, buf, n, 0, 0);
}

ssize_t pwrite(int fd, const void *buf, size_t n, off_t off)
{
    return do_write(OP_PWRITE, fd, buf, n, off, 1);
}

ssize_t pwrite64(int fd, const void *buf, size_t n, off_t off)
{
    return do_write(OP_PWRITE64, fd, buf, n, off, 1);
}

static int do_sync(int op, int fd)
{
    int e = errno;
    int hit = check_fd(op, fd, 1);
    errno = e;
    if (hit && mode != M_SHORT) {
        errno = fail_errno();
        return -1;
    }
    return op == OP_FSYNC ? real_fsync(fd) : real_fdatasync(fd);
}

int fsync(int fd)
{
    return do_sync(OP_FSYNC, fd);
}

int fdatasync(int fd)
{
    return do_sync(OP_FDATASYNC, fd);
}

int rename(const char *from, const char *to)
{
    pthread_once(&once, init);
    int e = errno;
    int hit = 0;
    if (armed()) {
        char path[PATH_MAX];
        if (at_path(AT_FDCWD, from, path, sizeof(path)) == 0) hit = decide(OP_RENAME, path, 1);
    }
    errno = e;
    if (hit && mode != M_SHORT) {
        errno = fail_errno();
        return -1;
    }
    return real_rename(from, to);
}

int renameat(int fromdir, const char *from, int todir, const char *to)
{
    pthread_once(&once, init);
    int e = errno;
    int hit = 0;
    if (armed()) {
        char path[PATH_MAX];
        if (at_path(fromdir, from, path, sizeof(path)) == 0) hit = decide(OP_RENAMEAT, path, 1);
    }
    errno = e;
    if (hit && mode != M_SHORT) {
        errno = fail_errno();
        return -1;
    }
    return real_renameat(fromdir, from, todir, to);
}
