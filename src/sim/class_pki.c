/*
 * Certificate and TLS classes: AMT_PublicKeyManagementService,
 * AMT_PublicKeyCertificate, AMT_PublicPrivateKeyPair, AMT_TLSSettingData and
 * AMT_TLSCredentialContext (protocol.md §2.4 step 8, §6.5 "TLS").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/encoding.h"
#include "common/err.h"
#include "common/log.h"
#include "common/secmem.h"
#include "sim/device.h"
#include "sim/wsman.h"
#include "sim/x509.h"

#define CERT_PREFIX "Intel(r) AMT Certificate: Handle: "
#define KEY_PREFIX  "Intel(r) AMT Key: Handle: "
#define PKM_NAME    "Intel(r) AMT Public Key Management Service"
#define TLS_REMOTE  "Intel(r) AMT 802.3 TLS Settings"
#define TLS_LOCAL   "Intel(r) AMT LMS TLS Settings"
#define TLS_EP_COLL "TLSProtocolEndpointInstances Collection"

/* [PROP] No public source gives these two codes; they follow the PT_STATUS numbering. */
#define SIM_RV_MAX_LIMIT 23
#define SIM_RV_DUPLICATE 2058

static int handle_of(const char *s, const char *prefix, unsigned *out)
{
    unsigned long long v;
    size_t pl = strlen(prefix);

    if (s == NULL || strncmp(s, prefix, pl) != 0 || sim_parse_uint(s + pl, 1000000, &v) != 0) {
        return SCS_ERR_FORMAT;
    }
    *out = (unsigned)v;
    return 0;
}

static int b64_der(const char *in, uint8_t **out, size_t *out_len)
{
    size_t n = in != NULL ? strlen(in) : 0;
    uint8_t *p;

    if (n == 0 || n > scs_base64_encoded_len(SIM_CERT_MAX_DER)) {
        return SCS_ERR_FORMAT;
    }
    p = malloc(SIM_CERT_MAX_DER);
    if (p == NULL) {
        return SCS_ERR_NOMEM;
    }
    if (scs_base64_decode(p, SIM_CERT_MAX_DER, out_len, in, n) != 0 || *out_len == 0) {
        free(p);
        return SCS_ERR_FORMAT;
    }
    *out = p;
    return 0;
}

static int created_cert_epr(struct scs_buf *o, unsigned id)
{
    char sel[64];

    snprintf(sel, sizeof(sel), CERT_PREFIX "%u", id);
    return sim_epr(o, "g", "CreatedCertificate", SIM_NS_AMT "AMT_PublicKeyCertificate",
                   "InstanceID", sel);
}

/* ---------------- AMT_PublicKeyManagementService ---------------- */

static int pkm_instances(struct sim_ctx *c, const char *p, const char *sel, struct scs_buf *o,
                         unsigned *count)
{
    int rc = 0;

    (void)c;
    *count = 0;
    if (!sim_sel_want(sel, PKM_NAME, 0)) {
        return 0;
    }
    rc |= scs_buf_printf(o, "<%s:AMT_PublicKeyManagementService>", p);
    rc |= sim_prop(o, p, "CreationClassName", "AMT_PublicKeyManagementService");
    rc |= sim_prop(o, p, "ElementName", PKM_NAME);
    rc |= sim_propu(o, p, "EnabledState", 5);
    rc |= sim_prop(o, p, "Name", PKM_NAME);
    rc |= sim_propu(o, p, "RequestedState", 12);
    rc |= sim_prop(o, p, "SystemCreationClassName", "CIM_ComputerSystem");
    rc |= sim_prop(o, p, "SystemName", "Intel(r) AMT");
    rc |= scs_buf_printf(o, "</%s:AMT_PublicKeyManagementService>", p);
    *count = 1;
    return rc == 0 ? 0 : SCS_ERR_TOO_LARGE;
}

