/* Typed AMT calls over the generic builder and response reader. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "common/buf.h"
#include "common/encoding.h"
#include "common/err.h"
#include "common/secmem.h"
#include "crypto/crypto.h"
#include "wsman/wsman.h"
#include "wsman/wsman_amt.h"

#define SCS_CLS  "AMT_SetupAndConfigurationService"
#define PKM_CLS  "AMT_PublicKeyManagementService"
#define TIME_CLS "AMT_TimeSynchronizationService"
#define HBS_CLS  "IPS_HostBasedSetupService"

#define U32_TEXT_MAX 11

static void u32_text(char out[static U32_TEXT_MAX], uint32_t v)
{
    (void)snprintf(out, U32_TEXT_MAX, "%" PRIu32, v);
}

static int copy_out(const char *v, char *out, size_t cap, struct scs_diag *diag, const char *what)
{
    size_t l = strlen(v);
    if (l >= cap) {
        return scs_diag_failn(diag, SCS_ERR_TOO_LARGE, "%s longer than %zu bytes", what, cap - 1);
    }
    memcpy(out, v, l + 1);
    return 0;
}

static int invoke0(struct wsman_builder *b, const char *cls, const char *method,
                   struct scs_buf *out)
{
    return wsman_build_invoke(b, cls, method, NULL, 0, NULL, 0, out);
}

/* ---- AMT_GeneralSettings ------------------------------------------------ */

int wsman_amt_general_settings_get(struct wsman_builder *b, struct scs_buf *out)
{
    return wsman_build_get(b, "AMT_GeneralSettings", NULL, 0, out);
}

static int is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

int wsman_amt_read_digest_realm(const struct wsman_response *r, char *out, size_t cap,
                                struct scs_diag *diag)
{
    const char *v;
    int rc = wsman_response_expect_instance(r, "AMT_GeneralSettings", diag);
    if (rc != 0) {
        return rc;
    }
    v = wsman_response_prop(r, "DigestRealm", 0);
    if (v == NULL) {
        return scs_diag_failn(diag, SCS_ERR_PROTOCOL, "AMT_GeneralSettings has no DigestRealm");
    }
    /* RPS Validator: ^Digest: followed by 32 hex digits (protocol.md §6.1). */
    if (strncmp(v, "Digest:", 7) != 0 || strlen(v) != 39) {
        return scs_diag_failn(diag, SCS_ERR_PROTOCOL, "DigestRealm is not Digest:<32 hex>");
    }
    for (size_t i = 7; i < 39; i++) {
        if (!is_hex(v[i])) {
            return scs_diag_failn(diag, SCS_ERR_PROTOCOL, "DigestRealm is not Digest:<32 hex>");
        }
    }
    return copy_out(v, out, cap, diag, "DigestRealm");
}

/* ---- CIM_SoftwareIdentity ----------------------------------------------- */

int wsman_amt_software_identity_enumerate(struct wsman_builder *b, struct scs_buf *out)
{
    return wsman_build_enumerate(b, "CIM_SoftwareIdentity", out);
}

int wsman_amt_software_identity_pull(struct wsman_builder *b, const char *context,
                                     struct scs_buf *out)
{
    return wsman_build_pull(b, "CIM_SoftwareIdentity", context, out);
}

int wsman_amt_read_enum_context(const struct wsman_response *r, char *out, size_t cap,
                                struct scs_diag *diag)
{
    const char *v;
    const struct wsman_fault *f = wsman_response_fault(r);
    if (f != NULL) {
        return scs_diag_failn(diag, SCS_ERR_PROTOCOL, "device returned a fault: %.60s", f->subcode);
    }
    if (strcmp(wsman_response_body_name(r), "EnumerateResponse") != 0 ||
        strcmp(wsman_response_body_ns(r), WSMAN_NS_ENUM) != 0) {
        return scs_diag_failn(diag, SCS_ERR_PROTOCOL, "expected EnumerateResponse, got <%.64s>",
                              wsman_response_body_name(r));
    }
    v = wsman_response_enum_context(r);
    if (v == NULL || v[0] == '\0') {
        return scs_diag_failn(diag, SCS_ERR_PROTOCOL, "EnumerateResponse without context");
    }
    return copy_out(v, out, cap, diag, "EnumerationContext");
}

