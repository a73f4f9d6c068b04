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

/* ---- registry rows (schema 2): devices, profiles, certificates, the CA ---- */

#define STORE_NAME_MAX        63           /* profile and certificate names, without NUL */
#define STORE_SECRET_BLOB_MAX 65536        /* longest sealed secret (a PEM private key) */
#define STORE_TEXT_MAX        (256 * 1024) /* longest PEM chain or CA certificate */

/* A device row; the fields mirror struct scs_device (registry.h). */
struct store_device_row {
    char uuid[37];
    char address[64];
    int state;
    int path;
    char fw_version[32];
    char profile[64];
    char pid[9];
    char new_pid[9];
    char step[32];
    char last_error[256];
    char realm[64];
    char tls_fingerprint[65];
    uint32_t attempts;
    int64_t first_seen, last_hello, updated, provisioned_at;
};

/* A profile row; the fields mirror struct scs_profile (registry.h). */
struct store_profile_row {
    char name[64];
    int admin_password_random;
    int set_mebx_password;
    int mebx_password_random;
    int require_otp;
    int time_sync;
    int configure_tls;
    int new_psk;
    int redirection;
    int user_consent;
    char hostname_template[64];
    char domain[128];
    int64_t updated;
};

/* A provisioning certificate row.  On reads, chain_pem and key_blob point into backend
 * memory valid only during the callback (NULL when not asked for). */
struct store_cert_row {
    char name[64];
    char domain[256];
    char root_sha1[41];
    char root_sha256[65];
    char root_sha384[97];
    int64_t not_after;
    char subnets[256];
    int64_t created;
    const char *chain_pem;
    size_t chain_len;
    const uint8_t *key_blob; /* sealed by the caller */
    size_t key_len;
};

/* Which table a sealed secret lives in; owner is the device UUID or the profile name. */
enum store_secret_table { STORE_SECRET_DEVICE = 0, STORE_SECRET_PROFILE = 1 };

/* Receives one sealed blob (valid only during the call). */
struct store_blob_visit {
    int (*fn)(void *arg, const uint8_t *blob, size_t len);
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
enum store_durability {
    STORE_DURABLE_EACH = 0,
    STORE_DURABLE_DEFERRED,
};

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
    /* When a commit reaches stable storage: STORE_DURABLE_EACH (the default)
     * before it returns; STORE_DURABLE_DEFERRED at once for a crash of this
     * process, for a power cut only at the next commit made in EACH mode or
     * the next sync.  Earlier commits always become durable no later than a
     * later one. */
    int (*set_durability)(struct store *s, enum store_durability d);
    /* Make every commit so far durable (nothing to do when none is pending);
     * commits an open batch first. */
    int (*sync)(struct store *s);
    /* Batching, for a process that makes many small deferred writes: with a
     * hook set and STORE_DURABLE_DEFERRED, writes outside begin/commit, and
     * begin/commit themselves, join one open transaction (the batch) instead
     * of committing one by one; hook(arg) runs when a batch opens, and the
     * owner commits it soon after with flush.  A rollback undoes only its own
     * begin's writes.  Until flushed, a batch is lost with the process.
     * Switching to STORE_DURABLE_EACH, sync and close flush it; writes in EACH
     * mode never join one.  hook NULL turns batching off (flushing first). */
    int (*set_batching)(struct store *s, void (*hook)(void *arg), void *arg);
    /* Commit the open batch, if any (SCS_ERR_STATE inside begin/commit);
     * durable = 1: and put every commit so far in stable storage, as a
     * commit in EACH mode would (the log is synced, not checkpointed). */
    int (*flush)(struct store *s, int durable);
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

    /* ---- schema 2: the registry (registry/registry.c is the only caller) ----
     * Puts are upserts (a put never deletes dependent rows); gets return
     * SCS_ERR_NOT_FOUND for an unknown key; lists visit rows in key order and stop at
     * the first non-zero return, which they pass back. */
    int (*device_put)(struct store *s, const struct store_device_row *row);
    int (*device_get)(struct store *s, const char *uuid, struct store_device_row *out);
    int (*device_list)(struct store *s, int (*fn)(void *arg, const struct store_device_row *row),
                       void *arg);

