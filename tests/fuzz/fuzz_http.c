/* The in-process server for the HTTP fuzz targets. See fuzz_http.h. */
#include "fuzz_http.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <jansson.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "api/api.h"
#include "core/config.h"
#include "core/json.h"
#include "core/log.h"
#include "http/http.h"
#include "media/image.h"
#include "service/accounts.h"
#include "service/oauth.h"
#include "store/migrate.h"

#define PREFIX   "pinhole-fuzz-"
#define PASSWORD "fuzzing-password-1"

static struct {
    bool started;
    char dir[512];
    pin_config cfg;
    pin_store *store;
    pin_svc svc;
    pin_api *api;
    pin_http_server *srv;
    int port;
    const char *alice_token, *bob_token;
    /* Placeholder values, indexed by letter. */
    const char *values[26];
} fz;

static void die(const char *fmt, const char *arg)
{
    fprintf(stderr, "fuzz_http: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n");
    abort();
}

/* ---- the data folder ---- */

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    remove(path);
    return 0;
}

static void rm_tree(const char *path)
{
    nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Removes the folders of runs whose process is gone (a crash skips atexit). */
static void sweep_stale(const char *base)
{
    DIR *d = opendir(base);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strncmp(e->d_name, PREFIX, strlen(PREFIX)) != 0) continue;
        long pid = strtol(e->d_name + strlen(PREFIX), NULL, 10);
        if (pid <= 0 || (kill((pid_t)pid, 0) != 0 && errno == ESRCH)) {
            char path[1024];
            snprintf(path, sizeof(path), "%s/%s", base, e->d_name);
            rm_tree(path);
        }
    }
    closedir(d);
}

static void make_dir(void)
{
    const char *base = "/dev/shm";
    if (access(base, W_OK) != 0) base = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    sweep_stale(base);
    snprintf(fz.dir, sizeof(fz.dir), "%s/" PREFIX "%ld-XXXXXX", base, (long)getpid());
    if (!mkdtemp(fz.dir)) die("cannot make a folder under %s", base);
}

static void stop(void)
{
    if (!fz.started) return;
    pin_http_quiesce(fz.srv, 2000);
    pin_api_stop(fz.api);
    pin_http_stop(fz.srv);
    pin_api_free(fz.api);
    pin_svc_clear(&fz.svc);
    pin_store_close(fz.store);
    pin_image_shutdown();
    rm_tree(fz.dir);
    fz.started = false;
}

/* ---- requests ---- */

typedef struct answer {
    int status;
    char *raw; /* the whole response, NUL-terminated (malloc'd) */
    size_t len;
    const char *ctype; /* points into raw (lower-cased), or NULL */
    size_t ctype_len;
    const char *body;
    size_t body_len;
    bool body_complete; /* Content-Length said so and that many bytes came */
} answer;

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void send_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return; /* the server closed early: its answer may still be there */
        p += w;
        n -= (size_t)w;
    }
}

static void parse_answer(answer *a)
{
    a->status = 0;
    if (a->len < 12 || strncmp(a->raw, "HTTP/1.", 7) != 0) return;
    char *end = strstr(a->raw, "\r\n\r\n");
    if (!end) return;
    a->status = atoi(a->raw + 9);
    a->body = end + 4;
    a->body_len = a->len - (size_t)(a->body - a->raw);
    long long clen = -1;
    for (char *h = strstr(a->raw, "\r\n"); h && h < end; h = strstr(h + 2, "\r\n")) {
        char *line = h + 2, *colon = strchr(line, ':');
        if (!colon || colon > end) break;
        for (char *c = line; c < colon; c++)
            *c = (char)(*c >= 'A' && *c <= 'Z' ? *c + 32 : *c);
        const char *v = colon + 1;
        while (*v == ' ')
            v++;
        size_t vlen = strcspn(v, "\r");
        if (colon - line == 12 && !strncmp(line, "content-type", 12)) {
            a->ctype = v;
            a->ctype_len = vlen;
        } else if (colon - line == 14 && !strncmp(line, "content-length", 14)) {
            clen = strtoll(v, NULL, 10);
        }
    }
    a->body_complete = clen >= 0 && (size_t)clen == a->body_len;
}

