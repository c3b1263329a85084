/* Moving a whole instance from one database to another (SQLite to
 * PostgreSQL, or back): every table in dependency order, verified by row
 * counts and order-independent checksums read back from the target. */
#ifndef PIN_STORE_COPY_H
#define PIN_STORE_COPY_H

#include <stdio.h>

#include "store/db.h"

typedef struct pin_copy_report {
    int tables;
    int64_t rows;
    int mismatches; /* tables whose count or checksum differ */
} pin_copy_report;

/* Copies every table of `from` into `to`, which must be migrated to the same
 * schema version and empty (PIN_ECONFLICT otherwise). Progress and one line
 * per table ("accounts 1000 rows, checksum 9f... ok") go to `out`; a bar
 * when `tty`. PIN_EIO when verification finds a difference. */
pin_err pin_store_copy(pin_store *from, pin_store *to, FILE *out, bool tty,
                       pin_copy_report *rep) PIN_WUR;

#endif
