/* pinhole: the one binary. Parses the command line and the configuration,
 * then runs a subcommand: serve, migrate, admin, routes. */
#include <errno.h>
#include <getopt.h>
#include <ini.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/api.h"
#include "core/config.h"
#include "core/json.h"
#include "core/log.h"
#include "http/http.h"
#include "media/image.h"
#include "service/accounts.h"
#include "service/audit.h"
#include "service/oauth.h"
#include "service/seed.h"
#include "service/housekeeping.h"
#include "service/secret.h"
#include "store/copy.h"
#include "store/migrate.h"

#define PIN_VERSION "0.1.0"

typedef struct cmd {
    const char *name, *args, *summary;
    int (*run)(pin_config *cfg, int argc, char **argv);
} cmd;

static int cmd_serve(pin_config *cfg, int argc, char **argv);
static int cmd_migrate(pin_config *cfg, int argc, char **argv);
static int cmd_admin(pin_config *cfg, int argc, char **argv);
static int cmd_routes(pin_config *cfg, int argc, char **argv);
static int cmd_audit(pin_config *cfg, int argc, char **argv);
static int cmd_seed(pin_config *cfg, int argc, char **argv);
static int cmd_migrate_db(pin_config *cfg, int argc, char **argv);

static const cmd cmds[] = {
    {"serve", "", "run the server (migrates the database first)", cmd_serve},
    {"migrate", "", "bring the database schema up to date", cmd_migrate},
    {"admin",
     "create-user NAME --email E [--password P] [--admin|--moderator] | approve NAME |"
     " token NAME... [--scope S]",
     "manage accounts; `token` prints a new access token per account, one a line", cmd_admin},
    {"migrate-db", "--from URL --to URL",
     "move a whole instance to another database (e.g. SQLite to PostgreSQL), verified",
     cmd_migrate_db},
    {"audit", "[--repair]", "recompute every counter from its rows; exit 1 on any difference",
     cmd_audit},
    {"seed", "[users=N] [posts=N] [follows=N] [likes=X] [comments=X] [tags=N] [seed=N]",
     "fill an empty instance with synthetic data for benchmarks, or add posts to a seeded one",
     cmd_seed},
    {"routes", "", "list every API route with its scope", cmd_routes},
};

static void print_option(void *ctx, const char *section, const char *key, const char *help)
{
    FILE *f = ctx;
    char env[64] = "PINHOLE_";
    size_t n = strlen(env);
    for (const char *k = key; *k && n < sizeof(env) - 1; k++)
        env[n++] = (char)(*k >= 'a' && *k <= 'z' ? *k - 32 : *k);
    env[n] = 0;
    fprintf(f, "  [%s] %-22s %-30s %s\n", section, key, env, help);
}

static void usage(FILE *f, const cmd *c)
{
    if (c) {
        fprintf(f, "usage: pinhole %s %s [options]\n  %s\n\n", c->name, c->args, c->summary);
    } else {
        fprintf(f, "usage: pinhole COMMAND [options]\n\ncommands:\n");
        for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
            fprintf(f, "  %-8s %s\n", cmds[i].name, cmds[i].summary);
        fprintf(f, "\n");
    }
    fprintf(f, "options (every command):\n"
               "  --config FILE      read settings from an INI file\n"
               "  --data-dir DIR     folder for the database and photos\n"
               "  --db URL           sqlite:PATH, a path, or postgres://...\n"
               "  --listen ADDR      host:port to serve on\n"
               "  --log-level LEVEL  error, warn, info or debug\n"
               "  --set KEY=VALUE    any setting below\n"
               "  -h, --help         this text\n\n"
               "settings (INI [section] key, environment variable, meaning):\n");
    pin_config_each(print_option, f);
}

/* Options only `admin create-user` reads. */
static struct {
    const char *email, *password, *role, *scope;
    bool repair;
    const char *from, *to;
} admin_opts = {NULL, NULL, "user", NULL, false, NULL, NULL};

