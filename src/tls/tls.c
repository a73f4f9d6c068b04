/*
 * TLS profiles toward devices and the X.509 helpers of the provisioning flow.
 * See tls.h for the contract; protocol.md §4.3, §5.1, §5.4 for the rules.
 */
#include <ctype.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/buffer.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/fileio.h"
#include "common/secmem.h"
#include "tls/tls.h"

/* Intel AMT "Client Setup Certificate (Zero-Touch)" EKU and its OU alternative (§5.1). */
#define INTEL_SETUP_OID "2.16.840.1.113741.1.2.3"
#define INTEL_SETUP_OU  "Intel(R) Client Setup Certificate"

struct tls_identity {
    X509 *certs[TLS_CHAIN_MAX]; /* [0] = leaf */
    size_t n;
    EVP_PKEY *key;
};

struct tls_ca {
    X509 *cert;
    EVP_PKEY *key;
};

enum tls_mode { TLS_MODE_PSK, TLS_MODE_X509, TLS_MODE_PINNED };

struct tls_session {
    enum tls_mode mode;
    char pid[TLS_PID_LEN + 1];
    struct scs_secret *psk; /* NULL once a one-shot PSK was used */
    int one_shot;
    unsigned psk_uses;
    struct tls_identity *id; /* own references; may be NULL for pinned */
    uint8_t pin[TLS_FINGERPRINT_LEN];
    uint8_t peer_fp[TLS_FINGERPRINT_LEN];
    int have_peer_fp;
    int pin_mismatch;
};

/* ---- PEM and identities ------------------------------------------------- */

/* Never prompt for a passphrase: encrypted keys are refused. */
static int no_password(char *buf, int size, int rwflag, void *u)
{
    return -1;
}

static int load_certs(const void *pem, size_t len, X509 **certs, size_t *n, struct scs_diag *diag)
{
    BIO *bio;
    X509 *x;

    if (len == 0 || len > TLS_PEM_MAX || len > INT_MAX) {
        return scs_diag_failn(diag, SCS_ERR_TOO_LARGE, "certificate PEM empty or too large");
    }
    bio = BIO_new_mem_buf(pem, (int)len);
    if (bio == NULL) {
        return SCS_ERR_NOMEM;
    }
    *n = 0;
    while ((x = PEM_read_bio_X509(bio, NULL, no_password, NULL)) != NULL) {
        if (*n >= TLS_CHAIN_MAX) {
            X509_free(x);
            BIO_free(bio);
            return scs_diag_failn(diag, SCS_ERR_TOO_LARGE, "more than %d certificates",
                                  TLS_CHAIN_MAX);
        }
        certs[(*n)++] = x;
    }
    ERR_clear_error(); /* the loop ends on "no start line" */
    BIO_free(bio);
    if (*n == 0) {
        return scs_diag_failn(diag, SCS_ERR_FORMAT, "no PEM certificate found");
    }
    return 0;
}

static int load_key(const void *pem, size_t len, EVP_PKEY **out, struct scs_diag *diag)
{
    BIO *bio;
    if (len == 0 || len > TLS_PEM_MAX || len > INT_MAX) {
        return scs_diag_failn(diag, SCS_ERR_TOO_LARGE, "key PEM empty or too large");
    }
    bio = BIO_new_mem_buf(pem, (int)len);
    if (bio == NULL) {
        return SCS_ERR_NOMEM;
    }
    *out = PEM_read_bio_PrivateKey(bio, NULL, no_password, NULL);
    BIO_free(bio);
    ERR_clear_error();
    if (*out == NULL) {
        return scs_diag_failn(diag, SCS_ERR_FORMAT, "no usable (unencrypted) PEM private key");
    }
    return 0;
}

void tls_identity_free(struct tls_identity *id)
{
    if (id == NULL) {
        return;
    }
    for (size_t i = 0; i < id->n; i++) {
        X509_free(id->certs[i]);
    }
    EVP_PKEY_free(id->key);
    free(id);
}

int tls_identity_from_pem(const void *chain_pem, size_t chain_len, const void *key_pem,
                          size_t key_len, struct tls_identity **out, struct scs_diag *diag)
{
    struct tls_identity *id;
    int rc;

    scs_diag_clear(diag);
    if (chain_pem == NULL || key_pem == NULL || out == NULL) {
        return SCS_ERR_INVALID_ARG;
    }
    *out = NULL;
    id = calloc(1, sizeof(*id));
    if (id == NULL) {
        return SCS_ERR_NOMEM;
    }
    rc = load_certs(chain_pem, chain_len, id->certs, &id->n, diag);
    if (rc == 0) {
        rc = load_key(key_pem, key_len, &id->key, diag);
    }
    if (rc == 0 && X509_check_private_key(id->certs[0], id->key) != 1) {
        rc = scs_diag_failn(diag, SCS_ERR_FORMAT, "private key does not match the leaf");
    }
    /* §5.4: the TLS Certificate message goes leaf first, each certificate issued by
     * the next one; refuse a file in any other order rather than guess. */
    for (size_t i = 0; rc == 0 && i + 1 < id->n; i++) {
        if (X509_check_issued(id->certs[i + 1], id->certs[i]) != X509_V_OK) {
            rc = scs_diag_failn(diag, SCS_ERR_FORMAT,
                                "certificate %zu is not issued by certificate %zu (want leaf "
                                "first, root last)",
                                i, i + 1);
        }
    }
    ERR_clear_error();
    if (rc != 0) {
        tls_identity_free(id);
        return rc;
    }
    *out = id;
    return 0;
}

