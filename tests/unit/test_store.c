/* Unit tests for src/store: backend table, schema versions, psk rows, hand-out, audit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "common/err.h"
#include "store/store.h"

struct fixture {
    char dir[64];
    char db[128];
    struct store *st;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));

    snprintf(f->dir, sizeof(f->dir), "/tmp/scs-test-store.XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->db, sizeof(f->db), "%s/scs.db", f->dir);
    assert_int_equal(store_open("sqlite", f->db, 1, &f->st), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    char cmd[160];

    store_close(f->st);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
    assert_int_equal(system(cmd), 0);
    free(f);
    return 0;
}

static const uint8_t blob_a[60] = {1, 2, 3};

static struct store_psk_row mkrow(const char *pid, int state)
{
    struct store_psk_row r;

    memset(&r, 0, sizeof(r));
    snprintf(r.pid, sizeof(r.pid), "%s", pid);
    r.state = state;
    r.blob = blob_a;
    r.blob_len = sizeof(blob_a);
    r.created = 100;
    r.updated = 100;
    return r;
}

static void raw_exec(const char *db, const char *sql)
{
    sqlite3 *h = NULL;
    assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
    assert_int_equal(sqlite3_exec(h, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(h);
}

static void test_backend_by_name(void **state)
{
    struct store *s = NULL;

    assert_non_null(store_backend("sqlite"));
    assert_string_equal(store_backend("sqlite")->name, "sqlite");
    assert_null(store_backend("postgres"));
    assert_null(store_backend(NULL));
    assert_int_equal(store_open("nosuch", "/tmp/x", 0, &s), SCS_ERR_INVALID_ARG);
    assert_null(s);
}

static void test_create_open_versions(void **state)
{
    struct fixture *f = *state;
    struct store *s = NULL;
    char path[160];
    int v = -1;

    assert_int_equal(store_schema_version(f->st, &v), 0);
    assert_int_equal(v, store_sqlite_latest_version());
    assert_true(v >= 1);
    /* Creating over an existing store is refused and changes nothing. */
    assert_int_equal(store_open("sqlite", f->db, 1, &s), SCS_ERR_EXISTS);
    /* No file: not initialised. */
    snprintf(path, sizeof(path), "%s/missing.db", f->dir);
    assert_int_equal(store_open("sqlite", path, 0, &s), SCS_ERR_NOT_INITIALISED);
    /* An empty file (init died half-way) is not a store either. */
    snprintf(path, sizeof(path), "%s/empty.db", f->dir);
    fclose(fopen(path, "w"));
    assert_int_equal(store_open("sqlite", path, 0, &s), SCS_ERR_NOT_INITIALISED);
    /* Reopen works and keeps the version. */
    store_close(f->st);
    f->st = NULL;
    assert_int_equal(store_open("sqlite", f->db, 0, &f->st), 0);
    assert_int_equal(store_schema_version(f->st, &v), 0);
    assert_int_equal(v, store_sqlite_latest_version());
}

static void test_newer_schema_refused(void **state)
{
    struct fixture *f = *state;
    struct store *s = NULL;
    char sql[64];

    store_close(f->st);
    f->st = NULL;
    snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", store_sqlite_latest_version() + 1);
    raw_exec(f->db, sql);
    assert_int_equal(store_open("sqlite", f->db, 0, &s), SCS_ERR_VERSION);
    assert_null(s);
}

