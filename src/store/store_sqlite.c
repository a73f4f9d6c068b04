/*
 * SQLite backend of the store (the default: one file, scs.db, in the data
 * directory).
 *
 * Connection settings and why:
 *  - WAL journal: readers (scsctl list, the server's lookups) never block the
 *    writer and vice versa;
 *  - synchronous=FULL: a committed hand-out (psk_take) must survive a power
 *    cut, or the same pair could be handed out again after a restart.  A
 *    caller that knows its durability points (scsd) may switch to NORMAL
 *    (STORE_DURABLE_DEFERRED): in WAL mode a NORMAL commit survives a crash
 *    of the process at once and reaches the disk with the next FULL commit
 *    (which syncs the whole log before it) or checkpoint;
 *  - cache_size: see SQLITE_CACHE_PRAGMA;
 *  - busy_timeout: several processes (scsd, scsctl) share the file; a writer
 *    waits for the lock instead of failing at once;
 *  - foreign_keys=ON: later tables (devices -> profiles, ...) rely on them;
 *  - every statement is prepared once with bound parameters and cached.
 *
 * Schema migrations
 * -----------------
 * The schema version is SQLite's PRAGMA user_version.  store_migrations[] is
 * ordered; entry i brings a version-i database to version i+1.  Opening runs
 * every migration past the file's version, each with its version bump, in one
 * IMMEDIATE transaction, so a failed upgrade leaves the file as it was.  A
 * file whose version is newer than the last entry is refused (SCS_ERR_VERSION):
 * this program does not know what the newer columns mean.
 *
 * To add tables (sessions, ...): append one
 * entry with the CREATE TABLE / CREATE INDEX / ALTER TABLE statements; never
 * edit an entry that has shipped.  Then add the operations the callers need to
 * struct store_ops in store.h, implement them here with cached statements (add
 * the SQL to the stmt_sql[] table), and in every other backend.  Secret columns
 * hold blobs the caller sealed (bound to the row with associated data); the
 * store never sees plaintext secrets.
 */
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/err.h"
#include "common/log.h"
#include "store/store.h"

#define SQLITE_BUSY_TIMEOUT_MS 15000
/* PIDs are random, so inserts land all over the pid b-tree; with SQLite's default 2 MB
 * page cache a million-row pool spends most of its time re-reading evicted pages.
 * 64 MiB holds the whole tree of a million pairs.  It is an upper bound, not an
 * allocation: small stores use little. */
#define SQLITE_CACHE_PRAGMA "PRAGMA cache_size = -65536"

struct store_migration {
    const char *what;
    const char *sql;
};

static const struct store_migration store_migrations[] = {
    /* 0 -> 1: the PSK pool and its audit log. */
    {"meta, psk and audit tables",
     "CREATE TABLE meta ("
     "  key TEXT PRIMARY KEY NOT NULL,"
     "  value BLOB NOT NULL"
     ") WITHOUT ROWID;"
     /* WITHOUT ROWID: the row lives in the pid b-tree itself, one tree fewer to update per
      * insert.  pps_ct is nonce || AES-256-GCM(pps) || tag, bound to the pid. */
     "CREATE TABLE psk ("
     "  pid TEXT PRIMARY KEY NOT NULL,"
     "  state INTEGER NOT NULL CHECK (state BETWEEN 0 AND 4),"
     "  assignee TEXT NOT NULL DEFAULT '',"
     "  pps_ct BLOB NOT NULL,"
     "  created INTEGER NOT NULL,"
     "  updated INTEGER NOT NULL"
     ") WITHOUT ROWID;"
     /* Hand-out picks available rows in pid order; without this index it would scan past
      * every row already handed out. */
     "CREATE INDEX psk_state ON psk (state, pid);"
     "CREATE TABLE audit ("
     "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
     "  time INTEGER NOT NULL,"
     "  event TEXT NOT NULL,"
     "  subject TEXT NOT NULL DEFAULT '',"
     "  detail TEXT NOT NULL DEFAULT ''"
     ");"},
    /* 1 -> 2: the registry.  Every *_ct column is a blob the registry sealed with the
     * master key and bound to its table, column and row; the store never sees plaintext.
     * States are not CHECKed here so that a later state needs no table rebuild; the
     * registry validates them. */
    {"devices, device_secrets, profiles, profile_secrets, certs and ca tables",
     "CREATE TABLE devices ("
     "  uuid TEXT PRIMARY KEY NOT NULL,"
     "  address TEXT NOT NULL DEFAULT '',"
     "  state INTEGER NOT NULL,"
     "  path INTEGER NOT NULL DEFAULT 0,"
     "  fw_version TEXT NOT NULL DEFAULT '',"
     "  profile TEXT NOT NULL DEFAULT '',"
     "  pid TEXT NOT NULL DEFAULT '',"
     "  new_pid TEXT NOT NULL DEFAULT '',"
     "  step TEXT NOT NULL DEFAULT '',"
     "  last_error TEXT NOT NULL DEFAULT '',"
     "  realm TEXT NOT NULL DEFAULT '',"
     "  tls_fingerprint TEXT NOT NULL DEFAULT '',"
     "  attempts INTEGER NOT NULL DEFAULT 0,"
     "  first_seen INTEGER NOT NULL DEFAULT 0,"
     "  last_hello INTEGER NOT NULL DEFAULT 0,"
     "  updated INTEGER NOT NULL DEFAULT 0,"
     "  provisioned_at INTEGER NOT NULL DEFAULT 0"
     ") WITHOUT ROWID;"
     /* A device's secrets may be recorded before its row (an OTP set ahead of the first
      * Hello), so there is no foreign key to devices. */
     "CREATE TABLE device_secrets ("
     "  uuid TEXT NOT NULL,"
     "  name TEXT NOT NULL,"
     "  value_ct BLOB NOT NULL,"
     "  updated INTEGER NOT NULL,"
     "  PRIMARY KEY (uuid, name)"
     ") WITHOUT ROWID;"
     "CREATE TABLE profiles ("
     "  name TEXT PRIMARY KEY NOT NULL,"
     "  admin_password_random INTEGER NOT NULL,"
     "  set_mebx_password INTEGER NOT NULL,"
     "  mebx_password_random INTEGER NOT NULL,"
     "  require_otp INTEGER NOT NULL,"
     "  time_sync INTEGER NOT NULL,"
     "  configure_tls INTEGER NOT NULL,"
     "  new_psk INTEGER NOT NULL,"
     "  redirection INTEGER NOT NULL,"
     "  user_consent INTEGER NOT NULL,"
     "  hostname_template TEXT NOT NULL DEFAULT '',"
     "  domain TEXT NOT NULL DEFAULT '',"
     "  updated INTEGER NOT NULL"
     ") WITHOUT ROWID;"
     "CREATE TABLE profile_secrets ("
     "  profile TEXT NOT NULL REFERENCES profiles (name) ON DELETE CASCADE,"
     "  name TEXT NOT NULL,"
     "  value_ct BLOB NOT NULL,"
     "  updated INTEGER NOT NULL,"
     "  PRIMARY KEY (profile, name)"
     ") WITHOUT ROWID;"
     "CREATE TABLE certs ("
     "  name TEXT PRIMARY KEY NOT NULL,"
     "  domain TEXT NOT NULL,"
     "  root_sha1 TEXT NOT NULL,"
     "  root_sha256 TEXT NOT NULL,"
     "  root_sha384 TEXT NOT NULL,"
     "  not_after INTEGER NOT NULL,"
     "  subnets TEXT NOT NULL DEFAULT '',"
     "  chain_pem TEXT NOT NULL,"
     "  key_ct BLOB NOT NULL,"
     "  created INTEGER NOT NULL"
     ") WITHOUT ROWID;"
     /* One row only: the server has one CA. */
     "CREATE TABLE ca ("
     "  id INTEGER PRIMARY KEY CHECK (id = 1),"
     "  cert_pem TEXT NOT NULL,"
     "  key_ct BLOB NOT NULL,"
     "  created INTEGER NOT NULL"
     ");"},
};

#define STORE_MIGRATION_COUNT ((int)(sizeof(store_migrations) / sizeof(store_migrations[0])))

