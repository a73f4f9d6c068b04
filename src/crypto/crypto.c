#include "crypto/crypto.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/secmem.h"

int scs_random_bytes(void *out, size_t len)
{
    if (len > (size_t)INT32_MAX) {
        return SCS_ERR_INVALID_ARG;
    }
    return RAND_bytes(out, (int)len) == 1 ? 0 : SCS_ERR_CRYPTO;
}

void scs_random_stream_init(struct scs_random_stream *rs)
{
    rs->pos = sizeof(rs->buf);
}

void scs_random_stream_wipe(struct scs_random_stream *rs)
{
    scs_wipe(rs->buf, sizeof(rs->buf));
    rs->pos = sizeof(rs->buf);
}

static int stream_u32(struct scs_random_stream *rs, uint32_t *v)
{
    int r;

    if (rs->pos > sizeof(rs->buf) - sizeof(*v)) {
        if ((r = scs_random_bytes(rs->buf, sizeof(rs->buf))) != 0) {
            return r;
        }
        rs->pos = 0;
    }
    memcpy(v, rs->buf + rs->pos, sizeof(*v));
    scs_wipe(rs->buf + rs->pos, sizeof(*v)); /* a byte is handed out once */
    rs->pos += sizeof(*v);
    return 0;
}

int scs_random_uniform(struct scs_random_stream *rs, uint32_t bound, uint32_t *out)
{
    uint32_t v, limit;
    int r;

    if (rs == NULL || bound == 0) {
        return SCS_ERR_INVALID_ARG;
    }
    /* Reject the top (2^32 mod bound) values so every residue is equally likely. */
    limit = UINT32_MAX - (UINT32_MAX % bound);
    do {
        if ((r = stream_u32(rs, &v)) != 0) {
            return r;
        }
    } while (v >= limit);
    *out = v % bound;
    return 0;
}

static int digest(const char *name, const void *data, size_t len, uint8_t *out)
{
    unsigned int outlen = 0;
    EVP_MD *md = EVP_MD_fetch(NULL, name, NULL);
    int ok;

    if (md == NULL) {
        return SCS_ERR_CRYPTO;
    }
    ok = EVP_Digest(data, len, out, &outlen, md, NULL);
    EVP_MD_free(md);
    return ok == 1 ? 0 : SCS_ERR_CRYPTO;
}

int scs_md5(const void *data, size_t len, uint8_t out[static SCS_MD5_LEN])
{
    return digest("MD5", data, len, out);
}

int scs_sha1(const void *data, size_t len, uint8_t out[static SCS_SHA1_LEN])
{
    return digest("SHA1", data, len, out);
}

int scs_sha256(const void *data, size_t len, uint8_t out[static SCS_SHA256_LEN])
{
    return digest("SHA256", data, len, out);
}

int scs_sha384(const void *data, size_t len, uint8_t out[static SCS_SHA384_LEN])
{
    return digest("SHA384", data, len, out);
}

int scs_hmac_sha256(const void *key, size_t keylen, const void *data, size_t len,
                    uint8_t out[static SCS_SHA256_LEN])
{
    unsigned int outlen = 0;

    if (keylen > INT32_MAX) {
        return SCS_ERR_INVALID_ARG;
    }
    return HMAC(EVP_sha256(), key, (int)keylen, data, len, out, &outlen) != NULL ? 0
                                                                                 : SCS_ERR_CRYPTO;
}

#define AEAD_NONCE_BATCH 256

/*
 * Random nonces are drawn AEAD_NONCE_BATCH at a time: one CSPRNG call per
 * message cost more than the encryption itself.  A forked child inherits the
 * unused part of the batch, and using it in both processes would repeat a
 * nonce under the same key, so every fork bumps aead_fork_gen and a context
 * throws its batch away when the generation it drew it in has passed.
 */
static volatile unsigned long aead_fork_gen;
static pthread_once_t aead_atfork_once = PTHREAD_ONCE_INIT;

static void aead_on_fork_child(void)
{
    aead_fork_gen++;
}

