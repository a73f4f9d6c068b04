/*
 * The project's crypto primitives, all on OpenSSL 3.  Only src/crypto and
 * src/tls include OpenSSL headers (style.md §4.3).
 */
#ifndef SCS_CRYPTO_CRYPTO_H
#define SCS_CRYPTO_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

struct scs_buf;

/* CSPRNG bytes; SCS_ERR_CRYPTO if the generator fails (never silently weak). */
int scs_random_bytes(void *out, size_t len);
/*
 * Many small draws from few CSPRNG calls.  Each RAND_bytes call costs a
 * getpid() system call and the generator's locking, and a generated password
 * takes about thirty draws; a stream takes its bytes in blocks.  The buffer
 * holds future secret material: scs_random_stream_wipe when done.
 */
struct scs_random_stream {
    uint8_t buf[128];
    size_t pos; /* bytes of buf already used; sizeof(buf) when empty */
};
void scs_random_stream_init(struct scs_random_stream *rs);
void scs_random_stream_wipe(struct scs_random_stream *rs);
/* A uniform integer in [0, bound) by rejection sampling, bound >= 1. */
int scs_random_uniform(struct scs_random_stream *rs, uint32_t bound, uint32_t *out);

#define SCS_MD5_LEN    16
#define SCS_SHA1_LEN   20
#define SCS_SHA256_LEN 32
#define SCS_SHA384_LEN 48

int scs_md5(const void *data, size_t len, uint8_t out[static SCS_MD5_LEN]);
int scs_sha1(const void *data, size_t len, uint8_t out[static SCS_SHA1_LEN]);
int scs_sha256(const void *data, size_t len, uint8_t out[static SCS_SHA256_LEN]);
int scs_sha384(const void *data, size_t len, uint8_t out[static SCS_SHA384_LEN]);
int scs_hmac_sha256(const void *key, size_t keylen, const void *data, size_t len,
                    uint8_t out[static SCS_SHA256_LEN]);

/*
 * AEAD: AES-256-GCM.  A sealed blob is nonce(12) || ciphertext || tag(16); the
 * associated data binds the blob to its context (for stored secrets: table,
 * column and row key), so a blob copied elsewhere fails to open.
 */
#define SCS_AEAD_KEY_LEN   32
#define SCS_AEAD_NONCE_LEN 12
#define SCS_AEAD_TAG_LEN   16
#define SCS_AEAD_OVERHEAD  (SCS_AEAD_NONCE_LEN + SCS_AEAD_TAG_LEN)

/* Append the sealed blob for pt to out. */
int scs_aead_seal(const uint8_t key[static SCS_AEAD_KEY_LEN], const void *aad, size_t aadlen,
                  const void *pt, size_t ptlen, struct scs_buf *out);
/* Open a sealed blob into pt (capacity ptcap, needs bloblen - SCS_AEAD_OVERHEAD).
 * SCS_ERR_AUTH when the key, the AAD or any byte is wrong; pt is wiped then. */
int scs_aead_open(const uint8_t key[static SCS_AEAD_KEY_LEN], const void *aad, size_t aadlen,
                  const uint8_t *blob, size_t bloblen, uint8_t *pt, size_t ptcap, size_t *ptlen);

/*
 * The same AEAD with the key schedule done once, for sealing or opening many
 * blobs under one key (a million stored secrets): the blobs are identical to
 * scs_aead_seal's and open with scs_aead_open and vice versa.  Every seal
 * still draws a fresh random nonce.  The context holds the key; free it with
 * scs_aead_free, which wipes it.  Not for use by two threads at once.
 */
struct scs_aead;
struct scs_aead *scs_aead_new(const uint8_t key[static SCS_AEAD_KEY_LEN]);
void scs_aead_free(struct scs_aead *a);
int scs_aead_ctx_seal(struct scs_aead *a, const void *aad, size_t aadlen, const void *pt,
                      size_t ptlen, struct scs_buf *out);
int scs_aead_ctx_open(struct scs_aead *a, const void *aad, size_t aadlen, const uint8_t *blob,
                      size_t bloblen, uint8_t *pt, size_t ptcap, size_t *ptlen);

/*
 * Memory-hard passphrase KDF: scrypt.  (Argon2 needs OpenSSL 3.2; Debian 12
 * ships 3.0.)  Parameters travel with whatever they protect.
 */
struct scs_scrypt_params {
    uint64_t n; /* CPU/memory cost, a power of two */
    uint32_t r;
    uint32_t p;
};
/* The default: N=2^17, r=8, p=1, i.e. 128 MiB and about half a second here. */
extern const struct scs_scrypt_params scs_scrypt_default;
/* Bounds accepted when reading parameters from a file, so a hostile file cannot ask for
 * terabytes of memory or a zero-cost derivation. */
int scs_scrypt_params_check(const struct scs_scrypt_params *p);
int scs_scrypt(const void *pass, size_t passlen, const uint8_t *salt, size_t saltlen,
               const struct scs_scrypt_params *params, uint8_t *out, size_t outlen);

#endif
