/*
 * One simulated Intel AMT device: the state a real firmware keeps in flash
 * (protocol.md §9 item 1), plus the rules it enforces on that state.
 *
 * The struct is plain data owned by the fleet; state.c persists it (one file per
 * device, atomic writes, mode 0600) and everything else reads and changes it in
 * memory, calling sim_device_save() after each change, as the firmware commits
 * to flash before it answers.
 */
#ifndef SCS_SIM_DEVICE_H
#define SCS_SIM_DEVICE_H

#include <stddef.h>
#include <stdint.h>

#define SIM_REALM_LEN         39 /* "Digest:" + 32 upper-case hex */
#define SIM_FW_VERSION_MAX    31
#define SIM_DNS_SUFFIX_MAX    255
#define SIM_OTP_MAX           32
#define SIM_USER_MAX          16 /* AMT_AuthorizationService: 7-bit ASCII, at most 16 */
#define SIM_OSADMIN_PW_LEN    32
#define SIM_MAX_HASHES        48 /* defaults (23 today) plus custom slots */
#define SIM_CUSTOM_HASH_SLOTS 8
#define SIM_MAX_CERTS         16
#define SIM_MAX_KEYS          8
#define SIM_MAX_CHAIN         6 /* AddNextCertInChain: CertChainLengthExceeded above this */
#define SIM_CERT_MAX_DER      8192
#define SIM_KEY_MAX_DER       4096
#define SIM_HOSTNAME_MAX      63
#define SIM_NONCE_LEN         20
#define SIM_NC_CACHE          16
#define SIM_MAX_TRUSTED_CN    4  /* AMT_TLSSettingData.TrustedCN entries */
#define SIM_CN_MAX            64 /* X.520 ub-common-name */

/* AMT_SetupAndConfigurationService.ProvisioningState */
enum sim_prov_state { SIM_PROV_PRE = 0, SIM_PROV_IN = 1, SIM_PROV_POST = 2 };
/* How the device was set up to provision remotely (what its Hellos say). */
enum sim_prov_mode { SIM_MODE_NONE = 0, SIM_MODE_PSK = 1, SIM_MODE_PKI = 2 };
/* IPS_HostBasedSetupService.CurrentControlMode */
enum sim_control_mode { SIM_CTRL_NONE = 0, SIM_CTRL_CCM = 1, SIM_CTRL_ACM = 2 };

/* AMT ReturnValue codes (protocol.md §6.1) */
enum sim_rv {
    SIM_RV_SUCCESS = 0,
    SIM_RV_INTERNAL_ERROR = 1,
    SIM_RV_NOT_PERMITTED = 16,
    SIM_RV_INVALID_PARAMETER = 36,
    SIM_RV_FLASH_WRITE_LIMIT = 38,
    SIM_RV_INVALID_PASSWORD = 2054,
    SIM_RV_DATA_MISSING = 2057
};

struct sim_hash_entry {
    uint8_t alg; /* enum scs_hash_alg: 1 SHA-1, 2 SHA-256, 3 SHA-384 */
    uint8_t len;
    uint8_t data[48];
    uint8_t is_default;
    uint8_t enabled;
};

struct sim_cert_entry {
    uint8_t *der;
    size_t der_len;
    int trusted_root; /* added with AddTrustedRootCertificate */
    unsigned id;      /* InstanceID "Intel(r) AMT Certificate: Handle: <id>" */
};

struct sim_key_entry {
    uint8_t *der; /* private key, PKCS#1 DER: a secret, wiped on free */
    size_t der_len;
    unsigned id; /* InstanceID "Intel(r) AMT Key: Handle: <id>" */
};

struct sim_device {
    unsigned index; /* 1-based position in the fleet, names the state file */
    uint32_t addr;  /* IPv4 loopback address, host byte order */
    uint8_t uuid[16];
    char realm[SIM_REALM_LEN + 1];
    char fw_version[SIM_FW_VERSION_MAX + 1];

    /* The device's own TLS identity (self-signed, generated at create). */
    uint8_t *tls_key_der; /* secret */
    size_t tls_key_len;
    uint8_t *tls_cert_der;
    size_t tls_cert_len;

    /* MEBx password: only a SHA-256 is kept; the factory value is "admin". */
    uint8_t mebx_hash[32];
    int mebx_changed;

    struct sim_hash_entry hashes[SIM_MAX_HASHES];
    unsigned hash_count;

    char dns_suffix[SIM_DNS_SUFFIX_MAX + 1];
    char otp[SIM_OTP_MAX + 1]; /* empty: none set */

    enum sim_prov_mode mode;
    char pid[9];  /* raw PID, empty if none */
    char pps[33]; /* raw PPS: secret, wiped on free, never logged */

    enum sim_prov_state prov_state;
    enum sim_control_mode control_mode;