int tls_identity_load_pem(const char *chain_path, const char *key_path, struct tls_identity **out,
                          struct scs_diag *diag)
{
    struct scs_buf *c = NULL;
    struct scs_buf *k = NULL;
    int rc = scs_file_read(chain_path, TLS_PEM_MAX, &c);
    if (rc != 0) {
        return scs_diag_failn(diag, rc, "cannot read certificate chain file");
    }
    rc = scs_file_read(key_path, TLS_PEM_MAX, &k);
    if (rc != 0) {
        scs_buf_free(c);
        return scs_diag_failn(diag, rc, "cannot read private key file");
    }
    rc = tls_identity_from_pem(scs_buf_data(c), scs_buf_len(c), scs_buf_data(k), scs_buf_len(k),
                               out, diag);
    scs_buf_free(c);
    scs_buf_free(k); /* wipes the key PEM */
    return rc;
}

size_t tls_identity_chain_len(const struct tls_identity *id)
{
    return id->n;
}

static int put_der(X509 *x, struct scs_buf *out)
{
    int len = i2d_X509(x, NULL);
    uint8_t *p;
    int rc;
    if (len <= 0) {
        return SCS_ERR_CRYPTO;
    }
    rc = scs_buf_reserve(out, (size_t)len, &p);
    if (rc != 0) {
        return rc;
    }
    if (i2d_X509(x, &p) != len) {
        return SCS_ERR_CRYPTO;
    }
    return 0;
}

int tls_identity_cert_der(const struct tls_identity *id, size_t i, struct scs_buf *out)
{
    if (id == NULL || out == NULL || i >= id->n) {
        return SCS_ERR_INVALID_ARG;
    }
    return put_der(id->certs[i], out);
}

int tls_identity_sign_sha256(const struct tls_identity *id, const void *data, size_t len,
                             struct scs_buf *out)
{
    EVP_MD_CTX *md;
    size_t siglen = 0;
    uint8_t *p;
    int rc = SCS_ERR_CRYPTO;

    if (id == NULL || data == NULL || out == NULL) {
        return SCS_ERR_INVALID_ARG;
    }
    md = EVP_MD_CTX_new();
    if (md == NULL) {
        return SCS_ERR_NOMEM;
    }
    if (EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, id->key) == 1 &&
        EVP_DigestSign(md, NULL, &siglen, data, len) == 1) {
        size_t start = scs_buf_len(out);
        rc = scs_buf_reserve(out, siglen, &p);
        if (rc == 0) {
            if (EVP_DigestSign(md, p, &siglen, data, len) == 1) {
                rc = scs_buf_truncate(out, start + siglen);
            } else {
                (void)scs_buf_truncate(out, start);
                rc = SCS_ERR_CRYPTO;
            }
        }
    }
    EVP_MD_CTX_free(md);
    ERR_clear_error();
    return rc;
}

int tls_cert_der_hashes(const uint8_t *der, size_t len, struct tls_cert_hashes *out)
{
    if (der == NULL || out == NULL || len == 0) {
        return SCS_ERR_INVALID_ARG;
    }
    if (EVP_Digest(der, len, out->sha1, NULL, EVP_sha1(), NULL) != 1 ||
        EVP_Digest(der, len, out->sha256, NULL, EVP_sha256(), NULL) != 1 ||
        EVP_Digest(der, len, out->sha384, NULL, EVP_sha384(), NULL) != 1) {
        return SCS_ERR_CRYPTO;
    }
    return 0;
}

static int x509_hashes(X509 *x, struct tls_cert_hashes *out)
{
    struct scs_buf *b = scs_buf_new(TLS_PEM_MAX);
    int rc;
    if (b == NULL) {
        return SCS_ERR_NOMEM;
    }
    rc = put_der(x, b);
    if (rc == 0) {
        rc = tls_cert_der_hashes(scs_buf_data(b), scs_buf_len(b), out);
    }
    scs_buf_free(b);
    return rc;
}

int tls_identity_root_hashes(const struct tls_identity *id, struct tls_cert_hashes *out)
{
    if (id == NULL || out == NULL) {
        return SCS_ERR_INVALID_ARG;
    }
    return x509_hashes(id->certs[id->n - 1], out);
}