int wsman_amt_read_amt_version(const struct wsman_response *r, char *out, size_t cap,
                               struct scs_diag *diag)
{
    long i;
    const char *v;
    if (strcmp(wsman_response_body_name(r), "PullResponse") != 0 ||
        strcmp(wsman_response_body_ns(r), WSMAN_NS_ENUM) != 0) {
        return scs_diag_failn(diag, SCS_ERR_PROTOCOL, "expected PullResponse, got <%.64s>",
                              wsman_response_body_name(r));
    }
    i = wsman_response_find_item(r, "InstanceID", "AMT");
    if (i < 0) {
        return scs_diag_failn(diag, SCS_ERR_NOT_FOUND, "no CIM_SoftwareIdentity InstanceID=AMT");
    }
    v = wsman_response_item_prop(r, (size_t)i, "VersionString");
    if (v == NULL) {
        return scs_diag_failn(diag, SCS_ERR_PROTOCOL, "InstanceID=AMT has no VersionString");
    }
    return copy_out(v, out, cap, diag, "VersionString");
}

/* ---- AMT_SetupAndConfigurationService ----------------------------------- */

int wsman_amt_setup_config_get(struct wsman_builder *b, struct scs_buf *out)
{
    return wsman_build_get(b, SCS_CLS, NULL, 0, out);
}

int wsman_amt_set_mebx_password(struct wsman_builder *b, const char *password, struct scs_buf *out)
{
    const struct wsman_arg args[] = {{.name = "Password", .value = password}};
    return wsman_build_invoke(b, SCS_CLS, "SetMEBxPassword", NULL, 0, args, 1, out);
}

int wsman_amt_commit_changes(struct wsman_builder *b, struct scs_buf *out)
{
    return invoke0(b, SCS_CLS, "CommitChanges", out);
}

int wsman_amt_extend_provisioning_period(struct wsman_builder *b, uint32_t duration,
                                         struct scs_buf *out)
{
    char d[U32_TEXT_MAX];
    u32_text(d, duration);
    const struct wsman_arg args[] = {{.name = "Duration", .value = d}};
    return wsman_build_invoke(b, SCS_CLS, "ExtendProvisioningPeriod", NULL, 0, args, 1, out);
}

int wsman_amt_set_tls_psk(struct wsman_builder *b, const uint8_t pid[static WSMAN_AMT_PID_LEN],
                          const uint8_t pps[static WSMAN_AMT_PPS_LEN], struct scs_buf *out)
{
    /* §4.3 [PROP]: octet strings travel as base64 of the raw ASCII characters. */
    char pid_b64[((WSMAN_AMT_PID_LEN + 2) / 3) * 4 + 1];
    char pps_b64[((WSMAN_AMT_PPS_LEN + 2) / 3) * 4 + 1];
    int rc;

    scs_base64_encode(pid_b64, pid, WSMAN_AMT_PID_LEN);
    scs_base64_encode(pps_b64, pps, WSMAN_AMT_PPS_LEN);
    const struct wsman_arg args[] = {{.name = "PID", .value = pid_b64},
                                     {.name = "PPS", .value = pps_b64}};
    rc = wsman_build_invoke(b, SCS_CLS, "SetTLSPSK", NULL, 0, args, 2, out);
    scs_wipe(pps_b64, sizeof(pps_b64));
    scs_wipe(pid_b64, sizeof(pid_b64));
    return rc;
}

int wsman_amt_unprovision(struct wsman_builder *b, uint32_t provisioning_mode, struct scs_buf *out)
{
    char m[U32_TEXT_MAX];
    u32_text(m, provisioning_mode);
    const struct wsman_arg args[] = {{.name = "ProvisioningMode", .value = m}};
    return wsman_build_invoke(b, SCS_CLS, "Unprovision", NULL, 0, args, 1, out);
}

