/* Internals shared by db.c and the backends; nothing outside store/ includes it. */
#ifndef PIN_STORE_DB_INT_H
#define PIN_STORE_DB_INT_H

#include <pthread.h>

#include "store/db.h"

enum { PIN_DB_MAX_BINDS = 200 };

typedef struct pin_val {
    char type; /* 'i', 's', 'n', 'd' ('b' is stored as 'i') */
    int64_t i;
    double d;
    const char *s;
} pin_val;

typedef struct pin_db_ops {
    pin_err (*connect)(pin_store *s, pin_db **out);
    void (*disconnect)(pin_db *db);
    /* Prepares (or finds cached) and runs; on success q->impl is set. */
    void (*query)(pin_db *db, pin_q *q, const char *sql, const pin_val *v, int n);
    bool (*step)(pin_q *q);
    int64_t (*col_i64)(pin_q *q, int col);
    double (*col_double)(pin_q *q, int col);
    const char *(*col_text)(pin_q *q, int col);
    bool (*col_null)(pin_q *q, int col);
    int (*columns)(pin_q *q);
    pin_err (*end)(pin_q *q, int64_t *changes);
    pin_err (*begin)(pin_db *db, bool write);
    pin_err (*commit)(pin_db *db);
    void (*rollback)(pin_db *db);
    pin_err (*script)(pin_db *db, const char *sql);
    const char *(*errmsg)(pin_db *db);
    void (*budget)(pin_db *db, int ms); /* may be NULL */
} pin_db_ops;

struct pin_store {
    pin_db_kind kind;
    const pin_db_ops *ops;
    char *url;  /* as given */
    char *path; /* sqlite: file path */
    pin_store_opts opts;
    pthread_key_t key;
    pthread_mutex_t lock;       /* guards `conns` */
    pthread_mutex_t write_lock; /* SQLite: this process's writers queue here */
    pin_db **conns;             /* every open connection, closed by pin_store_close */
    int nconns, capconns;
};

/* Every backend's connection starts with this header. */
struct pin_db {
    pin_store *store;
    bool in_tx;
};

extern const pin_db_ops pin_sqlite_ops;
extern const pin_db_ops pin_pg_ops;

#endif