/* One exchange. The answer is in *a (a->raw malloc'd, caller frees). */
static void exchange(const char *method, const char *target, const char *token,
                     const char *content_type, const char *body, size_t blen, answer *a)
{
    memset(a, 0, sizeof(*a));
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) die("socket: %s", strerror(errno));
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)fz.port)};
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0) {
        /* libFuzzer's -timeout alarm interrupts calls: the connection goes
         * on in the background, so wait for it rather than fail. */
        int err = errno;
        if (err == EINTR) {
            struct pollfd p = {.fd = fd, .events = POLLOUT};
            while (poll(&p, 1, FZ_TIMEOUT_S * 1000) < 0 && errno == EINTR) {}
            socklen_t len = sizeof(err);
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
        }
        if (err) die("cannot connect to the server: %s", strerror(err));
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));

    size_t hcap = strlen(target) + (token ? strlen(token) : 0) + 512;
    char *head = malloc(hcap);
    int n = snprintf(head, hcap, "%s %s HTTP/1.1\r\nHost: pin.example\r\nConnection: close\r\n",
                     method, target);
    if (token) n += snprintf(head + n, hcap - (size_t)n, "Authorization: Bearer %s\r\n", token);
    if (content_type)
        n += snprintf(head + n, hcap - (size_t)n, "Content-Type: %s\r\n", content_type);
    if (body || strcmp(method, "GET") != 0)
        n += snprintf(head + n, hcap - (size_t)n, "Content-Length: %zu\r\n", blen);
    n += snprintf(head + n, hcap - (size_t)n, "\r\n");
    send_all(fd, head, (size_t)n);
    free(head);
    if (blen) send_all(fd, body, blen);

    size_t cap = 4096;
    a->raw = malloc(cap);
    int64_t deadline = now_ms() + FZ_TIMEOUT_S * 1000;
    for (;;) {
        int64_t left = deadline - now_ms();
        if (left <= 0) {
            fprintf(stderr, "fuzz_http: %s %s: no answer within %d s\n", method, target,
                    FZ_TIMEOUT_S);
            abort();
        }
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int r = poll(&p, 1, (int)left);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) continue;
        if (a->len + 1024 > cap) a->raw = realloc(a->raw, cap *= 2);
        ssize_t got = recv(fd, a->raw + a->len, cap - a->len - 1, 0);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) break; /* closed (or reset): the answer is what came */
        a->len += (size_t)got;
    }
    a->raw[a->len] = 0;
    close(fd);
    parse_answer(a);
}

/* Whether the page holds `mark` (ASCII, lower-case) in any letter case. */
static bool has_mark(const answer *a, const char *mark)
{
    size_t m = strlen(mark);
    for (size_t i = 0; a->body && i + m <= a->body_len; i++) {
        size_t k = 0;
        while (k < m && (a->body[i + k] | (mark[k] >= 'a' ? 0x20 : 0)) == mark[k])
            k++;
        if (k == m) return true;
    }
    return false;
}