int wsman_amt_get_uuid(struct wsman_builder *b, struct scs_buf *out)
{
    return invoke0(b, SCS_CLS, "GetUuid", out);
}

int wsman_amt_read_uuid(const struct wsman_response *r, uint8_t out[static WSMAN_AMT_UUID_LEN],
                        struct scs_diag *diag)
{
    uint32_t rv;
    size_t n = 0;
    const char *v;
    uint8_t tmp[WSMAN_AMT_UUID_LEN + 3];
    int rc = wsman_response_expect_output(r, SCS_CLS, "GetUuid", &rv, diag);
    if (rc != 0) {
        return rc;
    }
    if (rv != 0) {
        return scs_diag_failn(diag, SCS_ERR_STATE, "GetUuid returned %" PRIu32, rv);
    }
    v = wsman_response_prop(r, "UUID", 0);
    if (v == NULL) {
        return scs_diag_failn(diag, SCS_ERR_PROTOCOL, "GetUuid_OUTPUT has no UUID");
    }
    rc = scs_base64_decode(tmp, sizeof(tmp), &n, v, strlen(v));
    if (rc != 0 || n != WSMAN_AMT_UUID_LEN) {
        return scs_diag_failn(diag, SCS_ERR_PROTOCOL, "UUID is not base64 of 16 bytes");
    }
    memcpy(out, tmp, WSMAN_AMT_UUID_LEN);
    return 0;
}

/* ---- AMT_AuthorizationService ------------------------------------------- */

int wsman_amt_set_admin_acl_entry_ex(struct wsman_builder *b, const char *username,
                                     const char *digest_password, struct scs_buf *out)
{
    /* LMS AMT_AuthorizationService.h: 7-bit ASCII user name of at most 16 characters. */
    if (username == NULL || username[0] == '\0' || strlen(username) > 16) {
        return SCS_ERR_INVALID_ARG;
    }
    for (const char *p = username; *p != '\0'; p++) {
        if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e) {
            return SCS_ERR_INVALID_ARG;
        }
    }
    const struct wsman_arg args[] = {{.name = "Username", .value = username},
                                     {.name = "DigestPassword", .value = digest_password}};
    return wsman_build_invoke(b, "AMT_AuthorizationService", "SetAdminAclEntryEx", NULL, 0, args, 2,
                              out);
}

int wsman_amt_digest_password(const char *username, const char *realm, const char *password,
                              char out[static WSMAN_AMT_DIGEST_B64_LEN + 1])
{
    uint8_t md[SCS_MD5_LEN];
    struct scs_buf *a1;
    int rc;

    if (username == NULL || realm == NULL || password == NULL) {
        return SCS_ERR_INVALID_ARG;
    }
    a1 = scs_buf_new(1024);
    if (a1 == NULL) {
        return SCS_ERR_NOMEM;
    }
    rc = scs_buf_printf(a1, "%s:%s:%s", username, realm, password);
    if (rc == 0) {
        rc = scs_md5(scs_buf_data(a1), scs_buf_len(a1), md);
    }
    if (rc == 0) {
        scs_base64_encode(out, md, sizeof(md));
    }
    scs_wipe(md, sizeof(md));
    scs_buf_free(a1); /* wipes the password */
    return rc;
}

/* ---- AMT_TimeSynchronizationService ------------------------------------- */

int wsman_amt_time_get(struct wsman_builder *b, struct scs_buf *out)
{
    return invoke0(b, TIME_CLS, "GetLowAccuracyTimeSynch", out);
}

