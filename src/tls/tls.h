/*
 * TLS toward AMT devices (protocol.md §4.3, §5.3, §5.4) on OpenSSL 3.
 *
 * No OpenSSL type crosses this header: http/ receives an SSL_CTX from libcurl
 * as a void pointer and hands it to tls_session_apply().  Private keys live
 * only inside struct tls_identity and struct tls_ca; callers get signatures
 * and certificates, never key bytes.
 *
 * Three session profiles:
 *  - PSK (one-touch): TLS 1.2 PSK suites, identity = 8 raw PID characters,
 *    PSK = 32 raw PPS characters (§4.3 [PROP]); no certificate to verify.
 *  - X.509 provisioning (PKI / remote configuration): client chain leaf →
 *    intermediates → root (the device only knows the root's hash, §5.4), RSA
 *    key-exchange and ECDHE suites, TLS 1.2; the device's self-signed
 *    certificate is not verified but its SHA-256 fingerprint is recorded.
 *  - Pinned (after provisioning): the device certificate must match a stored
 *    SHA-256 fingerprint; optional client certificate.
 */
#ifndef SCS_TLS_TLS_H
#define SCS_TLS_TLS_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct scs_buf;
struct scs_diag;
struct scs_secret;

#define TLS_PID_LEN         8
#define TLS_PPS_LEN         32
#define TLS_FINGERPRINT_LEN 32 /* SHA-256 */
#define TLS_CHAIN_MAX       8  /* certificates in a provisioning chain */
#define TLS_PEM_MAX         ((size_t)256 * 1024)

/* Cipher policy (OpenSSL names). */
#define TLS_PSK_CIPHERS                                                                            \
    "PSK-AES128-CBC-SHA:PSK-AES256-CBC-SHA:PSK-AES128-GCM-SHA256:PSK-AES256-GCM-SHA384:"           \
    "PSK-AES128-CBC-SHA256"
#define TLS_X509_CIPHERS                                                                           \
    "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-SHA:"                \
    "ECDHE-RSA-AES256-SHA:AES128-GCM-SHA256:AES256-GCM-SHA384:AES128-SHA:AES256-SHA"

/* ---- identities: a certificate chain and its private key --------------- */

struct tls_identity;

/* PEM chain (leaf first, then intermediates, then root) and an unencrypted PEM key.
 * SCS_ERR_FORMAT if the PEM is bad, the chain is not in issuing order or the key does
 * not belong to the leaf; SCS_ERR_TOO_LARGE over TLS_CHAIN_MAX or TLS_PEM_MAX. */
int tls_identity_from_pem(const void *chain_pem, size_t chain_len, const void *key_pem,
                          size_t key_len, struct tls_identity **out, struct scs_diag *diag);
int tls_identity_load_pem(const char *chain_path, const char *key_path, struct tls_identity **out,
                          struct scs_diag *diag);
void tls_identity_free(struct tls_identity *id);
/* Number of certificates (leaf included). */
size_t tls_identity_chain_len(const struct tls_identity *id);
/* DER of certificate i (0 = leaf) appended to out. */
int tls_identity_cert_der(const struct tls_identity *id, size_t i, struct scs_buf *out);
/* RSASSA-PKCS1-v1_5 with SHA-256 by the leaf key, appended to out (AdminSetup, §6.2). */
int tls_identity_sign_sha256(const struct tls_identity *id, const void *data, size_t len,
                             struct scs_buf *out);

struct tls_cert_hashes {
    uint8_t sha1[20];
    uint8_t sha256[32];
    uint8_t sha384[48];
};
/* Hashes over the DER of one certificate. */
int tls_cert_der_hashes(const uint8_t *der, size_t len, struct tls_cert_hashes *out);
/* Hashes of the last certificate of the chain (the root the device must know, §5.2). */
int tls_identity_root_hashes(const struct tls_identity *id, struct tls_cert_hashes *out);

/* The §5.1 rules for a provisioning ("Intel(R) Client Setup") leaf. */
struct tls_prov_check {
    int has_intel_oid;   /* EKU 2.16.840.1.113741.1.2.3 */
    int has_setup_ou;    /* subject OU = "Intel(R) Client Setup Certificate" (case-sensitive) */
    int has_server_auth; /* EKU 1.3.6.1.5.5.7.3.1 */
    int rsa_bits;        /* 0 when the key is not RSA */
    int valid_now;       /* notBefore <= now <= notAfter */
    long days_to_expiry; /* whole days from now to notAfter; negative once expired */
};
/* Fill *out; return 0 if the leaf is acceptable, SCS_ERR_FORMAT if it lacks the OID/OU,
 * serverAuth or an RSA key >= 2048 bits, SCS_ERR_STATE if it is outside its validity. */
