/*
 * The PSK pool over the store (see pool.h for the life cycle).
 *
 * Every PPS is sealed with the master key before it reaches the store, with
 * associated data "scs/v1/psk/pps/" + PID, so a blob copied into another row
 * does not open.  Plaintext PPS values exist only inside struct scs_secret and
 * are wiped after use; nothing here logs or reports one.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/fileio.h"
#include "common/log.h"
#include "common/secmem.h"
#include "crypto/crypto.h"
#include "psk/pool.h"
#include "psk/pool_internal.h"
#include "store/store.h"

#define PSK_AAD_PREFIX    "scs/v1/psk/pps/"
#define PSK_KEYCHECK_META "key_check"
#define PSK_KEYCHECK_AAD  "scs/v1/meta/key_check"
#define PSK_KEYCHECK_TEXT "scs master key check v1"
/* Rows per write transaction while generating: large enough that commits (each an
 * fsync) do not dominate, small enough that the WAL stays bounded. */
#define PSK_GEN_TX_ROWS 1048576
#define PSK_GEN_MAX     100000000ull
/* A fresh PID collides with a stored one with probability (pool size) / 36^7; this
 * many collisions in a row means something else is wrong. */
#define PSK_GEN_MAX_RETRIES 64

static const char *const psk_state_names[SCS_PSK_STATE_COUNT] = {
    [SCS_PSK_AVAILABLE] = "available", [SCS_PSK_ASSIGNED] = "assigned", [SCS_PSK_USED] = "used",
    [SCS_PSK_REPLACED] = "replaced",   [SCS_PSK_REVOKED] = "revoked",
};

const char *scs_psk_state_name(enum scs_psk_state s)
{
    if ((int)s < 0 || (int)s >= SCS_PSK_STATE_COUNT) {
        return "unknown";
    }
    return psk_state_names[s];
}

int scs_psk_state_parse(const char *name, enum scs_psk_state *out)
{
    if (name == NULL) {
        return SCS_ERR_INVALID_ARG;
    }
    for (int i = 0; i < SCS_PSK_STATE_COUNT; i++) {
        if (strcmp(name, psk_state_names[i]) == 0) {
            *out = (enum scs_psk_state)i;
            return 0;
        }
    }
    return SCS_ERR_FORMAT;
}

void scs_psk_entry_clear(struct scs_psk_entry *e)
{
    if (e == NULL) {
        return;
    }
    scs_secret_free(e->pps);
    memset(e, 0, sizeof(*e));
}

void scs_pool_entries_free(struct scs_psk_entry *e, size_t n)
{
    if (e == NULL) {
        return;
    }
    for (size_t i = 0; i < n; i++) {
        scs_psk_entry_clear(&e[i]);
    }
    free(e);
}

int psk_pid_copy(char dst[static SCS_PID_LEN + 1], const char *src)
{
    /* A stored key of another length is not one of ours: refuse it rather than cut it. */
    if (strnlen(src, SCS_PID_LEN + 1) != SCS_PID_LEN) {
        return SCS_ERR_FORMAT;
    }
    memcpy(dst, src, SCS_PID_LEN);
    dst[SCS_PID_LEN] = 0;
    return 0;
}

int64_t psk_now(void)
{
    return (int64_t)time(NULL);
}

int psk_assignee_check(const char *assignee)
{
    size_t n;

    if (assignee == NULL) {
        return SCS_ERR_INVALID_ARG;
    }
    n = strnlen(assignee, STORE_ASSIGNEE_MAX + 1);
    if (n > STORE_ASSIGNEE_MAX) {
        return SCS_ERR_TOO_LARGE;
    }
    for (size_t i = 0; i < n; i++) {
        /* Printable ASCII only: the assignee ends up in listings and logs. */
        if (assignee[i] < 0x20 || assignee[i] > 0x7e) {
            return SCS_ERR_FORMAT;
        }
    }
    return 0;
}

/* "scs/v1/psk/pps/" + PID: the row the blob belongs to. */
static size_t pps_aad(const char *pid, char aad[static sizeof(PSK_AAD_PREFIX) + STORE_PID_MAX])
{
    int n = snprintf(aad, sizeof(PSK_AAD_PREFIX) + STORE_PID_MAX, "%s%s", PSK_AAD_PREFIX, pid);
    return n > 0 ? (size_t)n : 0;
}

