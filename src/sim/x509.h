/*
 * X.509 and RSA work the firmware does, on GnuTLS (the server side uses
 * OpenSSL, so the two stacks check each other): the device's own TLS identity,
 * key generation for GenerateKeyPair, and the provisioning-certificate chain
 * rules of protocol.md §5.1/§5.4/§6.2.
 */
#ifndef SCS_SIM_X509_H
#define SCS_SIM_X509_H

#include <stddef.h>
#include <stdint.h>

struct sim_device;
struct scs_diag;

/* Process-wide GnuTLS init; call once before anything below. */
int sim_x509_init(void);

/* A fresh RSA key (bits) and a self-signed server certificate for the device. */
int sim_x509_make_identity(struct sim_device *d, unsigned bits);

/* RSA key generation: private key DER (PKCS#1) in *key (caller frees with scs_freezero). */
int sim_x509_genkey(unsigned bits, uint8_t **key, size_t *key_len);
/* The public half of a stored private key as PKCS#1 RSAPublicKey DER (AMT's DERKey). */
int sim_x509_pubkey_der(const uint8_t *key, size_t key_len, uint8_t **out, size_t *out_len);
/* 1 if the certificate's public key belongs to the private key. */
int sim_x509_cert_matches_key(const uint8_t *cert, size_t cert_len, const uint8_t *key,
                              size_t key_len);
/* A certificate's DER parses (used to validate AddCertificate blobs). */
int sim_x509_cert_check(const uint8_t *der, size_t len);
/* Subject and issuer DN text of a certificate. */
int sim_x509_cert_names(const uint8_t *der, size_t len, char *subject, size_t scap, char *issuer,
                        size_t icap);

/*
 * The provisioning-certificate rules, for a chain given leaf first:
 *  - some certificate's SHA-1/256/384 over its DER is an enabled entry of the
 *    device's hash table (that certificate is the trust anchor);
 *  - each certificate up to the anchor is signed by the next one;
 *  - the leaf has EKU serverAuth, and the Intel OID 2.16.840.1.113741.1.2.3 in its
 *    EKU or OU "Intel(R) Client Setup Certificate";
 *  - the leaf CN's domain matches the device DNS suffix (§5.1 PROP rule);
 *  - every RSA key is at least 2048 bits.
 * 0 when all hold; otherwise SCS_ERR_AUTH with the reason in d.
 */
int sim_x509_check_prov_chain(const struct sim_device *dev, const uint8_t *const *der,
                              const size_t *len, unsigned n, struct scs_diag *diag);

/* The §5.1 CN-suffix rule alone (exposed for unit tests). */
int sim_x509_suffix_match(const char *dns_suffix, const char *cn);

/* GeneratePKCS10RequestEx: take a (null-signed) PKCS#10 request, put the stored
 * key's public half in it and sign it with that key (SHA-256 or SHA-1). */
int sim_x509_sign_csr(const uint8_t *key, size_t key_len, const uint8_t *csr, size_t csr_len,
                      int sha256, uint8_t **out, size_t *out_len);

/* RSASSA-PKCS1-v1_5 with SHA-256 over msg by the leaf's key: 0 if valid. */
int sim_x509_verify_sha256(const uint8_t *cert, size_t cert_len, const uint8_t *msg, size_t msg_len,
                           const uint8_t *sig, size_t sig_len);

#endif
