/*
 * The PSK pool: PID/PPS pairs the server generated, with their life cycle
 *
 *     available -> assigned (to a USB file or a device) -> used -> replaced
 *                                                     \-> revoked (from any state but replaced)
 *     assigned -> available ("give back", assignee cleared): only for the process
 *                 that took the pair, when its PPS never left that process
 *
 * over the store.  PPS values are encrypted at rest with the master key and
 * bound to their PID, and only ever leave this module inside a struct
 * scs_secret.  A pair is handed out once: scs_pool_take() moves pairs from
 * available to assigned in one transaction, so concurrent callers (processes
 * included) never receive the same pair.
 */
#ifndef SCS_PSK_POOL_H
#define SCS_PSK_POOL_H

#include <stddef.h>
#include <stdint.h>

#include "formats/pidpps.h"

struct scs_diag;
struct scs_secret;
struct scs_pool;

enum scs_psk_state {
    SCS_PSK_AVAILABLE = 0,
    SCS_PSK_ASSIGNED = 1,
    SCS_PSK_USED = 2,
    SCS_PSK_REPLACED = 3,
    SCS_PSK_REVOKED = 4,
};
#define SCS_PSK_STATE_COUNT 5

const char *scs_psk_state_name(enum scs_psk_state s); /* "available", ... */
int scs_psk_state_parse(const char *name, enum scs_psk_state *out);

struct scs_psk_entry {
    char pid[SCS_PID_LEN + 1]; /* raw form */
    enum scs_psk_state state;
    char assignee[128]; /* "usb:<file>" or "device:<uuid>"; empty when available */
    int64_t created;    /* Unix seconds */
    int64_t updated;
    struct scs_secret *pps; /* only when asked for; free with scs_psk_entry_clear() */
};
void scs_psk_entry_clear(struct scs_psk_entry *e);

/* Create the data directory (0700), the master key (0600) and the store.
 * SCS_ERR_EXISTS if it is already initialised (nothing is changed then). */
int scs_pool_init(const char *datadir);
/* Open an initialised data directory; SCS_ERR_NOT_INITIALISED when it is not. */
int scs_pool_open(const char *datadir, struct scs_pool **out);
void scs_pool_close(struct scs_pool *p);
/* The same, with a message in d that names the file or directory at fault (for the CLI). */
int scs_pool_init_diag(const char *datadir, struct scs_diag *d);
int scs_pool_open_diag(const char *datadir, struct scs_pool **out, struct scs_diag *d);

/* Add n fresh pairs (state available); *made says how many were stored. */
int scs_pool_generate(struct scs_pool *p, uint64_t n, uint64_t *made);
/* Atomically move n available pairs to assigned(assignee) and return them with their PPS.
 * SCS_ERR_EXHAUSTED (and nothing changed) when fewer than n are available. */
int scs_pool_take(struct scs_pool *p, size_t n, const char *assignee,
                  struct scs_psk_entry **out /* array of n, free with scs_pool_entries_free */);
void scs_pool_entries_free(struct scs_psk_entry *e, size_t n);
/* One pair by PID, with its PPS when with_pps is set. */
int scs_pool_lookup(struct scs_pool *p, const char *pid, int with_pps, struct scs_psk_entry *out);
/* Compare-and-set of the state: SCS_ERR_STATE when the pair is not in state `from`. */
int scs_pool_transition(struct scs_pool *p, const char *pid, enum scs_psk_state from,
                        enum scs_psk_state to, const char *assignee);
/* Revoke a pair in any state but replaced/revoked. */
int scs_pool_revoke(struct scs_pool *p, const char *pid);

typedef int (*scs_pool_visit_fn)(void *arg, const struct scs_psk_entry *e);
/* Visit pairs in PID order; state_filter < 0 means all.  A non-zero return from visit stops
 * the walk and is returned. */
int scs_pool_list(struct scs_pool *p, int state_filter, int with_pps, scs_pool_visit_fn visit,
                  void *arg);
int scs_pool_stats(struct scs_pool *p, uint64_t counts[static SCS_PSK_STATE_COUNT]);

/* Transfer bundles (versioned, scrypt + AES-256-GCM, integrity-protected). */
struct scs_import_result {
    uint64_t imported;
    uint64_t skipped; /* already present */
};
int scs_pool_export(struct scs_pool *p, const char *path, const struct scs_secret *passphrase,
                    int state_filter, uint64_t *count);
struct scs_scrypt_params;
/* Export with explicit scrypt parameters (tests and benchmarks; they must pass
 * scs_scrypt_params_check).  scs_pool_export uses scs_scrypt_default. */
int scs_pool_export_params(struct scs_pool *p, const char *path,
                           const struct scs_secret *passphrase, int state_filter,
                           const struct scs_scrypt_params *kdf, uint64_t *count);
/* All or nothing: on any error nothing is imported and d says why. */
int scs_pool_import(struct scs_pool *p, const char *path, const struct scs_secret *passphrase,
                    struct scs_import_result *res, struct scs_diag *d);

/* Durability.  By default every write is on disk when it returns.  A caller
 * that knows its durability points (scsd) may defer: writes then survive a
 * crash of the process at once, and a power cut once scs_pool_flush(p, 1) or
 * scs_pool_sync() follows them. */
int scs_pool_set_deferred(struct scs_pool *p, int deferred);
/* Put every write so far on disk (cheap when there is none). */
int scs_pool_sync(struct scs_pool *p);
/* Deferred writes may also be batched (store.h, set_batching): they then
 * survive a crash of the process only once scs_pool_flush() commits them.
 * hook(arg) runs when a batch opens; the caller flushes soon after (scsd: on
 * the next turn of its event loop).  hook NULL turns batching off. */
int scs_pool_set_batching(struct scs_pool *p, void (*hook)(void *arg), void *arg);
/* Commit the open batch; durable = 1: and put every write so far on disk
 * (one log sync, however many writes). */
int scs_pool_flush(struct scs_pool *p, int durable);

/* Append a security-relevant event to the audit log (never pass a secret). */
int scs_pool_audit(struct scs_pool *p, const char *event, const char *subject, const char *detail);
/* Visit the audit log in order (tests, a future `scsctl audit`). */
int scs_pool_audit_list(struct scs_pool *p,
                        int (*fn)(void *arg, int64_t id, int64_t time, const char *event,
                                  const char *subject, const char *detail),
                        void *arg);

#endif
