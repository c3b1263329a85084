/* Node numbers: each process that mints ids (core/id.h) holds one of the
 * 64 node numbers of a database, so that two processes writing at once
 * never make the same id, whether they are server processes behind a proxy
 * or a command (admin, seed) run next to them.
 *
 * A node is leased: a process claims a free or expired one, renews the lease
 * while it runs (well before it ends) and releases it when it stops. A
 * process that dies leaves its node to expire. Times are milliseconds since
 * the epoch.
 */
#ifndef PIN_STORE_NODE_H
#define PIN_STORE_NODE_H

#include "store/db.h"

enum { PIN_NODES = 64 };

/* Claims the lowest node that is free or whose lease ended, for `owner`
 * (unique per process) until now + lease_ms. PIN_EUNAVAILABLE when all
 * PIN_NODES are held. */
pin_err pin_node_claim(pin_db *db, const char *owner, int64_t now, int64_t lease_ms,
                       int *node) PIN_WUR;
/* Extends the lease (also one that ran out, if nobody claimed the node
 * since). PIN_ENOTFOUND if another process holds `node` now: the caller
 * must stop minting ids with it and claim another. */
pin_err pin_node_renew(pin_db *db, int node, const char *owner, int64_t now,
                       int64_t lease_ms) PIN_WUR;
/* Gives the node back. */
pin_err pin_node_release(pin_db *db, int node, const char *owner) PIN_WUR;

#endif