enum stmt_id {
    ST_BEGIN,
    ST_BEGIN_IMMEDIATE,
    ST_COMMIT,
    ST_ROLLBACK,
    ST_SAVEPOINT,
    ST_RELEASE,
    ST_ROLLBACK_TO,
    ST_META_GET,
    ST_META_SET,
    ST_PSK_INSERT,
    ST_PSK_GET,
    ST_PSK_GET_BLOB,
    ST_PSK_SET_STATE,
    ST_PSK_EXISTS,
    ST_PSK_LIST_ALL,
    ST_PSK_LIST_STATE,
    ST_PSK_COUNT,
    ST_AUDIT_APPEND,
    ST_AUDIT_LIST,
    ST_DEVICE_PUT,
    ST_DEVICE_GET,
    ST_DEVICE_LIST,
    ST_DSECRET_SET,
    ST_DSECRET_GET,
    ST_DSECRET_DELETE,
    ST_PSECRET_SET,
    ST_PSECRET_GET,
    ST_PSECRET_DELETE,
    ST_PROFILE_PUT,
    ST_PROFILE_GET,
    ST_PROFILE_EXISTS,
    ST_PROFILE_DELETE,
    ST_PROFILE_LIST,
    ST_CERT_PUT,
    ST_CERT_GET,
    ST_CERT_DELETE,
    ST_CERT_LIST,
    ST_CA_PUT,
    ST_CA_GET,
    ST_COUNT_
};

#define DEVICE_COLS                                                                                \
    "uuid, address, state, path, fw_version, profile, pid, new_pid, step, last_error, realm, "     \
    "tls_fingerprint, attempts, first_seen, last_hello, updated, provisioned_at"
#define PROFILE_COLS                                                                               \
    "name, admin_password_random, set_mebx_password, mebx_password_random, require_otp, "          \
    "time_sync, configure_tls, new_psk, redirection, user_consent, hostname_template, domain, "    \
    "updated"
#define CERT_COLS "name, domain, root_sha1, root_sha256, root_sha384, not_after, subnets, created"

static const char *const stmt_sql[ST_COUNT_] = {
    [ST_BEGIN] = "BEGIN",
    [ST_BEGIN_IMMEDIATE] = "BEGIN IMMEDIATE",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",
    /* Inside a batch, begin/commit/rollback frame a savepoint. */
    [ST_SAVEPOINT] = "SAVEPOINT op",
    [ST_RELEASE] = "RELEASE op",
    [ST_ROLLBACK_TO] = "ROLLBACK TO op",
    [ST_META_GET] = "SELECT value FROM meta WHERE key = ?1",
    [ST_META_SET] = "INSERT INTO meta (key, value) VALUES (?1, ?2) "
                    "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    [ST_PSK_INSERT] = "INSERT INTO psk (pid, state, assignee, pps_ct, created, updated) "
                      "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (pid) DO NOTHING",
    [ST_PSK_GET] = "SELECT pid, state, assignee, created, updated FROM psk WHERE pid = ?1",
    [ST_PSK_GET_BLOB] =
        "SELECT pid, state, assignee, created, updated, pps_ct FROM psk WHERE pid = ?1",
    /* Compare-and-set: the row changes only if its state is in the mask ?2. */
    [ST_PSK_SET_STATE] = "UPDATE psk SET state = ?3, assignee = COALESCE(?4, assignee), "
                         "updated = ?5 WHERE pid = ?1 AND ((1 << state) & ?2) != 0",
    [ST_PSK_EXISTS] = "SELECT 1 FROM psk WHERE pid = ?1",
    [ST_PSK_LIST_ALL] = "SELECT pid, state, assignee, created, updated, "
                        "CASE WHEN ?1 THEN pps_ct END FROM psk ORDER BY pid LIMIT ?2",
    [ST_PSK_LIST_STATE] = "SELECT pid, state, assignee, created, updated, "
                          "CASE WHEN ?1 THEN pps_ct END FROM psk WHERE state = ?3 "
                          "ORDER BY pid LIMIT ?2",
    [ST_PSK_COUNT] = "SELECT state, count(*) FROM psk GROUP BY state",
    [ST_AUDIT_APPEND] = "INSERT INTO audit (time, event, subject, detail) VALUES (?1, ?2, ?3, ?4)",
    [ST_AUDIT_LIST] = "SELECT id, time, event, subject, detail FROM audit ORDER BY id",
    /* Upserts, not REPLACE: REPLACE deletes the old row first, which would fire the
     * ON DELETE CASCADE of dependent secrets. */
    [ST_DEVICE_PUT] = "INSERT INTO devices (" DEVICE_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, "
                      "?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17) ON CONFLICT (uuid) DO "
                      "UPDATE SET address = ?2, state = ?3, path = ?4, fw_version = ?5, "
                      "profile = ?6, pid = ?7, new_pid = ?8, step = ?9, last_error = ?10, "
                      "realm = ?11, tls_fingerprint = ?12, attempts = ?13, first_seen = ?14, "
                      "last_hello = ?15, updated = ?16, provisioned_at = ?17",
    [ST_DEVICE_GET] = "SELECT " DEVICE_COLS " FROM devices WHERE uuid = ?1",
    [ST_DEVICE_LIST] = "SELECT " DEVICE_COLS " FROM devices ORDER BY uuid",
    [ST_DSECRET_SET] = "INSERT INTO device_secrets (uuid, name, value_ct, updated) "
                       "VALUES (?1, ?2, ?3, ?4) ON CONFLICT (uuid, name) DO UPDATE SET "
                       "value_ct = ?3, updated = ?4",
    [ST_DSECRET_GET] = "SELECT value_ct FROM device_secrets WHERE uuid = ?1 AND name = ?2",
    [ST_DSECRET_DELETE] = "DELETE FROM device_secrets WHERE uuid = ?1 AND name = ?2",
    [ST_PSECRET_SET] = "INSERT INTO profile_secrets (profile, name, value_ct, updated) "
                       "VALUES (?1, ?2, ?3, ?4) ON CONFLICT (profile, name) DO UPDATE SET "
                       "value_ct = ?3, updated = ?4",
    [ST_PSECRET_GET] = "SELECT value_ct FROM profile_secrets WHERE profile = ?1 AND name = ?2",
    [ST_PSECRET_DELETE] = "DELETE FROM profile_secrets WHERE profile = ?1 AND name = ?2",
    [ST_PROFILE_PUT] = "INSERT INTO profiles (" PROFILE_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, "
                       "?7, ?8, ?9, ?10, ?11, ?12, ?13) ON CONFLICT (name) DO UPDATE SET "
                       "admin_password_random = ?2, set_mebx_password = ?3, "
                       "mebx_password_random = ?4, require_otp = ?5, time_sync = ?6, "
                       "configure_tls = ?7, new_psk = ?8, redirection = ?9, user_consent = ?10, "
                       "hostname_template = ?11, domain = ?12, updated = ?13",
    [ST_PROFILE_GET] = "SELECT " PROFILE_COLS " FROM profiles WHERE name = ?1",
    [ST_PROFILE_EXISTS] = "SELECT 1 FROM profiles WHERE name = ?1",
    [ST_PROFILE_DELETE] = "DELETE FROM profiles WHERE name = ?1",
    [ST_PROFILE_LIST] = "SELECT " PROFILE_COLS " FROM profiles ORDER BY name",
    [ST_CERT_PUT] = "INSERT INTO certs (" CERT_COLS ", chain_pem, key_ct) VALUES (?1, ?2, ?3, ?4, "
                    "?5, ?6, ?7, ?8, ?9, ?10) ON CONFLICT (name) DO UPDATE SET domain = ?2, "
                    "root_sha1 = ?3, root_sha256 = ?4, root_sha384 = ?5, not_after = ?6, "
                    "subnets = ?7, created = ?8, chain_pem = ?9, key_ct = ?10",
    [ST_CERT_GET] = "SELECT " CERT_COLS ", chain_pem, key_ct FROM certs WHERE name = ?1",
    [ST_CERT_DELETE] = "DELETE FROM certs WHERE name = ?1",
    [ST_CERT_LIST] = "SELECT " CERT_COLS " FROM certs ORDER BY name",
    [ST_CA_PUT] = "INSERT INTO ca (id, cert_pem, key_ct, created) VALUES (1, ?1, ?2, ?3) "
                  "ON CONFLICT (id) DO UPDATE SET cert_pem = ?1, key_ct = ?2, created = ?3",
    [ST_CA_GET] = "SELECT cert_pem, key_ct FROM ca WHERE id = 1",
};