int psk_pps_seal(const struct scs_pool *p, const char *pid, const char *pps, struct scs_buf *out)
{
    char aad[sizeof(PSK_AAD_PREFIX) + STORE_PID_MAX];
    size_t aadlen = pps_aad(pid, aad);

    scs_buf_reset(out);
    return scs_aead_ctx_seal(p->aead, aad, aadlen, pps, SCS_PPS_LEN, out);
}

int psk_pps_open(const struct scs_pool *p, const char *pid, const uint8_t *blob, size_t len,
                 struct scs_secret *pps)
{
    char aad[sizeof(PSK_AAD_PREFIX) + STORE_PID_MAX];
    size_t aadlen = pps_aad(pid, aad), got = 0;
    int r;

    if (scs_secret_len(pps) < SCS_PPS_LEN) {
        return SCS_ERR_INVALID_ARG;
    }
    r = scs_aead_ctx_open(p->aead, aad, aadlen, blob, len, scs_secret_data(pps),
                          scs_secret_len(pps), &got);
    if (r == 0 && got != SCS_PPS_LEN) {
        scs_wipe(scs_secret_data(pps), scs_secret_len(pps));
        r = SCS_ERR_AUTH;
    }
    if (r != 0) {
        /* Do not say which row: the caller knows it, and the log must not become an
         * oracle for which blobs were tampered with. */
        return r == SCS_ERR_TOO_LARGE ? SCS_ERR_AUTH : r;
    }
    return 0;
}

int psk_secret_seal(const struct scs_pool *p, const char *aad, const void *pt, size_t len,
                    struct scs_buf *out)
{
    if (p == NULL || aad == NULL || (pt == NULL && len > 0) || out == NULL) {
        return SCS_ERR_INVALID_ARG;
    }
    scs_buf_reset(out);
    return scs_aead_ctx_seal(p->aead, aad, strlen(aad), pt, len, out);
}

int psk_secret_open(const struct scs_pool *p, const char *aad, const uint8_t *blob, size_t len,
                    struct scs_secret **out)
{
    struct scs_secret *s;
    size_t got = 0;
    int r;

    *out = NULL;
    if (p == NULL || aad == NULL || blob == NULL || len < SCS_AEAD_OVERHEAD) {
        return SCS_ERR_AUTH;
    }
    if ((s = scs_secret_new(len - SCS_AEAD_OVERHEAD)) == NULL) {
        return SCS_ERR_NOMEM;
    }
    r = scs_aead_ctx_open(p->aead, aad, strlen(aad), blob, len, scs_secret_data(s),
                          scs_secret_len(s), &got);
    if (r != 0) {
        scs_secret_free(s);
        return r == SCS_ERR_TOO_LARGE ? SCS_ERR_AUTH : r;
    }
    scs_secret_set_len(s, got);
    *out = s;
    return 0;
}

struct store *psk_pool_store(struct scs_pool *p)
{
    return p->st;
}

/* The master key must open the check value written at init; otherwise every PPS
 * would fail later with a less helpful message. */
static int keycheck_write(struct scs_pool *p)
{
    struct scs_buf *b = scs_buf_new(256);
    int r;

    if (b == NULL) {
        return SCS_ERR_NOMEM;
    }
    r = scs_aead_seal(scs_secret_cdata(p->key), PSK_KEYCHECK_AAD, strlen(PSK_KEYCHECK_AAD),
                      PSK_KEYCHECK_TEXT, strlen(PSK_KEYCHECK_TEXT), b);
    if (r == 0) {
        r = store_meta_set(p->st, PSK_KEYCHECK_META, scs_buf_data(b), scs_buf_len(b));
    }
    scs_buf_free(b);
    return r;
}

static int keycheck_verify(struct scs_pool *p)
{
    uint8_t blob[128], pt[64];
    size_t len = 0, ptlen = 0;
    int r;

    if ((r = store_meta_get(p->st, PSK_KEYCHECK_META, blob, sizeof(blob), &len)) != 0) {
        return r == SCS_ERR_NOT_FOUND ? SCS_ERR_NOT_INITIALISED : r;
    }
    r = scs_aead_open(scs_secret_cdata(p->key), PSK_KEYCHECK_AAD, strlen(PSK_KEYCHECK_AAD), blob,
                      len, pt, sizeof(pt), &ptlen);
    if (r != 0) {
        return SCS_ERR_AUTH;
    }
    if (ptlen != strlen(PSK_KEYCHECK_TEXT) || memcmp(pt, PSK_KEYCHECK_TEXT, ptlen) != 0) {
        return SCS_ERR_AUTH;
    }
    return 0;
}

