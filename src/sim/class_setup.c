/*
 * Provisioning classes: AMT_GeneralSettings, AMT_SetupAndConfigurationService,
 * AMT_AuthorizationService and AMT_TimeSynchronizationService
 * (protocol.md §2.4 step 8, §5.3, §6.1).
 */
#include <stdio.h>
#include <string.h>

#include "common/buf.h"
#include "common/encoding.h"
#include "common/err.h"
#include "common/log.h"
#include "common/secmem.h"
#include "formats/pidpps.h"
#include "sim/device.h"
#include "sim/wsman.h"

/* ---------------- AMT_GeneralSettings ---------------- */

#define GS_ID "Intel(r) AMT: General Settings"

static int gs_instances(struct sim_ctx *c, const char *p, const char *sel, struct scs_buf *o,
                        unsigned *count)
{
    const struct sim_device *d = c->dev;
    int rc = 0;

    *count = 0;
    if (!sim_sel_want(sel, GS_ID, 0)) {
        return 0;
    }
    rc |= scs_buf_printf(o, "<%s:AMT_GeneralSettings>", p);
    rc |= sim_propu(o, p, "AMTNetworkEnabled", 1);
    rc |= sim_propu(o, p, "DDNSPeriodicUpdateInterval", 1440);
    rc |= sim_propb(o, p, "DDNSUpdateByDHCPServerEnabled", 1);
    rc |= sim_propb(o, p, "DDNSUpdateEnabled", 0);
    rc |= sim_propu(o, p, "DDNSTTL", 900);
    rc |= sim_propu(o, p, "DHCPv6ConfigurationTimeout", 0);
    rc |= sim_prop(o, p, "DigestRealm", d->realm);
    rc |= sim_prop(o, p, "DomainName", d->domain);
    rc |= sim_prop(o, p, "ElementName", "Intel(r) AMT: General Settings");
    rc |= sim_prop(o, p, "HostName", d->hostname);
    rc |= sim_prop(o, p, "HostOSFQDN", "");
    rc |= sim_propu(o, p, "IdleWakeTimeout", 65535);
    rc |= sim_prop(o, p, "InstanceID", GS_ID);
    rc |= sim_propb(o, p, "NetworkInterfaceEnabled", 1);
    rc |= sim_propu(o, p, "PowerSource", 0);
    rc |= sim_propu(o, p, "PreferredAddressFamily", 0);
    rc |= sim_propu(o, p, "PresenceNotificationInterval", 0);
    rc |= sim_propu(o, p, "PrivacyLevel", 0);
    rc |= sim_propb(o, p, "RmcpPingResponseEnabled", 1);
    rc |= sim_propb(o, p, "SharedFQDN", d->shared_fqdn);
    rc |= sim_propu(o, p, "ThunderboltDockEnabled", 0);
    rc |= sim_propb(o, p, "WsmanOnlyMode", 0);
    rc |= scs_buf_printf(o, "</%s:AMT_GeneralSettings>", p);
    *count = 1;
    return rc == 0 ? 0 : SCS_ERR_TOO_LARGE;
}

static enum sim_fault gs_put(struct sim_ctx *c, const struct sim_wsman_req *r)
{
    struct sim_device *d = c->dev;
    const char *hn = sim_wsman_param(r, "HostName");
    const char *dn = sim_wsman_param(r, "DomainName");
    const char *sf = sim_wsman_param(r, "SharedFQDN");
    int shared = d->shared_fqdn;

    if (!sim_ctx_can_configure(c)) {
        return SIM_F_ACCESS_DENIED;
    }
    if ((hn != NULL && strlen(hn) > SIM_HOSTNAME_MAX) ||
        (dn != NULL && strlen(dn) > SIM_DNS_SUFFIX_MAX) ||
        (sf != NULL && sim_parse_bool(sf, &shared) != 0)) {
        return SIM_F_INVALID_REPRESENTATION;
    }
    if (hn != NULL) {
        snprintf(d->hostname, sizeof(d->hostname), "%s", hn);
    }
    if (dn != NULL) {
        snprintf(d->domain, sizeof(d->domain), "%s", dn);
    }
    d->shared_fqdn = shared;
    c->dirty = 1;
    return SIM_F_NONE;
}