struct store_sqlite {
    struct store base; /* first, so a struct store * is a struct store_sqlite * */
    sqlite3 *db;
    sqlite3_stmt *stmt[ST_COUNT_];
    int in_tx;
    enum store_durability durability;
    /* Batching (sqlite_set_batching): the hook, and whether a batch
     * transaction is open. */
    void (*batch_hook)(void *arg);
    void *batch_arg;
    int batch_open;
    /* sqlite3_total_changes64() at the last sync; -1 until the first, since
     * the count misses the migrations' schema changes made at open. */
    sqlite3_int64 synced_changes;
};

static struct store_sqlite *sq(struct store *s)
{
    return (struct store_sqlite *)s;
}

/* Map a SQLite result to the project's namespace; log the database's own text at
 * debug level (it never contains bound values, so no secret can leak through it). */
static int sq_err(struct store_sqlite *q, int rc, const char *what)
{
    switch (rc) {
    case SQLITE_OK:
    case SQLITE_DONE:
    case SQLITE_ROW:
        return 0;
    case SQLITE_NOMEM:
        return SCS_ERR_NOMEM;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        log_warn("store: %s: database is busy", what);
        return SCS_ERR_TIMEOUT;
    case SQLITE_CONSTRAINT:
        log_debug("store: %s: %s", what, q != NULL ? sqlite3_errmsg(q->db) : "constraint");
        return SCS_ERR_INVALID_ARG;
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_FULL:
        log_debug("store: %s: %s", what, q != NULL ? sqlite3_errmsg(q->db) : "i/o");
        return SCS_ERR_IO;
    default:
        log_debug("store: %s: %s (%d)", what, q != NULL ? sqlite3_errmsg(q->db) : "?", rc);
        return SCS_ERR_DB;
    }
}

static int batch_ensure(struct store_sqlite *q);
static int sqlite_flush(struct store *s, int durable);
static int sqlite_rollback(struct store *s);

static int stmt_get(struct store_sqlite *q, enum stmt_id id, sqlite3_stmt **out)
{
    int r, rc;

    /* Every data statement joins the open batch (or opens one). */
    if (id > ST_ROLLBACK_TO && (r = batch_ensure(q)) != 0) {
        return r;
    }

    if (q->stmt[id] == NULL) {
        rc = sqlite3_prepare_v3(q->db, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT, &q->stmt[id],
                                NULL);
        if (rc != SQLITE_OK) {
            return sq_err(q, rc, "prepare");
        }
    }
    *out = q->stmt[id];
    return 0;
}

static void stmt_done(sqlite3_stmt *st)
{
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
}

/* Run a statement that returns no rows (or whose rows are ignored). */
static int stmt_exec(struct store_sqlite *q, enum stmt_id id)
{
    sqlite3_stmt *st = NULL;
    int r, rc;

    if ((r = stmt_get(q, id, &st)) != 0) {
        return r;
    }
    rc = sqlite3_step(st);
    stmt_done(st);
    return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : sq_err(q, rc, stmt_sql[id]);
}

static int exec_sql(struct store_sqlite *q, const char *sql, const char *what)
{
    int rc = sqlite3_exec(q->db, sql, NULL, NULL, NULL);
    return rc == SQLITE_OK ? 0 : sq_err(q, rc, what);
}

static int pragma_int(struct store_sqlite *q, const char *sql, int *out)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(q->db, sql, -1, &st, NULL);

    if (rc != SQLITE_OK) {
        return sq_err(q, rc, sql);
    }
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *out = sqlite3_column_int(st, 0);
        rc = SQLITE_OK;
    }
    sqlite3_finalize(st);
    return sq_err(q, rc, sql);
}

static int set_user_version(struct store_sqlite *q, int v)
{
    /* PRAGMA takes no bound parameters; v is a small integer from our own table. */
    char sql[64];
    snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", v);
    return exec_sql(q, sql, "user_version");
}

/* Bring the schema to the newest version, or refuse one newer than we know. */
static int migrate(struct store_sqlite *q, int create)
{
    int version = 0, r;

    if ((r = exec_sql(q, "BEGIN IMMEDIATE", "begin migration")) != 0) {
        return r;
    }
    if ((r = pragma_int(q, "PRAGMA user_version", &version)) != 0) {
        goto fail;
    }
    if (version > STORE_MIGRATION_COUNT) {
        log_debug("store: schema version %d is newer than this program's %d", version,
                  STORE_MIGRATION_COUNT);
        r = SCS_ERR_VERSION;
        goto fail;
    }
    if (version == 0 && !create) {
        /* An empty file (an init that died half-way) is not a store. */
        r = SCS_ERR_NOT_INITIALISED;
        goto fail;
    }
    for (int v = version; v < STORE_MIGRATION_COUNT; v++) {
        log_info("store: migrating schema %d -> %d: %s", v, v + 1, store_migrations[v].what);
        if ((r = exec_sql(q, store_migrations[v].sql, "migration")) != 0 ||
            (r = set_user_version(q, v + 1)) != 0) {
            goto fail;
        }
    }
    return exec_sql(q, "COMMIT", "commit migration");
fail:
    sqlite3_exec(q->db, "ROLLBACK", NULL, NULL, NULL);
    return r;
}

static void sqlite_close(struct store *s)
{
    struct store_sqlite *q = sq(s);

    if (q == NULL) {
        return;
    }
    if (q->in_tx) {
        (void)sqlite_rollback(s);
    }
    if (sqlite_flush(s, 0) != 0) {
        log_error("store: the last batch of registry writes could not be committed");
    }
    for (int i = 0; i < ST_COUNT_; i++) {
        sqlite3_finalize(q->stmt[i]);
    }
    if (q->db != NULL) {
        sqlite3_close_v2(q->db);
    }
    free(q);
}

/* Undo a failed create: the database and whatever SQLite put beside it. */
static void remove_db_files(const char *location)
{
    static const char *const suffix[] = {"", "-wal", "-shm", "-journal"};
    char path[4096];

    for (size_t i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
        int n = snprintf(path, sizeof(path), "%s%s", location, suffix[i]);
        if (n > 0 && (size_t)n < sizeof(path)) {
            unlink(path);
        }
    }
}

static int sqlite_open(const char *location, int create, struct store **out)
{
    struct store_sqlite *q;
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW;
    int r, rc, version = 0;

    *out = NULL;
    if (create) {
        /* Create the file ourselves, 0600 and exclusively: SQLite would use 0644, and
         * the -wal and -shm files inherit the mode of the database. */
        int fd = open(location, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0) {
            return errno == EEXIST ? SCS_ERR_EXISTS : SCS_ERR_IO;
        }
        close(fd);
    } else {
        struct stat st;
        if (stat(location, &st) != 0) {
            return errno == ENOENT ? SCS_ERR_NOT_INITIALISED : SCS_ERR_IO;
        }
    }
    if ((q = calloc(1, sizeof(*q))) == NULL) {
        return SCS_ERR_NOMEM;
    }
    q->base.ops = &store_sqlite_ops;
    q->synced_changes = -1;
    rc = sqlite3_open_v2(location, &q->db, flags, NULL);
    if (rc != SQLITE_OK) {
        r = sq_err(q, rc, "open");
        goto fail;
    }
    sqlite3_extended_result_codes(q->db, 0);
    sqlite3_busy_timeout(q->db, SQLITE_BUSY_TIMEOUT_MS);
    if ((r = exec_sql(q, "PRAGMA foreign_keys = ON", "foreign_keys")) != 0 ||
        (r = exec_sql(q, "PRAGMA synchronous = FULL", "synchronous")) != 0 ||
        (r = exec_sql(q, "PRAGMA trusted_schema = OFF", "trusted_schema")) != 0 ||
        (r = exec_sql(q, SQLITE_CACHE_PRAGMA, "cache_size")) != 0) {
        goto fail;
    }
    /* Refuse a newer schema before changing anything, even the journal mode. */
    if ((r = pragma_int(q, "PRAGMA user_version", &version)) != 0) {
        goto fail;
    }
    if (version > STORE_MIGRATION_COUNT) {
        r = SCS_ERR_VERSION;
        goto fail;
    }
    if (version == 0 && !create) {
        r = SCS_ERR_NOT_INITIALISED;
        goto fail;
    }
    if ((r = exec_sql(q, "PRAGMA journal_mode = WAL", "journal_mode")) != 0) {
        goto fail;
    }
    /* Only take the write lock when there is something to migrate, so opening an
     * up-to-date store never waits for another process's long transaction. */
    if (version < STORE_MIGRATION_COUNT && (r = migrate(q, create)) != 0) {
        goto fail;
    }
    *out = &q->base;
    return 0;
fail:
    sqlite_close(&q->base);
    if (create) {
        remove_db_files(location);
    }
    return r;
}