static void pool_free(struct scs_pool *p)
{
    if (p == NULL) {
        return;
    }
    store_close(p->st);
    scs_aead_free(p->aead);
    scs_secret_free(p->key);
    free(p->datadir);
    free(p);
}

void scs_pool_close(struct scs_pool *p)
{
    pool_free(p);
}

int scs_pool_init(const char *datadir)
{
    return scs_pool_init_diag(datadir, NULL);
}

int scs_pool_init_diag(const char *datadir, struct scs_diag *d)
{
    struct scs_pool *p = NULL;
    char *keypath = NULL, *dbpath = NULL;
    int key_made = 0, r;
    struct stat st;

    scs_diag_clear(d);
    if (datadir == NULL || *datadir == 0) {
        return scs_diag_failn(d, SCS_ERR_INVALID_ARG, "no data directory");
    }
    keypath = psk_path_join(datadir, PSK_MASTER_KEY_FILE);
    dbpath = psk_path_join(datadir, PSK_STORE_FILE);
    if (keypath == NULL || dbpath == NULL) {
        r = SCS_ERR_NOMEM;
        goto out;
    }
    if (scs_dir_ensure(datadir, 0700) != 0) {
        r = scs_diag_failn(d, SCS_ERR_IO, "cannot create data directory %s: %s", datadir,
                           strerror(errno));
        goto out;
    }
    if (lstat(keypath, &st) == 0 || lstat(dbpath, &st) == 0) {
        r = scs_diag_failn(d, SCS_ERR_EXISTS, "%s is already initialised", datadir);
        goto out;
    }
    if (stat(datadir, &st) != 0) {
        r = scs_diag_failn(d, SCS_ERR_IO, "cannot stat %s: %s", datadir, strerror(errno));
        goto out;
    }
    /* An existing directory is used only if it is private: the store and the key go in it. */
    if ((st.st_mode & 077) != 0 || st.st_uid != geteuid()) {
        r = scs_diag_failn(d, SCS_ERR_PERMISSION,
                           "data directory %s is accessible by group or others or belongs to "
                           "another user (mode %04o); use a new directory or chmod 700 it",
                           datadir, (unsigned)(st.st_mode & 07777));
        goto out;
    }
    if ((r = psk_masterkey_create(keypath)) != 0) {
        scs_diag_failn(d, r, "cannot write %s", keypath);
        goto out;
    }
    key_made = 1;
    if ((p = calloc(1, sizeof(*p))) == NULL) {
        r = SCS_ERR_NOMEM;
        goto out;
    }
    if ((r = psk_masterkey_load(keypath, &p->key, d)) != 0) {
        goto out;
    }
    if ((p->aead = scs_aead_new(scs_secret_cdata(p->key))) == NULL) {
        r = SCS_ERR_CRYPTO;
        goto out;
    }
    if ((r = store_open(STORE_DEFAULT_BACKEND, dbpath, 1, &p->st)) != 0) {
        scs_diag_failn(d, r, "cannot create the store %s", dbpath);
        goto out;
    }
    if ((r = keycheck_write(p)) != 0 ||
        (r = store_audit_append(p->st, psk_now(), "init", datadir, "")) != 0) {
        scs_diag_failn(d, r, "cannot initialise the store %s", dbpath);
        goto out;
    }
out:
    pool_free(p);
    if (r != 0 && key_made) {
        /* Leave the directory as we found it so that init can simply be re-run. */
        static const char *const suffix[] = {"", "-wal", "-shm", "-journal"};
        for (size_t i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
            char path[4096];
            int n = snprintf(path, sizeof(path), "%s%s", dbpath, suffix[i]);
            if (n > 0 && (size_t)n < sizeof(path)) {
                unlink(path);
            }
        }
        unlink(keypath);
    }
    free(keypath);
    free(dbpath);
    return r;
}

int scs_pool_open(const char *datadir, struct scs_pool **out)
{
    return scs_pool_open_diag(datadir, out, NULL);
}