/* ---- provisioning-certificate rules (§5.1) ------------------------------ */

static int name_has(X509_NAME *name, int nid, const char *want)
{
    int pos = -1;
    while ((pos = X509_NAME_get_index_by_NID(name, nid, pos)) >= 0) {
        X509_NAME_ENTRY *e = X509_NAME_get_entry(name, pos);
        unsigned char *utf8 = NULL;
        int l = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(e));
        int eq = l >= 0 && (size_t)l == strlen(want) && memcmp(utf8, want, (size_t)l) == 0;
        OPENSSL_free(utf8);
        if (eq) {
            return 1;
        }
    }
    return 0;
}

static void check_eku(X509 *x, struct tls_prov_check *c)
{
    EXTENDED_KEY_USAGE *eku = X509_get_ext_d2i(x, NID_ext_key_usage, NULL, NULL);
    if (eku == NULL) {
        return;
    }
    for (int i = 0; i < sk_ASN1_OBJECT_num(eku); i++) {
        ASN1_OBJECT *o = sk_ASN1_OBJECT_value(eku, i);
        char txt[80];
        if (OBJ_obj2nid(o) == NID_server_auth) {
            c->has_server_auth = 1;
        }
        if (OBJ_obj2txt(txt, sizeof(txt), o, 1) > 0 && strcmp(txt, INTEL_SETUP_OID) == 0) {
            c->has_intel_oid = 1;
        }
    }
    EXTENDED_KEY_USAGE_free(eku);
}

int tls_identity_check_provisioning(const struct tls_identity *id, time_t now,
                                    struct tls_prov_check *out, struct scs_diag *diag)
{
    X509 *leaf;
    EVP_PKEY *pk;
    ASN1_TIME *t_now;
    int days = 0;
    int secs = 0;

    scs_diag_clear(diag);
    if (id == NULL || out == NULL) {
        return SCS_ERR_INVALID_ARG;
    }
    memset(out, 0, sizeof(*out));
    leaf = id->certs[0];
    check_eku(leaf, out);
    out->has_setup_ou =
        name_has(X509_get_subject_name(leaf), NID_organizationalUnitName, INTEL_SETUP_OU);
    pk = X509_get0_pubkey(leaf);
    if (pk != NULL && EVP_PKEY_get_base_id(pk) == EVP_PKEY_RSA) {
        out->rsa_bits = EVP_PKEY_get_bits(pk);
    }
    t_now = ASN1_TIME_set(NULL, now);
    if (t_now == NULL) {
        return SCS_ERR_NOMEM;
    }
    if (ASN1_TIME_diff(&days, &secs, t_now, X509_get0_notAfter(leaf)) == 1) {
        out->days_to_expiry = days;
        if (days == 0 && secs < 0) {
            out->days_to_expiry = -1;
        }
    }
    out->valid_now = X509_cmp_time(X509_get0_notBefore(leaf), &now) < 0 &&
                     X509_cmp_time(X509_get0_notAfter(leaf), &now) > 0;
    ASN1_TIME_free(t_now);
    ERR_clear_error();

    if (!out->has_intel_oid && !out->has_setup_ou) {
        return scs_diag_failn(diag, SCS_ERR_FORMAT,
                              "leaf has neither EKU " INTEL_SETUP_OID " nor OU \"" INTEL_SETUP_OU
                              "\"");
    }
    if (!out->has_server_auth) {
        return scs_diag_failn(diag, SCS_ERR_FORMAT, "leaf lacks the serverAuth EKU");
    }
    if (out->rsa_bits < 2048) {
        return scs_diag_failn(diag, SCS_ERR_FORMAT, "leaf key is not RSA of at least 2048 bits");
    }
    if (!out->valid_now) {
        return scs_diag_failn(diag, SCS_ERR_STATE, "leaf is not within its validity period");
    }
    return 0;
}

static int ends_with_label(const char *s, const char *tail)
{
    size_t ls = strlen(s);
    size_t lt = strlen(tail);
    return ls > lt && s[ls - lt - 1] == '.' && strcasecmp(s + ls - lt, tail) == 0;
}

static int name_fits_suffix(const char *name, const char *suffix)
{
    if (strncmp(name, "*.", 2) == 0) {
        name += 2;
    }
    if (name[0] == '\0') {
        return 0;
    }
    return strcasecmp(name, suffix) == 0 || ends_with_label(suffix, name) ||
           ends_with_label(name, suffix);
}

