/*
 * Typed WS-Man calls for the provisioning flows (protocol.md §2.4 step 8,
 * §4.2, §5.3, §6.5) and the matching response readers.
 *
 * Every request function appends one envelope to out.  Arguments that are
 * secrets (passwords, PPS, password hashes) end up only in out: the caller
 * hands out to http/, which wipes and frees it once the request has been
 * sent (scs_buf wipes on free).  Temporaries here are wiped before return.
 */
#ifndef SCS_WSMAN_WSMAN_AMT_H
#define SCS_WSMAN_WSMAN_AMT_H

#include <stddef.h>
#include <stdint.h>

struct scs_buf;
struct scs_diag;
struct wsman_builder;
struct wsman_response;

#define WSMAN_AMT_PID_LEN        8
#define WSMAN_AMT_PPS_LEN        32
#define WSMAN_AMT_DIGEST_B64_LEN 24 /* base64 of 16 bytes, without the NUL */
#define WSMAN_AMT_REALM_MAX      64
#define WSMAN_AMT_UUID_LEN       16

/* AMT_GeneralSettings */
int wsman_amt_general_settings_get(struct wsman_builder *b, struct scs_buf *out);
/* DigestRealm: "Digest:" + 32 hex (RPS Validator rule); SCS_ERR_PROTOCOL otherwise. */
int wsman_amt_read_digest_realm(const struct wsman_response *r, char *out, size_t cap,
                                struct scs_diag *diag);

/* CIM_SoftwareIdentity */
int wsman_amt_software_identity_enumerate(struct wsman_builder *b, struct scs_buf *out);
int wsman_amt_software_identity_pull(struct wsman_builder *b, const char *context,
                                     struct scs_buf *out);
/* EnumerationContext of an EnumerateResponse. */
int wsman_amt_read_enum_context(const struct wsman_response *r, char *out, size_t cap,
                                struct scs_diag *diag);
/* VersionString of the instance InstanceID="AMT" (§2.4 8.2). */
int wsman_amt_read_amt_version(const struct wsman_response *r, char *out, size_t cap,
                               struct scs_diag *diag);

/* AMT_SetupAndConfigurationService */
int wsman_amt_setup_config_get(struct wsman_builder *b, struct scs_buf *out);
int wsman_amt_set_mebx_password(struct wsman_builder *b, const char *password, struct scs_buf *out);
int wsman_amt_commit_changes(struct wsman_builder *b, struct scs_buf *out);
int wsman_amt_extend_provisioning_period(struct wsman_builder *b, uint32_t duration,
                                         struct scs_buf *out);
/* PID and PPS as raw ASCII without dashes, sent base64-encoded (§4.3 [PROP]). */
int wsman_amt_set_tls_psk(struct wsman_builder *b, const uint8_t pid[static WSMAN_AMT_PID_LEN],
                          const uint8_t pps[static WSMAN_AMT_PPS_LEN], struct scs_buf *out);
int wsman_amt_unprovision(struct wsman_builder *b, uint32_t provisioning_mode, struct scs_buf *out);
int wsman_amt_get_uuid(struct wsman_builder *b, struct scs_buf *out);
int wsman_amt_read_uuid(const struct wsman_response *r, uint8_t out[static WSMAN_AMT_UUID_LEN],
                        struct scs_diag *diag);

/* AMT_AuthorizationService.SetAdminAclEntryEx; digest_password is the encoded hash. */
int wsman_amt_set_admin_acl_entry_ex(struct wsman_builder *b, const char *username,
                                     const char *digest_password, struct scs_buf *out);
/* DigestPassword = base64(MD5(username ":" realm ":" password)) (§6.1, §6.4). */
int wsman_amt_digest_password(const char *username, const char *realm, const char *password,
                              char out[static WSMAN_AMT_DIGEST_B64_LEN + 1]);

/* AMT_TimeSynchronizationService */
int wsman_amt_time_get(struct wsman_builder *b, struct scs_buf *out);
int wsman_amt_read_time(const struct wsman_response *r, uint32_t *ta0, struct scs_diag *diag);
int wsman_amt_time_set(struct wsman_builder *b, uint32_t ta0, uint32_t tm1, uint32_t tm2,
                       struct scs_buf *out);