static void check(const char *method, const char *target, const answer *a)
{
    const char *why = NULL;
    if (a->status < 100 || a->status > 599)
        why = "no HTTP answer";
    else if (a->status == 500)
        why = "500 Internal Server Error";
    else if (a->ctype && a->ctype_len >= 9 && !strncmp(a->ctype, "text/html", 9) &&
             has_mark(a, "<fz"))
        /* No page of ours holds it; the dictionaries and seeds put it in
         * inputs: one in a page is input that was not escaped. (A quote
         * marker cannot be told apart: `value="` followed by an input
         * " fz=..." reads the same as a quote that broke out.) */
        why = "input reflected into HTML unescaped";
    else if (a->ctype && a->ctype_len >= 16 && !strncmp(a->ctype, "application/json", 16)) {
        json_error_t je;
        json_t *doc =
            a->body_complete ? json_loadb(a->body, a->body_len, JSON_DECODE_ANY, &je) : NULL;
        if (!doc) why = "a JSON answer that is not JSON (or is cut short)";
        json_decref(doc);
    }
    if (!why && getenv("FUZZ_SHOW")) /* for seeds: what each input gets */
        fprintf(stderr, "fuzz_http: %s %s -> %.*s\n", method, target,
                (int)(a->body_complete ? a->body_len : 0), a->body);
    if (!why) return;
    fprintf(stderr, "fuzz_http: %s for %s %s\n--- answer (%zu bytes):\n%.*s\n", why, method, target,
            a->len, (int)(a->len > 4000 ? 4000 : a->len), a->raw);
    abort();
}

int fz_request(const char *method, const char *target, bool auth, const char *content_type,
               const char *body, size_t blen)
{
    answer a;
    exchange(method, target, auth ? fz.alice_token : NULL, content_type, body, blen, &a);
    check(method, target, &a);
    free(a.raw);
    return a.status;
}

/* ---- placeholders and targets ---- */

static void set_value(char letter, const char *v)
{
    fz.values[letter - 'A'] = v;
}

char *fz_expand(const void *data, size_t size, size_t *outlen)
{
    const char *s = data;
    size_t n = 0;
    for (size_t pass = 0; pass < 2; pass++) {
        char *out = pass ? malloc(n + 1) : NULL;
        n = 0;
        for (size_t i = 0; i < size; i++) {
            const char *v = NULL;
            if (s[i] == '$' && i + 1 < size && s[i + 1] >= 'A' && s[i + 1] <= 'Z')
                v = fz.values[s[i + 1] - 'A'];
            if (v) {
                size_t vl = strlen(v);
                if (out) memcpy(out + n, v, vl);
                n += vl;
                i++;
            } else {
                if (out) out[n] = s[i];
                n++;
            }
        }
        if (out) {
            out[n] = 0;
            if (outlen) *outlen = n;
            return out;
        }
    }
    return NULL; /* not reached */
}

char *fz_target(const char *prefix, const uint8_t *q, size_t qlen)
{
    size_t elen;
    char *eq = fz_expand(q, qlen, &elen);
    char *p = fz_expand(prefix, strlen(prefix), NULL);
    size_t cap = strlen(p) + 3 * elen + 1;
    char *t = malloc(cap);
    size_t n = (size_t)snprintf(t, cap, "%s", p);
    for (size_t i = 0; i < elen; i++) {
        unsigned char c = (unsigned char)eq[i];
        if (c <= 0x20 || c >= 0x7f || c == '#')
            n += (size_t)snprintf(t + n, cap - n, "%%%02X", c);
        else
            t[n++] = (char)c;
    }
    t[n] = 0;
    free(p);
    free(eq);
    return t;
}

int fz_body_input(const fz_route *routes, size_t nroutes, const char *content_type,
                  const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    const fz_route *r = &routes[(data[0] & 0x7f) % nroutes];
    bool auth = !(data[0] & 0x80);
    size_t blen;
    char *body = fz_expand(data + 1, size - 1, &blen);
    char *target = fz_target(r->path, NULL, 0);
    int status = fz_request(r->method, target, auth, content_type, body, blen);
    free(target);
    free(body);
    return status;
}

/* ---- the fixture ---- */

static char *json_id(answer *a, const char *what)
{
    json_error_t je;
    json_t *doc = a->status == 200 ? json_loadb(a->body, a->body_len, 0, &je) : NULL;
    const char *id = doc ? json_string_value(json_object_get(doc, "id")) : NULL;
    if (!id) die("could not make the fixture's %s", what);
    char *copy = strdup(id);
    json_decref(doc);
    free(a->raw);
    return copy;
}

