/*
 * GnuTLS-based certificate work for amtsim (see x509.h).
 */
#include "sim/x509.h"

#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "common/encoding.h"
#include "common/err.h"
#include "common/secmem.h"
#include "crypto/crypto.h"
#include "sim/device.h"

#define SIM_INTEL_SETUP_OID "2.16.840.1.113741.1.2.3"
#define SIM_INTEL_SETUP_OU  "Intel(R) Client Setup Certificate"
#define SIM_MIN_RSA_BITS    2048

int sim_x509_init(void)
{
    return gnutls_global_init() == 0 ? 0 : SCS_ERR_CRYPTO;
}

static int export_privkey(gnutls_x509_privkey_t k, uint8_t **out, size_t *out_len)
{
    gnutls_datum_t dat = {NULL, 0};
    int rc;

    if (gnutls_x509_privkey_export2(k, GNUTLS_X509_FMT_DER, &dat) != 0) {
        return SCS_ERR_CRYPTO;
    }
    *out = malloc(dat.size);
    rc = *out == NULL ? SCS_ERR_NOMEM : 0;
    if (rc == 0) {
        memcpy(*out, dat.data, dat.size);
        *out_len = dat.size;
    }
    scs_wipe(dat.data, dat.size);
    gnutls_free(dat.data);
    return rc;
}

static int import_privkey(const uint8_t *der, size_t len, gnutls_x509_privkey_t *k)
{
    gnutls_datum_t dat = {(unsigned char *)(uintptr_t)der, (unsigned)len};

    if (gnutls_x509_privkey_init(k) != 0) {
        return SCS_ERR_NOMEM;
    }
    if (gnutls_x509_privkey_import(*k, &dat, GNUTLS_X509_FMT_DER) != 0) {
        gnutls_x509_privkey_deinit(*k);
        return SCS_ERR_FORMAT;
    }
    return 0;
}

static int import_crt(const uint8_t *der, size_t len, gnutls_x509_crt_t *c)
{
    gnutls_datum_t dat = {(unsigned char *)(uintptr_t)der, (unsigned)len};

    if (len == 0 || len > SIM_CERT_MAX_DER) {
        return SCS_ERR_TOO_LARGE;
    }
    if (gnutls_x509_crt_init(c) != 0) {
        return SCS_ERR_NOMEM;
    }
    if (gnutls_x509_crt_import(*c, &dat, GNUTLS_X509_FMT_DER) != 0) {
        gnutls_x509_crt_deinit(*c);
        return SCS_ERR_FORMAT;
    }
    return 0;
}

int sim_x509_genkey(unsigned bits, uint8_t **key, size_t *key_len)
{
    gnutls_x509_privkey_t k;
    int rc;

    if (bits < 1024 || bits > 4096) {
        return SCS_ERR_INVALID_ARG;
    }
    if (gnutls_x509_privkey_init(&k) != 0) {
        return SCS_ERR_NOMEM;
    }
    if (gnutls_x509_privkey_generate(k, GNUTLS_PK_RSA, bits, 0) != 0) {
        gnutls_x509_privkey_deinit(k);
        return SCS_ERR_CRYPTO;
    }
    rc = export_privkey(k, key, key_len);
    gnutls_x509_privkey_deinit(k);
    return rc;
}