static unsigned pkm_generate(struct sim_ctx *c, const struct sim_wsman_req *r, struct scs_buf *o)
{
    unsigned long long alg, bits;
    uint8_t *key = NULL;
    size_t key_len = 0;
    unsigned id = 0;
    char sel[64];
    int rc;

    if (sim_parse_uint(sim_wsman_param(r, "KeyAlgorithm"), 255, &alg) != 0 || alg != 0 ||
        sim_parse_uint(sim_wsman_param(r, "KeyLength"), 65535, &bits) != 0 ||
        (bits != 1024 && bits != 2048 && bits != 3072)) {
        return SIM_RV_INVALID_PARAMETER;
    }
    if (!sim_ctx_can_configure(c)) {
        return SIM_RV_NOT_PERMITTED;
    }
    if (c->dev->key_count >= SIM_MAX_KEYS) {
        return SIM_RV_MAX_LIMIT;
    }
    if (sim_x509_genkey((unsigned)bits, &key, &key_len) != 0) {
        return SIM_RV_INTERNAL_ERROR;
    }
    rc = sim_device_add_key(c->dev, key, key_len, &id);
    scs_freezero(key, key_len);
    if (rc != 0) {
        return rc == SCS_ERR_EXHAUSTED ? SIM_RV_MAX_LIMIT : SIM_RV_INTERNAL_ERROR;
    }
    c->dirty = 1;
    snprintf(sel, sizeof(sel), KEY_PREFIX "%u", id);
    if (sim_epr(o, "g", "KeyPair", SIM_NS_AMT "AMT_PublicPrivateKeyPair", "InstanceID", sel) != 0) {
        return SIM_RV_INTERNAL_ERROR;
    }
    return SIM_RV_SUCCESS;
}

static unsigned pkm_add_cert(struct sim_ctx *c, const struct sim_wsman_req *r, struct scs_buf *o,
                             int trusted)
{
    uint8_t *der = NULL;
    size_t len = 0;
    unsigned id = 0;
    int matched = trusted;
    int rc;

    if (b64_der(sim_wsman_param(r, "CertificateBlob"), &der, &len) != 0 ||
        sim_x509_cert_check(der, len) != 0) {
        free(der);
        return SIM_RV_INVALID_PARAMETER;
    }
    if (!sim_ctx_can_configure(c)) {
        free(der);
        return SIM_RV_NOT_PERMITTED;
    }
    /* A non-root certificate is only useful with its private key on the device. */
    for (unsigned i = 0; !matched && i < c->dev->key_count; i++) {
        matched = sim_x509_cert_matches_key(der, len, c->dev->keys[i].der, c->dev->keys[i].der_len);
    }
    if (!matched) {
        free(der);
        return SIM_RV_INVALID_PARAMETER;
    }
    rc = sim_device_add_cert(c->dev, der, len, trusted, &id);
    free(der);
    if (rc == SCS_ERR_EXISTS) {
        return SIM_RV_DUPLICATE;
    }
    if (rc == SCS_ERR_EXHAUSTED) {
        return SIM_RV_MAX_LIMIT;
    }
    if (rc != 0) {
        return SIM_RV_INTERNAL_ERROR;
    }
    c->dirty = 1;
    if (trusted) {
        /* The roots are what a mutually authenticated TLS client must chain to. */
        c->events |= SIM_EV_TLS_CHANGED;
    }
    return created_cert_epr(o, id) == 0 ? SIM_RV_SUCCESS : SIM_RV_INTERNAL_ERROR;
}

static unsigned pkm_pkcs10(struct sim_ctx *c, const struct sim_wsman_req *r, struct scs_buf *o)
{
    const struct sim_key_entry *k = NULL;
    unsigned long long alg;
    uint8_t *csr = NULL, *signed_csr = NULL;
    size_t csr_len = 0, sl = 0;
    unsigned id;
    char *b64;
    int rc;

    /* SigningAlgorithm: 0 SHA1-RSA, 1 SHA256-RSA */
    if (handle_of(sim_wsman_param(r, "KeyPair"), KEY_PREFIX, &id) != 0 ||
        sim_parse_uint(sim_wsman_param(r, "SigningAlgorithm"), 255, &alg) != 0 || alg > 1 ||
        b64_der(sim_wsman_param(r, "NullSignedCertificateRequest"), &csr, &csr_len) != 0) {
        return SIM_RV_INVALID_PARAMETER;
    }
    for (unsigned i = 0; i < c->dev->key_count; i++) {
        if (c->dev->keys[i].id == id) {
            k = &c->dev->keys[i];
        }
    }
    if (k == NULL) {
        free(csr);
        return SIM_RV_INVALID_PARAMETER;
    }
    if (!sim_ctx_can_configure(c)) {
        free(csr);
        return SIM_RV_NOT_PERMITTED;
    }
    rc = sim_x509_sign_csr(k->der, k->der_len, csr, csr_len, alg == 1, &signed_csr, &sl);
    free(csr);
    if (rc != 0) {
        return rc == SCS_ERR_FORMAT ? SIM_RV_INVALID_PARAMETER : SIM_RV_INTERNAL_ERROR;
    }
    b64 = malloc(scs_base64_encoded_len(sl) + 1);
    if (b64 == NULL) {
        free(signed_csr);
        return SIM_RV_INTERNAL_ERROR;
    }
    scs_base64_encode(b64, signed_csr, sl);
    rc = sim_prop(o, "g", "SignedCertificateRequest", b64);
    free(b64);
    free(signed_csr);
    return rc == 0 ? SIM_RV_SUCCESS : SIM_RV_INTERNAL_ERROR;
}