static void aead_atfork_register(void)
{
    (void)pthread_atfork(NULL, NULL, aead_on_fork_child);
}

struct scs_aead {
    EVP_CIPHER_CTX *enc; /* keyed once; each message only sets its nonce */
    EVP_CIPHER_CTX *dec;
    uint8_t nonces[AEAD_NONCE_BATCH * SCS_AEAD_NONCE_LEN];
    size_t nonce_next; /* index of the next unused nonce; AEAD_NONCE_BATCH = none left */
    unsigned long gen; /* aead_fork_gen when the batch was drawn */
};

static int aead_next_nonce(struct scs_aead *a, uint8_t *out)
{
    if (a->nonce_next >= AEAD_NONCE_BATCH || a->gen != aead_fork_gen) {
        if (scs_random_bytes(a->nonces, sizeof(a->nonces)) != 0) {
            return SCS_ERR_CRYPTO;
        }
        a->nonce_next = 0;
        a->gen = aead_fork_gen;
    }
    memcpy(out, a->nonces + a->nonce_next * SCS_AEAD_NONCE_LEN, SCS_AEAD_NONCE_LEN);
    /* Never hand the same bytes out twice, even if the struct is copied. */
    memset(a->nonces + a->nonce_next * SCS_AEAD_NONCE_LEN, 0, SCS_AEAD_NONCE_LEN);
    a->nonce_next++;
    return 0;
}

struct scs_aead *scs_aead_new(const uint8_t key[static SCS_AEAD_KEY_LEN])
{
    struct scs_aead *a = calloc(1, sizeof(*a));

    if (a == NULL) {
        return NULL;
    }
    (void)pthread_once(&aead_atfork_once, aead_atfork_register);
    a->nonce_next = AEAD_NONCE_BATCH;
    /* The expanded key lives inside the EVP contexts; EVP_CIPHER_CTX_free cleanses it. */
    if ((a->enc = EVP_CIPHER_CTX_new()) == NULL || (a->dec = EVP_CIPHER_CTX_new()) == NULL ||
        EVP_EncryptInit_ex(a->enc, EVP_aes_256_gcm(), NULL, key, NULL) != 1 ||
        EVP_DecryptInit_ex(a->dec, EVP_aes_256_gcm(), NULL, key, NULL) != 1) {
        scs_aead_free(a);
        return NULL;
    }
    return a;
}

void scs_aead_free(struct scs_aead *a)
{
    if (a == NULL) {
        return;
    }
    EVP_CIPHER_CTX_free(a->enc);
    EVP_CIPHER_CTX_free(a->dec);
    scs_wipe(a, sizeof(*a));
    free(a);
}

int scs_aead_ctx_seal(struct scs_aead *a, const void *aad, size_t aadlen, const void *pt,
                      size_t ptlen, struct scs_buf *out)
{
    uint8_t *p;
    int len = 0, r;
    size_t start = scs_buf_len(out);

    if (ptlen > INT32_MAX || aadlen > INT32_MAX) {
        return SCS_ERR_TOO_LARGE;
    }
    if ((r = scs_buf_reserve(out, SCS_AEAD_NONCE_LEN + ptlen + SCS_AEAD_TAG_LEN, &p)) != 0) {
        return r;
    }
    if (aead_next_nonce(a, p) != 0 || EVP_EncryptInit_ex(a->enc, NULL, NULL, NULL, p) != 1 ||
        (aadlen > 0 && EVP_EncryptUpdate(a->enc, NULL, &len, aad, (int)aadlen) != 1) ||
        EVP_EncryptUpdate(a->enc, p + SCS_AEAD_NONCE_LEN, &len, pt, (int)ptlen) != 1 ||
        EVP_EncryptFinal_ex(a->enc, p + SCS_AEAD_NONCE_LEN + len, &len) != 1 ||
        EVP_CIPHER_CTX_ctrl(a->enc, EVP_CTRL_GCM_GET_TAG, SCS_AEAD_TAG_LEN,
                            p + SCS_AEAD_NONCE_LEN + ptlen) != 1) {
        scs_buf_truncate(out, start);
        return SCS_ERR_CRYPTO;
    }
    return 0;
}