/*
 * Batching.  scsd makes a dozen small writes per device, and each SQLite
 * transaction costs its locks (about eight fcntl calls) and its own log
 * frames for pages that the next transaction writes again.  With batching on
 * (and deferred durability), the first statement outside an explicit
 * transaction opens one IMMEDIATE transaction that later statements join,
 * begin/commit/rollback become a savepoint inside it, and the owner commits
 * it with sqlite_flush, which the hook asks for: scsd flushes once per turn
 * of its event loop.  What a batch adds to deferred durability: a crash of
 * the process loses the batch not yet flushed (at most one turn of the loop),
 * as a power cut loses deferred commits not yet synced.  Making a write
 * durable (switching to STORE_DURABLE_EACH) flushes the batch first, and
 * writes in EACH mode never join one.
 */
/* SQLite ends a transaction by itself on some errors (I/O, full disk): 1 (and
 * logged, and the batch closed) when that happened to the open batch. */
static int batch_lost(struct store_sqlite *q)
{
    if (!q->batch_open || !sqlite3_get_autocommit(q->db)) {
        return 0;
    }
    log_error("store: a batch of deferred registry writes was rolled back by the database");
    q->batch_open = 0;
    return 1;
}

static int batch_ensure(struct store_sqlite *q)
{
    int r;

    (void)batch_lost(q);
    if (q->batch_open || q->batch_hook == NULL || q->in_tx ||
        q->durability != STORE_DURABLE_DEFERRED) {
        return 0;
    }
    if ((r = stmt_exec(q, ST_BEGIN_IMMEDIATE)) != 0) {
        return r;
    }
    q->batch_open = 1;
    q->batch_hook(q->batch_arg);
    return 0;
}

/* The log file to disk: what a commit in EACH mode does after writing its frames. */
static int sync_log(struct store_sqlite *q)
{
    sqlite3_file *log = NULL;
    int rc = sqlite3_file_control(q->db, "main", SQLITE_FCNTL_JOURNAL_POINTER, &log);

    if (rc != SQLITE_OK) {
        return sq_err(q, rc, "find the log");
    }
    if (log == NULL || log->pMethods == NULL) {
        return 0; /* no log open: no frames to sync */
    }
    rc = log->pMethods->xSync(log, SQLITE_SYNC_NORMAL);
    return rc == SQLITE_OK ? 0 : sq_err(q, rc, "sync the log");
}

static int sqlite_flush(struct store *s, int durable)
{
    struct store_sqlite *q = sq(s);
    int r = 0;

    if (q->in_tx) {
        return SCS_ERR_STATE;
    }
    if (batch_lost(q)) {
        return SCS_ERR_DB;
    }
    if (q->batch_open) {
        q->batch_open = 0;
        if ((r = stmt_exec(q, ST_COMMIT)) != 0) {
            if (!sqlite3_get_autocommit(q->db)) {
                sqlite3_exec(q->db, "ROLLBACK", NULL, NULL, NULL);
            }
            return r;
        }
    }
    /* In EACH mode every commit synced the log already. */
    if (durable && q->durability == STORE_DURABLE_DEFERRED) {
        r = sync_log(q);
    }
    return r;
}

static int sqlite_set_batching(struct store *s, void (*hook)(void *arg), void *arg)
{
    struct store_sqlite *q = sq(s);
    int r = 0;

    if (hook == NULL) {
        r = sqlite_flush(s, 0);
    }
    if (r == 0) {
        q->batch_hook = hook;
        q->batch_arg = arg;
    }
    return r;
}

static int sqlite_begin(struct store *s, int immediate)
{
    struct store_sqlite *q = sq(s);
    int r;

    if (q->in_tx) {
        return SCS_ERR_STATE;
    }
    if ((r = batch_ensure(q)) != 0) {
        return r;
    }
    /* A batch already holds the write lock, so a savepoint is as IMMEDIATE. */
    r = stmt_exec(q, q->batch_open ? ST_SAVEPOINT : immediate ? ST_BEGIN_IMMEDIATE : ST_BEGIN);
    if (r == 0) {
        q->in_tx = 1;
    }
    return r;
}

static int sqlite_commit(struct store *s)
{
    struct store_sqlite *q = sq(s);
    int r;

    if (!q->in_tx) {
        return SCS_ERR_STATE;
    }
    q->in_tx = 0;
    if (q->batch_open) {
        if ((r = stmt_exec(q, ST_RELEASE)) != 0 && !sqlite3_get_autocommit(q->db)) {
            (void)stmt_exec(q, ST_ROLLBACK_TO);
            (void)stmt_exec(q, ST_RELEASE);
        }
        return r;
    }
    if ((r = stmt_exec(q, ST_COMMIT)) != 0) {
        /* A failed COMMIT may leave the transaction open; end it so the caller's
         * next begin starts clean. */
        if (!sqlite3_get_autocommit(q->db)) {
            sqlite3_exec(q->db, "ROLLBACK", NULL, NULL, NULL);
        }
    }
    return r;
}

static int sqlite_rollback(struct store *s)
{
    struct store_sqlite *q = sq(s);
    int r = 0;

    if (!q->in_tx) {
        return SCS_ERR_STATE;
    }
    q->in_tx = 0;
    if (sqlite3_get_autocommit(q->db)) {
        return 0; /* the database already ended it */
    }
    if (q->batch_open) {
        /* Undo this transaction's writes, keep the batch's others. */
        if ((r = stmt_exec(q, ST_ROLLBACK_TO)) == 0) {
            r = stmt_exec(q, ST_RELEASE);
        }
        return r;
    }
    return stmt_exec(q, ST_ROLLBACK);
}

static int sqlite_set_durability(struct store *s, enum store_durability d)
{
    struct store_sqlite *q = sq(s);
    int r;

    if (d != STORE_DURABLE_EACH && d != STORE_DURABLE_DEFERRED) {
        return SCS_ERR_INVALID_ARG;
    }
    if (d == q->durability) {
        return 0;
    }
    if (q->in_tx) {
        return SCS_ERR_STATE; /* a commit's durability is chosen before it starts */
    }
    if ((r = sqlite_flush(s, 0)) != 0) {
        return r;
    }
    r = exec_sql(
        q, d == STORE_DURABLE_EACH ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL",
        "synchronous");
    if (r == 0) {
        q->durability = d;
    }
    return r;
}

static int sqlite_sync(struct store *s)
{
    struct store_sqlite *q = sq(s);
    sqlite3_int64 changes;
    int log_frames = -1, copied = -1;
    int r, rc;

    if (q->in_tx) {
        return SCS_ERR_STATE;
    }
    if ((r = sqlite_flush(s, 0)) != 0) {
        return r;
    }
    changes = sqlite3_total_changes64(q->db);
    if (q->durability == STORE_DURABLE_EACH || changes == q->synced_changes) {
        return 0;
    }
    /* With synchronous=NORMAL a checkpoint syncs the log before it copies
     * pages back, and the database file after a complete one.  PASSIVE never
     * waits for readers (scsctl); when one holds frames back the checkpoint
     * is partial, and the next sync tries again. */
    rc = sqlite3_wal_checkpoint_v2(q->db, "main", SQLITE_CHECKPOINT_PASSIVE, &log_frames, &copied);
    if (rc != SQLITE_OK && rc != SQLITE_BUSY) {
        return sq_err(q, rc, "checkpoint");
    }
    if (rc == SQLITE_OK && copied == log_frames) {
        q->synced_changes = changes;
    }
    return 0;
}

static int sqlite_schema_version(struct store *s, int *version)
{
    return pragma_int(sq(s), "PRAGMA user_version", version);
}

static int sqlite_meta_get(struct store *s, const char *key, uint8_t *val, size_t cap, size_t *len)
{
    struct store_sqlite *q = sq(s);
    sqlite3_stmt *st = NULL;
    int r, rc;

    if ((r = stmt_get(q, ST_META_GET, &st)) != 0) {
        return r;
    }
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        const void *p = sqlite3_column_blob(st, 0);
        size_t n = (size_t)sqlite3_column_bytes(st, 0);
        if (n > cap) {
            r = SCS_ERR_TOO_LARGE;
        } else {
            if (n > 0) {
                memcpy(val, p, n);
            }
            *len = n;
        }
    } else if (rc == SQLITE_DONE) {
        r = SCS_ERR_NOT_FOUND;
    } else {
        r = sq_err(q, rc, "meta get");
    }
    stmt_done(st);
    return r;
}