int wsman_amt_read_time(const struct wsman_response *r, uint32_t *ta0, struct scs_diag *diag)
{
    uint32_t rv;
    uint64_t acc = 0;
    const char *v;
    int rc = wsman_response_expect_output(r, TIME_CLS, "GetLowAccuracyTimeSynch", &rv, diag);
    if (rc != 0) {
        return rc;
    }
    if (rv != 0) {
        return scs_diag_failn(diag, SCS_ERR_STATE, "GetLowAccuracyTimeSynch returned %" PRIu32, rv);
    }
    v = wsman_response_prop(r, "Ta0", 0);
    if (v == NULL || v[0] == '\0' || strlen(v) > 10) {
        return scs_diag_failn(diag, SCS_ERR_PROTOCOL, "missing or bad Ta0");
    }
    for (const char *p = v; *p != '\0'; p++) {
        if (*p < '0' || *p > '9') {
            return scs_diag_failn(diag, SCS_ERR_PROTOCOL, "Ta0 is not a number");
        }
        acc = acc * 10u + (uint64_t)(*p - '0');
    }
    if (acc > UINT32_MAX) {
        return scs_diag_failn(diag, SCS_ERR_PROTOCOL, "Ta0 out of range");
    }
    *ta0 = (uint32_t)acc;
    return 0;
}

int wsman_amt_time_set(struct wsman_builder *b, uint32_t ta0, uint32_t tm1, uint32_t tm2,
                       struct scs_buf *out)
{
    char t0[U32_TEXT_MAX];
    char t1[U32_TEXT_MAX];
    char t2[U32_TEXT_MAX];
    u32_text(t0, ta0);
    u32_text(t1, tm1);
    u32_text(t2, tm2);
    const struct wsman_arg args[] = {
        {.name = "Ta0", .value = t0}, {.name = "Tm1", .value = t1}, {.name = "Tm2", .value = t2}};
    return wsman_build_invoke(b, TIME_CLS, "SetHighAccuracyTimeSynch", NULL, 0, args, 3, out);
}

/* ---- AMT_PublicKeyManagementService ------------------------------------- */

int wsman_amt_generate_key_pair(struct wsman_builder *b, uint32_t key_algorithm,
                                uint32_t key_length, struct scs_buf *out)
{
    char alg[U32_TEXT_MAX];
    char len[U32_TEXT_MAX];
    u32_text(alg, key_algorithm);
    u32_text(len, key_length);
    const struct wsman_arg args[] = {{.name = "KeyAlgorithm", .value = alg},
                                     {.name = "KeyLength", .value = len}};
    return wsman_build_invoke(b, PKM_CLS, "GenerateKeyPair", NULL, 0, args, 2, out);
}

int wsman_amt_read_epr_instance(const struct wsman_response *r, const char *epr_name, char *out,
                                size_t cap, struct scs_diag *diag)
{
    const char *v;
    const struct wsman_fault *f = wsman_response_fault(r);
    if (f != NULL) {
        return scs_diag_failn(diag, SCS_ERR_PROTOCOL, "device returned a fault: %.60s", f->subcode);
    }
    v = wsman_response_epr_selector(r, epr_name, "InstanceID");
    if (v == NULL) {
        return scs_diag_failn(diag, SCS_ERR_PROTOCOL, "no %.40s reference with an InstanceID",
                              epr_name ? epr_name : "resource");
    }
    return copy_out(v, out, cap, diag, "InstanceID");
}

int wsman_amt_add_certificate(struct wsman_builder *b, const char *cert_b64, struct scs_buf *out)
{
    const struct wsman_arg args[] = {{.name = "CertificateBlob", .value = cert_b64}};
    return wsman_build_invoke(b, PKM_CLS, "AddCertificate", NULL, 0, args, 1, out);
}

int wsman_amt_add_trusted_root_certificate(struct wsman_builder *b, const char *cert_b64,
                                           struct scs_buf *out)
{
    const struct wsman_arg args[] = {{.name = "CertificateBlob", .value = cert_b64}};
    return wsman_build_invoke(b, PKM_CLS, "AddTrustedRootCertificate", NULL, 0, args, 1, out);
}

/* ---- TLS credential context and settings -------------------------------- */

