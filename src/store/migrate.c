/* The schema. SQL is written once in the subset SQLite and PostgreSQL share;
 * a migration carries a per-backend variant only where the dialects differ
 * (none so far). Integers that are ids or times are BIGINT; flags INTEGER
 * 0/1 (PostgreSQL has no implicit integer-to-boolean cast). */
#include "store/migrate.h"

#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/id.h"
#include "core/log.h"
#include "core/text.h"

typedef struct migration {
    int version;
    const char *name;
    const char *sql;        /* for both engines */
    const char *sqlite_sql; /* then, where the dialects truly differ: SQLite only */
    const char *pg_sql;     /* PostgreSQL only */
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
     ");",
     NULL, NULL},
    {2, "photos: blobs, media, statuses, edits, tags, mentions, follows, idempotency keys",
     "CREATE TABLE blobs ("
     "  key TEXT PRIMARY KEY,"
     "  size BIGINT NOT NULL,"
     "  touched_at BIGINT NOT NULL"
     ");"
     "CREATE TABLE statuses ("
     "  id BIGINT PRIMARY KEY,"
     "  account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,"
     "  text TEXT NOT NULL DEFAULT '',"
     "  spoiler_text TEXT NOT NULL DEFAULT '',"
     "  sensitive INTEGER NOT NULL DEFAULT 0,"
     "  visibility INTEGER NOT NULL,"
     "  language TEXT,"
     "  in_reply_to_id BIGINT,"
     "  in_reply_to_account_id BIGINT,"
     "  app_id BIGINT,"
     "  replies_count BIGINT NOT NULL DEFAULT 0,"
     "  reblogs_count BIGINT NOT NULL DEFAULT 0,"
     "  favourites_count BIGINT NOT NULL DEFAULT 0,"
     "  created_at BIGINT NOT NULL,"
     "  edited_at BIGINT"
     ");"
     "CREATE INDEX statuses_account ON statuses(account_id, id);"
     "CREATE INDEX statuses_reply ON statuses(in_reply_to_id);"
     "CREATE TABLE media ("
     "  id BIGINT PRIMARY KEY,"
     "  account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,"
     "  status_id BIGINT REFERENCES statuses(id) ON DELETE CASCADE,"
     "  position INTEGER NOT NULL DEFAULT 0,"
     "  purpose TEXT NOT NULL DEFAULT 'post',"
     "  token TEXT NOT NULL UNIQUE,"
     "  description TEXT,"
     "  focus_x REAL NOT NULL DEFAULT 0,"
     "  focus_y REAL NOT NULL DEFAULT 0,"
     "  blurhash TEXT NOT NULL,"
     "  original_key TEXT NOT NULL,"
     "  original_type TEXT NOT NULL,"
     "  original_size BIGINT NOT NULL,"
     "  width INTEGER NOT NULL,"
     "  height INTEGER NOT NULL,"
     "  created_at BIGINT NOT NULL"
     ");"
     "CREATE INDEX media_status ON media(status_id, position);"
     "CREATE INDEX media_account ON media(account_id, id);"
     "CREATE INDEX media_original ON media(original_key);"
     "CREATE TABLE media_files ("
     "  media_id BIGINT NOT NULL REFERENCES media(id) ON DELETE CASCADE,"
     "  variant TEXT NOT NULL,"
     "  format TEXT NOT NULL,"
     "  blob_key TEXT NOT NULL,"
     "  width INTEGER NOT NULL,"
     "  height INTEGER NOT NULL,"
     "  size BIGINT NOT NULL,"
     "  PRIMARY KEY (media_id, variant, format)"
     ");"
     "CREATE INDEX media_files_blob ON media_files(blob_key);"
     "CREATE TABLE status_edits ("
     "  id BIGINT PRIMARY KEY,"
     "  status_id BIGINT NOT NULL REFERENCES statuses(id) ON DELETE CASCADE,"
     "  text TEXT NOT NULL,"
     "  spoiler_text TEXT NOT NULL,"
     "  sensitive INTEGER NOT NULL,"
     "  media TEXT NOT NULL,"
     "  created_at BIGINT NOT NULL"
     ");"
     "CREATE INDEX status_edits_status ON status_edits(status_id, id);"
     "CREATE TABLE tags ("
     "  id BIGINT PRIMARY KEY,"
     "  name TEXT NOT NULL,"
     "  name_key TEXT NOT NULL UNIQUE,"
     "  created_at BIGINT NOT NULL"
     ");"
     "CREATE TABLE status_tags ("
     "  status_id BIGINT NOT NULL REFERENCES statuses(id) ON DELETE CASCADE,"
     "  tag_id BIGINT NOT NULL REFERENCES tags(id),"
     "  PRIMARY KEY (status_id, tag_id)"
     ");"
     "CREATE INDEX status_tags_tag ON status_tags(tag_id, status_id);"
     "CREATE TABLE status_mentions ("
     "  status_id BIGINT NOT NULL REFERENCES statuses(id) ON DELETE CASCADE,"
     "  account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,"
     "  PRIMARY KEY (status_id, account_id)"
     ");"
     "CREATE INDEX status_mentions_account ON status_mentions(account_id, status_id);"
     "CREATE TABLE follows ("
     "  account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,"
     "  target_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,"
     "  created_at BIGINT NOT NULL,"
     "  PRIMARY KEY (account_id, target_id)"
     ");"
     "CREATE INDEX follows_target ON follows(target_id, account_id);"
     "CREATE TABLE idempotency_keys ("
     "  account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,"
     "  key TEXT NOT NULL,"
     "  status_id BIGINT NOT NULL,"
     "  created_at BIGINT NOT NULL,"
     "  PRIMARY KEY (account_id, key)"
     ");"
     "ALTER TABLE accounts ADD COLUMN avatar_media_id BIGINT;"
     "ALTER TABLE accounts ADD COLUMN header_media_id BIGINT;",
     NULL, NULL},
    {3,
     "social graph: follow requests, blocks, mutes, follower ledger, favourites, bookmarks,"
     " notifications",
     "ALTER TABLE follows ADD COLUMN id BIGINT NOT NULL DEFAULT 0;"
     "CREATE INDEX follows_target_id ON follows(target_id, id);"
     "CREATE INDEX follows_account_id ON follows(account_id, id);"
     "CREATE TABLE follow_requests ("
     "  id BIGINT NOT NULL,"
     "  account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,"
     "  target_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,"
     "  created_at BIGINT NOT NULL,"
     "  PRIMARY KEY (account_id, target_id)"
     ");"
     "CREATE INDEX follow_requests_target ON follow_requests(target_id, id);"
     "CREATE TABLE blocks ("
     "  id BIGINT NOT NULL,"
     "  account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,"
     "  target_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,"
     "  created_at BIGINT NOT NULL,"
     "  PRIMARY KEY (account_id, target_id)"
     ");"
     "CREATE INDEX blocks_target ON blocks(target_id, account_id);"
     "CREATE TABLE mutes ("
     "  id BIGINT NOT NULL,"
     "  account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,"
     "  target_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,"
     "  notifications INTEGER NOT NULL DEFAULT 1,"
     "  created_at BIGINT NOT NULL,"
     "  PRIMARY KEY (account_id, target_id)"
     ");"
     "CREATE TABLE follower_events ("
     "  id BIGINT PRIMARY KEY,"
     "  account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,"
     "  follower_id BIGINT NOT NULL,"
     "  delta INTEGER NOT NULL,"
     "  cause TEXT NOT NULL,"
     "  created_at BIGINT NOT NULL"
     ");"
     "CREATE INDEX follower_events_account ON follower_events(account_id, id);"
     "CREATE TABLE favourites ("
     "  id BIGINT NOT NULL,"
     "  account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,"
     "  status_id BIGINT NOT NULL REFERENCES statuses(id) ON DELETE CASCADE,"
     "  created_at BIGINT NOT NULL,"
     "  PRIMARY KEY (account_id, status_id)"
     ");"
     "CREATE INDEX favourites_status ON favourites(status_id, id);"
     "CREATE INDEX favourites_account ON favourites(account_id, id);"
     "CREATE TABLE bookmarks ("
     "  id BIGINT NOT NULL,"
     "  account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,"
     "  status_id BIGINT NOT NULL REFERENCES statuses(id) ON DELETE CASCADE,"
     "  created_at BIGINT NOT NULL,"
     "  PRIMARY KEY (account_id, status_id)"
     ");"
     "CREATE INDEX bookmarks_account ON bookmarks(account_id, id);"
     "CREATE TABLE notifications ("
     "  id BIGINT PRIMARY KEY,"
     "  account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,"
     "  from_account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,"
     "  type TEXT NOT NULL,"
     "  status_id BIGINT REFERENCES statuses(id) ON DELETE CASCADE,"
     "  created_at BIGINT NOT NULL"
     ");"
     "CREATE INDEX notifications_account ON notifications(account_id, id);"
     "ALTER TABLE accounts ADD COLUMN notifications_read_id BIGINT NOT NULL DEFAULT 0;",
     NULL, NULL},
    {4, "discovery: followed tags, tag usage for trends, full-text search of captions",
     "CREATE TABLE tag_follows ("
     "  account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,"
     "  tag_id BIGINT NOT NULL REFERENCES tags(id) ON DELETE CASCADE,"
     "  created_at BIGINT NOT NULL,"
     "  PRIMARY KEY (account_id, tag_id)"
     ");"
     "CREATE TABLE tag_uses ("
     "  tag_id BIGINT NOT NULL REFERENCES tags(id) ON DELETE CASCADE,"
     "  day BIGINT NOT NULL,"
     "  account_id BIGINT NOT NULL,"
     "  uses BIGINT NOT NULL DEFAULT 0,"
     "  PRIMARY KEY (tag_id, day, account_id)"
     ");"
     "CREATE INDEX tag_uses_day ON tag_uses(day, tag_id);"
     "CREATE INDEX statuses_public ON statuses(visibility, id);"
     "CREATE INDEX accounts_display ON accounts(display_name);",
     /* SQLite: an FTS5 index whose rowid is the status id. */
     "CREATE VIRTUAL TABLE status_search USING fts5(text, tokenize = 'unicode61 remove_diacritics "
     "2');",
     /* PostgreSQL: its own full-text search over the caption. */
     "CREATE INDEX statuses_fts ON statuses USING GIN (to_tsvector('simple', text));"},
    {5, "reblogs and pinned posts",
     "ALTER TABLE statuses ADD COLUMN reblog_of_id BIGINT;"
     "CREATE INDEX statuses_reblog ON statuses(reblog_of_id, account_id);"
     "CREATE TABLE status_pins ("
     "  account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,"
     "  status_id BIGINT NOT NULL REFERENCES statuses(id) ON DELETE CASCADE,"
     "  created_at BIGINT NOT NULL,"
     "  PRIMARY KEY (account_id, status_id)"
     ");",
     NULL, NULL},
    /* Its work is rekey_tags() below: SQL cannot fold Unicode. */
    {6, "hashtag keys recomputed as NFKC case folds", "", NULL, NULL},
    {7, "background jobs shared by every server process",
     "CREATE TABLE jobs ("
     "  id BIGINT PRIMARY KEY,"
     "  kind TEXT NOT NULL,"
     "  periodic_key TEXT UNIQUE," /* the kind, for a periodic job; NULL for a one-off */
     "  payload TEXT NOT NULL DEFAULT '',"
     "  run_at BIGINT NOT NULL,"
     "  locked_by TEXT,"
     "  locked_until BIGINT NOT NULL DEFAULT 0,"
     "  attempts INTEGER NOT NULL DEFAULT 0,"
     "  failed_at BIGINT,"
     "  last_error TEXT,"
     "  created_at BIGINT NOT NULL"
     ");"
     "CREATE INDEX jobs_due ON jobs(run_at, id);",
     NULL, NULL},
    {8, "node numbers leased by the processes that mint ids",
     "CREATE TABLE nodes ("
     "  id INTEGER PRIMARY KEY,"
     "  owner TEXT,"
     "  expires_at BIGINT NOT NULL DEFAULT 0"
     ");"
     "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 63)"
     " INSERT INTO nodes (id) SELECT i FROM n;",
     NULL, NULL},
    /* The home timeline probes each followed account's newest post that is
     * not a comment: without this, every comment on the way costs a row
     * read (10-30 ms a page at 3M posts instead of under 1 ms). */
    {9, "an index of the posts a home timeline shows",
     "CREATE INDEX statuses_home ON statuses(account_id, id)"
     " WHERE in_reply_to_id IS NULL AND visibility <= 2;",
     NULL, NULL},
    /* SQLite reads a partial index's rows from the table whenever the query
     * names a column of its WHERE, which the probes must (to pick the index):
     * a page read per followed account. With the columns in the index the
     * probes stay in it. PostgreSQL already reads only the index. */
    {10, "the home timeline's index covers its probes on SQLite", "",
     "DROP INDEX statuses_home;"
     "CREATE INDEX statuses_home ON statuses(account_id, id, visibility, in_reply_to_id)"
     " WHERE in_reply_to_id IS NULL AND visibility <= 2;",
     NULL},
    /* The newest posts a home timeline may show, in order (the window read
     * of timelines.c). Comments' index covers comments only: a plan that
     * took it for `in_reply_to_id IS NULL` read every post. */
    {11, "an index of the newest posts a home timeline may show",
     "DROP INDEX statuses_reply;"
     "CREATE INDEX statuses_reply ON statuses(in_reply_to_id) WHERE in_reply_to_id IS NOT NULL;"
     "CREATE INDEX statuses_recent ON statuses(id, account_id, visibility, in_reply_to_id)"
     " WHERE in_reply_to_id IS NULL AND visibility <= 2;",
     NULL, NULL},
    /* Account search matches display names by prefix of their lower case. */
    {12, "an index of local display names in lower case, for search", "",
     "CREATE INDEX accounts_display_key ON accounts(lower(display_name)) WHERE domain = '';",
     "CREATE INDEX accounts_display_key ON accounts(lower(display_name) text_pattern_ops)"
     " WHERE domain = '';"},
};

