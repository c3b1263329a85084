#include "service/audit.h"

typedef struct check {
    const char *table, *column;
    const char *find;   /* id, stored, actual for rows that differ */
    const char *repair; /* sets the column to the actual value where it differs */
} check;

#define DIFF(table, column, actual)                                                                \
    "SELECT id, " column ", " actual " FROM " table " t WHERE " column " <> " actual
#define FIX(table, column, actual)                                                                 \
    "UPDATE " table " AS t SET " column " = " actual " WHERE " column " <> " actual
#define CHECK(table, column, actual)                                                               \
    {                                                                                              \
        table, column, DIFF(table, column, actual), FIX(table, column, actual)                     \
    }

static const check checks[] = {
    CHECK("accounts", "followers_count",
          "(SELECT COUNT(*) FROM follows f WHERE f.target_id = t.id)"),
    CHECK("accounts", "following_count",
          "(SELECT COUNT(*) FROM follows f WHERE f.account_id = t.id)"),
    CHECK("accounts", "statuses_count",
          "(SELECT COUNT(*) FROM statuses s WHERE s.account_id = t.id)"),
    CHECK("statuses", "replies_count",
          "(SELECT COUNT(*) FROM statuses r WHERE r.in_reply_to_id = t.id)"),
    CHECK("statuses", "favourites_count",
          "(SELECT COUNT(*) FROM favourites f WHERE f.status_id = t.id)"),
    CHECK("statuses", "reblogs_count",
          "(SELECT COUNT(*) FROM statuses b WHERE b.reblog_of_id = t.id)"),
};

typedef struct audit_tx {
    const check *c;
    bool repair;
    FILE *out;
    int64_t found;
} audit_tx;

static pin_err audit_body(pin_db *db, void *ctx)
{
    audit_tx *t = ctx;
    pin_q q;
    pin_db_query(db, &q, t->c->find, NULL);
    while (pin_q_step(&q)) {
        if (t->out)
            fprintf(t->out, "%s %lld %s: stored %lld, actual %lld\n", t->c->table,
                    (long long)pin_q_i64(&q, 0), t->c->column, (long long)pin_q_i64(&q, 1),
                    (long long)pin_q_i64(&q, 2));
        t->found++;
    }
    pin_err err = pin_q_end(&q);
    if (!err && t->repair && t->found) err = pin_db_exec(db, NULL, t->c->repair, NULL);
    return err;
}

pin_err pin_audit(pin_svc *svc, bool repair, FILE *out, int64_t *differences)
{
    pin_db *db;
    pin_err err = pin_svc_db(svc, &db);
    if (err) return err;
    *differences = 0;
    for (size_t i = 0; i < sizeof(checks) / sizeof(checks[0]); i++) {
        /* With --repair, a write transaction per counter: what is found is
         * fixed before anyone can change it again. */
        audit_tx t = {&checks[i], repair, out, 0};
        err = pin_db_tx(db, repair, audit_body, &t);
        if (err) return err;
        *differences += t.found;
    }
    return PIN_OK;
}
