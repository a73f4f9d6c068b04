/*
 * HTTP Digest (RFC 2617, MD5) as the device checks it (protocol.md §6.7):
 * qop auth and auth-int, parameters quoted or not (MeshCentral sends qop and nc
 * bare, RPS quotes everything).  The device keeps only HA1.
 *
 * Nonces are stateless: base64(4-byte issue time || 4-byte serial || 16 bytes
 * of HMAC-SHA256(process key, time || serial || device index)), 32 characters
 * like AMT's, so a thousand devices need no nonce tables; age decides
 * staleness.  The device keeps only the highest nonce-count per recent nonce.
 */
#ifndef SCS_SIM_DIGEST_H
#define SCS_SIM_DIGEST_H

#include <stddef.h>
#include <stdint.h>

#define SIM_DIGEST_NONCE_LEN 32
#define SIM_DIGEST_NONCE_TTL 300 /* seconds before a nonce is stale */

struct sim_digest_cred {
    char username[64];
    char realm[64];
    char nonce[64];
    char uri[1024];
    char response[40];
    char qop[16];
    char nc[16];
    char cnonce[128];
    char algorithm[16];
    char opaque[128];
};

/* Parse an Authorization header value "Digest k=v, k="v", ...". */
int sim_digest_parse(const char *hdr, struct sim_digest_cred *c);

/* response = MD5(HA1:nonce:nc:cnonce:qop:HA2) (or MD5(HA1:nonce:HA2) without qop);
 * HA2 = MD5(method:uri[:MD5(body)] for auth-int).  out: 32 lowercase hex + NUL. */
int sim_digest_response(const uint8_t ha1[16], const char *method, const char *uri,
                        const char *nonce, const char *nc, const char *cnonce, const char *qop,
                        const uint8_t *body, size_t body_len, char out[33]);

/* 0 when the credentials prove knowledge of HA1 (constant-time compare). */
int sim_digest_verify(const struct sim_digest_cred *c, const uint8_t ha1[16], const char *method,
                      const uint8_t *body, size_t body_len);

/* Process-wide nonce key (random at start). */
int sim_digest_init(void);
void sim_digest_nonce_make(unsigned device, uint64_t now, char out[SIM_DIGEST_NONCE_LEN + 1]);
/* 0 fresh, 1 stale (ours but old), SCS_ERR_AUTH not ours. */
int sim_digest_nonce_check(unsigned device, const char *nonce, uint64_t now);

#endif
