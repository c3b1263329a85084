/* Numbered schema migrations, compiled into the binary.
 *
 * Each migration runs in its own transaction and is recorded in
 * schema_migrations, so running them again is harmless and a crash in the
 * middle leaves the schema at the last complete step.
 */
#ifndef PIN_STORE_MIGRATE_H
#define PIN_STORE_MIGRATE_H

#include "store/db.h"

/* Applies every migration not yet applied. *applied (may be NULL) receives
 * how many ran now; *version the schema version afterwards. */
pin_err pin_migrate(pin_store *s, int *applied, int *version) PIN_WUR;
/* The newest schema version this binary knows. */
int pin_migrate_latest(void);

#endif