typedef struct ini_ctx {
    pin_config *cfg;
    char err[256];
} ini_ctx;

static int on_ini(void *user, const char *section, const char *key, const char *value)
{
    ini_ctx *ic = user;
    return pin_config_set(ic->cfg, section, key, value, ic->err, sizeof(ic->err)) == PIN_OK;
}

static int mkdirs(const char *path)
{
    char buf[1024];
    if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf)) return -1;
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/') continue;
        *p = 0;
        if (mkdir(buf, 0750) != 0 && errno != EEXIST) return -1;
        *p = '/';
    }
    return mkdir(buf, 0750) == 0 || errno == EEXIST ? 0 : -1;
}

/* Loads settings: defaults < --config file < environment < flags. Leaves
 * the remaining (positional) arguments in argv[*first..argc). */
static int load_config(pin_config *cfg, int argc, char **argv, int *first, const cmd *c)
{
    static const struct option longopts[] = {
        {"config", required_argument, 0, 'c'},
        {"data-dir", required_argument, 0, 'd'},
        {"db", required_argument, 0, 'b'},
        {"listen", required_argument, 0, 'l'},
        {"log-level", required_argument, 0, 'L'},
        {"set", required_argument, 0, 's'},
        {"help", no_argument, 0, 'h'},
        {"email", required_argument, 0, 'e'},
        {"password", required_argument, 0, 'p'},
        {"admin", no_argument, 0, 'A'},
        {"moderator", no_argument, 0, 'M'},
        {"repair", no_argument, 0, 'R'},
        {"from", required_argument, 0, 'F'},
        {"to", required_argument, 0, 'T'},
        {"scope", required_argument, 0, 'S'},
        {0, 0, 0, 0},
    };
    const char *file = NULL;
    char err[256];
    /* First pass: find --config and --help. */
    optind = 1;
    opterr = 0;
    int o;
    while ((o = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        if (o == 'c') file = optarg;
        if (o == 'h') {
            usage(stdout, c);
            exit(0);
        }
        if (o == '?') {
            fprintf(stderr, "pinhole: unknown or incomplete option \"%s\"\n", argv[optind - 1]);
            return -1;
        }
    }
    pin_config_defaults(cfg);
    if (file) {
        ini_ctx ic = {cfg, ""};
        int line = ini_parse(file, on_ini, &ic);
        if (line < 0) {
            fprintf(stderr, "pinhole: cannot read config file %s\n", file);
            return -1;
        }
        if (line > 0) {
            fprintf(stderr, "pinhole: %s:%d: %s\n", file, line,
                    ic.err[0] ? ic.err : "syntax error");
            return -1;
        }
    }
    if (pin_config_from_env(cfg, err, sizeof(err))) {
        fprintf(stderr, "pinhole: environment: %s\n", err);
        return -1;
    }
    optind = 1;
    while ((o = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        const char *key = NULL;
        char kv[1400];
        switch (o) {
        case 'd':
            key = "data_dir";
            break;
        case 'b':
            key = "db";
            break;
        case 'l':
            key = "listen";
            break;
        case 'L':
            key = "log_level";
            break;
        case 'e':
            admin_opts.email = optarg;
            continue;
        case 'p':
            admin_opts.password = optarg;
            continue;
        case 'A':
            admin_opts.role = "admin";
            continue;
        case 'M':
            admin_opts.role = "moderator";
            continue;
        case 'R':
            admin_opts.repair = true;
            continue;
        case 'F':
            admin_opts.from = optarg;
            continue;
        case 'T':
            admin_opts.to = optarg;
            continue;
        case 'S':
            admin_opts.scope = optarg;
            continue;
        case 's': {
            snprintf(kv, sizeof(kv), "%s", optarg);
            char *eq = strchr(kv, '=');
            if (!eq) {
                fprintf(stderr, "pinhole: --set wants KEY=VALUE, got \"%s\"\n", optarg);
                return -1;
            }
            *eq = 0;
            if (pin_config_set(cfg, NULL, kv, eq + 1, err, sizeof(err))) {
                fprintf(stderr, "pinhole: --set: %s\n", err);
                return -1;
            }
            continue;
        }
        default:
            continue;
        }
        if (pin_config_set(cfg, NULL, key, optarg, err, sizeof(err))) {
            fprintf(stderr, "pinhole: %s\n", err);
            return -1;
        }
    }
    pin_config_finish(cfg);
    pin_log_level lv;
    if (pin_log_parse_level(cfg->log_level, &lv)) {
        fprintf(stderr, "pinhole: log_level must be error, warn, info or debug\n");
        return -1;
    }
    pin_log_threshold = lv;
    *first = optind;
    return 0;
}

/* Opens the store, creating the data folder for SQLite, and migrates. */
static int open_store(pin_config *cfg, pin_store **out)
{
    if (mkdirs(cfg->data_dir) != 0) {
        fprintf(stderr, "pinhole: cannot create data folder %s: %s\n", cfg->data_dir,
                strerror(errno));
        return -1;
    }
    pin_store_opts so = {.busy_timeout_ms = cfg->busy_timeout_ms};
    pin_err err = pin_store_open(cfg->db, &so, out);
    if (err) {
        fprintf(stderr, "pinhole: cannot open database %s (%s)\n", cfg->db, pin_err_name(err));
        return -1;
    }
    int applied = 0, version = 0;
    err = pin_migrate(*out, &applied, &version);
    if (err) {
        fprintf(stderr, "pinhole: database migration failed (%s)\n", pin_err_name(err));
        pin_store_close(*out);
        return -1;
    }
    return 0;
}

static int cmd_migrate(pin_config *cfg, int argc, char **argv)
{
    (void)argc, (void)argv;
    pin_store *s;
    if (open_store(cfg, &s)) return 1;
    printf("database %s is at schema version %d\n", cfg->db, pin_migrate_latest());
    pin_store_close(s);
    return 0;
}

static int cmd_serve(pin_config *cfg, int argc, char **argv)
{
    (void)argv;
    if (argc > 0) {
        fprintf(stderr, "pinhole: serve takes no arguments\n");
        return 2;
    }
    /* Long runs grow glibc arenas: photo after photo a worker's peak rose to
     * ~150 MB with two arenas, ~100 MB with one, at no measured CPU cost. */
    mallopt(M_ARENA_MAX, 1);
    /* A timeline answer's arena grows to a few hundred KB and is freed at
     * once: kept in the heap, not mapped and unmapped (page faults) each
     * request. Image buffers above 4 MB are still mapped. */
    mallopt(M_MMAP_THRESHOLD, 4 << 20);
    mallopt(M_TRIM_THRESHOLD, 32 << 20);
    signal(SIGPIPE, SIG_IGN);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL); /* every thread started from here inherits it */

    if (pin_image_init("pinhole")) {
        fprintf(stderr, "pinhole: cannot start libvips\n");
        return 1;
    }
    pin_store *store;
    if (open_store(cfg, &store)) return 1;
    pin_svc svc;
    if (pin_svc_init(&svc, store, cfg)) {
        fprintf(stderr, "pinhole: cannot prepare %s (crypto, blobs or tmp folder)\n",
                cfg->data_dir);
        pin_store_close(store);
        return 1;
    }
    pin_api *api = pin_api_new(&svc);
    pin_http_app app = pin_api_http_app(api);
    pin_http_opts ho = {.listen = cfg->listen,
                        .threads = cfg->threads,
                        .conn_timeout_s = cfg->conn_timeout_s,
                        .trust_proxy = cfg->trust_proxy};
    pin_http_server *srv;
    pin_err err = pin_http_start(&ho, &app, &srv);
    if (err) {
        fprintf(stderr, "pinhole: cannot listen on %s (%s)\n", cfg->listen,
                err == PIN_EINVAL ? "not a host:port address" : "address in use or not allowed");
        pin_api_free(api);
        pin_store_close(store);
        return 1;
    }
    const char *worker = svc.node_owner;
    if (pin_housekeeping_schedule(&svc)) PIN_WARN("cannot schedule the housekeeping jobs");
    PIN_INFO("pinhole %s listening on %s (port %d), database %s, base URL %s", PIN_VERSION,
             cfg->listen, pin_http_port(srv), cfg->db, cfg->base_url);
    /* Wake for whichever comes first: housekeeping or the node lease. */
    int every_s = PIN_SVC_KEEPALIVE_MS / 1000;
    if (cfg->housekeeping_s < every_s) every_s = cfg->housekeeping_s;
    int64_t next_housekeeping = 0;
    for (;;) {
        struct timespec tick = {every_s, 0};
        int sig = sigtimedwait(&set, NULL, &tick);
        if (sig == SIGTERM || sig == SIGINT) {
            PIN_INFO("signal %d: finishing requests in flight, then stopping", sig);
            break;
        }
        if (pin_svc_keepalive(&svc)) PIN_WARN("cannot renew the lease of node %d", svc.node);
        int64_t now = pin_now_ms();
        if (now < next_housekeeping) continue;
        next_housekeeping = now + cfg->housekeeping_s * 1000LL;
        int ran;
        if (pin_housekeeping_run(&svc, worker, &ran)) PIN_WARN("housekeeping jobs failed");
    }
    pin_http_quiesce(srv, cfg->shutdown_grace_s * 1000);
    pin_api_stop(api);
    pin_http_stop(srv);
    pin_api_free(api);
    pin_svc_clear(&svc);
    pin_store_close(store);
    pin_image_shutdown();
    PIN_INFO("stopped cleanly");
    return 0;
}

/* `admin token NAME...`: one app for the call, a token per account. */
static int admin_tokens(pin_svc *svc, pin_arena *a, int n, char **names)
{
    const char *scope = admin_opts.scope ? admin_opts.scope : "read write follow push";
    pin_app app;
    pin_field_errors fe = {0};
    const char *oob = PIN_OOB_URI;
    pin_err err = pin_app_create(svc, a, "pinhole admin", NULL, &oob, 1, scope, &app, &fe);
    if (err) {
        fprintf(stderr, "pinhole: admin token: %s\n",
                err == PIN_EUNPROCESSABLE ? "invalid --scope" : pin_err_name(err));
        return err == PIN_EUNPROCESSABLE ? 2 : 1;
    }
    for (int i = 0; i < n; i++) {
        pin_account acct;
        const char *token;
        int64_t at;
        err = pin_account_lookup(svc, a, names[i], &acct);
        if (err) {
            fprintf(stderr, "pinhole: admin token: no account named %s\n", names[i]);
            return 1;
        }
        err = pin_token_issue(svc, a, app.id, acct.id, app.scopes, &token, &at);
        if (err) {
            fprintf(stderr, "pinhole: admin token: %s\n", pin_err_name(err));
            return 1;
        }
        printf("%s\n", token);
        pin_arena_clear(a);
    }
    return 0;
}

static int cmd_admin(pin_config *cfg, int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "pinhole: admin wants create-user NAME or approve NAME\n");
        return 2;
    }
    const char *email = admin_opts.email, *password = admin_opts.password, *role = admin_opts.role;
    if (argc > 2 && strcmp(argv[0], "token") != 0) {
        fprintf(stderr, "pinhole: admin: unexpected argument \"%s\"\n", argv[2]);
        return 2;
    }
    pin_store *store;
    if (open_store(cfg, &store)) return 1;
    pin_svc svc = {0};
    int rc = 1;
    pin_arena a = {0};
    if (pin_svc_init(&svc, store, cfg)) goto out;
    if (!strcmp(argv[0], "approve")) {
        pin_err err = pin_account_approve(&svc, argv[1]);
        if (err)
            fprintf(stderr, "pinhole: no account named %s\n", argv[1]);
        else
            printf("approved %s\n", argv[1]);
        rc = err ? 1 : 0;
        goto out;
    }
    if (!strcmp(argv[0], "token")) {
        rc = admin_tokens(&svc, &a, argc - 1, argv + 1);
        goto out;
    }
    if (strcmp(argv[0], "create-user") != 0) {
        fprintf(stderr, "pinhole: unknown admin command \"%s\"\n", argv[0]);
        rc = 2;
        goto out;
    }
    bool generated = !password;
    if (generated) password = pin_secret_token(&a);
    if (!email) email = pin_arena_printf(&a, "%s@localhost.invalid", argv[1]);
    pin_register_in in = {.username = argv[1],
                          .email = email,
                          .password = password,
                          .agreement = true,
                          .role = role,
                          .force_approved = true};
    pin_register_out out;
    pin_field_errors fe = {0};
    pin_err err = pin_account_register(&svc, &a, &in, &out, &fe);
    if (err == PIN_EUNPROCESSABLE) {
        for (int i = 0; i < fe.n; i++)
            fprintf(stderr, "pinhole: %s %s\n", fe.items[i].field, fe.items[i].description);
        goto out;
    }
    if (err) {
        fprintf(stderr, "pinhole: could not create %s (%s)\n", argv[1], pin_err_name(err));
        goto out;
    }
    printf("created %s (id %lld, role %s)\n", argv[1], (long long)out.account_id, role);
    if (generated) printf("password: %s\n", password);
    rc = 0;