int wsman_amt_tls_credential_context_create(struct wsman_builder *b, const char *cert_instance_id,
                                            struct scs_buf *out)
{
    const struct wsman_selector cert_sel[] = {{"InstanceID", cert_instance_id}};
    const struct wsman_selector coll_sel[] = {
        {"ElementName", "TLSProtocolEndpointInstances Collection"}};
    const struct wsman_epr cert = {"AMT_PublicKeyCertificate", cert_sel, 1};
    const struct wsman_epr coll = {"AMT_TLSProtocolEndpointCollection", coll_sel, 1};
    const struct wsman_arg props[] = {{.name = "ElementInContext", .epr = &cert},
                                      {.name = "ElementProvidingContext", .epr = &coll}};
    if (cert_instance_id == NULL) {
        return SCS_ERR_INVALID_ARG;
    }
    return wsman_build_create(b, "AMT_TLSCredentialContext", props, 2, out);
}

static const char *bool_text(int v)
{
    return v ? "true" : "false";
}

int wsman_amt_tls_setting_data_put(struct wsman_builder *b, const struct wsman_amt_tls_settings *s,
                                   struct scs_buf *out)
{
    if (s == NULL || s->instance_id == NULL) {
        return SCS_ERR_INVALID_ARG;
    }
    const struct wsman_selector sel[] = {{"InstanceID", s->instance_id}};
    /* Property order as wsman-messages writes it; TrustedCN is left out on purpose
     * (§2.4 8.8: "TrustedCN removed"). */
    const struct wsman_arg props[] = {
        {.name = "ElementName", .value = s->instance_id},
        {.name = "InstanceID", .value = s->instance_id},
        {.name = "MutualAuthentication", .value = bool_text(s->mutual_authentication)},
        {.name = "Enabled", .value = bool_text(s->enabled)},
        {.name = "AcceptNonSecureConnections",
         .value = bool_text(s->accept_non_secure_connections)},
        {.name = "NonSecureConnectionsSupported",
         .value = bool_text(s->non_secure_connections_supported)}};
    return wsman_build_put(b, "AMT_TLSSettingData", sel, 1, props, 6, out);
}

/* ---- features: host name, redirection, user consent (§6.5 RPS network and
 * features machines) ------------------------------------------------------ */

#define GS_INSTANCE  "Intel(r) AMT: General Settings"
#define REDIR_CLS    "AMT_RedirectionService"
#define REDIR_NAME   "Intel(r) AMT Redirection Service"
#define OPTIN_CLS    "IPS_OptInService"
#define OPTIN_NAME   "Intel(r) AMT OptIn Service"
#define CIM_SYS_CLS  "CIM_ComputerSystem"
#define CIM_SYS_NAME "Intel(r) AMT"

int wsman_amt_general_settings_put(struct wsman_builder *b, const char *host_name,
                                   const char *domain_name, struct scs_buf *out)
{
    const struct wsman_selector sel[] = {{"InstanceID", GS_INSTANCE}};
    struct wsman_arg props[4] = {{.name = "ElementName", .value = GS_INSTANCE},
                                 {.name = "InstanceID", .value = GS_INSTANCE}};
    size_t n = 2;

    if (host_name == NULL && domain_name == NULL) {
        return SCS_ERR_INVALID_ARG;
    }
    /* Only what changes, plus the keys: the device keeps every other property. */
    if (host_name != NULL) {
        props[n++] = (struct wsman_arg){.name = "HostName", .value = host_name};
    }
    if (domain_name != NULL) {
        props[n++] = (struct wsman_arg){.name = "DomainName", .value = domain_name};
    }
    return wsman_build_put(b, "AMT_GeneralSettings", sel, 1, props, n, out);
}

int wsman_amt_redirection_state_change(struct wsman_builder *b, uint32_t requested_state,
                                       struct scs_buf *out)
{
    char st[U32_TEXT_MAX];
    u32_text(st, requested_state);
    const struct wsman_arg args[] = {{.name = "RequestedState", .value = st}};
    return wsman_build_invoke(b, REDIR_CLS, "RequestStateChange", NULL, 0, args, 1, out);
}