int scs_pool_open_diag(const char *datadir, struct scs_pool **out, struct scs_diag *d)
{
    struct scs_pool *p;
    char *keypath = NULL, *dbpath = NULL;
    struct stat st;
    int r;

    *out = NULL;
    scs_diag_clear(d);
    if (datadir == NULL || *datadir == 0) {
        return scs_diag_failn(d, SCS_ERR_INVALID_ARG, "no data directory");
    }
    if ((p = calloc(1, sizeof(*p))) == NULL || (p->datadir = strdup(datadir)) == NULL) {
        free(p);
        return SCS_ERR_NOMEM;
    }
    keypath = psk_path_join(datadir, PSK_MASTER_KEY_FILE);
    dbpath = psk_path_join(datadir, PSK_STORE_FILE);
    if (keypath == NULL || dbpath == NULL) {
        r = SCS_ERR_NOMEM;
        goto fail;
    }
    if (stat(datadir, &st) != 0 || !S_ISDIR(st.st_mode) ||
        (lstat(keypath, &st) != 0 && errno == ENOENT)) {
        r = scs_diag_failn(d, SCS_ERR_NOT_INITIALISED,
                           "%s is not an initialised data directory (run 'scsctl init')", datadir);
        goto fail;
    }
    if ((r = psk_masterkey_load(keypath, &p->key, d)) != 0) {
        goto fail;
    }
    if ((p->aead = scs_aead_new(scs_secret_cdata(p->key))) == NULL) {
        r = SCS_ERR_CRYPTO;
        goto fail;
    }
    if ((r = store_open(STORE_DEFAULT_BACKEND, dbpath, 0, &p->st)) != 0) {
        switch (r) {
        case SCS_ERR_NOT_INITIALISED:
            scs_diag_failn(d, r, "%s has no store (run 'scsctl init')", datadir);
            break;
        case SCS_ERR_VERSION:
            scs_diag_failn(d, r,
                           "the store %s was written by a newer version of scs "
                           "(schema newer than %d)",
                           dbpath, store_sqlite_latest_version());
            break;
        default:
            scs_diag_failn(d, r, "cannot open the store %s", dbpath);
            break;
        }
        goto fail;
    }
    if ((r = keycheck_verify(p)) != 0) {
        if (r == SCS_ERR_AUTH) {
            scs_diag_failn(d, r, "%s does not belong to the store %s", keypath, dbpath);
        } else {
            scs_diag_failn(d, r, "cannot verify the master key against %s", dbpath);
        }
        goto fail;
    }
    free(keypath);
    free(dbpath);
    *out = p;
    return 0;
fail:
    free(keypath);
    free(dbpath);
    pool_free(p);
    return r;
}

/* A generated pair waiting for its batch's insert: only the sealed PPS is kept. */
struct gen_item {
    char pid[SCS_PID_LEN + 1];
    uint8_t ct[PSK_PPS_CT_LEN];
};

static int gen_item_cmp(const void *a, const void *b)
{
    return memcmp(((const struct gen_item *)a)->pid, ((const struct gen_item *)b)->pid,
                  SCS_PID_LEN);
}

/* Fill items[0..n) with fresh pairs, PPS sealed at once, sorted by PID. */
static int gen_batch(struct scs_pool *p, struct scs_pidpps_rng *g, struct scs_secret *pps,
                     struct scs_buf *ct, struct gen_item *items, size_t n)
{
    int r;

    for (size_t i = 0; i < n; i++) {
        if ((r = scs_pid_generate_rng(g, items[i].pid)) != 0 ||
            (r = scs_pid_check(items[i].pid, SCS_PID_LEN, NULL)) != 0 ||
            (r = scs_pps_generate_rng(g, pps)) != 0 ||
            (r = scs_pps_check(scs_secret_str(pps), SCS_PPS_LEN, NULL)) != 0 ||
            (r = psk_pps_seal(p, items[i].pid, scs_secret_str(pps), ct)) != 0) {
            scs_wipe(scs_secret_data(pps), SCS_PPS_LEN);
            return r;
        }
        if (scs_buf_len(ct) != PSK_PPS_CT_LEN) {
            return SCS_ERR_INTERNAL;
        }
        memcpy(items[i].ct, scs_buf_data(ct), PSK_PPS_CT_LEN);
    }
    scs_wipe(scs_secret_data(pps), SCS_PPS_LEN);
    /* PIDs are random; inserting them in order makes each transaction walk the pid
     * b-tree (and the state index) once from left to right instead of jumping around,
     * which is what keeps a million inserts within the page cache. */
    qsort(items, n, sizeof(*items), gen_item_cmp);
    return 0;
}