static int sqlite_meta_set(struct store *s, const char *key, const uint8_t *val, size_t len)
{
    struct store_sqlite *q = sq(s);
    sqlite3_stmt *st = NULL;
    int r, rc;

    if (len > STORE_META_VAL_MAX || strlen(key) > STORE_META_KEY_MAX) {
        return SCS_ERR_TOO_LARGE;
    }
    if ((r = stmt_get(q, ST_META_SET, &st)) != 0) {
        return r;
    }
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_blob(st, 2, len > 0 ? (const void *)val : "", (int)len, SQLITE_STATIC);
    rc = sqlite3_step(st);
    stmt_done(st);
    return rc == SQLITE_DONE ? 0 : sq_err(q, rc, "meta set");
}

static int row_check(const struct store_psk_row *row)
{
    if (row->pid[0] == 0 || strnlen(row->pid, sizeof(row->pid)) > STORE_PID_MAX ||
        strnlen(row->assignee, sizeof(row->assignee)) > STORE_ASSIGNEE_MAX || row->blob == NULL ||
        row->blob_len == 0 || row->blob_len > STORE_BLOB_MAX) {
        return SCS_ERR_INVALID_ARG;
    }
    return 0;
}

static int sqlite_psk_insert(struct store *s, const struct store_psk_row *row)
{
    struct store_sqlite *q = sq(s);
    sqlite3_stmt *st = NULL;
    int r, rc;

    if ((r = row_check(row)) != 0) {
        return r;
    }
    if ((r = stmt_get(q, ST_PSK_INSERT, &st)) != 0) {
        return r;
    }
    sqlite3_bind_text(st, 1, row->pid, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, row->state);
    sqlite3_bind_text(st, 3, row->assignee, -1, SQLITE_STATIC);
    sqlite3_bind_blob(st, 4, row->blob, (int)row->blob_len, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, row->created);
    sqlite3_bind_int64(st, 6, row->updated);
    rc = sqlite3_step(st);
    stmt_done(st);
    if (rc != SQLITE_DONE) {
        return sq_err(q, rc, "psk insert");
    }
    return sqlite3_changes(q->db) == 1 ? 0 : SCS_ERR_EXISTS;
}

/* Fill a row from the columns pid, state, assignee, created, updated[, blob]. */
static void row_from(sqlite3_stmt *st, int with_blob, struct store_psk_row *row)
{
    const unsigned char *pid = sqlite3_column_text(st, 0);
    const unsigned char *who = sqlite3_column_text(st, 2);

    memset(row, 0, sizeof(*row));
    if (pid != NULL) {
        snprintf(row->pid, sizeof(row->pid), "%s", (const char *)pid);
    }
    row->state = sqlite3_column_int(st, 1);
    if (who != NULL) {
        snprintf(row->assignee, sizeof(row->assignee), "%s", (const char *)who);
    }
    row->created = sqlite3_column_int64(st, 3);
    row->updated = sqlite3_column_int64(st, 4);
    if (with_blob) {
        row->blob = sqlite3_column_blob(st, 5);
        row->blob_len = (size_t)sqlite3_column_bytes(st, 5);
    }
}

static int sqlite_psk_get(struct store *s, const char *pid, int with_blob,
                          const struct store_psk_visit *visit)
{
    struct store_sqlite *q = sq(s);
    struct store_psk_row row;
    sqlite3_stmt *st = NULL;
    int r, rc;

    if ((r = stmt_get(q, with_blob ? ST_PSK_GET_BLOB : ST_PSK_GET, &st)) != 0) {
        return r;
    }
    sqlite3_bind_text(st, 1, pid, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        row_from(st, with_blob, &row);
        r = visit->fn(visit->arg, &row);
    } else if (rc == SQLITE_DONE) {
        r = SCS_ERR_NOT_FOUND;
    } else {
        r = sq_err(q, rc, "psk get");
    }
    stmt_done(st);
    return r;
}

static int psk_exists(struct store_sqlite *q, const char *pid)
{
    sqlite3_stmt *st = NULL;
    int r, rc;

    if ((r = stmt_get(q, ST_PSK_EXISTS, &st)) != 0) {
        return r;
    }
    sqlite3_bind_text(st, 1, pid, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    stmt_done(st);
    if (rc == SQLITE_ROW) {
        return 1;
    }
    return rc == SQLITE_DONE ? 0 : sq_err(q, rc, "psk exists");
}

static int psk_cas(struct store_sqlite *q, const char *pid, unsigned from_mask, int to,
                   const char *assignee, int64_t now)
{
    sqlite3_stmt *st = NULL;
    int r, rc;

    if ((r = stmt_get(q, ST_PSK_SET_STATE, &st)) != 0) {
        return r;
    }
    sqlite3_bind_text(st, 1, pid, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)from_mask);
    sqlite3_bind_int(st, 3, to);
    if (assignee != NULL) {
        sqlite3_bind_text(st, 4, assignee, -1, SQLITE_STATIC);
    } else {
        sqlite3_bind_null(st, 4);
    }
    sqlite3_bind_int64(st, 5, now);
    rc = sqlite3_step(st);
    stmt_done(st);
    if (rc != SQLITE_DONE) {
        return sq_err(q, rc, "psk set state");
    }
    if (sqlite3_changes(q->db) == 1) {
        return 0;
    }
    r = psk_exists(q, pid);
    return r < 0 ? r : (r == 1 ? SCS_ERR_STATE : SCS_ERR_NOT_FOUND);
}

static int sqlite_psk_set_state(struct store *s, const char *pid, unsigned from_mask, int to,
                                const char *assignee, int64_t now)
{
    struct store_sqlite *q = sq(s);

    if (assignee != NULL && strlen(assignee) > STORE_ASSIGNEE_MAX) {
        return SCS_ERR_TOO_LARGE;
    }
    return psk_cas(q, pid, from_mask, to, assignee, now);
}

static int list_rows(struct store_sqlite *q, int state, int with_blob, uint64_t limit,
                     const struct store_psk_visit *visit)
{
    struct store_psk_row row;
    sqlite3_stmt *st = NULL;
    int r, rc;

    if ((r = stmt_get(q, state < 0 ? ST_PSK_LIST_ALL : ST_PSK_LIST_STATE, &st)) != 0) {
        return r;
    }
    sqlite3_bind_int(st, 1, with_blob ? 1 : 0);
    sqlite3_bind_int64(st, 2, limit == 0 || limit > INT64_MAX ? -1 : (sqlite3_int64)limit);
    if (state >= 0) {
        sqlite3_bind_int(st, 3, state);
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        row_from(st, with_blob, &row);
        if ((r = visit->fn(visit->arg, &row)) != 0) {
            break;
        }
    }
    if (r == 0 && rc != SQLITE_DONE) {
        r = sq_err(q, rc, "psk list");
    }
    stmt_done(st);
    return r;
}

static int sqlite_psk_list(struct store *s, int state, int with_blob, uint64_t limit,
                           const struct store_psk_visit *visit)
{
    return list_rows(sq(s), state, with_blob, limit, visit);
}

/* Rows picked by psk_take, copied out so they can be updated after the SELECT ends. */
struct take_set {
    struct store_psk_row *rows;
    uint8_t *blobs; /* n * STORE_BLOB_MAX; ciphertext only */
    size_t n, cap;
};

static int take_collect(void *arg, const struct store_psk_row *row)
{
    struct take_set *t = arg;

    if (t->n >= t->cap || row->blob_len > STORE_BLOB_MAX) {
        return SCS_ERR_INTERNAL;
    }
    t->rows[t->n] = *row;
    memcpy(t->blobs + t->n * STORE_BLOB_MAX, row->blob, row->blob_len);
    t->rows[t->n].blob = t->blobs + t->n * STORE_BLOB_MAX;
    t->n++;
    return 0;
}

