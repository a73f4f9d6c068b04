/*
 * The store: rows that must survive a restart, behind a backend interface
 * (style.md §2.12).  Callers use the store_* functions below and never see
 * SQL; a backend is a struct store_ops chosen by name, so PostgreSQL can be
 * added as store_pg.c without touching a caller.
 *
 * The store knows nothing about secrets: a secret column holds an opaque
 * blob that the module above it (psk/pool.c) sealed with the master key and
 * bound to its row.  The store only moves bytes.
 *
 * Errors: 0 or a negative SCS_ERR_*; SCS_ERR_DB for anything the database
 * reports that has no better code, SCS_ERR_VERSION for a schema newer than
 * this program, SCS_ERR_NOT_INITIALISED when there is no store at location.
 */
#ifndef SCS_STORE_STORE_H
#define SCS_STORE_STORE_H

#include <stddef.h>
#include <stdint.h>

struct store;

#define STORE_PID_MAX      16  /* longest key the psk table accepts, without NUL */
#define STORE_ASSIGNEE_MAX 127 /* longest assignee, without NUL */
#define STORE_BLOB_MAX     256 /* longest secret blob a psk row may hold */
#define STORE_META_KEY_MAX 64
#define STORE_META_VAL_MAX 1024

/* One row of the psk table.  On reads, blob points into backend memory that is
 * valid only for the duration of the callback that received the row. */
struct store_psk_row {
    char pid[STORE_PID_MAX + 1];
    int state;
    char assignee[STORE_ASSIGNEE_MAX + 1];
    int64_t created;
    int64_t updated;
    const uint8_t *blob; /* pps_ct; NULL when not asked for */
    size_t blob_len;
};

/* Called once per row; a non-zero return stops the walk and is passed back. */
struct store_psk_visit {
    int (*fn)(void *arg, const struct store_psk_row *row);
    void *arg;
};

/*
 * A backend.  Every function gets the struct store that its own open()
 * returned.  Contracts that every backend keeps:
 *  - begin/commit/rollback frame a write transaction; begin with
 *    immediate = 1 takes the write lock at once (so two processes that read
 *    then write cannot both read the same rows first);
 *  - psk_take is atomic by itself (it must not be called inside begin/commit):
 *    either exactly n rows move from state `from` to state `to` and are each
 *    visited, or nothing changes; when visit fails the move is undone;
 *  - psk_insert returns SCS_ERR_EXISTS (and changes nothing) for a known pid;
 *  - psk_set_state is a compare-and-set: SCS_ERR_NOT_FOUND for an unknown
 *    pid, SCS_ERR_STATE when the row is in none of the states in from_mask.
 */
struct store_ops {
    const char *name;
    /* create = 1: make a new store (SCS_ERR_EXISTS if one is there); else open
     * an existing one (SCS_ERR_NOT_INITIALISED if there is none).  Either way
     * the schema is brought up to date by the backend's migrations. */
    int (*open)(const char *location, int create, struct store **out);
    void (*close)(struct store *s);
    int (*begin)(struct store *s, int immediate);
    int (*commit)(struct store *s);
    int (*rollback)(struct store *s);
    int (*schema_version)(struct store *s, int *version);

    int (*meta_get)(struct store *s, const char *key, uint8_t *val, size_t cap, size_t *len);
    int (*meta_set)(struct store *s, const char *key, const uint8_t *val, size_t len);

    int (*psk_insert)(struct store *s, const struct store_psk_row *row);
    int (*psk_get)(struct store *s, const char *pid, int with_blob,
                   const struct store_psk_visit *visit);
    int (*psk_set_state)(struct store *s, const char *pid, unsigned from_mask, int to,
                         const char *assignee, int64_t now);
    int (*psk_take)(struct store *s, size_t n, int from, int to, const char *assignee, int64_t now,
                    const struct store_psk_visit *visit);
    /* state < 0: every state; limit 0: no limit.  Rows in pid order. */
    int (*psk_list)(struct store *s, int state, int with_blob, uint64_t limit,
                    const struct store_psk_visit *visit);
    /* counts[state] for states 0..nstates-1; rows in other states are ignored. */
    int (*psk_count)(struct store *s, uint64_t *counts, size_t nstates);

    int (*audit_append)(struct store *s, int64_t time, const char *event, const char *subject,
                        const char *detail);
    /* Audit rows in id order (for tests and a future `scsctl audit`). */
    int (*audit_list)(struct store *s,
                      int (*fn)(void *arg, int64_t id, int64_t time, const char *event,
                                const char *subject, const char *detail),
                      void *arg);
};

/* Every store starts with this header so the wrappers can find the backend. */
struct store {
    const struct store_ops *ops;
};

/* The backend registered under name ("sqlite"), or NULL. */
const struct store_ops *store_backend(const char *name);
/* The default backend's name. */
#define STORE_DEFAULT_BACKEND "sqlite"

int store_open(const char *backend, const char *location, int create, struct store **out);
void store_close(struct store *s);
int store_begin(struct store *s, int immediate);
int store_commit(struct store *s);
int store_rollback(struct store *s);
int store_schema_version(struct store *s, int *version);
int store_meta_get(struct store *s, const char *key, uint8_t *val, size_t cap, size_t *len);
int store_meta_set(struct store *s, const char *key, const uint8_t *val, size_t len);
int store_psk_insert(struct store *s, const struct store_psk_row *row);
int store_psk_get(struct store *s, const char *pid, int with_blob,
                  const struct store_psk_visit *visit);
int store_psk_set_state(struct store *s, const char *pid, unsigned from_mask, int to,
                        const char *assignee, int64_t now);
int store_psk_take(struct store *s, size_t n, int from, int to, const char *assignee, int64_t now,
                   const struct store_psk_visit *visit);
int store_psk_list(struct store *s, int state, int with_blob, uint64_t limit,
                   const struct store_psk_visit *visit);
int store_psk_count(struct store *s, uint64_t *counts, size_t nstates);
int store_audit_append(struct store *s, int64_t time, const char *event, const char *subject,
                       const char *detail);
int store_audit_list(struct store *s,
                     int (*fn)(void *arg, int64_t id, int64_t time, const char *event,
                               const char *subject, const char *detail),
                     void *arg);

/* The SQLite backend (store_sqlite.c); exposed for the backend table only. */
extern const struct store_ops store_sqlite_ops;
/* The newest schema version the SQLite backend knows (for tests). */
int store_sqlite_latest_version(void);

#endif