enum { NMIGRATIONS = sizeof(migrations) / sizeof(migrations[0]) };

/* ---- steps in C, for what SQL cannot do ---- */

/* Moves everything that points at tag `from` to tag `to`, then deletes `from`. */
static pin_err merge_tag(pin_db *db, int64_t from, int64_t to)
{
    pin_err err = pin_db_exec(db, NULL,
                              "INSERT INTO status_tags (status_id, tag_id) SELECT status_id, ? FROM"
                              " status_tags WHERE tag_id = ? ON CONFLICT DO NOTHING",
                              "ii", to, from);
    if (!err) err = pin_db_exec(db, NULL, "DELETE FROM status_tags WHERE tag_id = ?", "i", from);
    if (!err)
        err = pin_db_exec(db, NULL,
                          "INSERT INTO tag_follows (account_id, tag_id, created_at) SELECT"
                          " account_id, ?, created_at FROM tag_follows WHERE tag_id = ?"
                          " ON CONFLICT DO NOTHING",
                          "ii", to, from);
    if (!err)
        err = pin_db_exec(db, NULL,
                          "INSERT INTO tag_uses (tag_id, day, account_id, uses) SELECT ?, day,"
                          " account_id, uses FROM tag_uses WHERE tag_id = ? ON CONFLICT (tag_id,"
                          " day, account_id) DO UPDATE SET uses = tag_uses.uses + excluded.uses",
                          "ii", to, from);
    if (!err) err = pin_db_exec(db, NULL, "DELETE FROM tag_follows WHERE tag_id = ?", "i", from);
    if (!err) err = pin_db_exec(db, NULL, "DELETE FROM tag_uses WHERE tag_id = ?", "i", from);
    if (!err) err = pin_db_exec(db, NULL, "DELETE FROM tags WHERE id = ?", "i", from);
    return err;
}

