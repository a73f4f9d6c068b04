/*
 * The device model: identity, factory reset and the policy rules that a real
 * firmware applies to its own state.
 */
#include "sim/device.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/encoding.h"
#include "common/err.h"
#include "common/secmem.h"
#include "crypto/crypto.h"
#include "formats/roothashes.h"

struct sim_device *sim_device_new(void)
{
    struct sim_device *d = calloc(1, sizeof(*d));

    if (d == NULL) {
        return NULL;
    }
    snprintf(d->fw_version, sizeof(d->fw_version), "%s", "11.8.55");
    /* Factory MEBx password is "admin" (protocol.md §7.5). */
    if (scs_sha256("admin", 5, d->mebx_hash) != 0) {
        free(d);
        return NULL;
    }
    d->dhcp_enabled = 1;
    d->redir_state = 32768; /* listener disabled, SOL/IDER off */
    d->optin_required = 0xFFFFFFFFu;
    d->tls_remote_accept_non_secure = 1;
    d->next_handle = 1;
    snprintf(d->admin_user, sizeof(d->admin_user), "%s", "admin");
    return d;
}

void sim_device_clear_chain(struct sim_device *d)
{
    for (unsigned i = 0; i < d->chain_count; i++) {
        free(d->chain[i]);
        d->chain[i] = NULL;
        d->chain_len[i] = 0;
    }
    d->chain_count = 0;
    d->chain_complete = 0;
}

static void sim_device_clear_stores(struct sim_device *d)
{
    for (unsigned i = 0; i < d->cert_count; i++) {
        free(d->certs[i].der);
    }
    memset(d->certs, 0, sizeof(d->certs));
    d->cert_count = 0;
    for (unsigned i = 0; i < d->key_count; i++) {
        scs_freezero(d->keys[i].der, d->keys[i].der_len);
    }
    memset(d->keys, 0, sizeof(d->keys));
    d->key_count = 0;
}

void sim_device_free(struct sim_device *d)
{
    if (d == NULL) {
        return;
    }
    sim_device_clear_chain(d);
    sim_device_clear_stores(d);
    scs_freezero(d->tls_key_der, d->tls_key_len);
    free(d->tls_cert_der);
    scs_wipe(d, sizeof(*d));
    free(d);
}

int sim_device_new_realm(struct sim_device *d)
{
    uint8_t raw[16];
    char hex[33];

    if (scs_random_bytes(raw, sizeof(raw)) != 0) {
        return SCS_ERR_CRYPTO;
    }
    scs_hex_encode(hex, raw, sizeof(raw));
    for (size_t i = 0; i < 32; i++) {
        if (hex[i] >= 'a' && hex[i] <= 'f') {
            hex[i] = (char)(hex[i] - 'a' + 'A');
        }
    }
    snprintf(d->realm, sizeof(d->realm), "Digest:%s", hex);
    return 0;
}

int sim_device_new_nonce(struct sim_device *d)
{
    return scs_random_bytes(d->config_nonce, sizeof(d->config_nonce));
}

int sim_device_new_identity(struct sim_device *d)
{
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    uint8_t raw[SIM_OSADMIN_PW_LEN];
    int rc;

    if ((rc = scs_random_bytes(d->uuid, sizeof(d->uuid))) != 0) {
        return rc;
    }
    /* RFC 4122 version 4 bits, in SMBIOS order: time_hi is the little-endian u16 at 6. */
    d->uuid[7] = (uint8_t)((d->uuid[7] & 0x0F) | 0x40);
    d->uuid[8] = (uint8_t)((d->uuid[8] & 0x3F) | 0x80);
    if ((rc = sim_device_new_realm(d)) != 0) {
        return rc;
    }
    if ((rc = scs_random_bytes(raw, sizeof(raw))) != 0) {
        return rc;
    }
    /* 62 symbols: the slight modulo bias is irrelevant for a simulator credential,
     * and the first four positions are forced to satisfy the strength rule. */
    for (size_t i = 0; i < SIM_OSADMIN_PW_LEN; i++) {
        d->osadmin_pw[i] = alphabet[raw[i] % (sizeof(alphabet) - 1)];
    }
    d->osadmin_pw[0] = 'A';
    d->osadmin_pw[1] = 'a';
    d->osadmin_pw[2] = '1';
    d->osadmin_pw[3] = '!';
    d->osadmin_pw[SIM_OSADMIN_PW_LEN] = '\0';
    scs_wipe(raw, sizeof(raw));
    return sim_device_new_nonce(d);
}