const struct sim_class sim_class_general_settings = {
    "AMT_GeneralSettings", SIM_NS_AMT, gs_instances, gs_put, NULL, NULL, NULL};

/* ---------------- AMT_SetupAndConfigurationService ---------------- */

#define SCS_NAME "Intel(r) AMT Setup and Configuration Service"

static int sc_instances(struct sim_ctx *c, const char *p, const char *sel, struct scs_buf *o,
                        unsigned *count)
{
    const struct sim_device *d = c->dev;
    int rc = 0;

    *count = 0;
    if (!sim_sel_want(sel, SCS_NAME, 0)) {
        return 0;
    }
    rc |= scs_buf_printf(o, "<%s:AMT_SetupAndConfigurationService>", p);
    rc |= sim_prop(o, p, "ConfigurationServerFQDN", "");
    rc |= sim_prop(o, p, "CreationClassName", "AMT_SetupAndConfigurationService");
    rc |= sim_prop(o, p, "DhcpDNSSuffix", d->domain);
    rc |= sim_prop(o, p, "ElementName", SCS_NAME);
    rc |= sim_propu(o, p, "EnabledState", 5);
    rc |= sim_prop(o, p, "Name", SCS_NAME);
    rc |= sim_propu(o, p, "PasswordModel", 1);
    rc |= sim_propu(o, p, "ProvisioningMode", d->control_mode == SIM_CTRL_CCM ? 4 : 1);
    /* The OTP is readable only in-provisioning, and only over the authenticated
     * provisioning session (protocol.md §5.3 step 4). */
    if (d->otp[0] != '\0' && d->prov_state == SIM_PROV_IN && c->prov_session) {
        char b64[64];

        scs_base64_encode(b64, (const uint8_t *)d->otp, strlen(d->otp));
        rc |= sim_prop(o, p, "ProvisioningServerOTP", b64);
        scs_wipe(b64, sizeof(b64));
    }
    rc |= sim_propu(o, p, "ProvisioningState", (unsigned)d->prov_state);
    rc |= sim_propu(o, p, "RequestedState", 12);
    rc |= sim_prop(o, p, "SystemCreationClassName", "CIM_ComputerSystem");
    rc |= sim_prop(o, p, "SystemName", "Intel(r) AMT");
    rc |= sim_prop(o, p, "TrustedDNSSuffix", d->dns_suffix);
    rc |= sim_propb(o, p, "ZeroTouchConfigurationEnabled", d->mode == SIM_MODE_PKI);
    rc |= scs_buf_printf(o, "</%s:AMT_SetupAndConfigurationService>", p);
    *count = 1;
    return rc == 0 ? 0 : SCS_ERR_TOO_LARGE;
}

/* Decode a base64 parameter holding ASCII text of exactly n characters. */
static int b64_text(const char *in, char *out, size_t n)
{
    size_t got = 0;

    if (in == NULL || scs_base64_decode((uint8_t *)out, n + 1, &got, in, strlen(in)) != 0 ||
        got != n) {
        return SCS_ERR_FORMAT;
    }
    out[n] = '\0';
    return 0;
}

static unsigned sc_commit(struct sim_ctx *c)
{
    struct sim_device *d = c->dev;

    if (d->prov_state == SIM_PROV_IN) {
        if (!c->prov_session && !c->local) {
            return SIM_RV_NOT_PERMITTED;
        }
        d->prov_state = SIM_PROV_POST;
        d->control_mode = SIM_CTRL_ACM;
        c->events |= SIM_EV_HELLO_STOP | SIM_EV_TLS_CHANGED;
        c->dirty = 1;
        log_info("device %u: CommitChanges: now post-provisioned (ACM)", d->index);
        return SIM_RV_SUCCESS;
    }
    if (d->prov_state == SIM_PROV_POST && (c->admin || c->local)) {
        c->events |= SIM_EV_TLS_CHANGED;
        return SIM_RV_SUCCESS;
    }
    return SIM_RV_NOT_PERMITTED;
}