int tls_identity_domain_matches(const struct tls_identity *id, const char *dns_suffix)
{
    X509 *leaf;
    GENERAL_NAMES *san;
    char cn[256];
    int ok = 0;

    if (id == NULL || dns_suffix == NULL || dns_suffix[0] == '\0') {
        return 0;
    }
    leaf = id->certs[0];
    if (X509_NAME_get_text_by_NID(X509_get_subject_name(leaf), NID_commonName, cn,
                                  (int)sizeof(cn)) > 0 &&
        strlen(cn) < sizeof(cn) - 1) {
        ok = name_fits_suffix(cn, dns_suffix);
    }
    san = X509_get_ext_d2i(leaf, NID_subject_alt_name, NULL, NULL);
    for (int i = 0; !ok && san != NULL && i < sk_GENERAL_NAME_num(san); i++) {
        const GENERAL_NAME *g = sk_GENERAL_NAME_value(san, i);
        if (g->type == GEN_DNS) {
            const unsigned char *d = ASN1_STRING_get0_data(g->d.dNSName);
            int l = ASN1_STRING_length(g->d.dNSName);
            /* An embedded NUL would let "a.com\0.evil" pass a C string compare. */
            if (l > 0 && l < (int)sizeof(cn) && memchr(d, '\0', (size_t)l) == NULL) {
                memcpy(cn, d, (size_t)l);
                cn[l] = '\0';
                ok = name_fits_suffix(cn, dns_suffix);
            }
        }
    }
    GENERAL_NAMES_free(san);
    ERR_clear_error();
    return ok;
}

/* Subject CN and notAfter of one certificate (shared by the identity and CA readers). */
static int cert_cn_and_expiry(X509 *cert, char *cn, size_t cn_cap, int64_t *not_after)
{
    const ASN1_TIME *t;
    struct tm tm;
    int n;

    if (cn == NULL || cn_cap == 0 || cn_cap > INT_MAX || not_after == NULL) {
        return SCS_ERR_INVALID_ARG;
    }
    cn[0] = 0;
    n = X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, (int)cn_cap);
    if (n < 0) {
        cn[0] = 0;
    } else if ((size_t)n >= cn_cap || strlen(cn) != (size_t)n) {
        /* Too long for the caller, or an embedded NUL: not a name we can use. */
        cn[0] = 0;
        ERR_clear_error();
        return SCS_ERR_FORMAT;
    }
    memset(&tm, 0, sizeof(tm));
    t = X509_get0_notAfter(cert);
    if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1) {
        ERR_clear_error();
        return SCS_ERR_FORMAT;
    }
    *not_after = (int64_t)timegm(&tm);
    ERR_clear_error();
    return 0;
}

int tls_identity_leaf_info(const struct tls_identity *id, char *cn, size_t cn_cap,
                           int64_t *not_after)
{
    if (id == NULL || id->n == 0) {
        return SCS_ERR_INVALID_ARG;
    }
    return cert_cn_and_expiry(id->certs[0], cn, cn_cap, not_after);
}

int tls_ca_info(const struct tls_ca *ca, char *cn, size_t cn_cap, int64_t *not_after)
{
    if (ca == NULL) {
        return SCS_ERR_INVALID_ARG;
    }
    return cert_cn_and_expiry(ca->cert, cn, cn_cap, not_after);
}

/* ---- CA ----------------------------------------------------------------- */

void tls_ca_free(struct tls_ca *ca)
{
    if (ca == NULL) {
        return;
    }
    X509_free(ca->cert);
    EVP_PKEY_free(ca->key);
    free(ca);
}

int tls_ca_from_pem(const void *cert_pem, size_t cert_len, const void *key_pem, size_t key_len,
                    struct tls_ca **out, struct scs_diag *diag)
{
    X509 *certs[TLS_CHAIN_MAX];
    size_t n = 0;
    struct tls_ca *ca;
    int rc;

    scs_diag_clear(diag);
    if (cert_pem == NULL || key_pem == NULL || out == NULL) {
        return SCS_ERR_INVALID_ARG;
    }
    ca = calloc(1, sizeof(*ca));
    if (ca == NULL) {
        return SCS_ERR_NOMEM;
    }
    rc = load_certs(cert_pem, cert_len, certs, &n, diag);
    if (rc == 0) {
        ca->cert = certs[0];
        for (size_t i = 1; i < n; i++) {
            X509_free(certs[i]);
        }
        rc = load_key(key_pem, key_len, &ca->key, diag);
    }
    if (rc == 0 && X509_check_private_key(ca->cert, ca->key) != 1) {
        rc = scs_diag_failn(diag, SCS_ERR_FORMAT, "CA key does not match the CA certificate");
    }
    if (rc == 0 && X509_check_ca(ca->cert) == 0) {
        rc = scs_diag_failn(diag, SCS_ERR_FORMAT, "certificate is not a CA");
    }
    ERR_clear_error();
    if (rc != 0) {
        tls_ca_free(ca);
        return rc;
    }
    *out = ca;
    return 0;
}

