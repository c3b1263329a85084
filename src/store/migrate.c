/* The schema. SQL is written once in the subset SQLite and PostgreSQL share;
 * a migration carries a per-backend variant only where the dialects differ
 * (none so far). Integers that are ids or times are BIGINT; flags INTEGER
 * 0/1 (PostgreSQL has no implicit integer-to-boolean cast). */
#include "store/migrate.h"

#include "core/id.h"
#include "core/log.h"

typedef struct migration {
    int version;
    const char *name;
    const char *sql;
} migration;

static const migration migrations[] = {
    {1, "accounts, users, apps, tokens, oauth codes, rate limits",
     "CREATE TABLE accounts ("
     "  id BIGINT PRIMARY KEY,"
     "  username TEXT NOT NULL,"
     "  username_key TEXT NOT NULL,"
     "  domain TEXT NOT NULL DEFAULT '',"
     "  display_name TEXT NOT NULL DEFAULT '',"
     "  note TEXT NOT NULL DEFAULT '',"
     "  fields TEXT NOT NULL DEFAULT '[]',"
     "  locked INTEGER NOT NULL DEFAULT 0,"
     "  bot INTEGER NOT NULL DEFAULT 0,"
     "  discoverable INTEGER NOT NULL DEFAULT 1,"
     "  privacy TEXT NOT NULL DEFAULT 'public',"
     "  sensitive INTEGER NOT NULL DEFAULT 0,"
     "  language TEXT,"
     "  followers_count BIGINT NOT NULL DEFAULT 0,"
     "  following_count BIGINT NOT NULL DEFAULT 0,"
     "  statuses_count BIGINT NOT NULL DEFAULT 0,"
     "  last_status_at BIGINT,"
     "  created_at BIGINT NOT NULL,"
     "  updated_at BIGINT NOT NULL,"
     "  suspended_at BIGINT,"
     "  UNIQUE (username_key, domain)"
     ");"
     "CREATE TABLE users ("
     "  account_id BIGINT PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,"
     "  email TEXT NOT NULL,"
     "  email_key TEXT NOT NULL UNIQUE,"
     "  password_hash TEXT NOT NULL,"
     "  locale TEXT,"
     "  role TEXT NOT NULL DEFAULT 'user',"
     "  approved INTEGER NOT NULL DEFAULT 1,"
     "  reason TEXT,"
     "  created_at BIGINT NOT NULL,"
     "  sign_in_at BIGINT"
     ");"
     "CREATE TABLE apps ("
     "  id BIGINT PRIMARY KEY,"
     "  name TEXT NOT NULL,"
     "  website TEXT,"
     "  redirect_uris TEXT NOT NULL,"
     "  scopes TEXT NOT NULL,"
     "  client_id TEXT NOT NULL UNIQUE,"
     "  secret_hash TEXT NOT NULL,"
     "  created_at BIGINT NOT NULL"
     ");"
     "CREATE TABLE tokens ("
     "  id BIGINT PRIMARY KEY,"
     "  token_hash TEXT NOT NULL UNIQUE,"
     "  app_id BIGINT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,"
     "  account_id BIGINT REFERENCES accounts(id) ON DELETE CASCADE,"
     "  scopes TEXT NOT NULL,"
     "  created_at BIGINT NOT NULL"
     ");"
     "CREATE INDEX tokens_account ON tokens(account_id);"
     "CREATE INDEX tokens_app ON tokens(app_id);"
     "CREATE TABLE oauth_codes ("
     "  code_hash TEXT PRIMARY KEY,"
     "  app_id BIGINT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,"
     "  account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,"
     "  redirect_uri TEXT NOT NULL,"
     "  scopes TEXT NOT NULL,"
     "  challenge TEXT,"
     "  expires_at BIGINT NOT NULL"
     ");"
     "CREATE TABLE rate_limits ("
     "  bucket TEXT PRIMARY KEY,"
     "  window_start BIGINT NOT NULL,"
     "  hits BIGINT NOT NULL"
     ");"},
};

enum { NMIGRATIONS = sizeof(migrations) / sizeof(migrations[0]) };

int pin_migrate_latest(void)
{
    return migrations[NMIGRATIONS - 1].version;
}

typedef struct step {
    const migration *m;
    bool ran;
} step;

static pin_err apply(pin_db *db, void *ctx)
{
    step *st = ctx;
    int64_t have = 0;
    pin_err err = pin_db_i64(db, &have, "SELECT COUNT(*) FROM schema_migrations WHERE version = ?",
                             "i", (int64_t)st->m->version);
    if (err) return err;
    st->ran = false;
    if (have) return PIN_OK; /* another process got here first */
    err = pin_db_script(db, st->m->sql);
    if (err) return err;
    err = pin_db_exec(db, NULL, "INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)",
                      "ii", (int64_t)st->m->version, pin_now_ms());
    st->ran = !err;
    return err;
}

pin_err pin_migrate(pin_store *s, int *applied, int *version)
{
    pin_db *db;
    pin_err err = pin_store_db(s, &db);
    if (err) return err;
    err = pin_db_script(db, "CREATE TABLE IF NOT EXISTS schema_migrations ("
                            " version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)");
    if (err) return err;
    int n = 0, v = 0;
    for (int i = 0; i < NMIGRATIONS; i++) {
        step st = {&migrations[i], false};
        err = pin_db_tx(db, true, apply, &st);
        if (err) {
            PIN_ERROR("migration %d (%s) failed: %s", migrations[i].version, migrations[i].name,
                      pin_err_name(err));
            return err;
        }
        if (st.ran) {
            PIN_INFO("applied migration %d: %s", migrations[i].version, migrations[i].name);
            n++;
        }
        v = migrations[i].version;
    }
    int64_t newest = 0;
    err = pin_db_i64(db, &newest, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations", NULL);
    if (err) return err;
    if (newest > v) {
        PIN_ERROR("the database is at schema version %lld, newer than this binary's %d",
                  (long long)newest, v);
        return PIN_EUNAVAILABLE;
    }
    if (applied) *applied = n;
    if (version) *version = v;
    return PIN_OK;
}