static char *post(const char *token, const char *media, const char *text)
{
    answer a;
    char body[512];
    snprintf(body, sizeof(body),
             "{\"status\":\"%s\",\"visibility\":\"public\",\"media_ids\":[\"%s\"]}", text, media);
    exchange("POST", "/api/v1/statuses", token, "application/json", body, strlen(body), &a);
    return json_id(&a, "post");
}

static const unsigned char tiny_png[] = {
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44,
    0x52, 0x00, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00, 0x08, 0x08, 0x02, 0x00, 0x00, 0x00, 0x4b,
    0x6d, 0x29, 0xdc, 0x00, 0x00, 0x00, 0x6c, 0x49, 0x44, 0x41, 0x54, 0x78, 0xda, 0x0d, 0xc9,
    0x41, 0x01, 0x00, 0x30, 0x08, 0x03, 0x31, 0x94, 0xa0, 0xa4, 0x4a, 0xaa, 0x84, 0xe7, 0xa9,
    0x40, 0x09, 0x4a, 0xaa, 0x68, 0xcb, 0x37, 0x55, 0x45, 0x17, 0x2a, 0x5c, 0x4c, 0xb1, 0xc5,
    0x15, 0x29, 0xaa, 0x9a, 0x6e, 0xd4, 0xb8, 0x99, 0x66, 0x9b, 0x6b, 0xd2, 0x3f, 0x44, 0x0b,
    0x09, 0x8b, 0x11, 0x2b, 0x4e, 0x44, 0x3f, 0x4c, 0x1b, 0x19, 0x9b, 0x31, 0x6b, 0xce, 0xc4,
    0x3f, 0x86, 0x1e, 0x34, 0x78, 0x98, 0x61, 0x87, 0x1b, 0x32, 0x3f, 0x96, 0x5e, 0xb4, 0x78,
    0x99, 0x65, 0x97, 0x5b, 0xb2, 0x3f, 0x8e, 0x3e, 0x74, 0xf8, 0x98, 0x63, 0x8f, 0x3b, 0x72,
    0x3f, 0x42, 0x07, 0x05, 0x87, 0x09, 0x1b, 0x2e, 0x24, 0x3c, 0xb0, 0x2c, 0x54, 0x81, 0xf9,
    0xa6, 0x0b, 0x79, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82};

static char *upload(const char *token)
{
    static const char head[] = "--fuzzboundary\r\nContent-Disposition: form-data; name=\"file\"; "
                               "filename=\"a.png\"\r\nContent-Type: image/png\r\n\r\n";
    static const char tail[] = "\r\n--fuzzboundary--\r\n";
    size_t n = sizeof(head) - 1 + sizeof(tiny_png) + sizeof(tail) - 1;
    char *body = malloc(n);
    memcpy(body, head, sizeof(head) - 1);
    memcpy(body + sizeof(head) - 1, tiny_png, sizeof(tiny_png));
    memcpy(body + sizeof(head) - 1 + sizeof(tiny_png), tail, sizeof(tail) - 1);
    answer a;
    exchange("POST", "/api/v2/media", token, "multipart/form-data; boundary=fuzzboundary", body, n,
             &a);
    free(body);
    return json_id(&a, "media");
}

static const char *id_text(pin_id id)
{
    char buf[32];
    snprintf(buf, sizeof(buf), "%lld", (long long)id);
    return strdup(buf);
}

static const char *account(pin_arena *a, const char *name, const pin_app *app, pin_scopes scopes,
                           const char **token)
{
    pin_register_in in = {.username = name,
                          .email = pin_arena_printf(a, "%s@pin.example", name),
                          .password = PASSWORD,
                          .agreement = true,
                          .app_id = app->id,
                          .scopes = scopes,
                          .force_approved = true};
    pin_register_out out;
    pin_field_errors fe = {0};
    if (pin_account_register(&fz.svc, a, &in, &out, &fe)) die("cannot register %s", name);
    *token = strdup(out.token);
    return id_text(out.account_id);
}

