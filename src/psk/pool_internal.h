/*
 * Internals shared by pool.c, bundle.c and masterkey.c, and by registry/registry.c,
 * which keeps its secrets under the same master key and store; not for other modules.
 */
#ifndef SCS_PSK_POOL_INTERNAL_H
#define SCS_PSK_POOL_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "psk/pool.h"

struct scs_aead;
struct scs_buf;
struct scs_diag;
struct scs_secret;
struct store;

#define PSK_MASTER_KEY_FILE "master.key"
#define PSK_STORE_FILE      "scs.db"
#define PSK_MASTER_KEY_LEN  32
/* Sealed PPS: nonce || ciphertext(32) || tag. */
#define PSK_PPS_CT_LEN (12 + 32 + 16)

struct scs_pool {
    char *datadir;
    struct store *st;
    struct scs_secret *key; /* the master key, wiped on close */
    struct scs_aead *aead;  /* keyed with it once, for sealing and opening PPS blobs */
};

/* master.key: create (0600, atomically) and load (refusing loose permissions). */
int psk_masterkey_create(const char *path);
int psk_masterkey_load(const char *path, struct scs_secret **out, struct scs_diag *d);

/* "dir/name" in a new string. */
char *psk_path_join(const char *dir, const char *name);

/* Seal a raw 32-character PPS for its row (AAD binds it to pid) into out (reset first). */
int psk_pps_seal(const struct scs_pool *p, const char *pid, const char *pps, struct scs_buf *out);
/* Open a row's blob into pps (a secret of SCS_PPS_LEN); SCS_ERR_AUTH if it was not
 * sealed for this pid with this key. */
int psk_pps_open(const struct scs_pool *p, const char *pid, const uint8_t *blob, size_t len,
                 struct scs_secret *pps);

/*
 * Seal any secret with the master key for the row named by aad (a NUL-terminated
 * "scs/v1/<table>/<row...>/<column>" string), into out (reset first).  Open returns
 * a new secret of the plaintext's length; SCS_ERR_AUTH when the blob was not sealed for
 * this aad with this key.  Used by the registry so that it shares the pool's key and
 * AEAD context instead of loading the master key a second time.
 */
int psk_secret_seal(const struct scs_pool *p, const char *aad, const void *pt, size_t len,
                    struct scs_buf *out);
int psk_secret_open(const struct scs_pool *p, const char *aad, const uint8_t *blob, size_t len,
                    struct scs_secret **out);
/* The pool's store (owned by the pool). */
struct store *psk_pool_store(struct scs_pool *p);

int64_t psk_now(void);
/* Copy a stored PID (exactly SCS_PID_LEN characters, else SCS_ERR_FORMAT). */
int psk_pid_copy(char dst[static SCS_PID_LEN + 1], const char *src);
/* Assignee text: at most 127 printable ASCII characters. */
int psk_assignee_check(const char *assignee);

#endif