int scs_pool_generate(struct scs_pool *p, uint64_t n, uint64_t *made)
{
    struct scs_secret *pps = scs_secret_new(SCS_PPS_LEN);
    struct scs_buf *ct = scs_buf_new(STORE_BLOB_MAX);
    struct gen_item *items = NULL;
    struct store_psk_row row;
    struct scs_pidpps_rng g = {0};
    uint64_t done = 0;
    int collisions = 0, r;
    char detail[64];

    *made = 0;
    if (n == 0 || n > PSK_GEN_MAX) {
        r = SCS_ERR_INVALID_ARG;
        goto out;
    }
    items = calloc(n < PSK_GEN_TX_ROWS ? n : PSK_GEN_TX_ROWS, sizeof(*items));
    if (pps == NULL || ct == NULL || items == NULL || scs_pidpps_rng_init(&g) != 0) {
        r = SCS_ERR_NOMEM;
        goto out;
    }
    memset(&row, 0, sizeof(row));
    row.state = SCS_PSK_AVAILABLE;
    row.created = row.updated = psk_now();
    row.blob_len = PSK_PPS_CT_LEN;
    while (done < n) {
        size_t batch = n - done < PSK_GEN_TX_ROWS ? (size_t)(n - done) : PSK_GEN_TX_ROWS;
        uint64_t stored = 0;

        if ((r = gen_batch(p, &g, pps, ct, items, batch)) != 0) {
            goto out;
        }
        if ((r = store_begin(p->st, 1)) != 0) {
            goto out;
        }
        for (size_t i = 0; i < batch; i++) {
            memcpy(row.pid, items[i].pid, sizeof(items[i].pid));
            row.blob = items[i].ct;
            r = store_psk_insert(p->st, &row);
            if (r == SCS_ERR_EXISTS) {
                /* A PID already in the pool (or twice in this batch): drop this pair; the
                 * next batch makes up for it. */
                if (++collisions > PSK_GEN_MAX_RETRIES) {
                    break;
                }
                r = 0;
                continue;
            }
            if (r != 0) {
                break;
            }
            collisions = 0;
            stored++;
        }
        if (r != 0) {
            store_rollback(p->st);
            goto out;
        }
        if ((r = store_commit(p->st)) != 0) {
            goto out;
        }
        done += stored;
    }
    r = 0;
out:
    *made = done;
    if (done > 0) {
        int ar;
        snprintf(detail, sizeof(detail), "count=%llu", (unsigned long long)done);
        ar = store_audit_append(p->st, psk_now(), "generate", "", detail);
        if (r == 0) {
            r = ar;
        }
        log_info("pool: generated %llu pairs", (unsigned long long)done);
    }
    free(items);
    scs_pidpps_rng_free(&g);
    scs_buf_free(ct);
    scs_secret_free(pps);
    return r;
}

/* Fill an entry from a row, opening its PPS when asked. */
static int entry_from_row(const struct scs_pool *p, const struct store_psk_row *row, int with_pps,
                          struct scs_psk_entry *e)
{
    int r;

    memset(e, 0, sizeof(*e));
    if ((r = psk_pid_copy(e->pid, row->pid)) != 0) {
        return r;
    }
    e->state = (enum scs_psk_state)row->state;
    snprintf(e->assignee, sizeof(e->assignee), "%s", row->assignee);
    e->created = row->created;
    e->updated = row->updated;
    if (!with_pps) {
        return 0;
    }
    if (row->blob == NULL) {
        return SCS_ERR_INTERNAL;
    }
    if ((e->pps = scs_secret_new(SCS_PPS_LEN)) == NULL) {
        return SCS_ERR_NOMEM;
    }
    if ((r = psk_pps_open(p, row->pid, row->blob, row->blob_len, e->pps)) != 0) {
        scs_psk_entry_clear(e);
        log_warn("pool: the stored PPS of %s does not open (wrong key or moved blob)", row->pid);
        return r;
    }
    return 0;
}