static enum sim_fault pkm_invoke(struct sim_ctx *c, const struct sim_wsman_req *r,
                                 struct scs_buf *o, unsigned *rv)
{
    if (strcmp(r->method, "GenerateKeyPair") == 0) {
        *rv = pkm_generate(c, r, o);
    } else if (strcmp(r->method, "AddCertificate") == 0) {
        *rv = pkm_add_cert(c, r, o, 0);
    } else if (strcmp(r->method, "AddTrustedRootCertificate") == 0) {
        *rv = pkm_add_cert(c, r, o, 1);
    } else if (strcmp(r->method, "GeneratePKCS10RequestEx") == 0) {
        *rv = pkm_pkcs10(c, r, o);
    } else {
        return SIM_F_ACTION_NOT_SUPPORTED;
    }
    return SIM_F_NONE;
}

const struct sim_class sim_class_pkm_service = {
    "AMT_PublicKeyManagementService", SIM_NS_AMT, pkm_instances, NULL, pkm_invoke, NULL, NULL};

/* ---------------- AMT_PublicKeyCertificate ---------------- */

static int cert_instances(struct sim_ctx *c, const char *p, const char *sel, struct scs_buf *o,
                          unsigned *count)
{
    const struct sim_device *d = c->dev;
    int rc = 0;

    *count = 0;
    for (unsigned i = 0; rc == 0 && i < d->cert_count; i++) {
        const struct sim_cert_entry *e = &d->certs[i];
        char id[64], subject[512], issuer[512];
        char *b64;
        size_t bl = scs_base64_encoded_len(e->der_len);

        snprintf(id, sizeof(id), CERT_PREFIX "%u", e->id);
        if (!sim_sel_want(sel, id, *count)) {
            continue;
        }
        if (sim_x509_cert_names(e->der, e->der_len, subject, sizeof(subject), issuer,
                                sizeof(issuer)) != 0) {
            subject[0] = issuer[0] = '\0';
        }
        b64 = malloc(bl + 1);
        if (b64 == NULL) {
            return SCS_ERR_NOMEM;
        }
        scs_base64_encode(b64, e->der, e->der_len);
        rc |= scs_buf_printf(o, "<%s:AMT_PublicKeyCertificate>", p);
        rc |= sim_prop(o, p, "ElementName", "Intel(r) AMT Certificate");
        rc |= sim_prop(o, p, "InstanceID", id);
        rc |= sim_prop(o, p, "Issuer", issuer);
        rc |= sim_propb(o, p, "ReadOnlyCertificate", 0);
        rc |= sim_prop(o, p, "Subject", subject);
        /* sic: the real class spells it "Certficate" */
        rc |= sim_propb(o, p, "TrustedRootCertficate", e->trusted_root);
        rc |= sim_prop(o, p, "X509Certificate", b64);
        rc |= scs_buf_printf(o, "</%s:AMT_PublicKeyCertificate>", p);
        free(b64);
        (*count)++;
    }
    return rc == 0 ? 0 : SCS_ERR_TOO_LARGE;
}

static enum sim_fault cert_delete(struct sim_ctx *c, const struct sim_wsman_req *r)
{
    struct sim_device *d = c->dev;
    unsigned id;