static int sqlite_psk_take(struct store *s, size_t n, int from, int to, const char *assignee,
                           int64_t now, const struct store_psk_visit *visit)
{
    struct store_sqlite *q = sq(s);
    struct store_psk_visit collect;
    struct take_set t = {0};
    int r;

    if (n == 0 || n > (size_t)1 << 24 || assignee == NULL ||
        strlen(assignee) > STORE_ASSIGNEE_MAX) {
        return SCS_ERR_INVALID_ARG;
    }
    if (q->in_tx) {
        return SCS_ERR_STATE;
    }
    t.rows = calloc(n, sizeof(*t.rows));
    t.blobs = calloc(n, STORE_BLOB_MAX);
    t.cap = n;
    if (t.rows == NULL || t.blobs == NULL) {
        r = SCS_ERR_NOMEM;
        goto out;
    }
    /* IMMEDIATE takes the write lock before the SELECT: a second process blocks here
     * (busy_timeout) instead of reading the same available rows. */
    if ((r = sqlite_begin(s, 1)) != 0) {
        goto out;
    }
    collect.fn = take_collect;
    collect.arg = &t;
    if ((r = list_rows(q, from, 1, n, &collect)) != 0) {
        goto rollback;
    }
    if (t.n < n) {
        r = SCS_ERR_EXHAUSTED;
        goto rollback;
    }
    for (size_t i = 0; i < t.n; i++) {
        if ((r = psk_cas(q, t.rows[i].pid, 1u << from, to, assignee, now)) != 0) {
            goto rollback;
        }
        t.rows[i].state = to;
        snprintf(t.rows[i].assignee, sizeof(t.rows[i].assignee), "%s", assignee);
        t.rows[i].updated = now;
    }
    /* Visit before commit: if the caller cannot use a row (it fails to decrypt), the
     * hand-out is undone and nothing is lost. */
    for (size_t i = 0; i < t.n; i++) {
        if ((r = visit->fn(visit->arg, &t.rows[i])) != 0) {
            goto rollback;
        }
    }
    r = sqlite_commit(s);
    goto out;
rollback:
    sqlite_rollback(s);
out:
    free(t.rows);
    free(t.blobs);
    return r;
}

static int sqlite_psk_count(struct store *s, uint64_t *counts, size_t nstates)
{
    struct store_sqlite *q = sq(s);
    sqlite3_stmt *st = NULL;
    int r, rc;

    for (size_t i = 0; i < nstates; i++) {
        counts[i] = 0;
    }
    if ((r = stmt_get(q, ST_PSK_COUNT, &st)) != 0) {
        return r;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int state = sqlite3_column_int(st, 0);
        if (state >= 0 && (size_t)state < nstates) {
            counts[state] = (uint64_t)sqlite3_column_int64(st, 1);
        }
    }
    stmt_done(st);
    return rc == SQLITE_DONE ? 0 : sq_err(q, rc, "psk count");
}

static int sqlite_audit_append(struct store *s, int64_t time, const char *event,
                               const char *subject, const char *detail)
{
    struct store_sqlite *q = sq(s);
    sqlite3_stmt *st = NULL;
    int r, rc;

    if ((r = stmt_get(q, ST_AUDIT_APPEND, &st)) != 0) {
        return r;
    }
    sqlite3_bind_int64(st, 1, time);
    sqlite3_bind_text(st, 2, event, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, subject != NULL ? subject : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, detail != NULL ? detail : "", -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    stmt_done(st);
    return rc == SQLITE_DONE ? 0 : sq_err(q, rc, "audit append");
}

static int sqlite_audit_list(struct store *s,
                             int (*fn)(void *arg, int64_t id, int64_t time, const char *event,
                                       const char *subject, const char *detail),
                             void *arg)
{
    struct store_sqlite *q = sq(s);
    sqlite3_stmt *st = NULL;
    int r, rc;

    if ((r = stmt_get(q, ST_AUDIT_LIST, &st)) != 0) {
        return r;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const unsigned char *ev = sqlite3_column_text(st, 2);
        const unsigned char *sub = sqlite3_column_text(st, 3);
        const unsigned char *det = sqlite3_column_text(st, 4);
        r = fn(arg, sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1),
               ev != NULL ? (const char *)ev : "", sub != NULL ? (const char *)sub : "",
               det != NULL ? (const char *)det : "");
        if (r != 0) {
            break;
        }
    }
    if (r == 0 && rc != SQLITE_DONE) {
        r = sq_err(q, rc, "audit list");
    }
    stmt_done(st);
    return r;
}

/* ---- registry (schema 2) ----------------------------------------------- */

/* Copy a text column into a fixed field; NULL reads as empty. */
static void col_text(sqlite3_stmt *st, int i, char *dst, size_t cap)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    snprintf(dst, cap, "%s", t != NULL ? (const char *)t : "");
}

/* Bind a fixed-size text field; a field without its NUL is refused, not read past. */
static int bind_field(sqlite3_stmt *st, int i, const char *v, size_t cap)
{
    size_t n = strnlen(v, cap);
    if (n == cap) {
        return SCS_ERR_INVALID_ARG;
    }
    return sqlite3_bind_text(st, i, v, (int)n, SQLITE_STATIC) == SQLITE_OK ? 0 : SCS_ERR_DB;
}

#define BIND_FIELD(st, i, field) bind_field(st, i, field, sizeof(field))

/* Run a write statement whose parameters are bound; 0 or the mapped error. */
static int step_write(struct store_sqlite *q, sqlite3_stmt *st, const char *what)
{
    int rc = sqlite3_step(st);
    stmt_done(st);
    return rc == SQLITE_DONE ? 0 : sq_err(q, rc, what);
}

static int sqlite_device_put(struct store *s, const struct store_device_row *row)
{
    struct store_sqlite *q = sq(s);
    sqlite3_stmt *st = NULL;
    int r;

    if (row->uuid[0] == 0) {
        return SCS_ERR_INVALID_ARG;
    }
    if ((r = stmt_get(q, ST_DEVICE_PUT, &st)) != 0) {
        return r;
    }
    if ((r = BIND_FIELD(st, 1, row->uuid)) != 0 || (r = BIND_FIELD(st, 2, row->address)) != 0 ||
        (r = BIND_FIELD(st, 5, row->fw_version)) != 0 ||
        (r = BIND_FIELD(st, 6, row->profile)) != 0 || (r = BIND_FIELD(st, 7, row->pid)) != 0 ||
        (r = BIND_FIELD(st, 8, row->new_pid)) != 0 || (r = BIND_FIELD(st, 9, row->step)) != 0 ||
        (r = BIND_FIELD(st, 10, row->last_error)) != 0 ||
        (r = BIND_FIELD(st, 11, row->realm)) != 0 ||
        (r = BIND_FIELD(st, 12, row->tls_fingerprint)) != 0) {
        stmt_done(st);
        return r;
    }
    sqlite3_bind_int(st, 3, row->state);
    sqlite3_bind_int(st, 4, row->path);
    sqlite3_bind_int64(st, 13, (sqlite3_int64)row->attempts);
    sqlite3_bind_int64(st, 14, row->first_seen);
    sqlite3_bind_int64(st, 15, row->last_hello);
    sqlite3_bind_int64(st, 16, row->updated);
    sqlite3_bind_int64(st, 17, row->provisioned_at);
    return step_write(q, st, "device put");
}

static void device_from(sqlite3_stmt *st, struct store_device_row *row)
{
    sqlite3_int64 attempts;

    memset(row, 0, sizeof(*row));
    col_text(st, 0, row->uuid, sizeof(row->uuid));
    col_text(st, 1, row->address, sizeof(row->address));
    row->state = sqlite3_column_int(st, 2);
    row->path = sqlite3_column_int(st, 3);
    col_text(st, 4, row->fw_version, sizeof(row->fw_version));
    col_text(st, 5, row->profile, sizeof(row->profile));
    col_text(st, 6, row->pid, sizeof(row->pid));
    col_text(st, 7, row->new_pid, sizeof(row->new_pid));
    col_text(st, 8, row->step, sizeof(row->step));
    col_text(st, 9, row->last_error, sizeof(row->last_error));
    col_text(st, 10, row->realm, sizeof(row->realm));
    col_text(st, 11, row->tls_fingerprint, sizeof(row->tls_fingerprint));
    attempts = sqlite3_column_int64(st, 12);
    row->attempts = attempts < 0 ? 0 : (attempts > UINT32_MAX ? UINT32_MAX : (uint32_t)attempts);
    row->first_seen = sqlite3_column_int64(st, 13);
    row->last_hello = sqlite3_column_int64(st, 14);
    row->updated = sqlite3_column_int64(st, 15);
    row->provisioned_at = sqlite3_column_int64(st, 16);
}