void fz_start(void)
{
    if (fz.started) return;
    signal(SIGPIPE, SIG_IGN);
    const char *lv = getenv("FUZZ_LOG_LEVEL"); /* e.g. info, to see every request */
    pin_log_level level = PIN_LOG_ERROR;
    if (lv && pin_log_parse_level(lv, &level)) die("bad FUZZ_LOG_LEVEL %s", lv);
    pin_log_threshold = level;
    make_dir();

    pin_config *c = &fz.cfg;
    pin_config_defaults(c);
    snprintf(c->data_dir, sizeof(c->data_dir), "%s", fz.dir);
    snprintf(c->listen, sizeof(c->listen), "127.0.0.1:0");
    snprintf(c->base_url, sizeof(c->base_url), "https://pin.example");
    c->threads = 2;
    c->min_free_mb = 0;
    c->argon2_ops = 1;
    c->argon2_mem_kib = 8;
    c->rate_auth_limit = 1000000;
    c->rate_account_limit = 1000000;
    c->housekeeping_s = 3600;
    pin_config_finish(c);

    if (pin_image_init("fuzz")) die("cannot start libvips%s", "");
    pin_store_opts so = {.busy_timeout_ms = c->busy_timeout_ms};
    if (pin_store_open(c->db, &so, &fz.store) || pin_migrate(fz.store, NULL, NULL))
        die("cannot open the database %s", c->db);
    if (pin_svc_init(&fz.svc, fz.store, c)) die("cannot prepare %s", fz.dir);
    fz.api = pin_api_new(&fz.svc);
    pin_http_app app = pin_api_http_app(fz.api);
    pin_http_opts ho = {.listen = c->listen, .threads = c->threads};
    if (pin_http_start(&ho, &app, &fz.srv)) die("cannot listen on %s", c->listen);
    fz.port = pin_http_port(fz.srv);
    fz.started = true;
    atexit(stop);

    pin_arena a = {0};
    pin_scopes scopes;
    const char *bad;
    int badlen;
    if (!pin_scopes_parse("read write follow push", &scopes, &bad, &badlen))
        die("bad scopes%s", "");
    const char *uris[] = {PIN_OOB_URI};
    pin_app papp;
    pin_field_errors fe = {0};
    if (pin_app_create(&fz.svc, &a, "fuzz", NULL, uris, 1, "read write follow push", &papp, &fe))
        die("cannot create the app%s", "");
    set_value('I', strdup(papp.client_id));
    set_value('K', strdup(papp.client_secret));
    set_value('U', "alice");
    set_value('P', PASSWORD);
    set_value('A', account(&a, "alice", &papp, scopes, &fz.alice_token));
    set_value('B', account(&a, "bob", &papp, scopes, &fz.bob_token));
    pin_arena_clear(&a);

    /* Every post needs a photo of its own. */
    char *photo = upload(fz.alice_token);
    set_value('S', post(fz.alice_token, photo, "first light #sunset @bob https://pin.example/x"));
    free(photo);
    photo = upload(fz.bob_token);
    set_value('O', post(fz.bob_token, photo, "hello @alice #sunset"));
    free(photo);
    set_value('M', upload(fz.alice_token));
    /* bob follows alice, so her followers and his home timeline have rows. */
    answer an;
    char *t = fz_target("/api/v1/accounts/$A/follow", NULL, 0);
    exchange("POST", t, fz.bob_token, NULL, NULL, 0, &an);
    if (an.status != 200) die("bob cannot follow alice: %s", an.raw);
    free(an.raw);
    free(t);
}

/* Every HTTP target starts the same server before its first input. */
int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    pin_json_init();
    fz_start();
    return 0;
}
