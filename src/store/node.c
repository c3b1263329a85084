/* Node leases. See node.h. */
#include "store/node.h"

/* As with jobs: SQLite has one writer at a time; PostgreSQL skips a row
 * another starting process is claiming instead of both taking it. */
#define CLAIM(lock)                                                                                \
    "UPDATE nodes SET owner = ?, expires_at = ? WHERE id = (SELECT id FROM nodes WHERE"            \
    " expires_at < ? ORDER BY id LIMIT 1" lock ") RETURNING id"

typedef struct claim_tx {
    const char *owner;
    int64_t now, lease_ms, node;
} claim_tx;

static pin_err claim_body(pin_db *db, void *p)
{
    claim_tx *t = p;
    return pin_db_i64(db, &t->node,
                      pin_db_kind_of(db) == PIN_DB_POSTGRES ? CLAIM(" FOR UPDATE SKIP LOCKED")
                                                            : CLAIM(""),
                      "sii", t->owner, t->now + t->lease_ms, t->now);
}

pin_err pin_node_claim(pin_db *db, const char *owner, int64_t now, int64_t lease_ms, int *node)
{
    claim_tx t = {owner, now, lease_ms, -1};
    pin_err err = pin_db_tx(db, true, claim_body, &t);
    if (err == PIN_ENOTFOUND) return PIN_EUNAVAILABLE;
    if (!err) *node = (int)t.node;
    return err;
}

pin_err pin_node_renew(pin_db *db, int node, const char *owner, int64_t now, int64_t lease_ms)
{
    int64_t changed = 0;
    pin_err err =
        pin_db_exec(db, &changed, "UPDATE nodes SET expires_at = ? WHERE id = ? AND owner = ?",
                    "iis", now + lease_ms, (int64_t)node, owner);
    return err ? err : changed ? PIN_OK : PIN_ENOTFOUND;
}

pin_err pin_node_release(pin_db *db, int node, const char *owner)
{
    return pin_db_exec(db, NULL,
                       "UPDATE nodes SET owner = NULL, expires_at = 0 WHERE id = ? AND owner = ?",
                       "is", (int64_t)node, owner);
}
