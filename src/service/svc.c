#include "service/svc.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "core/id.h"
#include "core/log.h"
#include "service/secret.h"
#include "store/node.h"

/* Ten keepalive periods: a process must stall that long to lose its node. */
enum { NODE_LEASE_MS = 10 * PIN_SVC_KEEPALIVE_MS };

/* Gives back the nodes of processes on this host that are gone (a crash
 * loop would otherwise hold every node until the leases ran out). A pid
 * that was reused looks alive: its node then just waits for its lease. */
static pin_err release_dead(pin_svc *svc, pin_db *db)
{
    const char *host = svc->node_owner;
    size_t hl = (size_t)(strrchr(host, ':') - host) + 1; /* "host:" */
    int ids[PIN_NODES], pids[PIN_NODES], n = 0;
    pin_q q;
    pin_db_query(db, &q, "SELECT id, owner FROM nodes WHERE owner IS NOT NULL", NULL);
    while (pin_q_step(&q) && n < PIN_NODES) {
        const char *owner = pin_q_text(&q, 1);
        char *end;
        if (strncmp(owner, host, hl) != 0) continue;
        long pid = strtol(owner + hl, &end, 10);
        if (*end || pid <= 0 || (kill((pid_t)pid, 0) != 0 && errno == ESRCH)) {
            ids[n] = (int)pin_q_i64(&q, 0);
            pids[n++] = (int)pid;
        }
    }
    pin_err err = pin_q_end(&q);
    for (int i = 0; !err && i < n; i++) {
        char owner[96];
        snprintf(owner, sizeof(owner), "%.*s%d", (int)hl, host, pids[i]);
        err = pin_node_release(db, ids[i], owner);
    }
    return err;
}

static pin_err claim_node(pin_svc *svc)
{
    pin_db *db;
    pin_err err = pin_svc_db(svc, &db);
    if (!err) err = release_dead(svc, db);
    if (!err) err = pin_node_claim(db, svc->node_owner, pin_now_ms(), NODE_LEASE_MS, &svc->node);
    if (err == PIN_EUNAVAILABLE)
        PIN_ERROR("all %d node numbers are held by running processes", PIN_NODES);
    if (!err) pin_id_set_node((unsigned)svc->node);
    return err;
}

pin_err pin_svc_init(pin_svc *svc, pin_store *store, const pin_config *cfg)
{
    memset(svc, 0, sizeof(*svc));
    svc->store = store;
    svc->cfg = cfg;
    svc->node = -1;
    char host[64] = "";
    gethostname(host, sizeof(host) - 1);
    snprintf(svc->node_owner, sizeof(svc->node_owner), "%s:%d", host, (int)getpid());
    pin_err err = pin_secret_init();
    if (err) return err;
    /* A hash of a random password, verified when a login names nobody, so
     * that answering "no such user" costs what a wrong password costs. */
    pin_arena a = {0};
    err = pin_secret_password_hash(pin_secret_token(&a), cfg->argon2_ops, cfg->argon2_mem_kib,
                                   svc->dummy_hash, sizeof(svc->dummy_hash));
    const char *blobdir = pin_arena_printf(&a, "%s/blobs", cfg->data_dir);
    snprintf(svc->upload_dir, sizeof(svc->upload_dir), "%s/tmp", cfg->data_dir);
    if (!err && mkdir(svc->upload_dir, 0750) != 0 && errno != EEXIST) err = PIN_EIO;
    if (!err) err = pin_blobs_open(blobdir, &svc->blobs);
    pin_arena_clear(&a);
    if (!err) err = claim_node(svc);
    return err;
}

void pin_svc_clear(pin_svc *svc)
{
    pin_db *db;
    if (svc->node >= 0 && svc->node_owner[0] && !pin_svc_db(svc, &db) &&
        pin_node_release(db, svc->node, svc->node_owner))
        PIN_WARN("could not release node %d", svc->node);
    svc->node = -1;
    pin_blobs_close(svc->blobs);
    svc->blobs = NULL;
}

pin_err pin_svc_keepalive(pin_svc *svc)
{
    pin_db *db;
    pin_err err = pin_svc_db(svc, &db);
    if (!err) err = pin_node_renew(db, svc->node, svc->node_owner, pin_now_ms(), NODE_LEASE_MS);
    if (err == PIN_ENOTFOUND) {
        PIN_WARN("node %d was taken over after this process stalled; claiming another", svc->node);
        err = claim_node(svc);
    }
    return err;
}

pin_err pin_svc_check_space(pin_svc *svc)
{
    struct statvfs st;
    if (statvfs(svc->cfg->data_dir, &st) != 0) return PIN_EIO;
    int64_t free_mb = (int64_t)((unsigned long long)st.f_bavail * st.f_frsize >> 20);
    return free_mb > svc->cfg->min_free_mb ? PIN_OK : PIN_ENOSPACE;
}

pin_err pin_svc_db(pin_svc *svc, pin_db **out)
{
    return pin_store_db(svc->store, out);
}