static unsigned sc_unprovision(struct sim_ctx *c, const struct sim_wsman_req *r, int partial)
{
    struct sim_device *d = c->dev;
    unsigned long long mode = 0;
    const char *pm = sim_wsman_param(r, "ProvisioningMode");

    if (!partial && pm != NULL && (sim_parse_uint(pm, 3, &mode) != 0 || mode > 1)) {
        /* From AMT 6.0 only 1 (and 0 = current) is effective. */
        return SIM_RV_INVALID_PARAMETER;
    }
    if (d->prov_state == SIM_PROV_PRE || !sim_ctx_can_configure(c)) {
        return SIM_RV_NOT_PERMITTED;
    }
    if (partial && d->prov_state != SIM_PROV_POST) {
        return SIM_RV_NOT_PERMITTED;
    }
    if ((partial ? sim_device_partial_reset(d) : sim_device_factory_reset(d)) != 0) {
        return SIM_RV_INTERNAL_ERROR;
    }
    c->events |= SIM_EV_TLS_CHANGED |
                 (d->prov_state == SIM_PROV_IN ? SIM_EV_HELLO_RESTART : SIM_EV_HELLO_STOP);
    c->dirty = 1;
    log_info("device %u: %s: now %s", d->index, partial ? "PartialUnprovision" : "Unprovision",
             sim_prov_state_name(d->prov_state));
    return SIM_RV_SUCCESS;
}

static enum sim_fault sc_invoke(struct sim_ctx *c, const struct sim_wsman_req *r, struct scs_buf *o,
                                unsigned *rv)
{
    struct sim_device *d = c->dev;
    const char *m = r->method;

    if (strcmp(m, "CommitChanges") == 0) {
        *rv = sc_commit(c);
    } else if (strcmp(m, "Unprovision") == 0) {
        *rv = sc_unprovision(c, r, 0);
    } else if (strcmp(m, "PartialUnprovision") == 0) {
        *rv = sc_unprovision(c, r, 1);
    } else if (strcmp(m, "ExtendProvisioningPeriod") == 0) {
        unsigned long long h = 0;

        if (sim_parse_uint(sim_wsman_param(r, "Duration"), 1000000, &h) != 0 || h < 1 || h > 24) {
            *rv = SIM_RV_INVALID_PARAMETER;
        } else if (d->prov_state != SIM_PROV_IN || !(c->prov_session || c->local)) {
            *rv = SIM_RV_NOT_PERMITTED;
        } else {
            c->events |= SIM_EV_EXTEND;
            c->extend_hours = (unsigned)h;
            *rv = SIM_RV_SUCCESS;
        }
    } else if (strcmp(m, "SetMEBxPassword") == 0) {
        const char *pw = sim_wsman_param(r, "Password");

        if (pw == NULL || !sim_password_strong(pw)) {
            *rv = SIM_RV_INVALID_PASSWORD;
        } else if (!((d->prov_state == SIM_PROV_IN && (c->prov_session || c->local)) ||
                     (d->prov_state == SIM_PROV_POST && d->control_mode == SIM_CTRL_ACM &&
                      (c->admin || c->local)))) {
            *rv = SIM_RV_NOT_PERMITTED;
        } else if (sim_device_set_mebx(d, pw) != 0) {
            *rv = SIM_RV_INTERNAL_ERROR;
        } else {
            c->dirty = 1;
            *rv = SIM_RV_SUCCESS;
        }
    } else if (strcmp(m, "SetTLSPSK") == 0) {
        char pid[SCS_PID_LEN + 1], pps[SCS_PPS_LEN + 1];
        struct scs_diag dg;

        if (b64_text(sim_wsman_param(r, "PID"), pid, SCS_PID_LEN) != 0 ||
            b64_text(sim_wsman_param(r, "PPS"), pps, SCS_PPS_LEN) != 0 ||
            scs_pid_check(pid, SCS_PID_LEN, &dg) != 0 ||
            scs_pps_check(pps, SCS_PPS_LEN, &dg) != 0) {
            *rv = SIM_RV_INVALID_PARAMETER;
        } else if (!sim_ctx_can_configure(c)) {
            *rv = SIM_RV_NOT_PERMITTED;
        } else {
            memcpy(d->pid, pid, sizeof(d->pid));
            memcpy(d->pps, pps, sizeof(d->pps));
            c->dirty = 1;
            c->events |= SIM_EV_TLS_CHANGED;
            *rv = SIM_RV_SUCCESS;
        }
        scs_wipe(pps, sizeof(pps));
    } else if (strcmp(m, "GetUuid") == 0) {
        char b64[32];

        scs_base64_encode(b64, d->uuid, sizeof(d->uuid));
        if (sim_prop(o, "g", "UUID", b64) != 0) {
            return SIM_F_INTERNAL;
        }
        *rv = SIM_RV_SUCCESS;
    } else if (strcmp(m, "GetUnprovisionBlockingComponents") == 0) {
        *rv = SIM_RV_SUCCESS;
    } else {
        return SIM_F_ACTION_NOT_SUPPORTED;
    }
    return SIM_F_NONE;
}

