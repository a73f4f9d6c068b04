/*
 * IPS_HostBasedSetupService (protocol.md §6.1-§6.3): CCM Setup, the
 * AddNextCertInChain chain, and AdminSetup / UpgradeClientToAdmin with real
 * verification of the RSA-SHA256 signature over ConfigurationNonce || McNonce.
 * Setup and AdminSetup are accepted only from the local interface ($$OsAdmin).
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

#define HBS_NAME "Intel(r) AMT Host Based Setup Service"

/* Return codes (GWM hostbasedsetup/decoder.go) */
enum {
    HBS_OK = 0,
    HBS_INTERNAL = 1,
    HBS_INVALID_STATE = 2,
    HBS_INVALID_PARAM = 3,
    HBS_METHOD_DISABLED = 4,
    HBS_AUTH_FAILED = 5
};
enum {
    CHAIN_OK = 0,
    CHAIN_INVALID_PARAM = 1,
    CHAIN_INTERNAL = 2,
    CHAIN_INVALID_STATE = 3,
    CHAIN_VERIFY_FAILED = 4,
    CHAIN_TOO_LONG = 5
};

static int hbs_instances(struct sim_ctx *c, const char *p, const char *sel, struct scs_buf *o,
                         unsigned *count)
{
    const struct sim_device *d = c->dev;
    char nonce[64];
    int rc = 0;

    *count = 0;
    if (!sim_sel_want(sel, HBS_NAME, 0)) {
        return 0;
    }
    scs_base64_encode(nonce, d->config_nonce, sizeof(d->config_nonce));
    rc |= scs_buf_printf(o, "<%s:IPS_HostBasedSetupService>", p);
    /* MC treats CCM as allowed iff there are two entries. */
    rc |= sim_propu(o, p, "AllowedControlModes", 2);
    rc |= sim_propu(o, p, "AllowedControlModes", 1);
    rc |= sim_propu(o, p, "CertChainStatus", d->chain_complete ? 2u : d->chain_count > 0 ? 1u : 0u);
    rc |= sim_prop(o, p, "ConfigurationNonce", nonce);
    rc |= sim_prop(o, p, "CreationClassName", "IPS_HostBasedSetupService");
    rc |= sim_propu(o, p, "CurrentControlMode", (unsigned)d->control_mode);
    rc |= sim_prop(o, p, "ElementName", HBS_NAME);
    rc |= sim_prop(o, p, "Name", HBS_NAME);
    rc |= sim_prop(o, p, "SystemCreationClassName", "CIM_ComputerSystem");
    rc |= sim_prop(o, p, "SystemName", "Intel(r) AMT");
    rc |= scs_buf_printf(o, "</%s:IPS_HostBasedSetupService>", p);
    *count = 1;
    return rc == 0 ? 0 : SCS_ERR_TOO_LARGE;
}

/* NetAdminPassEncryptionType 2 + NetworkAdminPassword = hex MD5(A1). */
static int parse_a1(const struct sim_wsman_req *r, uint8_t ha1[16])
{
    unsigned long long t;
    const char *pw = sim_wsman_param(r, "NetworkAdminPassword");

    if (sim_parse_uint(sim_wsman_param(r, "NetAdminPassEncryptionType"), 255, &t) != 0 || t != 2 ||
        pw == NULL || strlen(pw) != 32 || scs_hex_decode(ha1, 16, pw, 32) != 0) {
        return SCS_ERR_FORMAT;
    }
    return 0;
}

static void become(struct sim_ctx *c, const uint8_t ha1[16], enum sim_control_mode m)
{
    struct sim_device *d = c->dev;

    memcpy(d->admin_ha1, ha1, 16);
    snprintf(d->admin_user, sizeof(d->admin_user), "%s", "admin");
    d->admin_set = 1;
    d->control_mode = m;
    d->prov_state = SIM_PROV_POST;
    c->events |= SIM_EV_HELLO_STOP | SIM_EV_TLS_CHANGED;
    c->dirty = 1;
    log_info("device %u: host-based setup: now %s", d->index, sim_control_mode_name(m));
}

static unsigned hbs_setup(struct sim_ctx *c, const struct sim_wsman_req *r)
{
    uint8_t ha1[16];

    if (!c->local) {
        return HBS_METHOD_DISABLED;
    }
    if (c->dev->prov_state != SIM_PROV_PRE) {
        return HBS_INVALID_STATE;
    }
    if (parse_a1(r, ha1) != 0) {
        return HBS_INVALID_PARAM;
    }
    become(c, ha1, SIM_CTRL_CCM);
    scs_wipe(ha1, sizeof(ha1));
    return HBS_OK;
}