static int add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX v3;
    X509_EXTENSION *ext;
    int ok;
    X509V3_set_ctx(&v3, issuer, x, NULL, NULL, 0);
    ext = X509V3_EXT_conf_nid(NULL, &v3, nid, value);
    if (ext == NULL) {
        return SCS_ERR_CRYPTO;
    }
    ok = X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
    return ok == 1 ? 0 : SCS_ERR_CRYPTO;
}

static int set_serial(X509 *x)
{
    uint8_t r[16];
    BIGNUM *bn;
    int ok;
    if (RAND_bytes(r, sizeof(r)) != 1) {
        return SCS_ERR_CRYPTO;
    }
    r[0] &= 0x7f; /* positive, RFC 5280 §4.1.2.2 */
    r[0] |= 0x01; /* and never zero */
    bn = BN_bin2bn(r, sizeof(r), NULL);
    if (bn == NULL) {
        return SCS_ERR_NOMEM;
    }
    ok = BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL;
    BN_free(bn);
    return ok ? 0 : SCS_ERR_CRYPTO;
}

static int cert_skeleton(X509 *x, const char *cn, unsigned days, EVP_PKEY *pub)
{
    X509_NAME *name = X509_NAME_new();
    int ok;
    if (name == NULL) {
        return SCS_ERR_NOMEM;
    }
    ok = X509_set_version(x, 2) == 1 && set_serial(x) == 0 &&
         X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1,
                                    0) == 1 &&
         X509_set_subject_name(x, name) == 1 &&
         /* An hour of slack for devices whose clock is a little behind ours. */
         X509_gmtime_adj(X509_getm_notBefore(x), -3600) != NULL &&
         X509_gmtime_adj(X509_getm_notAfter(x), (long)days * 86400L) != NULL &&
         X509_set_pubkey(x, pub) == 1;
    X509_NAME_free(name);
    return ok ? 0 : SCS_ERR_CRYPTO;
}

int tls_ca_generate(const char *common_name, unsigned days, struct tls_ca **out)
{
    return tls_ca_generate_rsa(common_name, days, 2048, out);
}

int tls_ca_generate_rsa(const char *common_name, unsigned days, unsigned bits, struct tls_ca **out)
{
    struct tls_ca *ca;
    int rc;

    if (common_name == NULL || out == NULL || days == 0 || days > 36500 ||
        (bits != 2048 && bits != 3072 && bits != 4096)) {
        return SCS_ERR_INVALID_ARG;
    }
    ca = calloc(1, sizeof(*ca));
    if (ca == NULL) {
        return SCS_ERR_NOMEM;
    }
    ca->key = EVP_RSA_gen(bits);
    ca->cert = X509_new();
    rc = (ca->key == NULL || ca->cert == NULL) ? SCS_ERR_CRYPTO : 0;
    if (rc == 0) {
        rc = cert_skeleton(ca->cert, common_name, days, ca->key);
    }
    if (rc == 0 && X509_set_issuer_name(ca->cert, X509_get_subject_name(ca->cert)) != 1) {
        rc = SCS_ERR_CRYPTO;
    }
    if (rc == 0) {
        rc = add_ext(ca->cert, ca->cert, NID_basic_constraints, "critical,CA:TRUE");
    }
    if (rc == 0) {
        rc = add_ext(ca->cert, ca->cert, NID_key_usage, "critical,keyCertSign,cRLSign");
    }
    if (rc == 0) {
        rc = add_ext(ca->cert, ca->cert, NID_subject_key_identifier, "hash");
    }
    if (rc == 0 && X509_sign(ca->cert, ca->key, EVP_sha256()) <= 0) {
        rc = SCS_ERR_CRYPTO;
    }
    ERR_clear_error();
    if (rc != 0) {
        tls_ca_free(ca);
        return rc;
    }
    *out = ca;
    return 0;
}

int tls_ca_cert_der(const struct tls_ca *ca, struct scs_buf *out)
{
    if (ca == NULL || out == NULL) {
        return SCS_ERR_INVALID_ARG;
    }
    return put_der(ca->cert, out);
}

int tls_ca_to_pem(const struct tls_ca *ca, struct scs_buf *cert_pem, struct scs_secret **key_pem)
{
    BIO *cb = NULL, *kb = NULL;
    BUF_MEM *cm = NULL, *km = NULL;
    int rc = SCS_ERR_CRYPTO;

    if (ca == NULL || cert_pem == NULL || key_pem == NULL) {
        return SCS_ERR_INVALID_ARG;
    }
    *key_pem = NULL;
    /* The key goes through a secure-memory BIO, which OpenSSL wipes when it frees it. */
    cb = BIO_new(BIO_s_mem());
    kb = BIO_new(BIO_s_secmem());
    if (cb == NULL || kb == NULL || PEM_write_bio_X509(cb, ca->cert) != 1 ||
        PEM_write_bio_PrivateKey(kb, ca->key, NULL, NULL, 0, NULL, NULL) != 1 ||
        BIO_get_mem_ptr(cb, &cm) != 1 || BIO_get_mem_ptr(kb, &km) != 1 || cm == NULL ||
        km == NULL) {
        goto out;
    }
    if ((rc = scs_buf_put(cert_pem, cm->data, cm->length)) != 0) {
        goto out;
    }
    if ((*key_pem = scs_secret_from(km->data, km->length)) == NULL) {
        rc = SCS_ERR_NOMEM;
        goto out;
    }
    rc = 0;
out:
    BIO_free(cb);
    BIO_free(kb);
    ERR_clear_error();
    return rc;
}