struct take_ctx {
    const struct scs_pool *p;
    struct scs_psk_entry *out;
    size_t n, cap;
};

static int take_visit(void *arg, const struct store_psk_row *row)
{
    struct take_ctx *t = arg;

    if (t->n >= t->cap) {
        return SCS_ERR_INTERNAL;
    }
    return entry_from_row(t->p, row, 1, &t->out[t->n++]);
}

int scs_pool_take(struct scs_pool *p, size_t n, const char *assignee, struct scs_psk_entry **out)
{
    struct store_psk_visit visit;
    struct take_ctx t = {0};
    char detail[64];
    int64_t now = psk_now();
    int r;

    *out = NULL;
    if (n == 0 || n > (size_t)1 << 24 || psk_assignee_check(assignee) != 0 || *assignee == 0) {
        return SCS_ERR_INVALID_ARG;
    }
    if ((t.out = calloc(n, sizeof(*t.out))) == NULL) {
        return SCS_ERR_NOMEM;
    }
    t.p = p;
    t.cap = n;
    visit.fn = take_visit;
    visit.arg = &t;
    r = store_psk_take(p->st, n, SCS_PSK_AVAILABLE, SCS_PSK_ASSIGNED, assignee, now, &visit);
    if (r != 0) {
        scs_pool_entries_free(t.out, t.n);
        return r;
    }
    snprintf(detail, sizeof(detail), "count=%zu", n);
    /* The hand-out is committed; an audit failure is reported but does not undo it,
     * because the caller already holds the pairs. */
    if (store_audit_append(p->st, now, "take", assignee, detail) != 0) {
        log_error("pool: could not audit the hand-out of %zu pairs to %s", n, assignee);
    }
    log_info("pool: %zu pairs assigned to %s", n, assignee);
    *out = t.out;
    return 0;
}

struct lookup_ctx {
    const struct scs_pool *p;
    int with_pps;
    struct scs_psk_entry *out;
};

static int lookup_visit(void *arg, const struct store_psk_row *row)
{
    struct lookup_ctx *l = arg;
    return entry_from_row(l->p, row, l->with_pps, l->out);
}

int scs_pool_lookup(struct scs_pool *p, const char *pid, int with_pps, struct scs_psk_entry *out)
{
    struct lookup_ctx l = {.p = p, .with_pps = with_pps, .out = out};
    struct store_psk_visit visit = {.fn = lookup_visit, .arg = &l};
    int r;

    memset(out, 0, sizeof(*out));
    if (pid == NULL) {
        return SCS_ERR_INVALID_ARG;
    }
    if ((r = scs_pid_check(pid, strnlen(pid, SCS_PID_LEN + 1), NULL)) != 0) {
        return r;
    }
    return store_psk_get(p->st, pid, with_pps, &visit);
}

/* The edges of the life cycle in pool.h. */
static int transition_allowed(enum scs_psk_state from, enum scs_psk_state to)
{
    switch (to) {
    case SCS_PSK_ASSIGNED:
        return from == SCS_PSK_AVAILABLE;
    case SCS_PSK_USED:
        return from == SCS_PSK_ASSIGNED;
    case SCS_PSK_REPLACED:
        return from == SCS_PSK_USED;
    case SCS_PSK_REVOKED:
        return from == SCS_PSK_AVAILABLE || from == SCS_PSK_ASSIGNED || from == SCS_PSK_USED;
    case SCS_PSK_AVAILABLE:
        /* Give back: only for the process that took the pair and failed before its PPS
         * left the process (e.g. the USB file could not be written). */
        return from == SCS_PSK_ASSIGNED;
    default:
        return 0;
    }
}

int scs_pool_transition(struct scs_pool *p, const char *pid, enum scs_psk_state from,
                        enum scs_psk_state to, const char *assignee)
{
    char detail[64];
    int64_t now = psk_now();
    int r;