const struct sim_class sim_class_setup_service = {
    "AMT_SetupAndConfigurationService", SIM_NS_AMT, sc_instances, NULL, sc_invoke, NULL, NULL};

/* ---------------- AMT_AuthorizationService ---------------- */

#define AUTH_NAME "Intel(r) AMT Authorization Service"

static int auth_instances(struct sim_ctx *c, const char *p, const char *sel, struct scs_buf *o,
                          unsigned *count)
{
    int rc = 0;

    (void)c;
    *count = 0;
    if (!sim_sel_want(sel, AUTH_NAME, 0)) {
        return 0;
    }
    rc |= scs_buf_printf(o, "<%s:AMT_AuthorizationService>", p);
    rc |= sim_propu(o, p, "AllowHttpQopAuthOnly", 1);
    rc |= sim_prop(o, p, "CreationClassName", "AMT_AuthorizationService");
    rc |= sim_prop(o, p, "ElementName", AUTH_NAME);
    rc |= sim_propu(o, p, "EnabledState", 5);
    rc |= sim_prop(o, p, "Name", AUTH_NAME);
    rc |= sim_propu(o, p, "RequestedState", 12);
    rc |= sim_prop(o, p, "SystemCreationClassName", "CIM_ComputerSystem");
    rc |= sim_prop(o, p, "SystemName", "Intel(r) AMT");
    rc |= scs_buf_printf(o, "</%s:AMT_AuthorizationService>", p);
    *count = 1;
    return rc == 0 ? 0 : SCS_ERR_TOO_LARGE;
}

static int user_ok(const char *u)
{
    size_t n = u != NULL ? strlen(u) : 0;

    if (n == 0 || n > SIM_USER_MAX || strncmp(u, "$$", 2) == 0) {
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        if ((unsigned char)u[i] <= 0x20 || (unsigned char)u[i] >= 0x7f || u[i] == ':') {
            return 0;
        }
    }
    return 1;
}

static enum sim_fault auth_invoke(struct sim_ctx *c, const struct sim_wsman_req *r,
                                  struct scs_buf *o, unsigned *rv)
{
    struct sim_device *d = c->dev;
    const char *user, *dp;
    uint8_t ha1[16];
    size_t got = 0;

    (void)o;
    if (strcmp(r->method, "SetAdminAclEntryEx") != 0) {
        return SIM_F_ACTION_NOT_SUPPORTED;
    }
    user = sim_wsman_param(r, "Username");
    dp = sim_wsman_param(r, "DigestPassword");
    if (!user_ok(user) || dp == NULL) {
        *rv = SIM_RV_INVALID_PARAMETER;
        return SIM_F_NONE;
    }
    /* Specified: base64 of the 16 raw MD5 bytes.  MeshCentral sends 32 hex digits
     * instead (protocol.md §6.4); accept it, as its users' devices evidently do. */
    if (strlen(dp) == 24 && scs_base64_decode(ha1, sizeof(ha1), &got, dp, 24) == 0 && got == 16) {
        /* base64 form */
    } else if (strlen(dp) == 32 && scs_hex_decode(ha1, sizeof(ha1), dp, 32) == 0) {
        log_warn("device %u: SetAdminAclEntryEx DigestPassword in hex, not base64", d->index);
    } else {
        *rv = SIM_RV_INVALID_PARAMETER;
        return SIM_F_NONE;
    }
    if (!sim_ctx_can_configure(c) || d->prov_state == SIM_PROV_PRE) {
        scs_wipe(ha1, sizeof(ha1));
        *rv = SIM_RV_NOT_PERMITTED;
        return SIM_F_NONE;
    }
    memcpy(d->admin_ha1, ha1, sizeof(ha1));
    scs_wipe(ha1, sizeof(ha1));
    snprintf(d->admin_user, sizeof(d->admin_user), "%s", user);
    d->admin_set = 1;
    c->dirty = 1;
    *rv = SIM_RV_SUCCESS;
    return SIM_F_NONE;
}