int sim_device_default_hashes(struct sim_device *d)
{
    d->hash_count = 0;
    for (size_t i = 0; i < scs_root_hashes_count; i++) {
        const struct scs_root_hash *r = &scs_root_hashes[i];
        struct sim_hash_entry *e;
        size_t hl = strlen(r->hex) / 2;

        if (!r->in_default_set) {
            continue;
        }
        if (d->hash_count >= SIM_MAX_HASHES - SIM_CUSTOM_HASH_SLOTS || hl > sizeof(e->data)) {
            return SCS_ERR_TOO_LARGE;
        }
        e = &d->hashes[d->hash_count];
        if (scs_hex_decode(e->data, hl, r->hex, strlen(r->hex)) != 0) {
            return SCS_ERR_INTERNAL;
        }
        e->alg = r->alg;
        e->len = (uint8_t)hl;
        e->is_default = 1;
        e->enabled = 1;
        d->hash_count++;
    }
    return 0;
}

int sim_device_add_hash(struct sim_device *d, unsigned alg, const uint8_t *h, size_t len)
{
    unsigned custom = 0;
    struct sim_hash_entry *e;

    if (!((alg == 1 && len == 20) || (alg == 2 && len == 32) || (alg == 3 && len == 48))) {
        return SCS_ERR_INVALID_ARG;
    }
    for (unsigned i = 0; i < d->hash_count; i++) {
        if (!d->hashes[i].is_default) {
            custom++;
        }
        if (d->hashes[i].alg == alg && scs_ct_eq(d->hashes[i].data, h, len)) {
            return SCS_ERR_EXISTS;
        }
    }
    if (custom >= SIM_CUSTOM_HASH_SLOTS || d->hash_count >= SIM_MAX_HASHES) {
        return SCS_ERR_EXHAUSTED;
    }
    e = &d->hashes[d->hash_count++];
    memset(e, 0, sizeof(*e));
    e->alg = (uint8_t)alg;
    e->len = (uint8_t)len;
    memcpy(e->data, h, len);
    e->enabled = 1;
    return 0;
}

static void sim_device_reset_common(struct sim_device *d)
{
    d->control_mode = SIM_CTRL_NONE;
    d->tls_remote_enabled = 0;
    d->tls_remote_mutual = 0;
    d->tls_remote_accept_non_secure = 1;
    memset(d->tls_trusted_cn, 0, sizeof(d->tls_trusted_cn));
    d->tls_trusted_cn_count = 0;
    d->tls_local_enabled = 0;
    d->tls_credential_set = 0;
    d->tls_credential_cert = 0;
    d->redir_listener = 0;
    d->redir_state = 32768;
    d->optin_required = 0xFFFFFFFFu;
    d->clock_offset = 0;
    sim_device_clear_chain(d);
    sim_device_clear_stores(d);
    /* A device that was set up for remote configuration goes back to sending
     * Hellos; one without goes back to factory (pre-provisioning). */
    d->prov_state = d->mode == SIM_MODE_NONE ? SIM_PROV_PRE : SIM_PROV_IN;
    d->hello_ever_started = 0;
    d->hello_total_elapsed = 0;
}

int sim_device_factory_reset(struct sim_device *d)
{
    int rc;

    sim_device_reset_common(d);
    d->admin_set = 0;
    scs_wipe(d->admin_ha1, sizeof(d->admin_ha1));
    snprintf(d->admin_user, sizeof(d->admin_user), "%s", "admin");
    d->mebx_changed = 0;
    if ((rc = scs_sha256("admin", 5, d->mebx_hash)) != 0) {
        return rc;
    }
    d->hostname[0] = '\0';
    d->domain[0] = '\0';
    d->dhcp_enabled = 1;
    if ((rc = sim_device_new_realm(d)) != 0) {
        return rc;
    }
    return sim_device_new_nonce(d);
}

int sim_device_partial_reset(struct sim_device *d)
{
    /* Keeps the admin ACL, the PSK, host and domain names (protocol.md §3.2). */
    sim_device_reset_common(d);
    return sim_device_new_nonce(d);
}

int sim_password_strong(const char *pw)
{
    /* The firmware's rule (MEBx and the AMT SDK): 8 to 32 characters from 0x20..0x7e
     * except : , and " ; a digit, a lower-case and an upper-case letter, and a
     * non-alphanumeric character above 0x20 where '_' counts as alphanumeric. */
    int up = 0, lo = 0, dig = 0, other = 0;
    size_t n = strlen(pw);

    if (n < 8 || n > 32) {
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)pw[i];

        if (c < 0x20 || c > 0x7e || c == ':' || c == ',' || c == '"') {
            return 0;
        }
        if (c >= 'A' && c <= 'Z') {
            up = 1;
        } else if (c >= 'a' && c <= 'z') {
            lo = 1;
        } else if (c >= '0' && c <= '9') {
            dig = 1;
        } else if (c != '_' && c != ' ') {
            other = 1;
        }
    }
    return up && lo && dig && other;
}