int sim_x509_make_identity(struct sim_device *d, unsigned bits)
{
    gnutls_x509_privkey_t k = NULL;
    gnutls_x509_crt_t c = NULL;
    gnutls_datum_t dat = {NULL, 0};
    uint8_t serial[16];
    char cn[64];
    char uuidhex[33];
    time_t now = time(NULL);
    int rc = SCS_ERR_CRYPTO;

    if ((rc = sim_x509_genkey(bits, &d->tls_key_der, &d->tls_key_len)) != 0) {
        return rc;
    }
    rc = SCS_ERR_CRYPTO;
    if (import_privkey(d->tls_key_der, d->tls_key_len, &k) != 0 || gnutls_x509_crt_init(&c) != 0) {
        goto out;
    }
    if (scs_random_bytes(serial, sizeof(serial)) != 0) {
        goto out;
    }
    serial[0] &= 0x7F;
    scs_hex_encode(uuidhex, d->uuid, sizeof(d->uuid));
    /* Real firmware names its self-signed certificate after the platform. */
    snprintf(cn, sizeof(cn), "iAMT-%s", uuidhex);
    if (gnutls_x509_crt_set_version(c, 3) != 0 ||
        gnutls_x509_crt_set_serial(c, serial, sizeof(serial)) != 0 ||
        gnutls_x509_crt_set_activation_time(c, now - 86400) != 0 ||
        gnutls_x509_crt_set_expiration_time(c, now + 20LL * 365 * 86400) != 0 ||
        gnutls_x509_crt_set_dn_by_oid(c, GNUTLS_OID_X520_COMMON_NAME, 0, cn, strlen(cn)) != 0 ||
        gnutls_x509_crt_set_dn_by_oid(c, GNUTLS_OID_X520_ORGANIZATION_NAME, 0, "Intel(R) AMT",
                                      12) != 0 ||
        gnutls_x509_crt_set_key(c, k) != 0 ||
        gnutls_x509_crt_set_key_purpose_oid(c, GNUTLS_KP_TLS_WWW_SERVER, 0) != 0 ||
        gnutls_x509_crt_set_key_usage(c, GNUTLS_KEY_DIGITAL_SIGNATURE |
                                             GNUTLS_KEY_KEY_ENCIPHERMENT) != 0 ||
        gnutls_x509_crt_sign2(c, c, k, GNUTLS_DIG_SHA256, 0) != 0 ||
        gnutls_x509_crt_export2(c, GNUTLS_X509_FMT_DER, &dat) != 0) {
        goto out;
    }
    d->tls_cert_der = malloc(dat.size);
    if (d->tls_cert_der == NULL) {
        rc = SCS_ERR_NOMEM;
        goto out;
    }
    memcpy(d->tls_cert_der, dat.data, dat.size);
    d->tls_cert_len = dat.size;
    rc = 0;
out:
    gnutls_free(dat.data);
    if (c != NULL) {
        gnutls_x509_crt_deinit(c);
    }
    if (k != NULL) {
        gnutls_x509_privkey_deinit(k);
    }
    return rc;
}

/* DER length octets. */
static size_t der_len_put(uint8_t *p, size_t n)
{
    if (n < 0x80) {
        p[0] = (uint8_t)n;
        return 1;
    }
    if (n < 0x100) {
        p[0] = 0x81;
        p[1] = (uint8_t)n;
        return 2;
    }
    p[0] = 0x82;
    p[1] = (uint8_t)(n >> 8);
    p[2] = (uint8_t)n;
    return 3;
}

/* INTEGER from unsigned big-endian bytes (leading zeros stripped, sign octet added). */
static size_t der_uint_put(uint8_t *p, const uint8_t *v, size_t n)
{
    size_t o = 0;
    int pad;

    while (n > 1 && v[0] == 0) {
        v++;
        n--;
    }
    pad = (v[0] & 0x80) != 0;
    p[o++] = 0x02;
    o += der_len_put(p + o, n + (size_t)pad);
    if (pad) {
        p[o++] = 0;
    }
    memcpy(p + o, v, n);
    return o + n;
}