static int sqlite_device_get(struct store *s, const char *uuid, struct store_device_row *out)
{
    struct store_sqlite *q = sq(s);
    sqlite3_stmt *st = NULL;
    int r, rc;

    if ((r = stmt_get(q, ST_DEVICE_GET, &st)) != 0) {
        return r;
    }
    sqlite3_bind_text(st, 1, uuid, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        device_from(st, out);
    } else if (rc == SQLITE_DONE) {
        r = SCS_ERR_NOT_FOUND;
    } else {
        r = sq_err(q, rc, "device get");
    }
    stmt_done(st);
    return r;
}

static int sqlite_device_list(struct store *s,
                              int (*fn)(void *arg, const struct store_device_row *row), void *arg)
{
    struct store_sqlite *q = sq(s);
    struct store_device_row row;
    sqlite3_stmt *st = NULL;
    int r, rc;

    if ((r = stmt_get(q, ST_DEVICE_LIST, &st)) != 0) {
        return r;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        device_from(st, &row);
        if ((r = fn(arg, &row)) != 0) {
            break;
        }
    }
    if (r == 0 && rc != SQLITE_DONE) {
        r = sq_err(q, rc, "device list");
    }
    stmt_done(st);
    return r;
}

/* The statement for a secret operation on table t; SCS_ERR_INVALID_ARG for no table. */
static int secret_stmt(enum store_secret_table t, enum stmt_id dev, enum stmt_id prof,
                       enum stmt_id *out)
{
    switch (t) {
    case STORE_SECRET_DEVICE:
        *out = dev;
        return 0;
    case STORE_SECRET_PROFILE:
        *out = prof;
        return 0;
    default:
        return SCS_ERR_INVALID_ARG;
    }
}

static int profile_exists(struct store_sqlite *q, const char *name)
{
    sqlite3_stmt *st = NULL;
    int r, rc;

    if ((r = stmt_get(q, ST_PROFILE_EXISTS, &st)) != 0) {
        return r;
    }
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    stmt_done(st);
    if (rc == SQLITE_ROW) {
        return 1;
    }
    return rc == SQLITE_DONE ? 0 : sq_err(q, rc, "profile exists");
}

static int sqlite_secret_set(struct store *s, enum store_secret_table t, const char *owner,
                             const char *name, const uint8_t *blob, size_t len, int64_t now)
{
    struct store_sqlite *q = sq(s);
    sqlite3_stmt *st = NULL;
    enum stmt_id id;
    int r;

    if (owner == NULL || name == NULL || *owner == 0 || *name == 0 || blob == NULL || len == 0 ||
        len > STORE_SECRET_BLOB_MAX) {
        return SCS_ERR_INVALID_ARG;
    }
    if ((r = secret_stmt(t, ST_DSECRET_SET, ST_PSECRET_SET, &id)) != 0) {
        return r;
    }
    /* The foreign key would refuse it too, but as a constraint error; the caller wants
     * to know the profile is missing. */
    if (t == STORE_SECRET_PROFILE && (r = profile_exists(q, owner)) != 1) {
        return r < 0 ? r : SCS_ERR_NOT_FOUND;
    }
    if ((r = stmt_get(q, id, &st)) != 0) {
        return r;
    }
    sqlite3_bind_text(st, 1, owner, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
    sqlite3_bind_blob(st, 3, blob, (int)len, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, now);
    return step_write(q, st, "secret set");
}

static int sqlite_secret_get(struct store *s, enum store_secret_table t, const char *owner,
                             const char *name, const struct store_blob_visit *visit)
{
    struct store_sqlite *q = sq(s);
    sqlite3_stmt *st = NULL;
    enum stmt_id id;
    int r, rc;

    if ((r = secret_stmt(t, ST_DSECRET_GET, ST_PSECRET_GET, &id)) != 0 ||
        (r = stmt_get(q, id, &st)) != 0) {
        return r;
    }
    sqlite3_bind_text(st, 1, owner, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        r = visit->fn(visit->arg, sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0));
    } else if (rc == SQLITE_DONE) {
        r = SCS_ERR_NOT_FOUND;
    } else {
        r = sq_err(q, rc, "secret get");
    }
    stmt_done(st);
    return r;
}

static int sqlite_secret_delete(struct store *s, enum store_secret_table t, const char *owner,
                                const char *name)
{
    struct store_sqlite *q = sq(s);
    sqlite3_stmt *st = NULL;
    enum stmt_id id;
    int r;

    if ((r = secret_stmt(t, ST_DSECRET_DELETE, ST_PSECRET_DELETE, &id)) != 0 ||
        (r = stmt_get(q, id, &st)) != 0) {
        return r;
    }
    sqlite3_bind_text(st, 1, owner, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
    if ((r = step_write(q, st, "secret delete")) != 0) {
        return r;
    }
    return sqlite3_changes(q->db) > 0 ? 0 : SCS_ERR_NOT_FOUND;
}

static int sqlite_profile_put(struct store *s, const struct store_profile_row *row)
{
    struct store_sqlite *q = sq(s);
    sqlite3_stmt *st = NULL;
    int r;

    if (row->name[0] == 0) {
        return SCS_ERR_INVALID_ARG;
    }
    if ((r = stmt_get(q, ST_PROFILE_PUT, &st)) != 0) {
        return r;
    }
    if ((r = BIND_FIELD(st, 1, row->name)) != 0 ||
        (r = BIND_FIELD(st, 11, row->hostname_template)) != 0 ||
        (r = BIND_FIELD(st, 12, row->domain)) != 0) {
        stmt_done(st);
        return r;
    }
    sqlite3_bind_int(st, 2, row->admin_password_random);
    sqlite3_bind_int(st, 3, row->set_mebx_password);
    sqlite3_bind_int(st, 4, row->mebx_password_random);
    sqlite3_bind_int(st, 5, row->require_otp);
    sqlite3_bind_int(st, 6, row->time_sync);
    sqlite3_bind_int(st, 7, row->configure_tls);
    sqlite3_bind_int(st, 8, row->new_psk);
    sqlite3_bind_int(st, 9, row->redirection);
    sqlite3_bind_int(st, 10, row->user_consent);
    sqlite3_bind_int64(st, 13, row->updated);
    return step_write(q, st, "profile put");
}

static void profile_from(sqlite3_stmt *st, struct store_profile_row *row)
{
    memset(row, 0, sizeof(*row));
    col_text(st, 0, row->name, sizeof(row->name));
    row->admin_password_random = sqlite3_column_int(st, 1);
    row->set_mebx_password = sqlite3_column_int(st, 2);
    row->mebx_password_random = sqlite3_column_int(st, 3);
    row->require_otp = sqlite3_column_int(st, 4);
    row->time_sync = sqlite3_column_int(st, 5);
    row->configure_tls = sqlite3_column_int(st, 6);
    row->new_psk = sqlite3_column_int(st, 7);
    row->redirection = sqlite3_column_int(st, 8);
    row->user_consent = sqlite3_column_int(st, 9);
    col_text(st, 10, row->hostname_template, sizeof(row->hostname_template));
    col_text(st, 11, row->domain, sizeof(row->domain));
    row->updated = sqlite3_column_int64(st, 12);
}

static int sqlite_profile_get(struct store *s, const char *name, struct store_profile_row *out)
{
    struct store_sqlite *q = sq(s);
    sqlite3_stmt *st = NULL;
    int r, rc;

    if ((r = stmt_get(q, ST_PROFILE_GET, &st)) != 0) {
        return r;
    }
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        profile_from(st, out);
    } else if (rc == SQLITE_DONE) {
        r = SCS_ERR_NOT_FOUND;
    } else {
        r = sq_err(q, rc, "profile get");
    }
    stmt_done(st);
    return r;
}

static int delete_by_name(struct store_sqlite *q, enum stmt_id id, const char *name,
                          const char *what)
{
    sqlite3_stmt *st = NULL;
    int r;

    if ((r = stmt_get(q, id, &st)) != 0) {
        return r;
    }
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    if ((r = step_write(q, st, what)) != 0) {
        return r;
    }
    return sqlite3_changes(q->db) > 0 ? 0 : SCS_ERR_NOT_FOUND;
}

static int sqlite_profile_delete(struct store *s, const char *name)
{
    return delete_by_name(sq(s), ST_PROFILE_DELETE, name, "profile delete");
}