int sim_device_set_mebx(struct sim_device *d, const char *pw)
{
    int rc = scs_sha256(pw, strlen(pw), d->mebx_hash);

    if (rc == 0) {
        d->mebx_changed = strcmp(pw, "admin") != 0;
    }
    return rc;
}

int sim_device_ha1(const struct sim_device *d, const char *user, const char *pw, uint8_t out[16])
{
    char a1[SIM_USER_MAX + SIM_REALM_LEN + 64 + 4];
    int n = snprintf(a1, sizeof(a1), "%s:%s:%s", user, d->realm, pw);
    int rc;

    if (n < 0 || (size_t)n >= sizeof(a1)) {
        scs_wipe(a1, sizeof(a1));
        return SCS_ERR_TOO_LARGE;
    }
    rc = scs_md5(a1, (size_t)n, out);
    scs_wipe(a1, sizeof(a1));
    return rc;
}

void sim_addr_text(uint32_t addr, char out[16])
{
    snprintf(out, 16, "%u.%u.%u.%u", (addr >> 24) & 0xFF, (addr >> 16) & 0xFF, (addr >> 8) & 0xFF,
             addr & 0xFF);
}

int sim_addr_parse(const char *text, uint32_t *addr)
{
    struct in_addr a;

    if (inet_pton(AF_INET, text, &a) != 1) {
        return SCS_ERR_FORMAT;
    }
    *addr = ntohl(a.s_addr);
    return 0;
}

const char *sim_prov_state_name(enum sim_prov_state s)
{
    switch (s) {
    case SIM_PROV_PRE:
        return "pre";
    case SIM_PROV_IN:
        return "in";
    case SIM_PROV_POST:
        return "post";
    default:
        return "unknown";
    }
}

const char *sim_control_mode_name(enum sim_control_mode m)
{
    switch (m) {
    case SIM_CTRL_NONE:
        return "none";
    case SIM_CTRL_CCM:
        return "ccm";
    case SIM_CTRL_ACM:
        return "acm";
    default:
        return "unknown";
    }
}

const char *sim_mode_name(enum sim_prov_mode m)
{
    switch (m) {
    case SIM_MODE_NONE:
        return "none";
    case SIM_MODE_PSK:
        return "psk";
    case SIM_MODE_PKI:
        return "pki";
    default:
        return "unknown";
    }
}

int sim_device_add_cert(struct sim_device *d, const uint8_t *der, size_t len, int trusted,
                        unsigned *id)
{
    struct sim_cert_entry *c;

    if (len == 0 || len > SIM_CERT_MAX_DER) {
        return SCS_ERR_TOO_LARGE;
    }
    if (d->cert_count >= SIM_MAX_CERTS) {
        return SCS_ERR_EXHAUSTED;
    }
    for (unsigned i = 0; i < d->cert_count; i++) {
        if (d->certs[i].der_len == len && memcmp(d->certs[i].der, der, len) == 0) {
            return SCS_ERR_EXISTS;
        }
    }
    c = &d->certs[d->cert_count];
    c->der = malloc(len);
    if (c->der == NULL) {
        return SCS_ERR_NOMEM;
    }
    memcpy(c->der, der, len);
    c->der_len = len;
    c->trusted_root = trusted;
    c->id = d->next_handle++;
    d->cert_count++;
    if (id != NULL) {
        *id = c->id;
    }
    return 0;
}

int sim_device_add_key(struct sim_device *d, const uint8_t *der, size_t len, unsigned *id)
{
    struct sim_key_entry *k;

    if (len == 0 || len > SIM_KEY_MAX_DER) {
        return SCS_ERR_TOO_LARGE;
    }
    if (d->key_count >= SIM_MAX_KEYS) {
        return SCS_ERR_EXHAUSTED;
    }
    k = &d->keys[d->key_count];
    k->der = malloc(len);
    if (k->der == NULL) {
        return SCS_ERR_NOMEM;
    }
    memcpy(k->der, der, len);
    k->der_len = len;
    k->id = d->next_handle++;
    d->key_count++;
    if (id != NULL) {
        *id = k->id;
    }
    return 0;
}

const struct sim_cert_entry *sim_device_find_cert(const struct sim_device *d, unsigned id)
{
    for (unsigned i = 0; i < d->cert_count; i++) {
        if (d->certs[i].id == id) {
            return &d->certs[i];
        }
    }
    return NULL;
}