int sim_x509_pubkey_der(const uint8_t *key, size_t key_len, uint8_t **out, size_t *out_len)
{
    gnutls_x509_privkey_t k;
    gnutls_datum_t m = {NULL, 0}, e = {NULL, 0};
    uint8_t *body = NULL, *res = NULL;
    size_t bl = 0, o = 0;
    int rc;

    if ((rc = import_privkey(key, key_len, &k)) != 0) {
        return rc;
    }
    if (gnutls_x509_privkey_export_rsa_raw(k, &m, &e, NULL, NULL, NULL, NULL) != 0 || m.size == 0 ||
        e.size == 0 || m.size > 1024 || e.size > 16) {
        rc = SCS_ERR_CRYPTO;
        goto out;
    }
    body = malloc(m.size + e.size + 16);
    res = malloc(m.size + e.size + 24);
    if (body == NULL || res == NULL) {
        rc = SCS_ERR_NOMEM;
        goto out;
    }
    bl = der_uint_put(body, m.data, m.size);
    bl += der_uint_put(body + bl, e.data, e.size);
    res[o++] = 0x30;
    o += der_len_put(res + o, bl);
    memcpy(res + o, body, bl);
    *out = res;
    *out_len = o + bl;
    res = NULL;
    rc = 0;
out:
    free(body);
    free(res);
    gnutls_free(m.data);
    gnutls_free(e.data);
    gnutls_x509_privkey_deinit(k);
    return rc;
}

int sim_x509_cert_matches_key(const uint8_t *cert, size_t cert_len, const uint8_t *key,
                              size_t key_len)
{
    gnutls_x509_crt_t c;
    gnutls_x509_privkey_t k;
    unsigned char a[64], b[64];
    size_t al = sizeof(a), bl = sizeof(b);
    int ok = 0;

    if (import_crt(cert, cert_len, &c) != 0) {
        return 0;
    }
    if (import_privkey(key, key_len, &k) != 0) {
        gnutls_x509_crt_deinit(c);
        return 0;
    }
    if (gnutls_x509_crt_get_key_id(c, GNUTLS_KEYID_USE_SHA256, a, &al) == 0 &&
        gnutls_x509_privkey_get_key_id(k, GNUTLS_KEYID_USE_SHA256, b, &bl) == 0 && al == bl &&
        memcmp(a, b, al) == 0) {
        ok = 1;
    }
    gnutls_x509_privkey_deinit(k);
    gnutls_x509_crt_deinit(c);
    return ok;
}

int sim_x509_cert_check(const uint8_t *der, size_t len)
{
    gnutls_x509_crt_t c;
    int rc = import_crt(der, len, &c);

    if (rc == 0) {
        gnutls_x509_crt_deinit(c);
    }
    return rc;
}

int sim_x509_cert_names(const uint8_t *der, size_t len, char *subject, size_t scap, char *issuer,
                        size_t icap)
{
    gnutls_x509_crt_t c;
    size_t s = scap, i = icap;
    int rc = import_crt(der, len, &c);

    if (rc != 0) {
        return rc;
    }
    if (gnutls_x509_crt_get_dn(c, subject, &s) != 0) {
        subject[0] = '\0';
    }
    if (gnutls_x509_crt_get_issuer_dn(c, issuer, &i) != 0) {
        issuer[0] = '\0';
    }
    gnutls_x509_crt_deinit(c);
    return 0;
}

int sim_x509_suffix_match(const char *dns_suffix, const char *cn)
{
    const char *dom = cn;
    size_t sl, dl;

    if (strncmp(dom, "*.", 2) == 0) {
        dom += 2;
    }
    sl = strlen(dns_suffix);
    dl = strlen(dom);
    if (sl == 0 || dl == 0) {
        return 0;
    }
    if (strcasecmp(dns_suffix, dom) == 0) {
        return 1;
    }
    /* dnsSuffix ends with "." + cnDomain */
    if (sl > dl && dns_suffix[sl - dl - 1] == '.' && strcasecmp(dns_suffix + sl - dl, dom) == 0) {
        return 1;
    }
    /* The usual case: the CN is a host inside the suffix (host.example.com vs example.com). */
    if (dl > sl && dom[dl - sl - 1] == '.' && strcasecmp(dom + dl - sl, dns_suffix) == 0) {
        return 1;
    }
    return 0;
}

