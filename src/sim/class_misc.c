/*
 * Inventory and feature classes: CIM_SoftwareIdentity, AMT_EthernetPortSettings,
 * AMT_RedirectionService and IPS_OptInService (protocol.md §2.4, §6.5).
 */
#include <stdio.h>
#include <string.h>

#include "common/buf.h"
#include "common/err.h"
#include "sim/device.h"
#include "sim/wsman.h"

/* ---------------- CIM_SoftwareIdentity ---------------- */

static int sw_instances(struct sim_ctx *c, const char *p, const char *sel, struct scs_buf *o,
                        unsigned *count)
{
    const struct sim_device *d = c->dev;
    const char *ids[] = {"Flash",
                         "Netstack",
                         "AMTApps",
                         "AMT",
                         "Sku",
                         "VendorID",
                         "Build Number",
                         "Recovery Version",
                         "Recovery Build Num",
                         "Legacy Mode",
                         "AMT FW Core Version"};
    const char *vals[sizeof(ids) / sizeof(ids[0])];
    int rc = 0;

    for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
        vals[i] = d->fw_version;
    }
    vals[4] = "16392";
    vals[5] = "8086";
    vals[6] = "3000";
    vals[8] = "3000";
    vals[9] = "False";
    *count = 0;
    for (size_t i = 0; rc == 0 && i < sizeof(ids) / sizeof(ids[0]); i++) {
        if (!sim_sel_want(sel, ids[i], *count)) {
            continue;
        }
        rc |= scs_buf_printf(o, "<%s:CIM_SoftwareIdentity>", p);
        rc |= sim_prop(o, p, "InstanceID", ids[i]);
        rc |= sim_propb(o, p, "IsEntity", 1);
        rc |= sim_prop(o, p, "VersionString", vals[i]);
        rc |= scs_buf_printf(o, "</%s:CIM_SoftwareIdentity>", p);
        (*count)++;
    }
    return rc == 0 ? 0 : SCS_ERR_TOO_LARGE;
}

const struct sim_class sim_class_software_identity = {
    "CIM_SoftwareIdentity", SIM_NS_CIM, sw_instances, NULL, NULL, NULL, NULL};

/* ---------------- AMT_EthernetPortSettings ---------------- */

#define ETH_WIRED "Intel(r) AMT Ethernet Port Settings 0"

static int eth_instances(struct sim_ctx *c, const char *p, const char *sel, struct scs_buf *o,
                         unsigned *count)
{
    const struct sim_device *d = c->dev;
    char addr[16], mac[18];
    int rc = 0;

    *count = 0;
    if (!sim_sel_want(sel, ETH_WIRED, 0)) {
        return 0;
    }
    sim_addr_text(d->addr, addr);
    /* A stable locally-administered MAC derived from the UUID. */
    snprintf(mac, sizeof(mac), "02-%02x-%02x-%02x-%02x-%02x", d->uuid[11], d->uuid[12], d->uuid[13],
             d->uuid[14], d->uuid[15]);
    rc |= scs_buf_printf(o, "<%s:AMT_EthernetPortSettings>", p);
    rc |= sim_propb(o, p, "DHCPEnabled", d->dhcp_enabled);
    rc |= sim_prop(o, p, "DefaultGateway", "127.0.0.1");
    rc |= sim_prop(o, p, "ElementName", "Intel(r) AMT Ethernet Port Settings");
    rc |= sim_prop(o, p, "IPAddress", addr);
    rc |= sim_prop(o, p, "InstanceID", ETH_WIRED);
    rc |= sim_propb(o, p, "IpSyncEnabled", 1);
    rc |= sim_propb(o, p, "LinkIsUp", 1);
    rc |= sim_propu(o, p, "LinkPolicy", 1);
    rc |= sim_propu(o, p, "LinkPolicy", 14);
    rc |= sim_propu(o, p, "LinkPolicy", 16);
    rc |= sim_prop(o, p, "MACAddress", mac);
    rc |= sim_propu(o, p, "PhysicalConnectionType", 0);
    rc |= sim_prop(o, p, "PrimaryDNS", "127.0.0.1");
    rc |= sim_propb(o, p, "SharedDynamicIP", 1);
    rc |= sim_propb(o, p, "SharedMAC", 1);
    rc |= sim_propb(o, p, "SharedStaticIp", 0);
    rc |= sim_prop(o, p, "SubnetMask", "255.0.0.0");
    rc |= scs_buf_printf(o, "</%s:AMT_EthernetPortSettings>", p);
    *count = 1;
    return rc == 0 ? 0 : SCS_ERR_TOO_LARGE;
}

static enum sim_fault eth_put(struct sim_ctx *c, const struct sim_wsman_req *r)
{
    const char *s = sim_wsman_param(r, "DHCPEnabled");
    int dhcp = c->dev->dhcp_enabled;

    if (!sim_ctx_can_configure(c)) {
        return SIM_F_ACCESS_DENIED;
    }
    if (s != NULL && sim_parse_bool(s, &dhcp) != 0) {
        return SIM_F_INVALID_REPRESENTATION;
    }
    c->dev->dhcp_enabled = dhcp;
    c->dirty = 1;
    return SIM_F_NONE;
}

const struct sim_class sim_class_ethernet_port = {
    "AMT_EthernetPortSettings", SIM_NS_AMT, eth_instances, eth_put, NULL, NULL, NULL};

/* ---------------- AMT_RedirectionService ---------------- */

#define REDIR_NAME "Intel(r) AMT Redirection Service"