typedef struct rekey {
    int64_t id;
    const char *key;    /* the new key, NULL: unchanged */
    const char *rename; /* the new name, NULL: unchanged */
} rekey;

/* Migration 6. Hashtag keys were lower case with Latin letters composed;
 * they are now NFKC case folds (pin_text_tag_key). Each key is recomputed
 * from the old key, not from the name, so that a link or lookup made with
 * the old key still reaches its tag: the key of an old key is its new key.
 * Rows that now share a key become one (the row that already has the key,
 * or else the oldest, keeps it; posts, follows and daily uses move to it).
 * Where the name typed first folds to another key than the old key did
 * (only a dotted İ does: lower case made it "i", folding makes it "i" +
 * U+0307), the name becomes the old key, because a post's tags are shown by
 * the key of their name. A row whose old key and name both have no key now
 * (a name ending in U+0140) is left as it was. Changed keys first take a
 * temporary value ('#' is never in a key) so no update can collide. */
static pin_err rekey_tags(pin_db *db)
{
    pin_arena keep = {0}, tmp;
    char tmp_buf[4096];
    pin_arena_init(&tmp, tmp_buf, sizeof(tmp_buf));
    rekey *rows = NULL;
    size_t n = 0, cap = 0;
    pin_q q;
    pin_db_query(db, &q, "SELECT id, name, name_key FROM tags ORDER BY id", NULL);
    while (pin_q_step(&q)) {
        const char *name = pin_q_text(&q, 1), *old = pin_q_text(&q, 2);
        if (!name || !old) continue;
        pin_arena_clear(&tmp);
        const char *key = pin_text_tag_key(&tmp, old, strlen(old));
        const char *name_key = pin_text_tag_key(&tmp, name, strlen(name));
        const char *rename = NULL;
        if (!key)
            key = name_key;
        else if (!name_key || strcmp(name_key, key) != 0)
            rename = old;
        if (!key || (!strcmp(key, old) && !rename)) continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 64;
            rows = pin_xrealloc(rows, cap * sizeof(*rows));
        }
        rows[n++] =
            (rekey){pin_q_i64(&q, 0), strcmp(key, old) ? pin_arena_strdup(&keep, key) : NULL,
                    rename ? pin_arena_strdup(&keep, rename) : NULL};
    }
    pin_err err = pin_q_end(&q);
    for (size_t i = 0; !err && i < n; i++) {
        pin_arena_clear(&tmp);
        if (rows[i].key)
            err = pin_db_exec(db, NULL, "UPDATE tags SET name_key = ? WHERE id = ?", "si",
                              pin_arena_printf(&tmp, "#%lld", (long long)rows[i].id), rows[i].id);
    }
    size_t merged = 0;
    for (size_t i = 0; !err && i < n; i++) {
        if (rows[i].rename)
            err = pin_db_exec(db, NULL, "UPDATE tags SET name = ? WHERE id = ?", "si",
                              rows[i].rename, rows[i].id);
        if (err || !rows[i].key) continue;
        int64_t to = 0;
        err = pin_db_i64(db, &to, "SELECT id FROM tags WHERE name_key = ?", "s", rows[i].key);
        if (err == PIN_ENOTFOUND) {
            err = pin_db_exec(db, NULL, "UPDATE tags SET name_key = ? WHERE id = ?", "si",
                              rows[i].key, rows[i].id);
        } else if (!err) {
            err = merge_tag(db, rows[i].id, to);
            merged++;
        }
    }
    if (!err && n)
        PIN_INFO("hashtag keys: %zu tags changed, %zu merged into a tag with the same key", n,
                 merged);
    free(rows);
    pin_arena_clear(&keep);
    pin_arena_clear(&tmp);
    return err;
}

/* Runs after the SQL of the migration with the same version, in its
 * transaction. */
static const struct {
    int version;
    pin_err (*run)(pin_db *db);
} code_steps[] = {
    {6, rekey_tags},
};

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
    if (*st->m->sql) err = pin_db_script(db, st->m->sql);
    if (err) return err;
    const char *own = pin_db_kind_of(db) == PIN_DB_SQLITE ? st->m->sqlite_sql : st->m->pg_sql;
    if (own) err = pin_db_script(db, own);
    for (size_t i = 0; !err && i < sizeof(code_steps) / sizeof(code_steps[0]); i++)
        if (code_steps[i].version == st->m->version) err = code_steps[i].run(db);
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