    /* Sealed secrets of a device or profile.  secret_set upserts; a profile secret
     * for an unknown profile is SCS_ERR_NOT_FOUND. */
    int (*secret_set)(struct store *s, enum store_secret_table t, const char *owner,
                      const char *name, const uint8_t *blob, size_t len, int64_t now);
    int (*secret_get)(struct store *s, enum store_secret_table t, const char *owner,
                      const char *name, const struct store_blob_visit *visit);
    int (*secret_delete)(struct store *s, enum store_secret_table t, const char *owner,
                         const char *name);

    int (*profile_put)(struct store *s, const struct store_profile_row *row);
    int (*profile_get)(struct store *s, const char *name, struct store_profile_row *out);
    /* Deletes the profile's secrets with it. */
    int (*profile_delete)(struct store *s, const char *name);
    int (*profile_list)(struct store *s, int (*fn)(void *arg, const struct store_profile_row *row),
                        void *arg);

    int (*cert_put)(struct store *s, const struct store_cert_row *row);
    /* with_blobs: fill chain_pem and key_blob as well. */
    int (*cert_get)(struct store *s, const char *name, int with_blobs,
                    int (*fn)(void *arg, const struct store_cert_row *row), void *arg);
    int (*cert_delete)(struct store *s, const char *name);
    int (*cert_list)(struct store *s, int (*fn)(void *arg, const struct store_cert_row *row),
                     void *arg);

    /* The single CA row: certificate PEM and sealed key. */
    int (*ca_put)(struct store *s, const char *cert_pem, size_t cert_len, const uint8_t *key_blob,
                  size_t key_len, int64_t now);
    int (*ca_get)(struct store *s,
                  int (*fn)(void *arg, const char *cert_pem, size_t cert_len,
                            const uint8_t *key_blob, size_t key_len),
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
int store_set_durability(struct store *s, enum store_durability d);
int store_sync(struct store *s);
int store_set_batching(struct store *s, void (*hook)(void *arg), void *arg);
int store_flush(struct store *s, int durable);
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

int store_device_put(struct store *s, const struct store_device_row *row);
int store_device_get(struct store *s, const char *uuid, struct store_device_row *out);
int store_device_list(struct store *s, int (*fn)(void *arg, const struct store_device_row *row),
                      void *arg);
int store_secret_set(struct store *s, enum store_secret_table t, const char *owner,
                     const char *name, const uint8_t *blob, size_t len, int64_t now);
int store_secret_get(struct store *s, enum store_secret_table t, const char *owner,
                     const char *name, const struct store_blob_visit *visit);
int store_secret_delete(struct store *s, enum store_secret_table t, const char *owner,
                        const char *name);
int store_profile_put(struct store *s, const struct store_profile_row *row);
int store_profile_get(struct store *s, const char *name, struct store_profile_row *out);
int store_profile_delete(struct store *s, const char *name);
int store_profile_list(struct store *s, int (*fn)(void *arg, const struct store_profile_row *row),
                       void *arg);
int store_cert_put(struct store *s, const struct store_cert_row *row);
int store_cert_get(struct store *s, const char *name, int with_blobs,
                   int (*fn)(void *arg, const struct store_cert_row *row), void *arg);
int store_cert_delete(struct store *s, const char *name);
int store_cert_list(struct store *s, int (*fn)(void *arg, const struct store_cert_row *row),
                    void *arg);
int store_ca_put(struct store *s, const char *cert_pem, size_t cert_len, const uint8_t *key_blob,
                 size_t key_len, int64_t now);
int store_ca_get(struct store *s,
                 int (*fn)(void *arg, const char *cert_pem, size_t cert_len,
                           const uint8_t *key_blob, size_t key_len),
                 void *arg);

/* The SQLite backend (store_sqlite.c); exposed for the backend table only. */
extern const struct store_ops store_sqlite_ops;
/* The newest schema version the SQLite backend knows (for tests). */
int store_sqlite_latest_version(void);

#endif