static EVP_PKEY *decode_public_key(const uint8_t *der, size_t len)
{
    const unsigned char *p = der;
    EVP_PKEY *k;
    if (len > LONG_MAX) {
        return NULL;
    }
    k = d2i_PUBKEY(NULL, &p, (long)len);
    if (k != NULL && p != der + len) {
        EVP_PKEY_free(k);
        return NULL; /* trailing bytes */
    }
    if (k == NULL) {
        /* AMT's DERKey may be a bare PKCS#1 RSAPublicKey. */
        p = der;
        k = d2i_PublicKey(EVP_PKEY_RSA, NULL, &p, (long)len);
        if (k != NULL && p != der + len) {
            EVP_PKEY_free(k);
            return NULL;
        }
    }
    return k;
}

int tls_ca_sign_device_cert(const struct tls_ca *ca, const uint8_t *pub_der, size_t pub_len,
                            const char *common_name, unsigned days, struct scs_buf *out,
                            struct scs_diag *diag)
{
    EVP_PKEY *pub;
    X509 *x;
    int rc;

    scs_diag_clear(diag);
    if (ca == NULL || pub_der == NULL || pub_len == 0 || common_name == NULL ||
        common_name[0] == '\0' || strlen(common_name) > 64 || out == NULL || days == 0 ||
        days > 36500) {
        return SCS_ERR_INVALID_ARG;
    }
    if (pub_len > 16384) {
        return scs_diag_failn(diag, SCS_ERR_TOO_LARGE, "public key of %zu bytes", pub_len);
    }
    pub = decode_public_key(pub_der, pub_len);
    if (pub == NULL) {
        ERR_clear_error();
        return scs_diag_failn(diag, SCS_ERR_FORMAT, "public key is not DER SPKI or RSAPublicKey");
    }
    if (EVP_PKEY_get_base_id(pub) != EVP_PKEY_RSA || EVP_PKEY_get_bits(pub) < 2048) {
        EVP_PKEY_free(pub);
        return scs_diag_failn(diag, SCS_ERR_FORMAT, "device key is not RSA >= 2048 bits");
    }
    x = X509_new();
    rc = x == NULL ? SCS_ERR_NOMEM : cert_skeleton(x, common_name, days, pub);
    if (rc == 0 && X509_set_issuer_name(x, X509_get_subject_name(ca->cert)) != 1) {
        rc = SCS_ERR_CRYPTO;
    }
    if (rc == 0) {
        rc = add_ext(x, ca->cert, NID_basic_constraints, "critical,CA:FALSE");
    }
    if (rc == 0) {
        rc = add_ext(x, ca->cert, NID_key_usage, "critical,digitalSignature,keyEncipherment");
    }
    if (rc == 0) {
        /* §2.4 8.8: the device's TLS certificate carries serverAuth + clientAuth. */
        rc = add_ext(x, ca->cert, NID_ext_key_usage, "serverAuth,clientAuth");
    }
    if (rc == 0) {
        rc = add_ext(x, ca->cert, NID_subject_key_identifier, "hash");
    }
    if (rc == 0) {
        rc = add_ext(x, ca->cert, NID_authority_key_identifier, "keyid:always");
    }
    if (rc == 0 && X509_sign(x, ca->key, EVP_sha256()) <= 0) {
        rc = SCS_ERR_CRYPTO;
    }
    if (rc == 0) {
        rc = put_der(x, out);
    }
    X509_free(x);
    EVP_PKEY_free(pub);
    ERR_clear_error();
    if (rc != 0) {
        return scs_diag_failn(diag, rc, "could not issue the device certificate");
    }
    return 0;
}

/* ---- sessions ------------------------------------------------------------ */

static CRYPTO_ONCE ex_once = CRYPTO_ONCE_STATIC_INIT;
static int ex_index = -1;

static void ex_init(void)
{
    ex_index = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, NULL);
}

static struct tls_session *session_of_ssl(const SSL *ssl)
{
    if (ssl == NULL || ex_index < 0) {
        return NULL;
    }
    return SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), ex_index);
}

static struct tls_session *session_of_store(X509_STORE_CTX *xs)
{
    SSL *ssl = X509_STORE_CTX_get_ex_data(xs, SSL_get_ex_data_X509_STORE_CTX_idx());
    return session_of_ssl(ssl);
}

