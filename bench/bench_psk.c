/*
 * PSK pool benchmark: generate and store N pairs (default 1,000,000), export
 * them, import them into an empty store, and look up N/10 random PIDs with
 * their PPS.  In the same run it measures the floor: plain SQLite inserting N
 * comparable rows (pid TEXT PRIMARY KEY + 60-byte blob, same journal, sync and
 * cache settings, one transaction, one prepared statement) and looking up the
 * same number of random keys, and prints the ratios.
 *
 *   BENCH_N=100000 build/bin/bench_psk
 *
 * The scrypt cost of the bundle is the default (N=2^17); it is a fixed ~0.5 s
 * per export and import, whatever the pool size.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "common/err.h"
#include "common/log.h"
#include "common/secmem.h"
#include "crypto/crypto.h"
#include "formats/pidpps.h"
#include "psk/pool.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void die(const char *what, int r)
{
    fprintf(stderr, "bench_psk: %s: %s\n", what, scs_strerror(r));
    exit(1);
}

struct pids {
    char (*v)[SCS_PID_LEN + 1];
    size_t n, cap;
};

static int collect(void *arg, const struct scs_psk_entry *e)
{
    struct pids *p = arg;
    if (p->n < p->cap) {
        memcpy(p->v[p->n++], e->pid, SCS_PID_LEN + 1);
    }
    return 0;
}

/* xorshift64*: a fast, seeded, non-cryptographic generator for picking keys. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 2685821657736338717ull;
}

static void sq_exec(sqlite3 *db, const char *sql)
{
    if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK) {
        fprintf(stderr, "bench_psk: %s: %s\n", sql, sqlite3_errmsg(db));
        exit(1);
    }
}

/* The floor: plain SQLite with the store's settings and no crypto. */
static void floor_run(const char *path, struct pids *keys, size_t lookups, int sorted,
                      double *t_insert, double *t_lookup)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *ins = NULL, *sel = NULL;
    uint8_t blob[60];
    size_t *order = malloc(keys->n * sizeof(*order));
    double t0;

    for (size_t i = 0; i < keys->n; i++) {
        order[i] = i;
    }
    if (!sorted) {
        /* The keys were collected in PID order; insert them in random order as a naive
         * writer of random PIDs would. */
        for (size_t i = keys->n; i > 1; i--) {
            size_t j = (size_t)(rnd() % i), tmp = order[i - 1];
            order[i - 1] = order[j];
            order[j] = tmp;
        }
    }
    unlink(path);
    if (sqlite3_open(path, &db) != SQLITE_OK) {
        exit(1);
    }
    sq_exec(db, "PRAGMA journal_mode = WAL");
    sq_exec(db, "PRAGMA synchronous = FULL");
    sq_exec(db, "PRAGMA cache_size = -65536");
    sq_exec(db, "CREATE TABLE t (pid TEXT PRIMARY KEY NOT NULL, blob BLOB NOT NULL) WITHOUT ROWID");
    sqlite3_prepare_v2(db, "INSERT INTO t (pid, blob) VALUES (?1, ?2)", -1, &ins, NULL);
    sqlite3_prepare_v2(db, "SELECT blob FROM t WHERE pid = ?1", -1, &sel, NULL);
    scs_random_bytes(blob, sizeof(blob));
    t0 = now();
    sq_exec(db, "BEGIN IMMEDIATE");
    for (size_t i = 0; i < keys->n; i++) {
        sqlite3_bind_text(ins, 1, keys->v[order[i]], SCS_PID_LEN, SQLITE_STATIC);
        sqlite3_bind_blob(ins, 2, blob, sizeof(blob), SQLITE_STATIC);
        if (sqlite3_step(ins) != SQLITE_DONE) {
            fprintf(stderr, "bench_psk: floor insert: %s\n", sqlite3_errmsg(db));
            exit(1);
        }
        sqlite3_reset(ins);
    }
    sq_exec(db, "COMMIT");
    *t_insert = now() - t0;
    t0 = now();
    for (size_t i = 0; i < lookups; i++) {
        sqlite3_bind_text(sel, 1, keys->v[rnd() % keys->n], SCS_PID_LEN, SQLITE_STATIC);
        if (sqlite3_step(sel) != SQLITE_ROW || sqlite3_column_bytes(sel, 0) != 60) {
            fprintf(stderr, "bench_psk: floor lookup failed\n");
            exit(1);
        }
        sqlite3_reset(sel);
    }
    *t_lookup = now() - t0;
    sqlite3_finalize(ins);
    sqlite3_finalize(sel);
    sqlite3_close(db);
    free(order);
}