int tls_identity_check_provisioning(const struct tls_identity *id, time_t now,
                                    struct tls_prov_check *out, struct scs_diag *diag);
/* 1 when the leaf's CN or a SAN DNS name fits the device's DNS suffix (§5.1): with
 * name = CN minus a leading "*.", suffix == name, suffix ends with "." + name, or
 * name ends with "." + suffix; ASCII case-insensitive.  0 otherwise. */
int tls_identity_domain_matches(const struct tls_identity *id, const char *dns_suffix);

/* The leaf's subject CN (empty when it has none; SCS_ERR_FORMAT when it does not fit in
 * cn_cap or holds a NUL) and its notAfter as Unix seconds. */
int tls_identity_leaf_info(const struct tls_identity *id, char *cn, size_t cn_cap,
                           int64_t *not_after);

/* ---- a small CA for device TLS certificates (§2.4 8.8) ----------------- */

struct tls_ca;

int tls_ca_from_pem(const void *cert_pem, size_t cert_len, const void *key_pem, size_t key_len,
                    struct tls_ca **out, struct scs_diag *diag);
/* A new self-signed RSA-2048 CA valid for days days. */
int tls_ca_generate(const char *common_name, unsigned days, struct tls_ca **out);
/* The same with an RSA key of bits (2048, 3072 or 4096) bits. */
int tls_ca_generate_rsa(const char *common_name, unsigned days, unsigned bits, struct tls_ca **out);
/* The CA certificate as PEM appended to cert_pem, and its private key as unencrypted
 * PKCS#8 PEM in a new secret (for storing it sealed; see registry.h scs_ca_put). */
int tls_ca_to_pem(const struct tls_ca *ca, struct scs_buf *cert_pem, struct scs_secret **key_pem);
void tls_ca_free(struct tls_ca *ca);
/* The CA certificate's subject CN and expiry (Unix seconds). */
int tls_ca_info(const struct tls_ca *ca, char *cn, size_t cn_cap, int64_t *not_after);
int tls_ca_cert_der(const struct tls_ca *ca, struct scs_buf *out);
/* Sign a device TLS server certificate for the public key pub_der (SubjectPublicKeyInfo
 * or PKCS#1 RSAPublicKey, as AMT_PublicPrivateKeyPair.DERKey), CN = common_name, EKU
 * serverAuth + clientAuth, valid for days days; DER appended to out. */
int tls_ca_sign_device_cert(const struct tls_ca *ca, const uint8_t *pub_der, size_t pub_len,
                            const char *common_name, unsigned days, struct scs_buf *out,
                            struct scs_diag *diag);

/* ---- sessions: what one device connection needs ------------------------ */

struct tls_session;

/* PSK profile.  The PPS is copied into locked, wiped memory.  With one_shot set the
 * PSK is wiped the first time the handshake callback pulls it (a second handshake
 * then fails); otherwise it stays until tls_session_free(). */
int tls_session_new_psk(const uint8_t pid[static TLS_PID_LEN],
                        const uint8_t pps[static TLS_PPS_LEN], int one_shot,
                        struct tls_session **out);
/* X.509 provisioning profile; the session takes its own references to id. */
int tls_session_new_x509(const struct tls_identity *id, struct tls_session **out);
/* Pinned profile: the device certificate's SHA-256 must equal fp; id may be NULL. */
int tls_session_new_pinned(const uint8_t fp[static TLS_FINGERPRINT_LEN],
                           const struct tls_identity *id, struct tls_session **out);
void tls_session_free(struct tls_session *s);
/* Install the profile on an OpenSSL SSL_CTX (passed as void * by libcurl's
 * CURLOPT_SSL_CTX_FUNCTION).  The session must outlive every connection made with it. */
int tls_session_apply(struct tls_session *s, void *ssl_ctx);
/* SHA-256 of the device certificate seen in the last handshake; SCS_ERR_NOT_FOUND if none. */
int tls_session_peer_fingerprint(const struct tls_session *s,
                                 uint8_t out[static TLS_FINGERPRINT_LEN]);
/* How many times the handshake pulled the PSK. */
unsigned tls_session_psk_uses(const struct tls_session *s);
/* 1 when the last pinned handshake was refused because the fingerprint differed. */
int tls_session_pin_mismatch(const struct tls_session *s);

#endif