/* AMT_PublicKeyManagementService */
int wsman_amt_generate_key_pair(struct wsman_builder *b, uint32_t key_algorithm,
                                uint32_t key_length, struct scs_buf *out);
/* KeyPair (GenerateKeyPair) or CreatedCertificate (AddCertificate, AddTrustedRootCertificate)
 * EPR selector InstanceID. */
int wsman_amt_read_epr_instance(const struct wsman_response *r, const char *epr_name, char *out,
                                size_t cap, struct scs_diag *diag);
int wsman_amt_add_certificate(struct wsman_builder *b, const char *cert_b64, struct scs_buf *out);
int wsman_amt_add_trusted_root_certificate(struct wsman_builder *b, const char *cert_b64,
                                           struct scs_buf *out);

/* AMT_TLSCredentialContext Create: certificate handle → TLS endpoint collection (§2.4 8.8). */
int wsman_amt_tls_credential_context_create(struct wsman_builder *b, const char *cert_instance_id,
                                            struct scs_buf *out);

/* AMT_TLSSettingData Put */
struct wsman_amt_tls_settings {
    const char *instance_id; /* "Intel(r) AMT 802.3 TLS Settings" (remote) or "… LMS …" */
    int mutual_authentication;
    int enabled;
    int accept_non_secure_connections;
    int non_secure_connections_supported;
};
#define WSMAN_AMT_TLS_REMOTE "Intel(r) AMT 802.3 TLS Settings"
#define WSMAN_AMT_TLS_LOCAL  "Intel(r) AMT LMS TLS Settings"
int wsman_amt_tls_setting_data_put(struct wsman_builder *b, const struct wsman_amt_tls_settings *s,
                                   struct scs_buf *out);

/* Features set during provisioning when the profile asks (§6.5). */
/* Put AMT_GeneralSettings: HostName and/or DomainName (NULL: left as it is). */
int wsman_amt_general_settings_put(struct wsman_builder *b, const char *host_name,
                                   const char *domain_name, struct scs_buf *out);
/* AMT_RedirectionService.RequestStateChange: 32768 none, 32769 IDER, 32770 SOL,
 * 32771 IDER and SOL. */
#define WSMAN_AMT_REDIR_NONE     32768u
#define WSMAN_AMT_REDIR_IDER     32769u
#define WSMAN_AMT_REDIR_SOL      32770u
#define WSMAN_AMT_REDIR_IDER_SOL 32771u
int wsman_amt_redirection_state_change(struct wsman_builder *b, uint32_t requested_state,
                                       struct scs_buf *out);
/* Put AMT_RedirectionService (EnabledState, ListenerEnabled). */
int wsman_amt_redirection_put(struct wsman_builder *b, uint32_t enabled_state, int listener,
                              struct scs_buf *out);
/* Put IPS_OptInService.OptInRequired: 0 none, 1 KVM, 0xFFFFFFFF all. */
#define WSMAN_IPS_OPT_IN_NONE 0u
#define WSMAN_IPS_OPT_IN_KVM  1u
#define WSMAN_IPS_OPT_IN_ALL  0xFFFFFFFFu
int wsman_ips_opt_in_put(struct wsman_builder *b, uint32_t opt_in_required, struct scs_buf *out);

/* IPS_HostBasedSetupService (§6.1) */
int wsman_ips_host_based_setup_get(struct wsman_builder *b, struct scs_buf *out);
int wsman_ips_setup(struct wsman_builder *b, const char *admin_pass_hex, struct scs_buf *out);
int wsman_ips_admin_setup(struct wsman_builder *b, const char *admin_pass_hex,
                          const char *mc_nonce_b64, const char *signature_b64, struct scs_buf *out);
int wsman_ips_add_next_cert_in_chain(struct wsman_builder *b, const char *cert_b64, int is_leaf,
                                     int is_root, struct scs_buf *out);

#endif