static int sqlite_profile_list(struct store *s,
                               int (*fn)(void *arg, const struct store_profile_row *row), void *arg)
{
    struct store_sqlite *q = sq(s);
    struct store_profile_row row;
    sqlite3_stmt *st = NULL;
    int r, rc;

    if ((r = stmt_get(q, ST_PROFILE_LIST, &st)) != 0) {
        return r;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        profile_from(st, &row);
        if ((r = fn(arg, &row)) != 0) {
            break;
        }
    }
    if (r == 0 && rc != SQLITE_DONE) {
        r = sq_err(q, rc, "profile list");
    }
    stmt_done(st);
    return r;
}

static int sqlite_cert_put(struct store *s, const struct store_cert_row *row)
{
    struct store_sqlite *q = sq(s);
    sqlite3_stmt *st = NULL;
    int r;

    if (row->name[0] == 0 || row->chain_pem == NULL || row->chain_len == 0 ||
        row->chain_len > STORE_TEXT_MAX || row->key_blob == NULL || row->key_len == 0 ||
        row->key_len > STORE_SECRET_BLOB_MAX) {
        return SCS_ERR_INVALID_ARG;
    }
    if ((r = stmt_get(q, ST_CERT_PUT, &st)) != 0) {
        return r;
    }
    if ((r = BIND_FIELD(st, 1, row->name)) != 0 || (r = BIND_FIELD(st, 2, row->domain)) != 0 ||
        (r = BIND_FIELD(st, 3, row->root_sha1)) != 0 ||
        (r = BIND_FIELD(st, 4, row->root_sha256)) != 0 ||
        (r = BIND_FIELD(st, 5, row->root_sha384)) != 0 ||
        (r = BIND_FIELD(st, 7, row->subnets)) != 0) {
        stmt_done(st);
        return r;
    }
    sqlite3_bind_int64(st, 6, row->not_after);
    sqlite3_bind_int64(st, 8, row->created);
    sqlite3_bind_text(st, 9, row->chain_pem, (int)row->chain_len, SQLITE_STATIC);
    sqlite3_bind_blob(st, 10, row->key_blob, (int)row->key_len, SQLITE_STATIC);
    return step_write(q, st, "cert put");
}

static void cert_from(sqlite3_stmt *st, int with_blobs, struct store_cert_row *row)
{
    memset(row, 0, sizeof(*row));
    col_text(st, 0, row->name, sizeof(row->name));
    col_text(st, 1, row->domain, sizeof(row->domain));
    col_text(st, 2, row->root_sha1, sizeof(row->root_sha1));
    col_text(st, 3, row->root_sha256, sizeof(row->root_sha256));
    col_text(st, 4, row->root_sha384, sizeof(row->root_sha384));
    row->not_after = sqlite3_column_int64(st, 5);
    col_text(st, 6, row->subnets, sizeof(row->subnets));
    row->created = sqlite3_column_int64(st, 7);
    if (with_blobs) {
        row->chain_pem = (const char *)sqlite3_column_text(st, 8);
        row->chain_len = (size_t)sqlite3_column_bytes(st, 8);
        row->key_blob = sqlite3_column_blob(st, 9);
        row->key_len = (size_t)sqlite3_column_bytes(st, 9);
    }
}

static int sqlite_cert_get(struct store *s, const char *name, int with_blobs,
                           int (*fn)(void *arg, const struct store_cert_row *row), void *arg)
{
    struct store_sqlite *q = sq(s);
    struct store_cert_row row;
    sqlite3_stmt *st = NULL;
    int r, rc;

    if ((r = stmt_get(q, ST_CERT_GET, &st)) != 0) {
        return r;
    }
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        cert_from(st, with_blobs, &row);
        r = fn(arg, &row);
    } else if (rc == SQLITE_DONE) {
        r = SCS_ERR_NOT_FOUND;
    } else {
        r = sq_err(q, rc, "cert get");
    }
    stmt_done(st);
    return r;
}

static int sqlite_cert_delete(struct store *s, const char *name)
{
    return delete_by_name(sq(s), ST_CERT_DELETE, name, "cert delete");
}

static int sqlite_cert_list(struct store *s, int (*fn)(void *arg, const struct store_cert_row *row),
                            void *arg)
{
    struct store_sqlite *q = sq(s);
    struct store_cert_row row;
    sqlite3_stmt *st = NULL;
    int r, rc;

    if ((r = stmt_get(q, ST_CERT_LIST, &st)) != 0) {
        return r;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        cert_from(st, 0, &row);
        if ((r = fn(arg, &row)) != 0) {
            break;
        }
    }
    if (r == 0 && rc != SQLITE_DONE) {
        r = sq_err(q, rc, "cert list");
    }
    stmt_done(st);
    return r;
}

static int sqlite_ca_put(struct store *s, const char *cert_pem, size_t cert_len,
                         const uint8_t *key_blob, size_t key_len, int64_t now)
{
    struct store_sqlite *q = sq(s);
    sqlite3_stmt *st = NULL;
    int r;

    if (cert_pem == NULL || cert_len == 0 || cert_len > STORE_TEXT_MAX || key_blob == NULL ||
        key_len == 0 || key_len > STORE_SECRET_BLOB_MAX) {
        return SCS_ERR_INVALID_ARG;
    }
    if ((r = stmt_get(q, ST_CA_PUT, &st)) != 0) {
        return r;
    }
    sqlite3_bind_text(st, 1, cert_pem, (int)cert_len, SQLITE_STATIC);
    sqlite3_bind_blob(st, 2, key_blob, (int)key_len, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, now);
    return step_write(q, st, "ca put");
}

static int sqlite_ca_get(struct store *s,
                         int (*fn)(void *arg, const char *cert_pem, size_t cert_len,
                                   const uint8_t *key_blob, size_t key_len),
                         void *arg)
{
    struct store_sqlite *q = sq(s);
    sqlite3_stmt *st = NULL;
    int r, rc;

    if ((r = stmt_get(q, ST_CA_GET, &st)) != 0) {
        return r;
    }
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        const char *pem = (const char *)sqlite3_column_text(st, 0);
        size_t pem_len = (size_t)sqlite3_column_bytes(st, 0);
        const uint8_t *key = sqlite3_column_blob(st, 1);
        size_t key_len = (size_t)sqlite3_column_bytes(st, 1);
        r = fn(arg, pem != NULL ? pem : "", pem_len, key, key_len);
    } else if (rc == SQLITE_DONE) {
        r = SCS_ERR_NOT_FOUND;
    } else {
        r = sq_err(q, rc, "ca get");
    }
    stmt_done(st);
    return r;
}

int store_sqlite_latest_version(void)
{
    return STORE_MIGRATION_COUNT;
}

const struct store_ops store_sqlite_ops = {
    .name = "sqlite",
    .open = sqlite_open,
    .close = sqlite_close,
    .begin = sqlite_begin,
    .commit = sqlite_commit,
    .rollback = sqlite_rollback,
    .set_durability = sqlite_set_durability,
    .sync = sqlite_sync,
    .set_batching = sqlite_set_batching,
    .flush = sqlite_flush,
    .schema_version = sqlite_schema_version,
    .meta_get = sqlite_meta_get,
    .meta_set = sqlite_meta_set,
    .psk_insert = sqlite_psk_insert,
    .psk_get = sqlite_psk_get,
    .psk_set_state = sqlite_psk_set_state,
    .psk_take = sqlite_psk_take,
    .psk_list = sqlite_psk_list,
    .psk_count = sqlite_psk_count,
    .audit_append = sqlite_audit_append,
    .audit_list = sqlite_audit_list,
    .device_put = sqlite_device_put,
    .device_get = sqlite_device_get,
    .device_list = sqlite_device_list,
    .secret_set = sqlite_secret_set,
    .secret_get = sqlite_secret_get,
    .secret_delete = sqlite_secret_delete,
    .profile_put = sqlite_profile_put,
    .profile_get = sqlite_profile_get,
    .profile_delete = sqlite_profile_delete,
    .profile_list = sqlite_profile_list,
    .cert_put = sqlite_cert_put,
    .cert_get = sqlite_cert_get,
    .cert_delete = sqlite_cert_delete,
    .cert_list = sqlite_cert_list,
    .ca_put = sqlite_ca_put,
    .ca_get = sqlite_ca_get,
};