static int redir_instances(struct sim_ctx *c, const char *p, const char *sel, struct scs_buf *o,
                           unsigned *count)
{
    const struct sim_device *d = c->dev;
    int rc = 0;

    *count = 0;
    if (!sim_sel_want(sel, REDIR_NAME, 0)) {
        return 0;
    }
    rc |= scs_buf_printf(o, "<%s:AMT_RedirectionService>", p);
    rc |= sim_prop(o, p, "CreationClassName", "AMT_RedirectionService");
    rc |= sim_prop(o, p, "ElementName", REDIR_NAME);
    rc |= sim_propu(o, p, "EnabledState", d->redir_state);
    rc |= sim_propb(o, p, "ListenerEnabled", d->redir_listener);
    rc |= sim_prop(o, p, "Name", REDIR_NAME);
    rc |= sim_prop(o, p, "SystemCreationClassName", "CIM_ComputerSystem");
    rc |= sim_prop(o, p, "SystemName", "Intel(r) AMT");
    rc |= scs_buf_printf(o, "</%s:AMT_RedirectionService>", p);
    *count = 1;
    return rc == 0 ? 0 : SCS_ERR_TOO_LARGE;
}

static enum sim_fault redir_put(struct sim_ctx *c, const struct sim_wsman_req *r)
{
    const char *s = sim_wsman_param(r, "ListenerEnabled");
    int le = c->dev->redir_listener;

    if (!sim_ctx_can_configure(c)) {
        return SIM_F_ACCESS_DENIED;
    }
    if (s != NULL && sim_parse_bool(s, &le) != 0) {
        return SIM_F_INVALID_REPRESENTATION;
    }
    c->dev->redir_listener = le;
    c->dirty = 1;
    return SIM_F_NONE;
}

static enum sim_fault redir_invoke(struct sim_ctx *c, const struct sim_wsman_req *r,
                                   struct scs_buf *o, unsigned *rv)
{
    unsigned long long st;

    (void)o;
    if (strcmp(r->method, "RequestStateChange") != 0) {
        return SIM_F_ACTION_NOT_SUPPORTED;
    }
    /* 32768 none, 32769 IDER, 32770 SOL, 32771 IDER+SOL */
    if (sim_parse_uint(sim_wsman_param(r, "RequestedState"), 65535, &st) != 0 || st < 32768 ||
        st > 32771) {
        *rv = SIM_RV_INVALID_PARAMETER;
    } else if (!sim_ctx_can_configure(c)) {
        *rv = SIM_RV_NOT_PERMITTED;
    } else {
        c->dev->redir_state = (unsigned)st;
        c->dirty = 1;
        *rv = SIM_RV_SUCCESS;
    }
    return SIM_F_NONE;
}

const struct sim_class sim_class_redirection = {
    "AMT_RedirectionService", SIM_NS_AMT, redir_instances, redir_put, redir_invoke, NULL, NULL};

/* ---------------- IPS_OptInService ---------------- */

#define OPTIN_NAME "Intel(r) AMT OptIn Service"

static int optin_instances(struct sim_ctx *c, const char *p, const char *sel, struct scs_buf *o,
                           unsigned *count)
{
    int rc = 0;

    *count = 0;
    if (!sim_sel_want(sel, OPTIN_NAME, 0)) {
        return 0;
    }
    rc |= scs_buf_printf(o, "<%s:IPS_OptInService>", p);
    rc |= sim_propu(o, p, "CanModifyOptInPolicy", 1);
    rc |= sim_prop(o, p, "CreationClassName", "IPS_OptInService");
    rc |= sim_prop(o, p, "ElementName", OPTIN_NAME);
    rc |= sim_prop(o, p, "Name", OPTIN_NAME);
    rc |= sim_propu(o, p, "OptInCodeTimeout", 120);
    rc |= sim_propu(o, p, "OptInDisplayTimeout", 300);
    rc |= sim_propu(o, p, "OptInRequired", c->dev->optin_required);
    rc |= sim_propu(o, p, "OptInState", 0);
    rc |= sim_prop(o, p, "SystemCreationClassName", "CIM_ComputerSystem");
    rc |= sim_prop(o, p, "SystemName", "Intel(r) AMT");
    rc |= scs_buf_printf(o, "</%s:IPS_OptInService>", p);
    *count = 1;
    return rc == 0 ? 0 : SCS_ERR_TOO_LARGE;
}

static enum sim_fault optin_put(struct sim_ctx *c, const struct sim_wsman_req *r)
{
    unsigned long long v = c->dev->optin_required;
    const char *s = sim_wsman_param(r, "OptInRequired");

    if (!sim_ctx_can_configure(c)) {
        return SIM_F_ACCESS_DENIED;
    }
    if (s != NULL &&
        (sim_parse_uint(s, 0xFFFFFFFFull, &v) != 0 || (v != 0 && v != 1 && v != 0xFFFFFFFFull))) {
        return SIM_F_INVALID_REPRESENTATION;
    }
    /* Only an admin-control-mode device may drop user consent.  Remote configuration
     * (the PSK or PKI provisioning session) ends in admin control mode, so the SCS may
     * set it inside that session, before CommitChanges. */
    if (v == 0 && c->dev->control_mode != SIM_CTRL_ACM && !c->prov_session) {
        return SIM_F_ACCESS_DENIED;
    }
    c->dev->optin_required = (unsigned)v;
    c->dirty = 1;
    return SIM_F_NONE;
}

const struct sim_class sim_class_optin = {
    "IPS_OptInService", SIM_NS_IPS, optin_instances, optin_put, NULL, NULL, NULL};