/* Is the certificate's hash an enabled entry of the device table? */
static int hash_trusted(const struct sim_device *dev, const uint8_t *der, size_t len)
{
    uint8_t h1[SCS_SHA1_LEN], h256[SCS_SHA256_LEN], h384[SCS_SHA384_LEN];
    int hit = 0;

    if (scs_sha1(der, len, h1) != 0 || scs_sha256(der, len, h256) != 0 ||
        scs_sha384(der, len, h384) != 0) {
        return 0;
    }
    for (unsigned i = 0; i < dev->hash_count; i++) {
        const struct sim_hash_entry *e = &dev->hashes[i];

        if (!e->enabled) {
            continue;
        }
        if (e->alg == 1 && e->len == 20) {
            hit |= scs_ct_eq(e->data, h1, 20);
        } else if (e->alg == 2 && e->len == 32) {
            hit |= scs_ct_eq(e->data, h256, 32);
        } else if (e->alg == 3 && e->len == 48) {
            hit |= scs_ct_eq(e->data, h384, 48);
        }
    }
    return hit;
}

static int leaf_rules(const struct sim_device *dev, gnutls_x509_crt_t leaf, struct scs_diag *diag)
{
    char oid[128];
    char cn[256];
    char ou[128];
    int server_auth = 0, intel_oid = 0, intel_ou = 0;

    for (unsigned i = 0; i < 32; i++) {
        size_t ol = sizeof(oid);
        int r = gnutls_x509_crt_get_key_purpose_oid(leaf, i, oid, &ol, NULL);

        if (r < 0) {
            break;
        }
        if (strcmp(oid, GNUTLS_KP_TLS_WWW_SERVER) == 0) {
            server_auth = 1;
        } else if (strcmp(oid, SIM_INTEL_SETUP_OID) == 0) {
            intel_oid = 1;
        }
    }
    for (unsigned i = 0; i < 8; i++) {
        size_t l = sizeof(ou);

        if (gnutls_x509_crt_get_dn_by_oid(leaf, GNUTLS_OID_X520_ORGANIZATIONAL_UNIT_NAME, i, 0, ou,
                                          &l) != 0) {
            break;
        }
        /* case-sensitive, as Intel documents */
        if (strcmp(ou, SIM_INTEL_SETUP_OU) == 0) {
            intel_ou = 1;
        }
    }
    if (!server_auth) {
        return scs_diag_failn(diag, SCS_ERR_AUTH, "leaf certificate lacks EKU serverAuth");
    }
    if (!intel_oid && !intel_ou) {
        return scs_diag_failn(diag, SCS_ERR_AUTH,
                              "leaf certificate has neither the Intel setup OID nor the OU");
    }
    {
        size_t l = sizeof(cn);

        if (gnutls_x509_crt_get_dn_by_oid(leaf, GNUTLS_OID_X520_COMMON_NAME, 0, 0, cn, &l) != 0) {
            return scs_diag_failn(diag, SCS_ERR_AUTH, "leaf certificate has no CN");
        }
    }
    if (!sim_x509_suffix_match(dev->dns_suffix, cn)) {
        return scs_diag_failn(diag, SCS_ERR_AUTH, "leaf CN does not match the DNS suffix");
    }
    return 0;
}

int sim_x509_check_prov_chain(const struct sim_device *dev, const uint8_t *const *der,
                              const size_t *len, unsigned n, struct scs_diag *diag)
{
    gnutls_x509_crt_t crt[SIM_MAX_CHAIN + 2];
    unsigned have = 0;
    int anchor = -1;
    int rc = 0;

    if (n == 0 || n > SIM_MAX_CHAIN + 2) {
        return scs_diag_failn(diag, SCS_ERR_AUTH, "chain length %u out of range", n);
    }
    for (unsigned i = 0; i < n; i++) {
        unsigned bits = 0;

        if (import_crt(der[i], len[i], &crt[i]) != 0) {
            rc = scs_diag_failn(diag, SCS_ERR_AUTH, "certificate %u does not parse", i);
            goto out;
        }
        have++;
        if (gnutls_x509_crt_get_pk_algorithm(crt[i], &bits) == GNUTLS_PK_RSA &&
            bits < SIM_MIN_RSA_BITS) {
            rc = scs_diag_failn(diag, SCS_ERR_AUTH, "certificate %u: RSA key of %u bits", i, bits);
            goto out;
        }
        if (anchor < 0 && hash_trusted(dev, der[i], len[i])) {
            anchor = (int)i;
        }
    }
    if (anchor < 0) {
        rc = scs_diag_failn(diag, SCS_ERR_AUTH, "no certificate matches an active root hash");
        goto out;
    }
    /* Signatures from the leaf up to the anchor; the anchor itself is trusted by hash. */
    {
        unsigned status = 0;
        int r = gnutls_x509_crt_list_verify(crt, (unsigned)anchor + 1, &crt[anchor], 1, NULL, 0,
                                            GNUTLS_VERIFY_ALLOW_ANY_X509_V1_CA_CRT, &status);

        if (r != 0 || status != 0) {
            rc = scs_diag_failn(diag, SCS_ERR_AUTH, "chain signature check failed (0x%x)", status);
            goto out;
        }
    }
    rc = leaf_rules(dev, crt[0], diag);
out:
    for (unsigned i = 0; i < have; i++) {
        gnutls_x509_crt_deinit(crt[i]);
    }
    return rc;
}