    if (!sim_ctx_can_configure(c)) {
        return SIM_F_ACCESS_DENIED;
    }
    if (handle_of(sim_wsman_selector(r, "InstanceID"), CERT_PREFIX, &id) != 0) {
        return SIM_F_INVALID_SELECTORS;
    }
    if (d->tls_credential_set && d->tls_credential_cert == id) {
        return SIM_F_ACCESS_DENIED; /* in use by the TLS credential context */
    }
    for (unsigned i = 0; i < d->cert_count; i++) {
        if (d->certs[i].id == id) {
            free(d->certs[i].der);
            memmove(&d->certs[i], &d->certs[i + 1], (d->cert_count - i - 1) * sizeof(d->certs[0]));
            d->cert_count--;
            memset(&d->certs[d->cert_count], 0, sizeof(d->certs[0]));
            c->dirty = 1;
            /* A deleted trusted root no longer admits mutual-TLS clients. */
            c->events |= SIM_EV_TLS_CHANGED;
            return SIM_F_NONE;
        }
    }
    return SIM_F_INVALID_SELECTORS;
}

const struct sim_class sim_class_public_key_cert = {
    "AMT_PublicKeyCertificate", SIM_NS_AMT, cert_instances, NULL, NULL, NULL, cert_delete};

/* ---------------- AMT_PublicPrivateKeyPair ---------------- */

static int key_instances(struct sim_ctx *c, const char *p, const char *sel, struct scs_buf *o,
                         unsigned *count)
{
    const struct sim_device *d = c->dev;
    int rc = 0;

    *count = 0;
    for (unsigned i = 0; rc == 0 && i < d->key_count; i++) {
        char id[64];
        uint8_t *pub = NULL;
        size_t pl = 0;
        char *b64;

        snprintf(id, sizeof(id), KEY_PREFIX "%u", d->keys[i].id);
        if (!sim_sel_want(sel, id, *count)) {
            continue;
        }
        if (sim_x509_pubkey_der(d->keys[i].der, d->keys[i].der_len, &pub, &pl) != 0) {
            return SCS_ERR_CRYPTO;
        }
        b64 = malloc(scs_base64_encoded_len(pl) + 1);
        if (b64 == NULL) {
            free(pub);
            return SCS_ERR_NOMEM;
        }
        scs_base64_encode(b64, pub, pl);
        rc |= scs_buf_printf(o, "<%s:AMT_PublicPrivateKeyPair>", p);
        rc |= sim_prop(o, p, "DERKey", b64);
        rc |= sim_prop(o, p, "ElementName", "Intel(r) AMT Key");
        rc |= sim_prop(o, p, "InstanceID", id);
        rc |= scs_buf_printf(o, "</%s:AMT_PublicPrivateKeyPair>", p);
        free(b64);
        free(pub);
        (*count)++;
    }
    return rc == 0 ? 0 : SCS_ERR_TOO_LARGE;
}

static enum sim_fault key_delete(struct sim_ctx *c, const struct sim_wsman_req *r)
{
    struct sim_device *d = c->dev;
    unsigned id;

    if (!sim_ctx_can_configure(c)) {
        return SIM_F_ACCESS_DENIED;
    }
    if (handle_of(sim_wsman_selector(r, "InstanceID"), KEY_PREFIX, &id) != 0) {
        return SIM_F_INVALID_SELECTORS;
    }
    for (unsigned i = 0; i < d->key_count; i++) {
        if (d->keys[i].id == id) {
            scs_freezero(d->keys[i].der, d->keys[i].der_len);
            memmove(&d->keys[i], &d->keys[i + 1], (d->key_count - i - 1) * sizeof(d->keys[0]));
            d->key_count--;
            memset(&d->keys[d->key_count], 0, sizeof(d->keys[0]));
            c->dirty = 1;
            return SIM_F_NONE;
        }
    }
    return SIM_F_INVALID_SELECTORS;
}

const struct sim_class sim_class_key_pair = {
    "AMT_PublicPrivateKeyPair", SIM_NS_AMT, key_instances, NULL, NULL, NULL, key_delete};

/* ---------------- AMT_TLSSettingData ---------------- */