static unsigned hbs_add_cert(struct sim_ctx *c, const struct sim_wsman_req *r)
{
    struct sim_device *d = c->dev;
    const char *b64 = sim_wsman_param(r, "NextCertificate");
    int leaf = 0, root = 0;
    uint8_t *der;
    size_t len = 0, bl = b64 != NULL ? strlen(b64) : 0;

    if (!(c->local || c->admin)) {
        return CHAIN_INVALID_STATE;
    }
    if (!(d->prov_state == SIM_PROV_PRE ||
          (d->prov_state == SIM_PROV_POST && d->control_mode == SIM_CTRL_CCM))) {
        return CHAIN_INVALID_STATE;
    }
    if (sim_parse_bool(sim_wsman_param(r, "IsLeafCertificate"), &leaf) != 0 ||
        sim_parse_bool(sim_wsman_param(r, "IsRootCertificate"), &root) != 0 || bl == 0 ||
        bl > scs_base64_encoded_len(SIM_CERT_MAX_DER)) {
        return CHAIN_INVALID_PARAM;
    }
    if (leaf) {
        sim_device_clear_chain(d); /* a leaf starts a new chain */
    } else if (d->chain_count == 0 || d->chain_complete) {
        return CHAIN_INVALID_PARAM; /* the leaf must come first */
    }
    if (d->chain_count >= SIM_MAX_CHAIN) {
        sim_device_clear_chain(d);
        return CHAIN_TOO_LONG;
    }
    der = malloc(SIM_CERT_MAX_DER);
    if (der == NULL) {
        return CHAIN_INTERNAL;
    }
    if (scs_base64_decode(der, SIM_CERT_MAX_DER, &len, b64, bl) != 0 ||
        sim_x509_cert_check(der, len) != 0) {
        free(der);
        return CHAIN_INVALID_PARAM;
    }
    d->chain[d->chain_count] = der;
    d->chain_len[d->chain_count] = len;
    d->chain_count++;
    if (root) {
        struct scs_diag dg;

        if (sim_x509_check_prov_chain(d, (const uint8_t *const *)d->chain, d->chain_len,
                                      d->chain_count, &dg) != 0) {
            log_info("device %u: AddNextCertInChain: %s", d->index, dg.reason);
            sim_device_clear_chain(d);
            return CHAIN_VERIFY_FAILED;
        }
        d->chain_complete = 1;
    }
    return CHAIN_OK;
}

/* The §6.2 signature: RSASSA-PKCS1-v1_5(SHA-256) over ConfigurationNonce || McNonce. */
static int check_signature(struct sim_ctx *c, const struct sim_wsman_req *r)
{
    struct sim_device *d = c->dev;
    const char *mc = sim_wsman_param(r, "McNonce");
    const char *sig = sim_wsman_param(r, "DigitalSignature");
    unsigned long long alg;
    uint8_t msg[2 * SIM_NONCE_LEN];
    uint8_t sigb[1024];
    size_t ml = 0, sl = 0;
    int rc;

    if (mc == NULL || sig == NULL ||
        sim_parse_uint(sim_wsman_param(r, "SigningAlgorithm"), 255, &alg) != 0 || alg != 2 ||
        scs_base64_decode(msg + SIM_NONCE_LEN, SIM_NONCE_LEN, &ml, mc, strlen(mc)) != 0 ||
        ml != SIM_NONCE_LEN || scs_base64_decode(sigb, sizeof(sigb), &sl, sig, strlen(sig)) != 0) {
        return HBS_INVALID_PARAM;
    }
    if (!d->chain_complete || d->chain_count == 0) {
        return HBS_AUTH_FAILED;
    }
    memcpy(msg, d->config_nonce, SIM_NONCE_LEN);
    rc = sim_x509_verify_sha256(d->chain[0], d->chain_len[0], msg, sizeof(msg), sigb, sl);
    return rc == 0 ? HBS_OK : HBS_AUTH_FAILED;
}

static unsigned hbs_admin_setup(struct sim_ctx *c, const struct sim_wsman_req *r, int upgrade)
{
    struct sim_device *d = c->dev;
    uint8_t ha1[16];
    unsigned rv;

    if (upgrade ? !(c->local || c->admin) : !c->local) {
        return HBS_METHOD_DISABLED;
    }
    if (upgrade ? !(d->prov_state == SIM_PROV_POST && d->control_mode == SIM_CTRL_CCM)
                : d->prov_state != SIM_PROV_PRE) {
        return HBS_INVALID_STATE;
    }
    if (!upgrade && parse_a1(r, ha1) != 0) {
        return HBS_INVALID_PARAM;
    }
    rv = (unsigned)check_signature(c, r);
    /* A fresh nonce after every attempt, good or bad (§6.2). */
    (void)sim_device_new_nonce(d);
    if (rv != HBS_OK) {
        if (rv == HBS_AUTH_FAILED) {
            sim_device_clear_chain(d);
        }
        scs_wipe(ha1, sizeof(ha1));
        return rv;
    }
    if (upgrade) {
        d->control_mode = SIM_CTRL_ACM;
        c->dirty = 1;
    } else {
        become(c, ha1, SIM_CTRL_ACM);
    }
    sim_device_clear_chain(d);
    scs_wipe(ha1, sizeof(ha1));
    return HBS_OK;
}

static enum sim_fault hbs_invoke(struct sim_ctx *c, const struct sim_wsman_req *r,
                                 struct scs_buf *o, unsigned *rv)
{
    (void)o;
    if (strcmp(r->method, "Setup") == 0) {
        *rv = hbs_setup(c, r);
    } else if (strcmp(r->method, "AddNextCertInChain") == 0) {
        *rv = hbs_add_cert(c, r);
    } else if (strcmp(r->method, "AdminSetup") == 0) {
        *rv = hbs_admin_setup(c, r, 0);
    } else if (strcmp(r->method, "UpgradeClientToAdmin") == 0) {
        *rv = hbs_admin_setup(c, r, 1);
    } else {
        return SIM_F_ACTION_NOT_SUPPORTED;
    }
    return SIM_F_NONE;
}

const struct sim_class sim_class_host_based_setup = {
    "IPS_HostBasedSetupService", SIM_NS_IPS, hbs_instances, NULL, hbs_invoke, NULL, NULL};
