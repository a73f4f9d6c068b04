/*
 * SQLite backend of the store (the default: one file, scs.db, in the data
 * directory).
 *
 * Connection settings and why:
 *  - WAL journal: readers (scsctl list, the server's lookups) never block the
 *    writer and vice versa;
 *  - synchronous=FULL: a committed hand-out (psk_take) must survive a power
 *    cut, or the same pair could be handed out again after a restart;
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
 * To add tables (devices, certs, profiles, otp, sessions, ...): append one
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
};

#define STORE_MIGRATION_COUNT ((int)(sizeof(store_migrations) / sizeof(store_migrations[0])))

enum stmt_id {
    ST_BEGIN,
    ST_BEGIN_IMMEDIATE,
    ST_COMMIT,
    ST_ROLLBACK,
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
    ST_COUNT_
};

static const char *const stmt_sql[ST_COUNT_] = {
    [ST_BEGIN] = "BEGIN",
    [ST_BEGIN_IMMEDIATE] = "BEGIN IMMEDIATE",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",
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
};

struct store_sqlite {
    struct store base; /* first, so a struct store * is a struct store_sqlite * */
    sqlite3 *db;
    sqlite3_stmt *stmt[ST_COUNT_];
    int in_tx;
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

static int stmt_get(struct store_sqlite *q, enum stmt_id id, sqlite3_stmt **out)
{
    int rc;

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

static int sqlite_begin(struct store *s, int immediate)
{
    struct store_sqlite *q = sq(s);
    int r;

    if (q->in_tx) {
        return SCS_ERR_STATE;
    }
    if ((r = stmt_exec(q, immediate ? ST_BEGIN_IMMEDIATE : ST_BEGIN)) == 0) {
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
    if ((r = stmt_exec(q, ST_COMMIT)) != 0) {
        /* A failed COMMIT may leave the transaction open; end it so the caller's
         * next begin starts clean. */
        if (!sqlite3_get_autocommit(q->db)) {
            sqlite3_exec(q->db, "ROLLBACK", NULL, NULL, NULL);
        }
    }
    q->in_tx = 0;
    return r;
}

static int sqlite_rollback(struct store *s)
{
    struct store_sqlite *q = sq(s);
    int r = 0;

    if (!q->in_tx) {
        return SCS_ERR_STATE;
    }
    if (!sqlite3_get_autocommit(q->db)) {
        r = stmt_exec(q, ST_ROLLBACK);
    }
    q->in_tx = 0;
    return r;
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
};