static int tls_one(struct scs_buf *o, const char *p, const char *id, int enabled, int mutual,
                   int accept_ns, const struct sim_device *cn_of)
{
    int rc = 0;

    rc |= scs_buf_printf(o, "<%s:AMT_TLSSettingData>", p);
    rc |= sim_propb(o, p, "AcceptNonSecureConnections", accept_ns);
    rc |= sim_prop(o, p, "ElementName", id);
    rc |= sim_propb(o, p, "Enabled", enabled);
    rc |= sim_prop(o, p, "InstanceID", id);
    rc |= sim_propb(o, p, "MutualAuthentication", mutual);
    rc |= sim_propb(o, p, "NonSecureConnectionsSupported", 1);
    for (unsigned i = 0; cn_of != NULL && i < cn_of->tls_trusted_cn_count; i++) {
        rc |= sim_prop(o, p, "TrustedCN", cn_of->tls_trusted_cn[i]);
    }
    rc |= scs_buf_printf(o, "</%s:AMT_TLSSettingData>", p);
    return rc;
}

static int tls_instances(struct sim_ctx *c, const char *p, const char *sel, struct scs_buf *o,
                         unsigned *count)
{
    const struct sim_device *d = c->dev;
    int rc = 0;

    *count = 0;
    if (sim_sel_want(sel, TLS_REMOTE, *count)) {
        rc |= tls_one(o, p, TLS_REMOTE, d->tls_remote_enabled, d->tls_remote_mutual,
                      d->tls_remote_accept_non_secure, d);
        (*count)++;
    }
    if (sim_sel_want(sel, TLS_LOCAL, *count)) {
        rc |= tls_one(o, p, TLS_LOCAL, d->tls_local_enabled, 0, 1, NULL);
        (*count)++;
    }
    return rc == 0 ? 0 : SCS_ERR_TOO_LARGE;
}

/* Every TrustedCN element of a Put (the property is an array); -1 if one is unusable. */
static int tls_trusted_cns(const struct sim_wsman_req *r, char cn[][SIM_CN_MAX + 1],
                           unsigned *count)
{
    *count = 0;
    for (unsigned i = 0; i < r->nparams; i++) {
        const char *v = r->params[i].value;
        size_t n;

        if (strcmp(r->params[i].name, "TrustedCN") != 0) {
            continue;
        }
        n = v != NULL ? strlen(v) : 0;
        if (n == 0 || n > SIM_CN_MAX || *count >= SIM_MAX_TRUSTED_CN) {
            return -1;
        }
        for (size_t k = 0; k < n; k++) {
            if ((unsigned char)v[k] < 0x20 || (unsigned char)v[k] > 0x7e) {
                return -1;
            }
        }
        memcpy(cn[*count], v, n + 1);
        (*count)++;
    }
    return 0;
}

static enum sim_fault tls_put(struct sim_ctx *c, const struct sim_wsman_req *r)
{
    struct sim_device *d = c->dev;
    const char *id = sim_wsman_selector(r, "InstanceID");
    char cn[SIM_MAX_TRUSTED_CN][SIM_CN_MAX + 1];
    unsigned cn_count = 0;
    int en = 0, mu = 0, ans = 1;
    const char *s;

    if (id == NULL) {
        id = sim_wsman_param(r, "InstanceID");
    }
    if (id == NULL || (strcmp(id, TLS_REMOTE) != 0 && strcmp(id, TLS_LOCAL) != 0)) {
        return SIM_F_INVALID_SELECTORS;
    }
    if (!sim_ctx_can_configure(c)) {
        return SIM_F_ACCESS_DENIED;
    }
    if (sim_parse_bool(sim_wsman_param(r, "Enabled"), &en) != 0) {
        return SIM_F_INVALID_REPRESENTATION;
    }
    if ((s = sim_wsman_param(r, "MutualAuthentication")) != NULL && sim_parse_bool(s, &mu) != 0) {
        return SIM_F_INVALID_REPRESENTATION;
    }
    if ((s = sim_wsman_param(r, "AcceptNonSecureConnections")) != NULL &&
        sim_parse_bool(s, &ans) != 0) {
        return SIM_F_INVALID_REPRESENTATION;
    }
    if (tls_trusted_cns(r, cn, &cn_count) != 0) {
        return SIM_F_INVALID_REPRESENTATION;
    }
    if (strcmp(id, TLS_REMOTE) == 0) {
        d->tls_remote_enabled = en;
        d->tls_remote_mutual = mu;
        d->tls_remote_accept_non_secure = ans;
        /* Put replaces the instance: no TrustedCN elements clear the list. */
        memset(d->tls_trusted_cn, 0, sizeof(d->tls_trusted_cn));
        memcpy(d->tls_trusted_cn, cn, cn_count * sizeof(cn[0]));
        d->tls_trusted_cn_count = cn_count;
    } else {
        d->tls_local_enabled = en;
    }
    c->events |= SIM_EV_TLS_CHANGED;
    c->dirty = 1;
    return SIM_F_NONE;
}