int wsman_amt_redirection_put(struct wsman_builder *b, uint32_t enabled_state, int listener,
                              struct scs_buf *out)
{
    char st[U32_TEXT_MAX];
    u32_text(st, enabled_state);
    const struct wsman_selector sel[] = {{"Name", REDIR_NAME}};
    /* The whole instance, as RPS sends it back after a Get. */
    const struct wsman_arg props[] = {{.name = "CreationClassName", .value = REDIR_CLS},
                                      {.name = "ElementName", .value = REDIR_NAME},
                                      {.name = "EnabledState", .value = st},
                                      {.name = "ListenerEnabled", .value = bool_text(listener)},
                                      {.name = "Name", .value = REDIR_NAME},
                                      {.name = "SystemCreationClassName", .value = CIM_SYS_CLS},
                                      {.name = "SystemName", .value = CIM_SYS_NAME}};
    return wsman_build_put(b, REDIR_CLS, sel, 1, props, 7, out);
}

int wsman_ips_opt_in_put(struct wsman_builder *b, uint32_t opt_in_required, struct scs_buf *out)
{
    char v[U32_TEXT_MAX];
    u32_text(v, opt_in_required);
    const struct wsman_selector sel[] = {{"Name", OPTIN_NAME}};
    const struct wsman_arg props[] = {{.name = "CreationClassName", .value = OPTIN_CLS},
                                      {.name = "ElementName", .value = OPTIN_NAME},
                                      {.name = "Name", .value = OPTIN_NAME},
                                      {.name = "OptInRequired", .value = v},
                                      {.name = "SystemCreationClassName", .value = CIM_SYS_CLS},
                                      {.name = "SystemName", .value = CIM_SYS_NAME}};
    return wsman_build_put(b, OPTIN_CLS, sel, 1, props, 6, out);
}

/* ---- IPS_HostBasedSetupService ------------------------------------------ */

int wsman_ips_host_based_setup_get(struct wsman_builder *b, struct scs_buf *out)
{
    return wsman_build_get(b, HBS_CLS, NULL, 0, out);
}

int wsman_ips_setup(struct wsman_builder *b, const char *admin_pass_hex, struct scs_buf *out)
{
    /* NetAdminPassEncryptionType 2 = HTTP Digest MD5(A1) (§6.1). */
    const struct wsman_arg args[] = {{.name = "NetAdminPassEncryptionType", .value = "2"},
                                     {.name = "NetworkAdminPassword", .value = admin_pass_hex}};
    return wsman_build_invoke(b, HBS_CLS, "Setup", NULL, 0, args, 2, out);
}

int wsman_ips_admin_setup(struct wsman_builder *b, const char *admin_pass_hex,
                          const char *mc_nonce_b64, const char *signature_b64, struct scs_buf *out)
{
    /* SigningAlgorithm 2 = RSA SHA-2 256 (§6.2). */
    const struct wsman_arg args[] = {{.name = "NetAdminPassEncryptionType", .value = "2"},
                                     {.name = "NetworkAdminPassword", .value = admin_pass_hex},
                                     {.name = "McNonce", .value = mc_nonce_b64},
                                     {.name = "SigningAlgorithm", .value = "2"},
                                     {.name = "DigitalSignature", .value = signature_b64}};
    return wsman_build_invoke(b, HBS_CLS, "AdminSetup", NULL, 0, args, 5, out);
}

int wsman_ips_add_next_cert_in_chain(struct wsman_builder *b, const char *cert_b64, int is_leaf,
                                     int is_root, struct scs_buf *out)
{
    const struct wsman_arg args[] = {{.name = "NextCertificate", .value = cert_b64},
                                     {.name = "IsLeafCertificate", .value = bool_text(is_leaf)},
                                     {.name = "IsRootCertificate", .value = bool_text(is_root)}};
    return wsman_build_invoke(b, HBS_CLS, "AddNextCertInChain", NULL, 0, args, 3, out);
}