const struct sim_class sim_class_authorization = {
    "AMT_AuthorizationService", SIM_NS_AMT, auth_instances, NULL, auth_invoke, NULL, NULL};

/* ---------------- AMT_TimeSynchronizationService ---------------- */

#define TS_NAME "Intel(r) AMT Time Synchronization Service"

static int ts_instances(struct sim_ctx *c, const char *p, const char *sel, struct scs_buf *o,
                        unsigned *count)
{
    int rc = 0;

    (void)c;
    *count = 0;
    if (!sim_sel_want(sel, TS_NAME, 0)) {
        return 0;
    }
    rc |= scs_buf_printf(o, "<%s:AMT_TimeSynchronizationService>", p);
    rc |= sim_prop(o, p, "CreationClassName", "AMT_TimeSynchronizationService");
    rc |= sim_prop(o, p, "ElementName", TS_NAME);
    rc |= sim_propu(o, p, "EnabledState", 5);
    rc |= sim_propu(o, p, "LocalTimeSyncEnabled", 0);
    rc |= sim_prop(o, p, "Name", TS_NAME);
    rc |= sim_propu(o, p, "RequestedState", 12);
    rc |= sim_prop(o, p, "SystemCreationClassName", "CIM_ComputerSystem");
    rc |= sim_prop(o, p, "SystemName", "Intel(r) AMT");
    rc |= sim_propu(o, p, "TimeSource", 1);
    rc |= scs_buf_printf(o, "</%s:AMT_TimeSynchronizationService>", p);
    *count = 1;
    return rc == 0 ? 0 : SCS_ERR_TOO_LARGE;
}

static enum sim_fault ts_invoke(struct sim_ctx *c, const struct sim_wsman_req *r, struct scs_buf *o,
                                unsigned *rv)
{
    struct sim_device *d = c->dev;

    if (strcmp(r->method, "GetLowAccuracyTimeSynch") == 0) {
        long long t = (long long)c->now + d->clock_offset;

        if (sim_propu(o, "g", "Ta0", (unsigned long long)(t < 0 ? 0 : t)) != 0) {
            return SIM_F_INTERNAL;
        }
        *rv = SIM_RV_SUCCESS;
        return SIM_F_NONE;
    }
    if (strcmp(r->method, "SetHighAccuracyTimeSynch") == 0) {
        unsigned long long ta0, tm1, tm2;

        if (sim_parse_uint(sim_wsman_param(r, "Ta0"), 0xFFFFFFFFull, &ta0) != 0 ||
            sim_parse_uint(sim_wsman_param(r, "Tm1"), 0xFFFFFFFFull, &tm1) != 0 ||
            sim_parse_uint(sim_wsman_param(r, "Tm2"), 0xFFFFFFFFull, &tm2) != 0 || tm2 < tm1) {
            *rv = SIM_RV_INVALID_PARAMETER;
        } else if (!sim_ctx_can_configure(c)) {
            *rv = SIM_RV_NOT_PERMITTED;
        } else {
            /* The server's clock read Tm2 when it sent this: adopt it. */
            d->clock_offset = (long long)tm2 - (long long)c->now;
            c->dirty = 1;
            *rv = SIM_RV_SUCCESS;
        }
        return SIM_F_NONE;
    }
    return SIM_F_ACTION_NOT_SUPPORTED;
}

const struct sim_class sim_class_time_sync = {
    "AMT_TimeSynchronizationService", SIM_NS_AMT, ts_instances, NULL, ts_invoke, NULL, NULL};