    int admin_set; /* SetAdminAclEntryEx or host-based Setup stored an HA1 */
    char admin_user[SIM_USER_MAX + 1];
    uint8_t admin_ha1[16];                   /* MD5(user:realm:password), never the password */
    char osadmin_pw[SIM_OSADMIN_PW_LEN + 1]; /* local $$OsAdmin account (PTHI 0x67) */

    /* AMT_TLSSettingData, remote ("802.3") and local ("LMS") instances. */
    int tls_remote_enabled;
    int tls_remote_mutual;
    int tls_remote_accept_non_secure;
    int tls_local_enabled;
    /* With MutualAuthentication the client certificate's CN must be one of
     * these (none: any CN); it must chain to a trusted root in certs[]. */
    char tls_trusted_cn[SIM_MAX_TRUSTED_CN][SIM_CN_MAX + 1];
    unsigned tls_trusted_cn_count;
    int tls_credential_set;       /* an AMT_TLSCredentialContext exists */
    unsigned tls_credential_cert; /* its certificate handle */

    long long clock_offset; /* device clock minus host clock, seconds */

    char hostname[SIM_HOSTNAME_MAX + 1];
    char domain[SIM_DNS_SUFFIX_MAX + 1];
    int dhcp_enabled;
    int shared_fqdn;

    /* AMT_RedirectionService / IPS_OptInService */
    int redir_listener;
    unsigned redir_state;    /* EnabledState: 32768..32771 */
    unsigned optin_required; /* 0 none, 1 KVM, 0xFFFFFFFF all */

    /* AMT_PublicKeyManagementService stores */
    struct sim_cert_entry certs[SIM_MAX_CERTS];
    unsigned cert_count;
    struct sim_key_entry keys[SIM_MAX_KEYS];
    unsigned key_count;
    unsigned next_handle;

    /* Hello window bookkeeping in device seconds (scaled time). */
    int hello_ever_started;
    double hello_total_elapsed; /* since the first Hello, for the 255 h cap */

    /* ---- not persisted: lost on reboot like the firmware's RAM ---- */
    uint8_t config_nonce[SIM_NONCE_LEN];
    uint8_t *chain[SIM_MAX_CHAIN]; /* AddNextCertInChain, leaf first */
    size_t chain_len[SIM_MAX_CHAIN];
    unsigned chain_count;
    int chain_complete;
    /* Highest Digest nc seen per recent nonce (RFC 2617 replay check). */
    struct {
        char nonce[33];
        uint32_t nc;
    } nc_cache[SIM_NC_CACHE];
    unsigned nc_next;
    char path[512]; /* the state file */
};

/* A zeroed device with factory defaults (no identity yet). */
struct sim_device *sim_device_new(void);
void sim_device_free(struct sim_device *d);

/* Fresh random identity: UUID, realm, OS-admin password, nonce. */
int sim_device_new_identity(struct sim_device *d);
/* New Digest realm ("Digest:" + 32 upper-case hex) from the CSPRNG. */
int sim_device_new_realm(struct sim_device *d);
/* New ConfigurationNonce (after each AdminSetup attempt and on reboot). */
int sim_device_new_nonce(struct sim_device *d);
/* Seed the trusted-root table with the default set from roothashes.h. */
int sim_device_default_hashes(struct sim_device *d);
/* Add a custom (user) hash; SCS_ERR_EXHAUSTED when the custom slots are full. */
int sim_device_add_hash(struct sim_device *d, unsigned alg, const uint8_t *h, size_t len);

/* Full unprovision: back to factory settings with a new realm. */
int sim_device_factory_reset(struct sim_device *d);
/* Partial unprovision (protocol.md §3.2): keeps admin ACL, PSK, host/domain. */
int sim_device_partial_reset(struct sim_device *d);
void sim_device_clear_chain(struct sim_device *d);

/* AMT password policy: >= 8 (<= 32) chars, upper, lower, digit, non-alphanumeric. */
int sim_password_strong(const char *pw);
int sim_device_set_mebx(struct sim_device *d, const char *pw);

/* HA1 = MD5(user:realm:password) in this device's realm. */
int sim_device_ha1(const struct sim_device *d, const char *user, const char *pw, uint8_t out[16]);

/* "127.1.0.5" */
void sim_addr_text(uint32_t addr, char out[16]);
int sim_addr_parse(const char *text, uint32_t *addr);

const char *sim_prov_state_name(enum sim_prov_state s);
const char *sim_control_mode_name(enum sim_control_mode m);
const char *sim_mode_name(enum sim_prov_mode m);

/* Certificate and key stores. */
int sim_device_add_cert(struct sim_device *d, const uint8_t *der, size_t len, int trusted,
                        unsigned *id);
int sim_device_add_key(struct sim_device *d, const uint8_t *der, size_t len, unsigned *id);
const struct sim_cert_entry *sim_device_find_cert(const struct sim_device *d, unsigned id);

/* Persist to d->path (state.c). */
int sim_device_save(const struct sim_device *d);
int sim_device_load(const char *path, struct sim_device **out);

#endif