static void test_wal_and_mode(void **state)
{
    struct fixture *f = *state;
    sqlite3 *h = NULL;
    sqlite3_stmt *st = NULL;
    struct stat sb;

    assert_int_equal(stat(f->db, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    assert_int_equal(sqlite3_open(f->db, &h), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(h, "PRAGMA journal_mode", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal");
    sqlite3_finalize(st);
    sqlite3_close(h);
}

static int count_visit(void *arg, const struct store_psk_row *row)
{
    (*(int *)arg)++;
    return 0;
}

struct seen {
    char pids[16][17];
    int n;
    int blobs;
};

static int seen_visit(void *arg, const struct store_psk_row *row)
{
    struct seen *s = arg;
    if (s->n < 16) {
        snprintf(s->pids[s->n], sizeof(s->pids[0]), "%s", row->pid);
    }
    s->n++;
    if (row->blob != NULL && row->blob_len == sizeof(blob_a) &&
        memcmp(row->blob, blob_a, sizeof(blob_a)) == 0) {
        s->blobs++;
    }
    return 0;
}

static void test_psk_rows(void **state)
{
    struct fixture *f = *state;
    struct store_psk_row r;
    struct store_psk_visit v;
    struct seen s = {0};
    uint64_t counts[5];
    int n = 0;

    r = mkrow("CCCC0003", 0);
    assert_int_equal(store_psk_insert(f->st, &r), 0);
    r = mkrow("AAAA0001", 0);
    assert_int_equal(store_psk_insert(f->st, &r), 0);
    r = mkrow("BBBB0002", 2);
    assert_int_equal(store_psk_insert(f->st, &r), 0);
    r = mkrow("AAAA0001", 1);
    assert_int_equal(store_psk_insert(f->st, &r), SCS_ERR_EXISTS);
    r = mkrow("DDDD0004", 9); /* the schema's CHECK refuses an unknown state */
    assert_int_not_equal(store_psk_insert(f->st, &r), 0);

    v.fn = seen_visit;
    v.arg = &s;
    assert_int_equal(store_psk_list(f->st, -1, 1, 0, &v), 0);
    assert_int_equal(s.n, 3);
    assert_int_equal(s.blobs, 3);
    assert_string_equal(s.pids[0], "AAAA0001");
    assert_string_equal(s.pids[1], "BBBB0002");
    assert_string_equal(s.pids[2], "CCCC0003");
    memset(&s, 0, sizeof(s));
    assert_int_equal(store_psk_list(f->st, 0, 0, 0, &v), 0);
    assert_int_equal(s.n, 2);
    assert_int_equal(s.blobs, 0); /* not asked for */
    memset(&s, 0, sizeof(s));
    assert_int_equal(store_psk_list(f->st, -1, 0, 1, &v), 0);
    assert_int_equal(s.n, 1);

    assert_int_equal(store_psk_count(f->st, counts, 5), 0);
    assert_int_equal(counts[0], 2);
    assert_int_equal(counts[1], 0);
    assert_int_equal(counts[2], 1);

    v.fn = count_visit;
    v.arg = &n;
    assert_int_equal(store_psk_get(f->st, "BBBB0002", 1, &v), 0);
    assert_int_equal(n, 1);
    assert_int_equal(store_psk_get(f->st, "ZZZZ9999", 1, &v), SCS_ERR_NOT_FOUND);

    /* Compare-and-set. */
    assert_int_equal(store_psk_set_state(f->st, "AAAA0001", 1u << 1, 2, NULL, 200), SCS_ERR_STATE);
    assert_int_equal(store_psk_set_state(f->st, "NOPE0000", 1u << 0, 1, "x", 200),
                     SCS_ERR_NOT_FOUND);
    assert_int_equal(store_psk_set_state(f->st, "AAAA0001", 1u << 0, 1, "usb:a", 200), 0);
    assert_int_equal(store_psk_set_state(f->st, "AAAA0001", 1u << 0, 1, "usb:a", 200),
                     SCS_ERR_STATE);
    assert_int_equal(store_psk_count(f->st, counts, 5), 0);
    assert_int_equal(counts[0], 1);
    assert_int_equal(counts[1], 1);
}

static int fail_visit(void *arg, const struct store_psk_row *row)
{
    return SCS_ERR_AUTH;
}

static void test_take_all_or_nothing(void **state)
{
    struct fixture *f = *state;
    struct store_psk_visit v;
    struct seen s = {0};
    uint64_t counts[5];
    char pid[9];

    for (int i = 0; i < 5; i++) {
        struct store_psk_row r;
        snprintf(pid, sizeof(pid), "PID%05d", i);
        r = mkrow(pid, 0);
        assert_int_equal(store_psk_insert(f->st, &r), 0);
    }
    v.fn = seen_visit;
    v.arg = &s;
    /* More than there are: nothing moves. */
    assert_int_equal(store_psk_take(f->st, 6, 0, 1, "usb:x", 300, &v), SCS_ERR_EXHAUSTED);
    assert_int_equal(s.n, 0);
    assert_int_equal(store_psk_count(f->st, counts, 5), 0);
    assert_int_equal(counts[0], 5);
    /* A visitor that fails undoes the move. */
    v.fn = fail_visit;
    assert_int_equal(store_psk_take(f->st, 2, 0, 1, "usb:x", 300, &v), SCS_ERR_AUTH);
    assert_int_equal(store_psk_count(f->st, counts, 5), 0);
    assert_int_equal(counts[0], 5);
    /* Inside a transaction it is refused. */
    assert_int_equal(store_begin(f->st, 1), 0);
    v.fn = seen_visit;
    assert_int_equal(store_psk_take(f->st, 1, 0, 1, "usb:x", 300, &v), SCS_ERR_STATE);
    assert_int_equal(store_rollback(f->st), 0);
    /* Exactly n, in pid order. */
    assert_int_equal(store_psk_take(f->st, 3, 0, 1, "usb:x", 300, &v), 0);
    assert_int_equal(s.n, 3);
    assert_int_equal(s.blobs, 3);
    assert_string_equal(s.pids[0], "PID00000");
    assert_string_equal(s.pids[2], "PID00002");
    assert_int_equal(store_psk_count(f->st, counts, 5), 0);
    assert_int_equal(counts[0], 2);
    assert_int_equal(counts[1], 3);
}

static void test_transactions(void **state)
{
    struct fixture *f = *state;
    struct store_psk_row r = mkrow("TXTX0001", 0);
    uint64_t counts[5];

    assert_int_equal(store_commit(f->st), SCS_ERR_STATE);
    assert_int_equal(store_begin(f->st, 1), 0);
    assert_int_equal(store_begin(f->st, 1), SCS_ERR_STATE);
    assert_int_equal(store_psk_insert(f->st, &r), 0);
    assert_int_equal(store_rollback(f->st), 0);
    assert_int_equal(store_psk_count(f->st, counts, 5), 0);
    assert_int_equal(counts[0], 0);
    assert_int_equal(store_begin(f->st, 0), 0);
    assert_int_equal(store_psk_insert(f->st, &r), 0);
    assert_int_equal(store_commit(f->st), 0);
    assert_int_equal(store_psk_count(f->st, counts, 5), 0);
    assert_int_equal(counts[0], 1);
}

struct audit_seen {
    int n;
    char last_event[32];
    char last_detail[64];
};

static int audit_visit(void *arg, int64_t id, int64_t time, const char *event, const char *subject,
                       const char *detail)
{
    struct audit_seen *a = arg;
    a->n++;
    snprintf(a->last_event, sizeof(a->last_event), "%s", event);
    snprintf(a->last_detail, sizeof(a->last_detail), "%s", detail);
    return 0;
}

static void test_meta_and_audit(void **state)
{
    struct fixture *f = *state;
    uint8_t val[16];
    size_t len = 0;
    struct audit_seen a = {0};

    assert_int_equal(store_meta_get(f->st, "k", val, sizeof(val), &len), SCS_ERR_NOT_FOUND);
    assert_int_equal(store_meta_set(f->st, "k", (const uint8_t *)"abc", 3), 0);
    assert_int_equal(store_meta_set(f->st, "k", (const uint8_t *)"abcd", 4), 0);
    assert_int_equal(store_meta_get(f->st, "k", val, sizeof(val), &len), 0);
    assert_int_equal(len, 4);
    assert_memory_equal(val, "abcd", 4);
    assert_int_equal(store_meta_get(f->st, "k", val, 2, &len), SCS_ERR_TOO_LARGE);

    assert_int_equal(store_audit_append(f->st, 10, "generate", "", "count=5"), 0);
    assert_int_equal(store_audit_append(f->st, 11, "revoke", "AAAA0001", NULL), 0);
    assert_int_equal(store_audit_list(f->st, audit_visit, &a), 0);
    assert_int_equal(a.n, 2);
    assert_string_equal(a.last_event, "revoke");
    assert_string_equal(a.last_detail, "");
}

/* Rows with key k in the meta table of a copy of the database file alone
 * (without its -wal): what a checkpoint has put into the file itself. */
static int meta_rows_in_file_copy(const struct fixture *f, const char *k)
{
    char copy[160], cmd[700];
    sqlite3 *h = NULL;
    sqlite3_stmt *st = NULL;
    int n;

    snprintf(copy, sizeof(copy), "%s/copy.db", f->dir);
    snprintf(cmd, sizeof(cmd), "rm -f %s %s-wal && cp %s %s", copy, copy, f->db, copy);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(sqlite3_open(copy, &h), SQLITE_OK);
    assert_int_equal(
        sqlite3_prepare_v2(h, "SELECT count(*) FROM meta WHERE key = ?1", -1, &st, NULL),
        SQLITE_OK);
    sqlite3_bind_text(st, 1, k, -1, SQLITE_STATIC);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    n = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(h);
    return n;
}

static void test_deferred_durability(void **state)
{
    struct fixture *f = *state;
    uint8_t val[16];
    size_t len = 0;
    pid_t pid;
    int status = 0;

    assert_int_equal(store_set_durability(f->st, (enum store_durability)7), SCS_ERR_INVALID_ARG);
    assert_int_equal(store_begin(f->st, 0), 0);
    assert_int_equal(store_set_durability(f->st, STORE_DURABLE_DEFERRED), SCS_ERR_STATE);
    assert_int_equal(store_rollback(f->st), 0);

    assert_int_equal(store_set_durability(f->st, STORE_DURABLE_DEFERRED), 0);
    assert_int_equal(store_sync(f->st), 0); /* the schema, into the file */
    assert_int_equal(store_meta_set(f->st, "k", (const uint8_t *)"v", 1), 0);
    /* A deferred commit is in the log only ... */
    assert_int_equal(meta_rows_in_file_copy(f, "k"), 0);
    /* ... until a sync checkpoints it into the file; a second one has nothing to do. */
    assert_int_equal(store_sync(f->st), 0);
    assert_int_equal(meta_rows_in_file_copy(f, "k"), 1);
    assert_int_equal(store_sync(f->st), 0);

    /* A deferred commit survives its process dying without closing the store. */
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct store *s = NULL;
        if (store_open("sqlite", f->db, 0, &s) != 0 ||
            store_set_durability(s, STORE_DURABLE_DEFERRED) != 0 ||
            store_meta_set(s, "crash", (const uint8_t *)"yes", 3) != 0) {
            _exit(1);
        }
        _exit(0); /* no store_close: no checkpoint, no sync */
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    assert_int_equal(store_meta_get(f->st, "crash", val, sizeof(val), &len), 0);
    assert_int_equal(len, 3);
    assert_memory_equal(val, "yes", 3);

    /* Back to EACH: commits need no sync. */
    assert_int_equal(store_set_durability(f->st, STORE_DURABLE_EACH), 0);
    assert_int_equal(store_sync(f->st), 0);
}

static int batch_hook_calls;

static void count_batch(void *arg)
{
    (void)arg;
    batch_hook_calls++;
}

/* 1 when connection st sees meta key k, 0 when it does not. */
static int sees(struct store *st, const char *k)
{
    uint8_t val[16];
    size_t len = 0;
    int r = store_meta_get(st, k, val, sizeof(val), &len);
    assert_true(r == 0 || r == SCS_ERR_NOT_FOUND);
    return r == 0;
}

static void test_batching(void **state)
{
    struct fixture *f = *state;
    struct store *other = NULL, *third = NULL;
    struct store_psk_visit v;
    struct seen sn = {0};
    uint64_t counts[5];
    char pid[9];
    pid_t child;
    int status = 0;

    assert_int_equal(store_open("sqlite", f->db, 0, &other), 0);
    assert_int_equal(store_set_durability(f->st, STORE_DURABLE_DEFERRED), 0);
    assert_int_equal(store_set_batching(f->st, count_batch, NULL), 0);
    batch_hook_calls = 0;

    /* The first write opens a batch (one hook call); others join it unseen. */
    assert_int_equal(store_meta_set(f->st, "a", (const uint8_t *)"1", 1), 0);
    assert_int_equal(store_meta_set(f->st, "b", (const uint8_t *)"2", 1), 0);
    assert_int_equal(batch_hook_calls, 1);
    assert_true(sees(f->st, "a"));
    assert_false(sees(other, "a"));
    assert_int_equal(store_flush(f->st, 0), 0);
    assert_true(sees(other, "a") && sees(other, "b"));
    assert_int_equal(store_flush(f->st, 0), 0); /* nothing open: nothing to do */
    /* A durable flush commits the batch too (and syncs the log). */
    assert_int_equal(store_meta_set(f->st, "a2", (const uint8_t *)"1", 1), 0);
    assert_false(sees(other, "a2"));
    assert_int_equal(store_flush(f->st, 1), 0);
    assert_true(sees(other, "a2"));
    assert_int_equal(store_flush(f->st, 1), 0);

    /* psk_take inside a batch: a failed take undoes only itself. */
    for (int i = 0; i < 3; i++) {
        struct store_psk_row r;
        snprintf(pid, sizeof(pid), "PID%05d", i);
        r = mkrow(pid, 0);
        assert_int_equal(store_psk_insert(f->st, &r), 0);
    }
    assert_int_equal(batch_hook_calls, 3);
    v.fn = fail_visit;
    v.arg = &sn;
    assert_int_equal(store_psk_take(f->st, 2, 0, 1, "usb:x", 300, &v), SCS_ERR_AUTH);
    v.fn = seen_visit;
    assert_int_equal(store_psk_take(f->st, 4, 0, 1, "usb:x", 300, &v), SCS_ERR_EXHAUSTED);
    assert_int_equal(store_psk_count(f->st, counts, 5), 0);
    assert_int_equal(counts[0], 3);
    assert_int_equal(store_psk_take(f->st, 2, 0, 1, "usb:x", 300, &v), 0);
    assert_int_equal(sn.n, 2);
    /* begin/rollback inside a batch undoes its own writes, keeps the batch's. */
    assert_int_equal(store_begin(f->st, 1), 0);
    assert_int_equal(store_meta_set(f->st, "c", (const uint8_t *)"3", 1), 0);
    assert_int_equal(store_flush(f->st, 0), SCS_ERR_STATE); /* not inside begin/commit */
    assert_int_equal(store_rollback(f->st), 0);
    assert_false(sees(f->st, "c"));
    assert_int_equal(store_begin(f->st, 1), 0);
    assert_int_equal(store_meta_set(f->st, "d", (const uint8_t *)"4", 1), 0);
    assert_int_equal(store_commit(f->st), 0);
    assert_true(sees(f->st, "d"));
    assert_false(sees(other, "d"));
    assert_int_equal(store_psk_count(other, counts, 5), 0);
    assert_int_equal(counts[0] + counts[1], 0);

    /* Switching to EACH flushes; EACH writes never join a batch. */
    assert_int_equal(store_set_durability(f->st, STORE_DURABLE_EACH), 0);
    assert_true(sees(other, "d"));
    assert_int_equal(store_psk_count(other, counts, 5), 0);
    assert_int_equal(counts[0], 1);
    assert_int_equal(counts[1], 2);
    assert_int_equal(store_meta_set(f->st, "e", (const uint8_t *)"5", 1), 0);
    assert_int_equal(batch_hook_calls, 3);
    assert_true(sees(other, "e"));

    /* sync flushes, and so does turning batching off. */
    assert_int_equal(store_set_durability(f->st, STORE_DURABLE_DEFERRED), 0);
    assert_int_equal(store_meta_set(f->st, "f", (const uint8_t *)"6", 1), 0);
    assert_int_equal(batch_hook_calls, 4);
    assert_false(sees(other, "f"));
    assert_int_equal(store_sync(f->st), 0);
    assert_true(sees(other, "f"));
    assert_int_equal(store_meta_set(f->st, "g", (const uint8_t *)"7", 1), 0);
    assert_int_equal(store_set_batching(f->st, NULL, NULL), 0);
    assert_true(sees(other, "g"));
    assert_int_equal(store_meta_set(f->st, "h", (const uint8_t *)"8", 1), 0);
    assert_int_equal(batch_hook_calls, 5);
    assert_true(sees(other, "h"));

    /* A batch not flushed is lost with its process ... */
    child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        struct store *s = NULL;
        if (store_open("sqlite", f->db, 0, &s) != 0 ||
            store_set_durability(s, STORE_DURABLE_DEFERRED) != 0 ||
            store_set_batching(s, count_batch, NULL) != 0 ||
            store_meta_set(s, "lost", (const uint8_t *)"x", 1) != 0) {
            _exit(1);
        }
        _exit(0);
    }
    assert_int_equal(waitpid(child, &status, 0), child);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    assert_false(sees(other, "lost"));
    /* ... and committed by a close. */
    assert_int_equal(store_open("sqlite", f->db, 0, &third), 0);
    assert_int_equal(store_set_durability(third, STORE_DURABLE_DEFERRED), 0);
    assert_int_equal(store_set_batching(third, count_batch, NULL), 0);
    assert_int_equal(store_meta_set(third, "closed", (const uint8_t *)"y", 1), 0);
    assert_false(sees(other, "closed"));
    store_close(third);
    assert_true(sees(other, "closed"));
    store_close(other);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_backend_by_name),
        cmocka_unit_test_setup_teardown(test_create_open_versions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_newer_schema_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wal_and_mode, setup, teardown),
        cmocka_unit_test_setup_teardown(test_psk_rows, setup, teardown),
        cmocka_unit_test_setup_teardown(test_take_all_or_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_transactions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_meta_and_audit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_deferred_durability, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batching, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
