/*
 * HTTP Digest verification for the simulated device (see digest.h).
 */
#include "sim/digest.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/encoding.h"
#include "common/err.h"
#include "common/secmem.h"
#include "crypto/crypto.h"

static uint8_t sim_nonce_key[32];

static int set_field(char *dst, size_t cap, const char *v, size_t n)
{
    if (n >= cap) {
        return SCS_ERR_TOO_LARGE;
    }
    memcpy(dst, v, n);
    dst[n] = '\0';
    return 0;
}

int sim_digest_parse(const char *hdr, struct sim_digest_cred *c)
{
    const char *p = hdr;

    memset(c, 0, sizeof(*c));
    while (*p == ' ') {
        p++;
    }
    if (strncasecmp(p, "Digest", 6) != 0 || (p[6] != ' ' && p[6] != '\t')) {
        return SCS_ERR_FORMAT;
    }
    p += 7;
    for (unsigned guard = 0; *p != '\0'; guard++) {
        const char *ks, *vs;
        size_t kl, vl;
        char *dst = NULL;
        size_t cap = 0;

        if (guard > 32) {
            return SCS_ERR_TOO_LARGE;
        }
        while (*p == ' ' || *p == '\t' || *p == ',') {
            p++;
        }
        if (*p == '\0') {
            break;
        }
        ks = p;
        while (*p != '\0' && *p != '=' && *p != ' ' && *p != ',') {
            p++;
        }
        kl = (size_t)(p - ks);
        while (*p == ' ') {
            p++;
        }
        if (*p != '=' || kl == 0) {
            return SCS_ERR_FORMAT;
        }
        p++;
        while (*p == ' ') {
            p++;
        }
        if (*p == '"') {
            p++;
            vs = p;
            /* Quoted-string; backslash escapes are not used by any AMT client, and a
             * value containing one is rejected rather than half-interpreted. */
            while (*p != '\0' && *p != '"') {
                if (*p == '\\') {
                    return SCS_ERR_FORMAT;
                }
                p++;
            }
            if (*p != '"') {
                return SCS_ERR_FORMAT;
            }
            vl = (size_t)(p - vs);
            p++;
        } else {
            vs = p;
            while (*p != '\0' && *p != ',' && *p != ' ' && *p != '\t') {
                p++;
            }
            vl = (size_t)(p - vs);
        }
#define SIM_FIELD(name)                                                                            \
    if (kl == sizeof(#name) - 1 && strncasecmp(ks, #name, kl) == 0) {                              \
        dst = c->name;                                                                             \
        cap = sizeof(c->name);                                                                     \
    }
        SIM_FIELD(username)
        SIM_FIELD(realm)
        SIM_FIELD(nonce)
        SIM_FIELD(uri)
        SIM_FIELD(response)
        SIM_FIELD(qop)
        SIM_FIELD(nc)
        SIM_FIELD(cnonce)
        SIM_FIELD(algorithm)
        SIM_FIELD(opaque)
#undef SIM_FIELD
        if (dst != NULL && set_field(dst, cap, vs, vl) != 0) {
            return SCS_ERR_TOO_LARGE;
        }
    }
    if (c->username[0] == '\0' || c->nonce[0] == '\0' || c->uri[0] == '\0' ||
        c->response[0] == '\0') {
        return SCS_ERR_FORMAT;
    }
    if (c->algorithm[0] != '\0' && strcasecmp(c->algorithm, "MD5") != 0) {
        return SCS_ERR_FORMAT;
    }
    if (c->qop[0] != '\0' && (c->nc[0] == '\0' || c->cnonce[0] == '\0')) {
        return SCS_ERR_FORMAT;
    }
    return 0;
}

static int md5_hex(const char *s, size_t n, char out[33])
{
    uint8_t h[16];
    int rc = scs_md5(s, n, h);

    if (rc == 0) {
        scs_hex_encode(out, h, sizeof(h));
    }
    return rc;
}

int sim_digest_response(const uint8_t ha1[16], const char *method, const char *uri,
                        const char *nonce, const char *nc, const char *cnonce, const char *qop,
                        const uint8_t *body, size_t body_len, char out[33])
{
    char ha1hex[33], ha2hex[33], bodyhex[33];
    char buf[1400];
    int n, rc;

    scs_hex_encode(ha1hex, ha1, 16);
    if (qop != NULL && strcasecmp(qop, "auth-int") == 0) {
        if ((rc = md5_hex((const char *)body, body_len, bodyhex)) != 0) {
            return rc;
        }
        n = snprintf(buf, sizeof(buf), "%s:%s:%s", method, uri, bodyhex);
    } else {
        n = snprintf(buf, sizeof(buf), "%s:%s", method, uri);
    }
    if (n < 0 || (size_t)n >= sizeof(buf)) {
        return SCS_ERR_TOO_LARGE;
    }
    if ((rc = md5_hex(buf, (size_t)n, ha2hex)) != 0) {
        return rc;
    }
    if (qop != NULL && qop[0] != '\0') {
        n = snprintf(buf, sizeof(buf), "%s:%s:%s:%s:%s:%s", ha1hex, nonce, nc, cnonce, qop, ha2hex);
    } else {
        n = snprintf(buf, sizeof(buf), "%s:%s:%s", ha1hex, nonce, ha2hex);
    }
    scs_wipe(ha1hex, sizeof(ha1hex));
    if (n < 0 || (size_t)n >= sizeof(buf)) {
        scs_wipe(buf, sizeof(buf));
        return SCS_ERR_TOO_LARGE;
    }
    rc = md5_hex(buf, (size_t)n, out);
    scs_wipe(buf, sizeof(buf));
    return rc;
}

int sim_digest_verify(const struct sim_digest_cred *c, const uint8_t ha1[16], const char *method,
                      const uint8_t *body, size_t body_len)
{
    char expect[33];
    char got[33];
    int rc;

    if (c->qop[0] != '\0' && strcasecmp(c->qop, "auth") != 0 &&
        strcasecmp(c->qop, "auth-int") != 0) {
        return SCS_ERR_AUTH;
    }
    if (strlen(c->response) != 32) {
        return SCS_ERR_AUTH;
    }
    rc = sim_digest_response(ha1, method, c->uri, c->nonce, c->nc, c->cnonce, c->qop, body,
                             body_len, expect);
    if (rc != 0) {
        return rc;
    }
    for (size_t i = 0; i < 32; i++) {
        char ch = c->response[i];

        got[i] = (ch >= 'A' && ch <= 'F') ? (char)(ch - 'A' + 'a') : ch;
    }
    got[32] = '\0';
    rc = scs_ct_eq(expect, got, 32) ? 0 : SCS_ERR_AUTH;
    scs_wipe(expect, sizeof(expect));
    return rc;
}

int sim_digest_init(void)
{
    return scs_random_bytes(sim_nonce_key, sizeof(sim_nonce_key));
}

static void nonce_mac(unsigned device, const uint8_t t[8], uint8_t mac[32])
{
    uint8_t msg[12];

    memcpy(msg, t, 8);
    msg[8] = (uint8_t)(device >> 24);
    msg[9] = (uint8_t)(device >> 16);
    msg[10] = (uint8_t)(device >> 8);
    msg[11] = (uint8_t)device;
    if (scs_hmac_sha256(sim_nonce_key, sizeof(sim_nonce_key), msg, sizeof(msg), mac) != 0) {
        memset(mac, 0, 32);
    }
}

void sim_digest_nonce_make(unsigned device, uint64_t now, char out[SIM_DIGEST_NONCE_LEN + 1])
{
    /* A counter makes every challenge unique, so that nonce-counts can be
     * checked per nonce even for two challenges in the same second. */
    static uint32_t serial;
    uint8_t raw[24];
    uint8_t mac[32];

    serial++;
    for (int i = 0; i < 4; i++) {
        raw[i] = (uint8_t)(now >> (24 - 8 * i));
        raw[4 + i] = (uint8_t)(serial >> (24 - 8 * i));
    }
    nonce_mac(device, raw, mac);
    memcpy(raw + 8, mac, 16);
    scs_base64_encode(out, raw, sizeof(raw));
}

int sim_digest_nonce_check(unsigned device, const char *nonce, uint64_t now)
{
    uint8_t raw[24];
    uint8_t mac[32];
    size_t n = 0;
    uint64_t t = 0;

    if (strlen(nonce) != SIM_DIGEST_NONCE_LEN ||
        scs_base64_decode(raw, sizeof(raw), &n, nonce, SIM_DIGEST_NONCE_LEN) != 0 || n != 24) {
        return SCS_ERR_AUTH;
    }
    nonce_mac(device, raw, mac);
    if (!scs_ct_eq(mac, raw + 8, 16)) {
        return SCS_ERR_AUTH;
    }
    for (int i = 0; i < 4; i++) {
        t = (t << 8) | raw[i];
    }
    if (t > (now & 0xFFFFFFFFu) + 5 || (now & 0xFFFFFFFFu) - t > SIM_DIGEST_NONCE_TTL) {
        return 1;
    }
    return 0;
}