out:
    pin_arena_clear(&a);
    pin_svc_clear(&svc);
    pin_store_close(store);
    return rc;
}

static int cmd_audit(pin_config *cfg, int argc, char **argv)
{
    (void)argv;
    if (argc > 0) {
        fprintf(stderr, "pinhole: audit takes no arguments besides --repair\n");
        return 2;
    }
    pin_store *store;
    if (open_store(cfg, &store)) return 1;
    pin_svc svc = {0};
    int rc = 1;
    int64_t diffs = 0;
    if (pin_svc_init(&svc, store, cfg)) goto out;
    pin_err err = pin_audit(&svc, admin_opts.repair, stdout, &diffs);
    if (err) {
        fprintf(stderr, "pinhole: audit failed (%s)\n", pin_err_name(err));
        goto out;
    }
    if (diffs == 0)
        printf("audit: every counter equals the rows it counts\n");
    else
        printf("audit: %lld difference%s%s\n", (long long)diffs, diffs == 1 ? "" : "s",
               admin_opts.repair ? ", repaired" : " (run with --repair to fix)");
    rc = diffs && !admin_opts.repair ? 1 : 0;
out:
    pin_svc_clear(&svc);
    pin_store_close(store);
    return rc;
}

static int cmd_migrate_db(pin_config *cfg, int argc, char **argv)
{
    (void)argv;
    if (argc > 0 || !admin_opts.from || !admin_opts.to) {
        fprintf(stderr, "pinhole: migrate-db wants --from URL --to URL\n");
        return 2;
    }
    pin_store_opts so = {.busy_timeout_ms = cfg->busy_timeout_ms};
    pin_store *from = NULL, *to = NULL;
    int rc = 1, v1 = 0, v2 = 0;
    if (pin_store_open(admin_opts.from, &so, &from) || pin_migrate(from, NULL, &v1)) {
        fprintf(stderr, "pinhole: cannot open the source database %s\n", admin_opts.from);
        goto out;
    }
    if (pin_store_open(admin_opts.to, &so, &to) || pin_migrate(to, NULL, &v2)) {
        fprintf(stderr, "pinhole: cannot open the target database %s\n", admin_opts.to);
        goto out;
    }
    pin_copy_report rep;
    pin_err err = pin_store_copy(from, to, stdout, isatty(STDOUT_FILENO), &rep);
    if (err == PIN_ECONFLICT) {
        fprintf(stderr,
                "pinhole: the target database already has accounts; migrate into an empty one\n");
        goto out;
    }
    if (err) {
        fprintf(stderr, "pinhole: migrate-db failed (%s)%s\n", pin_err_name(err),
                rep.mismatches ? ": the copy differs from the source" : "");
        goto out;
    }
    printf("moved %d tables, %lld rows; every count and checksum matches\n", rep.tables,
           (long long)rep.rows);
    rc = 0;
out:
    pin_store_close(from);
    pin_store_close(to);
    return rc;
}