static void rm_rf(const char *dir)
{
    char cmd[256];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0) {
        fprintf(stderr, "bench_psk: could not remove %s\n", dir);
    }
}

int main(void)
{
    const char *env = getenv("BENCH_N");
    unsigned long n = 1000000;
    size_t lookups;
    char tmp[] = "/tmp/scs-bench-psk.XXXXXX";
    char a[64], b[64], bundle[80], floor_db[80];
    struct scs_pool *pa = NULL, *pb = NULL;
    struct scs_secret *pass = scs_secret_from("bench passphrase", 16);
    struct scs_import_result res;
    struct scs_diag d;
    struct pids keys = {0};
    uint64_t made = 0, count = 0;
    double t0, t_gen, t_exp, t_imp, t_look, f_ins, f_look, fs_ins, fs_look;
    int r;

    if (env != NULL && *env != 0) {
        char *end = NULL;
        n = strtoul(env, &end, 10);
        if (end == env || *end != 0 || n < 10 || n > 2000000) {
            fprintf(stderr, "bench_psk: BENCH_N must be 10..2000000\n");
            return 2;
        }
    }
    lookups = n / 10;
    scs_log_init("bench_psk", SCS_LOG_WARN);
    if (mkdtemp(tmp) == NULL) {
        return 1;
    }
    snprintf(a, sizeof(a), "%s/a", tmp);
    snprintf(b, sizeof(b), "%s/b", tmp);
    snprintf(bundle, sizeof(bundle), "%s/pairs.bundle", tmp);
    snprintf(floor_db, sizeof(floor_db), "%s/floor.db", tmp);
    if ((r = scs_pool_init(a)) != 0 || (r = scs_pool_init(b)) != 0 ||
        (r = scs_pool_open(a, &pa)) != 0 || (r = scs_pool_open(b, &pb)) != 0) {
        die("init", r);
    }
    printf("bench_psk: %lu pairs, %zu random lookups; bundle scrypt N=2^17 r=8 p=1 (the "
           "default, not lowered)\n",
           n, lookups);

    t0 = now();
    if ((r = scs_pool_generate(pa, n, &made)) != 0 || made != n) {
        die("generate", r);
    }
    t_gen = now() - t0;

    t0 = now();
    if ((r = scs_pool_export(pa, bundle, pass, -1, &count)) != 0 || count != n) {
        die("export", r);
    }
    t_exp = now() - t0;

    t0 = now();
    if ((r = scs_pool_import(pb, bundle, pass, &res, &d)) != 0 || res.imported != n) {
        fprintf(stderr, "bench_psk: import: %s\n", d.reason);
        die("import", r);
    }
    t_imp = now() - t0;

    keys.cap = n;
    keys.v = calloc(n, sizeof(*keys.v));
    if ((r = scs_pool_list(pb, -1, 0, collect, &keys)) != 0 || keys.n != n) {
        die("list", r);
    }
    t0 = now();
    for (size_t i = 0; i < lookups; i++) {
        struct scs_psk_entry e;
        if ((r = scs_pool_lookup(pb, keys.v[rnd() % keys.n], 1, &e)) != 0 || e.pps == NULL) {
            die("lookup", r);
        }
        scs_psk_entry_clear(&e);
    }
    t_look = now() - t0;
    scs_pool_close(pa);
    scs_pool_close(pb);

    floor_run(floor_db, &keys, lookups, 0, &f_ins, &f_look);
    floor_run(floor_db, &keys, lookups, 1, &fs_ins, &fs_look);

    printf("  generate + store  %8.3f s  (%.2f us/pair)\n", t_gen, t_gen * 1e6 / (double)n);
    printf("  export            %8.3f s\n", t_exp);
    printf("  import (empty)    %8.3f s\n", t_imp);
    printf("  lookup with PPS   %8.3f s  (%.2f us/lookup)\n", t_look,
           t_look * 1e6 / (double)lookups);
    printf("  floor: plain SQLite, pid TEXT PK + 60-byte blob, WAL, synchronous=FULL, "
           "one transaction\n");
    printf("    insert, random order  %8.3f s\n", f_ins);
    printf("    insert, sorted        %8.3f s\n", fs_ins);
    printf("    lookup                %8.3f s  (%.2f us/lookup)\n", f_look,
           f_look * 1e6 / (double)lookups);
    printf("  ratios: generate/floor-insert %.2f (sorted floor %.2f), import/floor-insert %.2f, "
           "lookup/floor-lookup %.2f\n",
           t_gen / f_ins, t_gen / fs_ins, t_imp / f_ins, t_look / f_look);
    free(keys.v);
    scs_secret_free(pass);
    rm_rf(tmp);
    return 0;
}
