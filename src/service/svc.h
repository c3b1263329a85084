/* The service layer's shared state and the types its operations exchange.
 *
 * A service operation is what a person does (register, sign in, update a
 * profile...). It runs in one transaction that keeps every invariant, checks
 * authorization itself, and knows nothing of HTTP. Results are plain structs
 * whose strings live in the caller's arena.
 */
#ifndef PIN_SERVICE_SVC_H
#define PIN_SERVICE_SVC_H

#include <stdbool.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/config.h"
#include "core/id.h"
#include "core/scope.h"
#include "media/blob.h"
#include "store/db.h"

typedef struct pin_svc {
    pin_store *store;      /* owned by whoever called pin_svc_init */
    const pin_config *cfg; /* borrowed, outlives the service */
    pin_blobs *blobs;      /* owned: DATA_DIR/blobs */
    char upload_dir[1100]; /* DATA_DIR/tmp: uploads in flight, same file system as blobs */
    char dummy_hash[128];  /* verified for unknown users so timing does not tell */
    int node;              /* this process's node number for ids (store/node.h) */
    char node_owner[96];   /* "host:pid" */
} pin_svc;

/* Prepares the service over an open, migrated store: opens the blob store
 * and the upload folder under the data folder, and leases a node number for
 * the ids this process mints (PIN_EUNAVAILABLE if all are held). Undo with
 * pin_svc_clear. */
pin_err pin_svc_init(pin_svc *svc, pin_store *store, const pin_config *cfg) PIN_WUR;
void pin_svc_clear(pin_svc *svc);
/* Renews the node lease; call at least every PIN_SVC_KEEPALIVE_MS. If the
 * node was lost (the process stalled past its lease and another took it),
 * claims a new one. */
enum { PIN_SVC_KEEPALIVE_MS = 60 * 1000 };
pin_err pin_svc_keepalive(pin_svc *svc) PIN_WUR;

/* PIN_ENOSPACE when the data folder's free space is at or below the
 * configured reserve (writes that add files are refused before they start). */
pin_err pin_svc_check_space(pin_svc *svc) PIN_WUR;

/* This thread's connection; PIN_EUNAVAILABLE if the database is unreachable. */
pin_err pin_svc_db(pin_svc *svc, pin_db **out) PIN_WUR;

/* Who is asking: resolved from a bearer token by pin_oauth_authenticate. */
typedef struct pin_viewer {
    pin_id token_id; /* 0: anonymous */
    pin_id app_id;
    pin_id account_id; /* 0: an app token (client_credentials) */
    pin_scopes scopes;
    bool approved; /* false while registration awaits approval */
    bool suspended;
    bool admin;
} pin_viewer;

/* A validation failure on one field, Mastodon style
 * ({"details": {"username": [{"error": "ERR_TAKEN", "description": ...}]}}). */
typedef struct pin_field_error {
    const char *field;
    const char *code; /* ERR_BLANK, ERR_TAKEN, ERR_INVALID, ERR_TOO_LONG, ... */
    const char *description;
} pin_field_error;

typedef struct pin_field_errors {
    pin_field_error items[8];
    int n;
} pin_field_errors;

void pin_field_error_add(pin_field_errors *fe, const char *field, const char *code,
                         const char *description);

#endif