static int cmd_seed(pin_config *cfg, int argc, char **argv)
{
    pin_seed_opts o = {.users = 1000,
                       .follows_per_user = 150,
                       .posts = 10000,
                       .likes_per_post = 1.0,
                       .comments_per_post = 0.2,
                       .tags = 1000,
                       .seed = 1,
                       .progress = isatty(STDERR_FILENO) ? stderr : NULL};
    for (int i = 0; i < argc; i++) {
        char *eq = strchr(argv[i], '=');
        double v = eq ? strtod(eq + 1, NULL) : -1;
        if (!eq || v < 0) {
            fprintf(stderr, "pinhole: seed: expected key=number, got \"%s\"\n", argv[i]);
            return 2;
        }
        size_t n = (size_t)(eq - argv[i]);
        if (!strncmp(argv[i], "users", n))
            o.users = (int)v;
        else if (!strncmp(argv[i], "posts", n))
            o.posts = (int64_t)v;
        else if (!strncmp(argv[i], "follows", n))
            o.follows_per_user = (int)v;
        else if (!strncmp(argv[i], "likes", n))
            o.likes_per_post = v;
        else if (!strncmp(argv[i], "comments", n))
            o.comments_per_post = v;
        else if (!strncmp(argv[i], "tags", n))
            o.tags = (int)v;
        else if (!strncmp(argv[i], "seed", n))
            o.seed = (unsigned)v;
        else {
            fprintf(stderr, "pinhole: seed: unknown setting \"%.*s\"\n", (int)n, argv[i]);
            return 2;
        }
    }
    pin_store *store;
    if (open_store(cfg, &store)) return 1;
    pin_svc svc = {0};
    int rc = 1;
    pin_seed_stats st;
    if (pin_svc_init(&svc, store, cfg)) goto out;
    pin_err err = pin_seed(&svc, &o, &st);
    if (err) {
        if (err == PIN_ECONFLICT)
            fprintf(stderr, "pinhole: seed: the instance was seeded with fewer than users=%d\n",
                    o.users);
        else
            fprintf(stderr, "pinhole: seed failed (%s)\n", pin_err_name(err));
        goto out;
    }
    printf("seeded %lld accounts, %lld follows, %lld posts, %lld likes, %lld comments;"
           " most-followed account id %lld\n",
           (long long)st.users, (long long)st.follows, (long long)st.posts, (long long)st.likes,
           (long long)st.comments, (long long)st.top_account);
    rc = 0;
out:
    pin_svc_clear(&svc);
    pin_store_close(store);
    return rc;
}

static void print_route(void *ctx, const char *method, const char *pattern, const char *scope,
                        const char *auth)
{
    (void)ctx;
    printf("%-6s %-45s %-12s %s\n", method, pattern, auth, scope);
}

static int cmd_routes(pin_config *cfg, int argc, char **argv)
{
    (void)cfg, (void)argc, (void)argv;
    pin_api_each_route(print_route, NULL);
    return 0;
}

int main(int argc, char **argv)
{
    pin_json_init(); /* before any JSON value exists */
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
        !strcmp(argv[1], "help")) {
        usage(argc < 2 ? stderr : stdout, NULL);
        return argc < 2 ? 2 : 0;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("pinhole %s\n", PIN_VERSION);
        return 0;
    }
    for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
        if (strcmp(argv[1], cmds[i].name) != 0) continue;
        pin_config cfg;
        int first;
        if (load_config(&cfg, argc - 1, argv + 1, &first, &cmds[i])) return 2;
        return cmds[i].run(&cfg, argc - 1 - first, argv + 1 + first);
    }
    fprintf(stderr, "pinhole: unknown command \"%s\" (try pinhole --help)\n", argv[1]);
    return 2;
}