int scs_aead_ctx_open(struct scs_aead *a, const void *aad, size_t aadlen, const uint8_t *blob,
                      size_t bloblen, uint8_t *pt, size_t ptcap, size_t *ptlen)
{
    size_t ctlen;
    int len = 0, ok;

    if (bloblen < SCS_AEAD_OVERHEAD) {
        return SCS_ERR_AUTH;
    }
    ctlen = bloblen - SCS_AEAD_OVERHEAD;
    if (ctlen > ptcap || ctlen > INT32_MAX || aadlen > INT32_MAX) {
        return SCS_ERR_TOO_LARGE;
    }
    ok = EVP_DecryptInit_ex(a->dec, NULL, NULL, NULL, blob) == 1 &&
         (aadlen == 0 || EVP_DecryptUpdate(a->dec, NULL, &len, aad, (int)aadlen) == 1) &&
         EVP_DecryptUpdate(a->dec, pt, &len, blob + SCS_AEAD_NONCE_LEN, (int)ctlen) == 1 &&
         EVP_CIPHER_CTX_ctrl(a->dec, EVP_CTRL_GCM_SET_TAG, SCS_AEAD_TAG_LEN,
                             (void *)(uintptr_t)(blob + bloblen - SCS_AEAD_TAG_LEN)) == 1 &&
         EVP_DecryptFinal_ex(a->dec, pt + len, &len) == 1;
    if (!ok) {
        scs_wipe(pt, ctlen);
        return SCS_ERR_AUTH;
    }
    *ptlen = ctlen;
    return 0;
}

/* The one-shot forms: a keyed context used once (the blob format is the same). */
int scs_aead_seal(const uint8_t key[static SCS_AEAD_KEY_LEN], const void *aad, size_t aadlen,
                  const void *pt, size_t ptlen, struct scs_buf *out)
{
    struct scs_aead *a = scs_aead_new(key);
    int r;

    if (a == NULL) {
        return SCS_ERR_CRYPTO;
    }
    r = scs_aead_ctx_seal(a, aad, aadlen, pt, ptlen, out);
    scs_aead_free(a);
    return r;
}

int scs_aead_open(const uint8_t key[static SCS_AEAD_KEY_LEN], const void *aad, size_t aadlen,
                  const uint8_t *blob, size_t bloblen, uint8_t *pt, size_t ptcap, size_t *ptlen)
{
    struct scs_aead *a = scs_aead_new(key);
    int r;

    if (a == NULL) {
        return SCS_ERR_CRYPTO;
    }
    r = scs_aead_ctx_open(a, aad, aadlen, blob, bloblen, pt, ptcap, ptlen);
    scs_aead_free(a);
    return r;
}

const struct scs_scrypt_params scs_scrypt_default = {.n = 1u << 17, .r = 8, .p = 1};

int scs_scrypt_params_check(const struct scs_scrypt_params *p)
{
    /* 2^14 is the floor recommended for interactive use; 2^22 with r=8 is 4 GiB. */
    if (p->n < (1u << 14) || p->n > (1u << 22) || (p->n & (p->n - 1)) != 0 || p->r < 1 ||
        p->r > 32 || p->p < 1 || p->p > 16) {
        return SCS_ERR_FORMAT;
    }
    return 0;
}

int scs_scrypt(const void *pass, size_t passlen, const uint8_t *salt, size_t saltlen,
               const struct scs_scrypt_params *params, uint8_t *out, size_t outlen)
{
    /* maxmem must cover 128 * N * r * p plus working space. */
    uint64_t maxmem = 128ull * params->n * params->r * (params->p + 1) + (1u << 20);

    if (scs_scrypt_params_check(params) != 0) {
        return SCS_ERR_INVALID_ARG;
    }
    if (EVP_PBE_scrypt(pass, passlen, salt, saltlen, params->n, params->r, params->p, maxmem, out,
                       outlen) != 1) {
        return SCS_ERR_CRYPTO;
    }
    return 0;
}