static int session_alloc(enum tls_mode mode, struct tls_session **out)
{
    struct tls_session *s;
    if (out == NULL) {
        return SCS_ERR_INVALID_ARG;
    }
    if (CRYPTO_THREAD_run_once(&ex_once, ex_init) != 1 || ex_index < 0) {
        return SCS_ERR_CRYPTO;
    }
    s = calloc(1, sizeof(*s));
    if (s == NULL) {
        return SCS_ERR_NOMEM;
    }
    s->mode = mode;
    *out = s;
    return 0;
}

static int identity_ref(const struct tls_identity *id, struct tls_identity **out)
{
    struct tls_identity *c = calloc(1, sizeof(*c));
    if (c == NULL) {
        return SCS_ERR_NOMEM;
    }
    for (size_t i = 0; i < id->n; i++) {
        X509_up_ref(id->certs[i]);
        c->certs[i] = id->certs[i];
    }
    c->n = id->n;
    EVP_PKEY_up_ref(id->key);
    c->key = id->key;
    *out = c;
    return 0;
}

int tls_session_new_psk(const uint8_t pid[static TLS_PID_LEN],
                        const uint8_t pps[static TLS_PPS_LEN], int one_shot,
                        struct tls_session **out)
{
    struct tls_session *s;
    int rc = session_alloc(TLS_MODE_PSK, &s);
    if (rc != 0) {
        return rc;
    }
    /* §4.1: PID characters are A–Z and 0–9; the identity is a C string for OpenSSL. */
    for (size_t i = 0; i < TLS_PID_LEN; i++) {
        if (!((pid[i] >= 'A' && pid[i] <= 'Z') || (pid[i] >= '0' && pid[i] <= '9'))) {
            free(s);
            return SCS_ERR_INVALID_ARG;
        }
        s->pid[i] = (char)pid[i];
    }
    s->psk = scs_secret_from(pps, TLS_PPS_LEN);
    if (s->psk == NULL) {
        free(s);
        return SCS_ERR_NOMEM;
    }
    s->one_shot = one_shot;
    *out = s;
    return 0;
}

int tls_session_new_x509(const struct tls_identity *id, struct tls_session **out)
{
    struct tls_session *s;
    int rc;
    if (id == NULL) {
        return SCS_ERR_INVALID_ARG;
    }
    rc = session_alloc(TLS_MODE_X509, &s);
    if (rc == 0) {
        rc = identity_ref(id, &s->id);
        if (rc != 0) {
            free(s);
            return rc;
        }
        *out = s;
    }
    return rc;
}

int tls_session_new_pinned(const uint8_t fp[static TLS_FINGERPRINT_LEN],
                           const struct tls_identity *id, struct tls_session **out)
{
    struct tls_session *s;
    int rc = session_alloc(TLS_MODE_PINNED, &s);
    if (rc != 0) {
        return rc;
    }
    memcpy(s->pin, fp, TLS_FINGERPRINT_LEN);
    if (id != NULL && (rc = identity_ref(id, &s->id)) != 0) {
        free(s);
        return rc;
    }
    *out = s;
    return 0;
}

void tls_session_free(struct tls_session *s)
{
    if (s == NULL) {
        return;
    }
    scs_secret_free(s->psk);
    tls_identity_free(s->id);
    scs_wipe(s, sizeof(*s));
    free(s);
}

/* RFC 4279 §2: the client names its PSK identity and both sides derive the
 * premaster secret from the PSK.  OpenSSL copies psk[] into the handshake state;
 * our copy is wiped right away in one-shot mode (style.md §2.2). */
static unsigned int psk_client_cb(SSL *ssl, const char *hint, char *identity,
                                  unsigned int max_identity_len, unsigned char *psk,
                                  unsigned int max_psk_len)
{
    struct tls_session *s = session_of_ssl(ssl);
    size_t len;

    if (s == NULL || s->mode != TLS_MODE_PSK || s->psk == NULL) {
        return 0;
    }
    len = scs_secret_len(s->psk);
    if (max_identity_len < TLS_PID_LEN + 1 || max_psk_len < len) {
        return 0;
    }
    memcpy(identity, s->pid, TLS_PID_LEN + 1);
    memcpy(psk, scs_secret_cdata(s->psk), len);
    s->psk_uses++;
    if (s->one_shot) {
        scs_secret_free(s->psk);
        s->psk = NULL;
    }
    return (unsigned int)len;
}

static int record_fingerprint(struct tls_session *s, X509 *cert)
{
    struct tls_cert_hashes h;
    if (cert == NULL || x509_hashes(cert, &h) != 0) {
        return 0;
    }
    memcpy(s->peer_fp, h.sha256, TLS_FINGERPRINT_LEN);
    s->have_peer_fp = 1;
    return 1;
}