    if (pid == NULL || (int)from < 0 || (int)from >= SCS_PSK_STATE_COUNT || (int)to < 0 ||
        (int)to >= SCS_PSK_STATE_COUNT || !transition_allowed(from, to)) {
        return SCS_ERR_INVALID_ARG;
    }
    if (to == SCS_PSK_ASSIGNED && (assignee == NULL || *assignee == 0)) {
        return SCS_ERR_INVALID_ARG;
    }
    if (to == SCS_PSK_AVAILABLE) {
        assignee = ""; /* an available pair belongs to nobody */
    }
    if (assignee != NULL && (r = psk_assignee_check(assignee)) != 0) {
        return r;
    }
    if ((r = scs_pid_check(pid, strnlen(pid, SCS_PID_LEN + 1), NULL)) != 0) {
        return r;
    }
    if ((r = store_begin(p->st, 1)) != 0) {
        return r;
    }
    snprintf(detail, sizeof(detail), "%s->%s", scs_psk_state_name(from), scs_psk_state_name(to));
    if ((r = store_psk_set_state(p->st, pid, 1u << from, (int)to, assignee, now)) != 0 ||
        (r = store_audit_append(p->st, now, "transition", pid, detail)) != 0) {
        store_rollback(p->st);
        return r;
    }
    if ((r = store_commit(p->st)) == 0) {
        log_info("pool: %s %s", pid, detail);
    }
    return r;
}

int scs_pool_revoke(struct scs_pool *p, const char *pid)
{
    const unsigned from =
        (1u << SCS_PSK_AVAILABLE) | (1u << SCS_PSK_ASSIGNED) | (1u << SCS_PSK_USED);
    int64_t now = psk_now();
    int r;

    if (pid == NULL) {
        return SCS_ERR_INVALID_ARG;
    }
    if ((r = scs_pid_check(pid, strnlen(pid, SCS_PID_LEN + 1), NULL)) != 0) {
        return r;
    }
    if ((r = store_begin(p->st, 1)) != 0) {
        return r;
    }
    if ((r = store_psk_set_state(p->st, pid, from, SCS_PSK_REVOKED, NULL, now)) != 0 ||
        (r = store_audit_append(p->st, now, "revoke", pid, "")) != 0) {
        store_rollback(p->st);
        return r;
    }
    if ((r = store_commit(p->st)) == 0) {
        log_info("pool: %s revoked", pid);
    }
    return r;
}

struct list_ctx {
    const struct scs_pool *p;
    int with_pps;
    scs_pool_visit_fn visit;
    void *arg;
};

static int list_visit(void *arg, const struct store_psk_row *row)
{
    struct list_ctx *l = arg;
    struct scs_psk_entry e;
    int r;

    if ((r = entry_from_row(l->p, row, l->with_pps, &e)) != 0) {
        return r;
    }
    r = l->visit(l->arg, &e);
    scs_psk_entry_clear(&e);
    return r;
}

int scs_pool_list(struct scs_pool *p, int state_filter, int with_pps, scs_pool_visit_fn visit,
                  void *arg)
{
    struct list_ctx l = {.p = p, .with_pps = with_pps, .visit = visit, .arg = arg};
    struct store_psk_visit v = {.fn = list_visit, .arg = &l};

    if (visit == NULL || state_filter >= SCS_PSK_STATE_COUNT) {
        return SCS_ERR_INVALID_ARG;
    }
    return store_psk_list(p->st, state_filter < 0 ? -1 : state_filter, with_pps, 0, &v);
}

int scs_pool_stats(struct scs_pool *p, uint64_t counts[static SCS_PSK_STATE_COUNT])
{
    return store_psk_count(p->st, counts, SCS_PSK_STATE_COUNT);
}

int scs_pool_set_deferred(struct scs_pool *p, int deferred)
{
    return store_set_durability(p->st, deferred ? STORE_DURABLE_DEFERRED : STORE_DURABLE_EACH);
}

int scs_pool_sync(struct scs_pool *p)
{
    return store_sync(p->st);
}

int scs_pool_set_batching(struct scs_pool *p, void (*hook)(void *arg), void *arg)
{
    return store_set_batching(p->st, hook, arg);
}

int scs_pool_flush(struct scs_pool *p, int durable)
{
    return store_flush(p->st, durable);
}

int scs_pool_audit(struct scs_pool *p, const char *event, const char *subject, const char *detail)
{
    if (event == NULL || *event == 0) {
        return SCS_ERR_INVALID_ARG;
    }
    return store_audit_append(p->st, psk_now(), event, subject, detail);
}

int scs_pool_audit_list(struct scs_pool *p,
                        int (*fn)(void *arg, int64_t id, int64_t time, const char *event,
                                  const char *subject, const char *detail),
                        void *arg)
{
    return store_audit_list(p->st, fn, arg);
}
