/*
 * Unit tests for src/psk/pool.c: init and open, master key checks, the life
 * cycle, encryption at rest bound to the row, no plaintext PPS in the database
 * file, and one-time hand-out across processes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/fileio.h"
#include "common/secmem.h"
#include "crypto/crypto.h"
#include "formats/pidpps.h"
#include "psk/pool.h"

struct fixture {
    char dir[64];  /* parent, removed at the end */
    char data[96]; /* the data directory inside it */
    struct scs_pool *p;
};

static void path_in(const struct fixture *f, const char *name, char *out, size_t cap)
{
    snprintf(out, cap, "%s/%s", f->data, name);
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));

    snprintf(f->dir, sizeof(f->dir), "/tmp/scs-test-pool.XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->data, sizeof(f->data), "%s/data", f->dir);
    assert_int_equal(scs_pool_init(f->data), 0);
    assert_int_equal(scs_pool_open(f->data, &f->p), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    char cmd[128];

    scs_pool_close(f->p);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
    assert_int_equal(system(cmd), 0);
    free(f);
    return 0;
}

static void stats(struct scs_pool *p, uint64_t want0, uint64_t want1, uint64_t want2,
                  uint64_t want3, uint64_t want4)
{
    uint64_t c[SCS_PSK_STATE_COUNT];
    assert_int_equal(scs_pool_stats(p, c), 0);
    assert_int_equal(c[SCS_PSK_AVAILABLE], want0);
    assert_int_equal(c[SCS_PSK_ASSIGNED], want1);
    assert_int_equal(c[SCS_PSK_USED], want2);
    assert_int_equal(c[SCS_PSK_REPLACED], want3);
    assert_int_equal(c[SCS_PSK_REVOKED], want4);
}

static void test_state_names(void **state)
{
    enum scs_psk_state s;

    assert_string_equal(scs_psk_state_name(SCS_PSK_AVAILABLE), "available");
    assert_string_equal(scs_psk_state_name(SCS_PSK_REVOKED), "revoked");
    assert_int_equal(scs_psk_state_parse("used", &s), 0);
    assert_int_equal(s, SCS_PSK_USED);
    assert_int_equal(scs_psk_state_parse("Used", &s), SCS_ERR_FORMAT);
    assert_int_equal(scs_psk_state_parse("", &s), SCS_ERR_FORMAT);
}

static void test_init_layout_and_reinit(void **state)
{
    struct fixture *f = *state;
    char key[160], db[160];
    struct scs_buf *before = NULL, *after = NULL;
    struct stat st;
    struct scs_diag d;

    assert_int_equal(stat(f->data, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    path_in(f, "master.key", key, sizeof(key));
    path_in(f, "scs.db", db, sizeof(db));
    assert_int_equal(stat(key, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(st.st_size, 32);
    assert_int_equal(stat(db, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    /* Re-running init changes nothing. */
    assert_int_equal(scs_file_read(key, 64, &before), 0);
    assert_int_equal(scs_pool_init_diag(f->data, &d), SCS_ERR_EXISTS);
    assert_non_null(strstr(d.reason, "already initialised"));
    assert_int_equal(scs_file_read(key, 64, &after), 0);
    assert_int_equal(scs_buf_len(after), 32);
    assert_memory_equal(scs_buf_data(before), scs_buf_data(after), 32);
    scs_buf_free(before);
    scs_buf_free(after);
}

static void test_open_uninitialised(void **state)
{
    struct fixture *f = *state;
    struct scs_pool *p = NULL;
    struct scs_diag d;
    char empty[160], db[160];

    snprintf(empty, sizeof(empty), "%s/nothing", f->dir);
    assert_int_equal(scs_pool_open_diag(empty, &p, &d), SCS_ERR_NOT_INITIALISED);
    assert_null(p);
    assert_non_null(strstr(d.reason, "scsctl init"));
    /* A key without a store is not initialised either. */
    path_in(f, "scs.db", db, sizeof(db));
    scs_pool_close(f->p);
    f->p = NULL;
    assert_int_equal(rename(db, "/tmp/scs-test-pool-moved.db"), 0);
    assert_int_equal(scs_pool_open_diag(f->data, &p, &d), SCS_ERR_NOT_INITIALISED);
    assert_int_equal(rename("/tmp/scs-test-pool-moved.db", db), 0);
    assert_int_equal(scs_pool_open(f->data, &f->p), 0);
}

static void test_master_key_permissions(void **state)
{
    struct fixture *f = *state;
    struct scs_pool *p = NULL;
    struct scs_diag d;
    char key[160];

    path_in(f, "master.key", key, sizeof(key));
    assert_int_equal(chmod(key, 0640), 0);
    assert_int_equal(scs_pool_open_diag(f->data, &p, &d), SCS_ERR_PERMISSION);
    assert_null(p);
    assert_non_null(strstr(d.reason, key));
    assert_int_equal(chmod(key, 0604), 0);
    assert_int_equal(scs_pool_open_diag(f->data, &p, &d), SCS_ERR_PERMISSION);
    assert_int_equal(chmod(key, 0600), 0);
    assert_int_equal(scs_pool_open_diag(f->data, &p, &d), 0);
    scs_pool_close(p);
}

static void test_wrong_master_key(void **state)
{
    struct fixture *f = *state;
    struct scs_pool *p = NULL;
    struct scs_diag d;
    uint8_t other[32];
    char key[160];

    path_in(f, "master.key", key, sizeof(key));
    memset(other, 0x42, sizeof(other));
    assert_int_equal(scs_file_write_atomic(key, other, sizeof(other), 0600), 0);
    assert_int_equal(scs_pool_open_diag(f->data, &p, &d), SCS_ERR_AUTH);
    assert_non_null(strstr(d.reason, "master.key"));
    /* A key of the wrong size is malformed. */
    assert_int_equal(scs_file_write_atomic(key, other, 31, 0600), 0);
    assert_int_equal(scs_pool_open_diag(f->data, &p, &d), SCS_ERR_FORMAT);
}

struct collect {
    size_t n;
    size_t with_pps;
    size_t valid;
    char (*pids)[SCS_PID_LEN + 1];
    char (*pps)[SCS_PPS_LEN + 1];
    size_t cap;
};

static int collect_visit(void *arg, const struct scs_psk_entry *e)
{
    struct collect *c = arg;

    if (scs_pid_check(e->pid, strlen(e->pid), NULL) == 0) {
        c->valid++;
    }
    if (c->n < c->cap) {
        memcpy(c->pids[c->n], e->pid, SCS_PID_LEN + 1);
        if (e->pps != NULL && c->pps != NULL) {
            memcpy(c->pps[c->n], scs_secret_str(e->pps), SCS_PPS_LEN + 1);
        }
    }
    if (e->pps != NULL) {
        c->with_pps++;
        assert_int_equal(scs_secret_len(e->pps), SCS_PPS_LEN);
        assert_int_equal(scs_pps_check(scs_secret_str(e->pps), SCS_PPS_LEN, NULL), 0);
    }
    c->n++;
    return 0;
}

static void test_generate_list_lookup(void **state)
{
    struct fixture *f = *state;
    struct collect c = {0};
    struct scs_psk_entry e;
    uint64_t made = 0;

    assert_int_equal(scs_pool_generate(f->p, 0, &made), SCS_ERR_INVALID_ARG);
    assert_int_equal(scs_pool_generate(f->p, 1000, &made), 0);
    assert_int_equal(made, 1000);
    stats(f->p, 1000, 0, 0, 0, 0);
    c.cap = 1000;
    c.pids = calloc(c.cap, sizeof(*c.pids));
    c.pps = calloc(c.cap, sizeof(*c.pps));
    assert_int_equal(scs_pool_list(f->p, -1, 1, collect_visit, &c), 0);
    assert_int_equal(c.n, 1000);
    assert_int_equal(c.valid, 1000);
    assert_int_equal(c.with_pps, 1000);
    for (size_t i = 1; i < c.n; i++) {
        assert_true(strcmp(c.pids[i - 1], c.pids[i]) < 0); /* PID order, no duplicates */
    }
    /* Lookup returns the same PPS the listing showed. */
    assert_int_equal(scs_pool_lookup(f->p, c.pids[500], 1, &e), 0);
    assert_non_null(e.pps);
    assert_true(scs_ct_eq(scs_secret_cdata(e.pps), c.pps[500], SCS_PPS_LEN));
    assert_int_equal(e.state, SCS_PSK_AVAILABLE);
    assert_string_equal(e.assignee, "");
    scs_psk_entry_clear(&e);
    assert_int_equal(scs_pool_lookup(f->p, c.pids[500], 0, &e), 0);
    assert_null(e.pps);
    scs_psk_entry_clear(&e);
    /* Unknown and malformed PIDs. */
    assert_int_equal(scs_pool_lookup(f->p, "0000037M", 0, &e), SCS_ERR_NOT_FOUND);
    assert_int_equal(scs_pool_lookup(f->p, "0000037N", 0, &e), SCS_ERR_CHECKSUM);
    assert_int_equal(scs_pool_lookup(f->p, "0000-037M", 0, &e), SCS_ERR_FORMAT);
    free(c.pids);
    free(c.pps);
    /* Filtered listing. */
    memset(&c, 0, sizeof(c));
    assert_int_equal(scs_pool_list(f->p, SCS_PSK_ASSIGNED, 0, collect_visit, &c), 0);
    assert_int_equal(c.n, 0);
}

static void test_take_and_life_cycle(void **state)
{
    struct fixture *f = *state;
    struct scs_psk_entry *got = NULL, e;
    uint64_t made = 0;
    char pid[SCS_PID_LEN + 1];

    assert_int_equal(scs_pool_generate(f->p, 20, &made), 0);
    assert_int_equal(scs_pool_take(f->p, 21, "usb:setup.bin", &got), SCS_ERR_EXHAUSTED);
    assert_null(got);
    stats(f->p, 20, 0, 0, 0, 0);
    assert_int_equal(scs_pool_take(f->p, 3, "", &got), SCS_ERR_INVALID_ARG);
    assert_int_equal(scs_pool_take(f->p, 3, "bad\nassignee", &got), SCS_ERR_INVALID_ARG);
    assert_int_equal(scs_pool_take(f->p, 5, "usb:setup.bin", &got), 0);
    stats(f->p, 15, 5, 0, 0, 0);
    for (int i = 0; i < 5; i++) {
        assert_int_equal(got[i].state, SCS_PSK_ASSIGNED);
        assert_string_equal(got[i].assignee, "usb:setup.bin");
        assert_non_null(got[i].pps);
        assert_int_equal(scs_pps_check(scs_secret_str(got[i].pps), SCS_PPS_LEN, NULL), 0);
        for (int j = 0; j < i; j++) {
            assert_string_not_equal(got[i].pid, got[j].pid);
        }
    }
    memcpy(pid, got[0].pid, sizeof(pid));
    assert_int_equal(scs_pool_lookup(f->p, pid, 1, &e), 0);
    assert_true(scs_ct_eq(scs_secret_cdata(e.pps), scs_secret_cdata(got[0].pps), SCS_PPS_LEN));
    assert_string_equal(e.assignee, "usb:setup.bin");
    scs_psk_entry_clear(&e);
    scs_pool_entries_free(got, 5);

    /* assigned -> used -> replaced; each step a compare-and-set. */
    assert_int_equal(scs_pool_transition(f->p, pid, SCS_PSK_AVAILABLE, SCS_PSK_ASSIGNED, "x"),
                     SCS_ERR_STATE);
    assert_int_equal(scs_pool_transition(f->p, pid, SCS_PSK_ASSIGNED, SCS_PSK_REPLACED, NULL),
                     SCS_ERR_INVALID_ARG);
    assert_int_equal(scs_pool_transition(f->p, pid, SCS_PSK_ASSIGNED, SCS_PSK_USED, "device:1234"),
                     0);
    assert_int_equal(scs_pool_transition(f->p, pid, SCS_PSK_ASSIGNED, SCS_PSK_USED, NULL),
                     SCS_ERR_STATE);
    assert_int_equal(scs_pool_lookup(f->p, pid, 0, &e), 0);
    assert_int_equal(e.state, SCS_PSK_USED);
    assert_string_equal(e.assignee, "device:1234");
    scs_psk_entry_clear(&e);
    assert_int_equal(scs_pool_transition(f->p, pid, SCS_PSK_USED, SCS_PSK_REPLACED, NULL), 0);
    stats(f->p, 15, 4, 0, 1, 0);
    /* Revoke: any state but replaced/revoked. */
    assert_int_equal(scs_pool_revoke(f->p, pid), SCS_ERR_STATE);
    assert_int_equal(scs_pool_revoke(f->p, "0000037M"), SCS_ERR_NOT_FOUND);
    assert_int_equal(scs_pool_revoke(f->p, "0000037X"), SCS_ERR_CHECKSUM);
    assert_int_equal(scs_pool_take(f->p, 1, "usb:two", &got), 0);
    memcpy(pid, got[0].pid, sizeof(pid));
    scs_pool_entries_free(got, 1);
    assert_int_equal(scs_pool_revoke(f->p, pid), 0);
    assert_int_equal(scs_pool_revoke(f->p, pid), SCS_ERR_STATE);
    assert_int_equal(scs_pool_transition(f->p, pid, SCS_PSK_REVOKED, SCS_PSK_AVAILABLE, NULL),
                     SCS_ERR_INVALID_ARG);
    assert_int_equal(scs_pool_transition(f->p, pid, SCS_PSK_USED, SCS_PSK_AVAILABLE, NULL),
                     SCS_ERR_INVALID_ARG);
    /* Give back: assigned -> available clears the assignee. */
    assert_int_equal(scs_pool_take(f->p, 1, "usb:three", &got), 0);
    memcpy(pid, got[0].pid, sizeof(pid));
    scs_pool_entries_free(got, 1);
    assert_int_equal(scs_pool_transition(f->p, pid, SCS_PSK_ASSIGNED, SCS_PSK_AVAILABLE, NULL), 0);
    assert_int_equal(scs_pool_lookup(f->p, pid, 0, &e), 0);
    assert_int_equal(e.state, SCS_PSK_AVAILABLE);
    assert_string_equal(e.assignee, "");
    scs_psk_entry_clear(&e);
    assert_int_equal(scs_pool_transition(f->p, pid, SCS_PSK_ASSIGNED, SCS_PSK_AVAILABLE, NULL),
                     SCS_ERR_STATE);
    stats(f->p, 14, 4, 0, 1, 1);
}

/* Raw SQLite: copy one row's sealed PPS into another row. */
static void copy_ct(const char *db, const char *from, const char *to)
{
    sqlite3 *h = NULL;
    sqlite3_stmt *st = NULL;

    assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(h,
                                        "UPDATE psk SET pps_ct = (SELECT pps_ct FROM psk WHERE "
                                        "pid = ?1) WHERE pid = ?2",
                                        -1, &st, NULL),
                     SQLITE_OK);
    sqlite3_bind_text(st, 1, from, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, to, -1, SQLITE_STATIC);
    assert_int_equal(sqlite3_step(st), SQLITE_DONE);
    assert_int_equal(sqlite3_changes(h), 1);
    sqlite3_finalize(st);
    sqlite3_close(h);
}

static void test_ciphertext_bound_to_row(void **state)
{
    struct fixture *f = *state;
    struct collect c = {0};
    struct scs_psk_entry e;
    uint64_t made = 0;
    char db[160];

    assert_int_equal(scs_pool_generate(f->p, 3, &made), 0);
    c.cap = 3;
    c.pids = calloc(3, sizeof(*c.pids));
    assert_int_equal(scs_pool_list(f->p, -1, 0, collect_visit, &c), 0);
    path_in(f, "scs.db", db, sizeof(db));
    copy_ct(db, c.pids[0], c.pids[1]);
    /* The moved blob does not open under the other row's associated data. */
    assert_int_equal(scs_pool_lookup(f->p, c.pids[1], 1, &e), SCS_ERR_AUTH);
    assert_null(e.pps);
    /* Without the secret the row is still readable; the untouched rows still open. */
    assert_int_equal(scs_pool_lookup(f->p, c.pids[1], 0, &e), 0);
    scs_psk_entry_clear(&e);
    assert_int_equal(scs_pool_lookup(f->p, c.pids[0], 1, &e), 0);
    scs_psk_entry_clear(&e);
    assert_int_equal(scs_pool_lookup(f->p, c.pids[2], 1, &e), 0);
    scs_psk_entry_clear(&e);
    /* A listing with secrets stops at the bad row, and a hand-out of it is undone. */
    memset(&c.n, 0, sizeof(c.n));
    assert_int_equal(scs_pool_list(f->p, -1, 1, collect_visit, &c), SCS_ERR_AUTH);
    {
        struct scs_psk_entry *got = NULL;
        assert_int_equal(scs_pool_take(f->p, 3, "usb:x", &got), SCS_ERR_AUTH);
        stats(f->p, 3, 0, 0, 0, 0);
    }
    free(c.pids);
}

static int find_bytes(const struct scs_buf *b, const void *needle, size_t n)
{
    return scs_buf_len(b) >= n && memmem(scs_buf_data(b), scs_buf_len(b), needle, n) != NULL;
}

static void test_no_plaintext_in_db_file(void **state)
{
    struct fixture *f = *state;
    struct collect c = {0};
    struct scs_buf *db = NULL, *wal = NULL;
    uint64_t made = 0;
    char path[160];
    size_t pid_hits = 0;

    assert_int_equal(scs_pool_generate(f->p, 300, &made), 0);
    c.cap = 300;
    c.pids = calloc(c.cap, sizeof(*c.pids));
    c.pps = calloc(c.cap, sizeof(*c.pps));
    assert_int_equal(scs_pool_list(f->p, -1, 1, collect_visit, &c), 0);
    assert_int_equal(c.n, 300);
    /* Read while the pool is open, so the WAL still holds the fresh pages. */
    path_in(f, "scs.db", path, sizeof(path));
    assert_int_equal(scs_file_read(path, 64 << 20, &db), 0);
    path_in(f, "scs.db-wal", path, sizeof(path));
    if (scs_file_read(path, 64 << 20, &wal) != 0) {
        wal = scs_buf_new(1);
    }
    for (size_t i = 0; i < c.n; i++) {
        char text[SCS_PPS_TEXT_LEN + 1];
        scs_pps_format(c.pps[i], text);
        assert_false(find_bytes(db, c.pps[i], SCS_PPS_LEN));
        assert_false(find_bytes(wal, c.pps[i], SCS_PPS_LEN));
        assert_false(find_bytes(db, text, strlen(text)));
        assert_false(find_bytes(wal, text, strlen(text)));
        /* Half a PPS would be a leak as well. */
        assert_false(find_bytes(db, c.pps[i], 16));
        assert_false(find_bytes(wal, c.pps[i] + 16, 16));
        /* The scan itself works: the PIDs (not secret) are there in clear. */
        pid_hits +=
            find_bytes(db, c.pids[i], SCS_PID_LEN) || find_bytes(wal, c.pids[i], SCS_PID_LEN);
    }
    assert_int_equal(pid_hits, c.n);
    scs_buf_free(db);
    scs_buf_free(wal);
    free(c.pids);
    free(c.pps);
}

/* Two processes take pairs one at a time until none are left; no pair may reach both. */
static void take_until_empty(const char *data, int fd, int go)
{
    struct scs_pool *p = NULL;
    char c;
    int r;

    if (scs_pool_open(data, &p) != 0) {
        _exit(10);
    }
    /* Wait until every worker is ready, so that they really race. */
    if (read(go, &c, 1) != 0) {
        _exit(13);
    }
    for (;;) {
        struct scs_psk_entry *got = NULL;
        r = scs_pool_take(p, 2, "device:race", &got);
        if (r == SCS_ERR_EXHAUSTED) {
            break;
        }
        if (r != 0) {
            _exit(11);
        }
        for (int i = 0; i < 2; i++) {
            if (write(fd, got[i].pid, SCS_PID_LEN) != SCS_PID_LEN) {
                _exit(12);
            }
        }
        scs_pool_entries_free(got, 2);
        /* SQLite's busy handler polls with sleeps, so a process that retakes the lock at
         * once can starve the other; a short pause keeps the race two-sided. */
        usleep(500);
    }
    scs_pool_close(p);
    _exit(0);
}

static int pid_cmp(const void *a, const void *b)
{
    return memcmp(a, b, SCS_PID_LEN);
}

static void test_concurrent_take_is_disjoint(void **state)
{
    struct fixture *f = *state;
    enum { PAIRS = 600, WORKERS = 2 };
    char files[WORKERS][160];
    char *all = calloc(PAIRS, SCS_PID_LEN);
    size_t total = 0, per[WORKERS] = {0};
    uint64_t made = 0;
    pid_t kids[WORKERS];
    int go[2];

    assert_int_equal(pipe(go), 0);
    assert_int_equal(scs_pool_generate(f->p, PAIRS, &made), 0);
    scs_pool_close(f->p);
    f->p = NULL;
    for (int w = 0; w < WORKERS; w++) {
        int fd;
        snprintf(files[w], sizeof(files[w]), "%s/taken.%d", f->dir, w);
        fd = open(files[w], O_WRONLY | O_CREAT | O_TRUNC, 0600);
        assert_true(fd >= 0);
        kids[w] = fork();
        assert_true(kids[w] >= 0);
        if (kids[w] == 0) {
            close(go[1]);
            take_until_empty(f->data, fd, go[0]);
        }
        close(fd);
    }
    /* Closing the write end releases all workers at once. */
    close(go[0]);
    usleep(100000);
    close(go[1]);
    for (int w = 0; w < WORKERS; w++) {
        int status = 0;
        struct scs_buf *b = NULL;
        assert_int_equal(waitpid(kids[w], &status, 0), kids[w]);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
        assert_int_equal(scs_file_read(files[w], PAIRS * SCS_PID_LEN, &b), 0);
        assert_int_equal(scs_buf_len(b) % SCS_PID_LEN, 0);
        per[w] = scs_buf_len(b) / SCS_PID_LEN;
        assert_true(total + per[w] <= PAIRS);
        memcpy(all + total * SCS_PID_LEN, scs_buf_data(b), scs_buf_len(b));
        total += per[w];
        scs_buf_free(b);
    }
    /* Every pair handed out exactly once, to exactly one process. */
    assert_int_equal(total, PAIRS);
    qsort(all, total, SCS_PID_LEN, pid_cmp);
    for (size_t i = 1; i < total; i++) {
        assert_true(memcmp(all + (i - 1) * SCS_PID_LEN, all + i * SCS_PID_LEN, SCS_PID_LEN) != 0);
    }
    /* Both really ran against each other (each got some). */
    assert_true(per[0] > 0 && per[1] > 0);
    assert_int_equal(scs_pool_open(f->data, &f->p), 0);
    stats(f->p, 0, PAIRS, 0, 0, 0);
    free(all);
}

struct audit_count {
    int init, generate, take, revoke, transition;
    int secret_seen;
};

static int audit_visit(void *arg, int64_t id, int64_t time, const char *event, const char *subject,
                       const char *detail)
{
    struct audit_count *a = arg;
    if (strcmp(event, "init") == 0) {
        a->init++;
    } else if (strcmp(event, "generate") == 0) {
        a->generate++;
        assert_string_equal(detail, "count=4");
    } else if (strcmp(event, "take") == 0) {
        a->take++;
        assert_string_equal(subject, "usb:a");
        assert_string_equal(detail, "count=2");
    } else if (strcmp(event, "revoke") == 0) {
        a->revoke++;
    } else if (strcmp(event, "transition") == 0) {
        a->transition++;
    }
    return 0;
}

static void test_audit(void **state)
{
    struct fixture *f = *state;
    struct scs_psk_entry *got = NULL;
    struct audit_count a = {0};
    uint64_t made = 0;

    assert_int_equal(scs_pool_generate(f->p, 4, &made), 0);
    assert_int_equal(scs_pool_take(f->p, 2, "usb:a", &got), 0);
    assert_int_equal(scs_pool_transition(f->p, got[0].pid, SCS_PSK_ASSIGNED, SCS_PSK_USED, NULL),
                     0);
    assert_int_equal(scs_pool_revoke(f->p, got[1].pid), 0);
    scs_pool_entries_free(got, 2);
    assert_int_equal(scs_pool_audit(f->p, "", NULL, NULL), SCS_ERR_INVALID_ARG);
    assert_int_equal(scs_pool_audit_list(f->p, audit_visit, &a), 0);
    assert_int_equal(a.init, 1);
    assert_int_equal(a.generate, 1);
    assert_int_equal(a.take, 1);
    assert_int_equal(a.transition, 1);
    assert_int_equal(a.revoke, 1);
}

/* The keyed AEAD context the pool seals with (crypto.h): interoperable with the one-shot
 * functions, and a forked child never reuses a nonce its parent drew. */
static void test_aead_ctx_interop_and_fork(void **state)
{
    uint8_t key[SCS_AEAD_KEY_LEN], pt[64];
    struct scs_aead *a;
    struct scs_buf *b1 = scs_buf_new(256), *b2 = scs_buf_new(256);
    uint8_t child_nonce[SCS_AEAD_NONCE_LEN];
    size_t n = 0;
    int fds[2], status = 0;
    pid_t kid;

    memset(key, 3, sizeof(key));
    a = scs_aead_new(key);
    assert_non_null(a);
    assert_int_equal(scs_aead_ctx_seal(a, "aad", 3, "hello", 5, b1), 0);
    assert_int_equal(
        scs_aead_open(key, "aad", 3, scs_buf_data(b1), scs_buf_len(b1), pt, sizeof(pt), &n), 0);
    assert_int_equal(n, 5);
    assert_memory_equal(pt, "hello", 5);
    assert_int_equal(
        scs_aead_ctx_open(a, "aae", 3, scs_buf_data(b1), scs_buf_len(b1), pt, sizeof(pt), &n),
        SCS_ERR_AUTH);
    assert_int_equal(scs_aead_seal(key, "x", 1, "world", 5, b2), 0);
    assert_int_equal(
        scs_aead_ctx_open(a, "x", 1, scs_buf_data(b2), scs_buf_len(b2), pt, sizeof(pt), &n), 0);
    assert_memory_equal(pt, "world", 5);
    /* The parent has a batch of nonces drawn; the child must not use the same ones. */
    assert_int_equal(pipe(fds), 0);
    kid = fork();
    assert_true(kid >= 0);
    if (kid == 0) {
        struct scs_buf *c = scs_buf_new(256);
        if (scs_aead_ctx_seal(a, "aad", 3, "hello", 5, c) != 0 ||
            write(fds[1], scs_buf_data(c), SCS_AEAD_NONCE_LEN) != SCS_AEAD_NONCE_LEN) {
            _exit(1);
        }
        _exit(0);
    }
    assert_int_equal(read(fds[0], child_nonce, sizeof(child_nonce)), SCS_AEAD_NONCE_LEN);
    assert_int_equal(waitpid(kid, &status, 0), kid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    scs_buf_reset(b2);
    assert_int_equal(scs_aead_ctx_seal(a, "aad", 3, "hello", 5, b2), 0);
    assert_memory_not_equal(scs_buf_data(b2), child_nonce, SCS_AEAD_NONCE_LEN);
    assert_memory_not_equal(scs_buf_data(b1), scs_buf_data(b2), SCS_AEAD_NONCE_LEN);
    close(fds[0]);
    close(fds[1]);
    scs_aead_free(a);
    scs_buf_free(b1);
    scs_buf_free(b2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_state_names),
        cmocka_unit_test(test_aead_ctx_interop_and_fork),
        cmocka_unit_test_setup_teardown(test_init_layout_and_reinit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_uninitialised, setup, teardown),
        cmocka_unit_test_setup_teardown(test_master_key_permissions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wrong_master_key, setup, teardown),
        cmocka_unit_test_setup_teardown(test_generate_list_lookup, setup, teardown),
        cmocka_unit_test_setup_teardown(test_take_and_life_cycle, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ciphertext_bound_to_row, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_plaintext_in_db_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_take_is_disjoint, setup, teardown),
        cmocka_unit_test_setup_teardown(test_audit, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