int sim_x509_verify_sha256(const uint8_t *cert, size_t cert_len, const uint8_t *msg, size_t msg_len,
                           const uint8_t *sig, size_t sig_len)
{
    gnutls_x509_crt_t c;
    gnutls_pubkey_t pk;
    gnutls_datum_t m = {(unsigned char *)(uintptr_t)msg, (unsigned)msg_len};
    gnutls_datum_t s = {(unsigned char *)(uintptr_t)sig, (unsigned)sig_len};
    int rc = SCS_ERR_AUTH;

    if (import_crt(cert, cert_len, &c) != 0) {
        return SCS_ERR_FORMAT;
    }
    if (gnutls_pubkey_init(&pk) == 0) {
        if (gnutls_pubkey_import_x509(pk, c, 0) == 0 &&
            gnutls_pubkey_verify_data2(pk, GNUTLS_SIGN_RSA_SHA256, 0, &m, &s) >= 0) {
            rc = 0;
        }
        gnutls_pubkey_deinit(pk);
    }
    gnutls_x509_crt_deinit(c);
    return rc;
}

int sim_x509_sign_csr(const uint8_t *key, size_t key_len, const uint8_t *csr, size_t csr_len,
                      int sha256, uint8_t **out, size_t *out_len)
{
    gnutls_x509_privkey_t k;
    gnutls_x509_crq_t q;
    gnutls_datum_t in = {(unsigned char *)(uintptr_t)csr, (unsigned)csr_len};
    gnutls_datum_t dat = {NULL, 0};
    int rc;

    if (csr_len == 0 || csr_len > SIM_CERT_MAX_DER) {
        return SCS_ERR_TOO_LARGE;
    }
    if ((rc = import_privkey(key, key_len, &k)) != 0) {
        return rc;
    }
    if (gnutls_x509_crq_init(&q) != 0) {
        gnutls_x509_privkey_deinit(k);
        return SCS_ERR_NOMEM;
    }
    /* The request arrives with a null signature, so only its structure is checked. */
    if (gnutls_x509_crq_import(q, &in, GNUTLS_X509_FMT_DER) != 0) {
        rc = SCS_ERR_FORMAT;
    } else if (gnutls_x509_crq_set_key(q, k) != 0 ||
               gnutls_x509_crq_sign2(q, k, sha256 ? GNUTLS_DIG_SHA256 : GNUTLS_DIG_SHA1, 0) != 0 ||
               gnutls_x509_crq_export2(q, GNUTLS_X509_FMT_DER, &dat) != 0) {
        rc = SCS_ERR_CRYPTO;
    } else if ((*out = malloc(dat.size)) == NULL) {
        rc = SCS_ERR_NOMEM;
    } else {
        memcpy(*out, dat.data, dat.size);
        *out_len = dat.size;
        rc = 0;
    }
    gnutls_free(dat.data);
    gnutls_x509_crq_deinit(q);
    gnutls_x509_privkey_deinit(k);
    return rc;
}