const struct sim_class sim_class_tls_setting = {
    "AMT_TLSSettingData", SIM_NS_AMT, tls_instances, tls_put, NULL, NULL, NULL};

/* ---------------- AMT_TLSCredentialContext ---------------- */

static int cred_instances(struct sim_ctx *c, const char *p, const char *sel, struct scs_buf *o,
                          unsigned *count)
{
    const struct sim_device *d = c->dev;
    char id[64];
    int rc = 0;

    (void)sel;
    *count = 0;
    if (!d->tls_credential_set) {
        return 0;
    }
    snprintf(id, sizeof(id), CERT_PREFIX "%u", d->tls_credential_cert);
    rc |= scs_buf_printf(o, "<%s:AMT_TLSCredentialContext>", p);
    rc |=
        sim_epr(o, p, "ElementInContext", SIM_NS_AMT "AMT_PublicKeyCertificate", "InstanceID", id);
    rc |= sim_epr(o, p, "ElementProvidingContext", SIM_NS_AMT "AMT_TLSProtocolEndpointCollection",
                  "ElementName", TLS_EP_COLL);
    rc |= scs_buf_printf(o, "</%s:AMT_TLSCredentialContext>", p);
    *count = 1;
    return rc == 0 ? 0 : SCS_ERR_TOO_LARGE;
}

static enum sim_fault cred_create(struct sim_ctx *c, const struct sim_wsman_req *r,
                                  const char **sel_name, char *sel_value, size_t cap)
{
    struct sim_device *d = c->dev;
    const struct sim_cert_entry *e;
    unsigned id;
    int has_key = 0;

    if (!sim_ctx_can_configure(c)) {
        return SIM_F_ACCESS_DENIED;
    }
    if (handle_of(sim_wsman_param(r, "ElementInContext"), CERT_PREFIX, &id) != 0 ||
        (e = sim_device_find_cert(d, id)) == NULL) {
        return SIM_F_INVALID_REPRESENTATION;
    }
    if (d->tls_credential_set) {
        return SIM_F_ALREADY_EXISTS;
    }
    for (unsigned i = 0; !has_key && i < d->key_count; i++) {
        has_key = sim_x509_cert_matches_key(e->der, e->der_len, d->keys[i].der, d->keys[i].der_len);
    }
    if (!has_key) {
        return SIM_F_INVALID_REPRESENTATION;
    }
    d->tls_credential_set = 1;
    d->tls_credential_cert = id;
    c->events |= SIM_EV_TLS_CHANGED;
    c->dirty = 1;
    *sel_name = "ElementInContext";
    snprintf(sel_value, cap, CERT_PREFIX "%u", id);
    return SIM_F_NONE;
}

static enum sim_fault cred_delete(struct sim_ctx *c, const struct sim_wsman_req *r)
{
    (void)r;
    if (!sim_ctx_can_configure(c)) {
        return SIM_F_ACCESS_DENIED;
    }
    if (!c->dev->tls_credential_set) {
        return SIM_F_INVALID_SELECTORS;
    }
    c->dev->tls_credential_set = 0;
    c->dev->tls_credential_cert = 0;
    c->events |= SIM_EV_TLS_CHANGED;
    c->dirty = 1;
    return SIM_F_NONE;
}

const struct sim_class sim_class_tls_credential = {
    "AMT_TLSCredentialContext", SIM_NS_AMT, cred_instances, NULL, NULL, cred_create, cred_delete};