/* Provisioning: the device's certificate is self-signed (or ODCA-issued) and is not
 * checked (§5.4, as MeshCentral does); only its fingerprint is kept for pinning later. */
static int verify_record_cb(int preverify_ok, X509_STORE_CTX *xs)
{
    struct tls_session *s = session_of_store(xs);
    if (s != NULL && X509_STORE_CTX_get_error_depth(xs) == 0) {
        (void)record_fingerprint(s, X509_STORE_CTX_get_current_cert(xs));
    }
    return 1;
}

/* After provisioning: accept exactly the pinned certificate, whatever its issuer. */
static int verify_pin_cb(int preverify_ok, X509_STORE_CTX *xs)
{
    struct tls_session *s = session_of_store(xs);
    if (s == NULL) {
        return 0;
    }
    if (X509_STORE_CTX_get_error_depth(xs) != 0) {
        return 1; /* chain links above the leaf do not matter for a pin */
    }
    if (!record_fingerprint(s, X509_STORE_CTX_get_current_cert(xs))) {
        return 0;
    }
    if (!scs_ct_eq(s->peer_fp, s->pin, TLS_FINGERPRINT_LEN)) {
        s->pin_mismatch = 1;
        X509_STORE_CTX_set_error(xs, X509_V_ERR_CERT_REJECTED);
        return 0;
    }
    s->pin_mismatch = 0;
    X509_STORE_CTX_set_error(xs, X509_V_OK);
    return 1;
}

static int apply_identity(SSL_CTX *ctx, const struct tls_identity *id)
{
    if (SSL_CTX_use_certificate(ctx, id->certs[0]) != 1 ||
        SSL_CTX_use_PrivateKey(ctx, id->key) != 1 || SSL_CTX_check_private_key(ctx) != 1 ||
        SSL_CTX_clear_chain_certs(ctx) != 1) {
        return SCS_ERR_CRYPTO;
    }
    /* §5.4: send leaf, intermediates and the root itself; the device has only the
     * root's hash, so OpenSSL must not rebuild or trim the chain. */
    for (size_t i = 1; i < id->n; i++) {
        if (SSL_CTX_add1_chain_cert(ctx, id->certs[i]) != 1) {
            return SCS_ERR_CRYPTO;
        }
    }
    SSL_CTX_set_mode(ctx, SSL_MODE_NO_AUTO_CHAIN);
    return 0;
}

int tls_session_apply(struct tls_session *s, void *ssl_ctx)
{
    SSL_CTX *ctx = ssl_ctx;
    int rc = 0;

    if (s == NULL || ctx == NULL) {
        return SCS_ERR_INVALID_ARG;
    }
    if (SSL_CTX_set_ex_data(ctx, ex_index, s) != 1 ||
        SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
        SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION) != 1) {
        ERR_clear_error();
        return SCS_ERR_CRYPTO;
    }
    SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_TICKET);
    /* A provisioning connection idles while the device works on each request:
     * no 2 x 16 KiB record buffers held meanwhile, times a fleet in flight. */
    SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
    switch (s->mode) {
    case TLS_MODE_PSK:
        if (SSL_CTX_set_cipher_list(ctx, TLS_PSK_CIPHERS) != 1) {
            rc = SCS_ERR_CRYPTO;
            break;
        }
        SSL_CTX_set_psk_client_callback(ctx, psk_client_cb);
        SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
        break;
    case TLS_MODE_X509:
        /* Device firmware may present SHA-1-signed or 1024-bit self-signed certificates
         * that we do not verify anyway; lower the level on this context only (style.md §6). */
        SSL_CTX_set_security_level(ctx, 1);
        if (SSL_CTX_set_cipher_list(ctx, TLS_X509_CIPHERS) != 1) {
            rc = SCS_ERR_CRYPTO;
            break;
        }
        rc = apply_identity(ctx, s->id);
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, verify_record_cb);
        break;
    case TLS_MODE_PINNED:
        if (SSL_CTX_set_cipher_list(ctx, TLS_X509_CIPHERS) != 1) {
            rc = SCS_ERR_CRYPTO;
            break;
        }
        if (s->id != NULL) {
            rc = apply_identity(ctx, s->id);
        }
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, verify_pin_cb);
        break;
    default:
        rc = SCS_ERR_INTERNAL;
        break;
    }
    ERR_clear_error();
    return rc;
}

int tls_session_peer_fingerprint(const struct tls_session *s,
                                 uint8_t out[static TLS_FINGERPRINT_LEN])
{
    if (s == NULL || !s->have_peer_fp) {
        return SCS_ERR_NOT_FOUND;
    }
    memcpy(out, s->peer_fp, TLS_FINGERPRINT_LEN);
    return 0;
}

unsigned tls_session_psk_uses(const struct tls_session *s)
{
    return s->psk_uses;
}

int tls_session_pin_mismatch(const struct tls_session *s)
{
    return s->pin_mismatch;
}
