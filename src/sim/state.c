/*
 * Device state files: one text file per device, "key value" per line, written
 * atomically with mode 0600 because it holds the PPS, the TLS private key and
 * the admin HA1.  Binary values are hex or base64; unknown keys are ignored so
 * that an older amtsim can read a newer file.
 */
#include "sim/device.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/encoding.h"
#include "common/err.h"
#include "common/fileio.h"
#include "common/secmem.h"

#define SIM_STATE_MAX      (1024 * 1024)
#define SIM_STATE_LINE_MAX (64 * 1024)
#define SIM_STATE_VERSION  1

static int put_b64(struct scs_buf *b, const char *key, const uint8_t *data, size_t len)
{
    size_t n = scs_base64_encoded_len(len);
    char *t = malloc(n + 1);
    int rc;

    if (t == NULL) {
        return SCS_ERR_NOMEM;
    }
    scs_base64_encode(t, data, len);
    rc = scs_buf_printf(b, "%s %s\n", key, t);
    scs_freezero(t, n + 1);
    return rc;
}

static int put_hex(struct scs_buf *b, const char *key, const uint8_t *data, size_t len)
{
    char t[2 * 64 + 1];

    if (len > 64) {
        return SCS_ERR_INTERNAL;
    }
    scs_hex_encode(t, data, len);
    return scs_buf_printf(b, "%s %s\n", key, t);
}

int sim_device_save(const struct sim_device *d)
{
    struct scs_buf *b = scs_buf_new(SIM_STATE_MAX);
    char addr[16];
    int rc = 0;

    /* A device without a path (unit tests, fuzzing) lives in memory only. */
    if (d->path[0] == '\0') {
        scs_buf_free(b);
        return 0;
    }
    if (b == NULL) {
        return SCS_ERR_NOMEM;
    }
    sim_addr_text(d->addr, addr);
    rc |= scs_buf_printf(b, "amtsim-state %d\nindex %u\naddress %s\n", SIM_STATE_VERSION, d->index,
                         addr);
    rc |= put_hex(b, "uuid", d->uuid, sizeof(d->uuid));
    rc |= scs_buf_printf(b, "realm %s\nfw_version %s\n", d->realm, d->fw_version);
    rc |= put_b64(b, "tls_key", d->tls_key_der, d->tls_key_len);
    rc |= put_b64(b, "tls_cert", d->tls_cert_der, d->tls_cert_len);
    rc |= put_hex(b, "mebx_hash", d->mebx_hash, sizeof(d->mebx_hash));
    rc |= scs_buf_printf(b, "mebx_changed %d\n", d->mebx_changed);
    for (unsigned i = 0; i < d->hash_count; i++) {
        char t[97];
        const struct sim_hash_entry *h = &d->hashes[i];

        scs_hex_encode(t, h->data, h->len);
        rc |= scs_buf_printf(b, "hash %u %d %d %s\n", h->alg, h->is_default, h->enabled, t);
    }
    if (d->dns_suffix[0] != '\0') {
        rc |= scs_buf_printf(b, "dns_suffix %s\n", d->dns_suffix);
    }
    if (d->otp[0] != '\0') {
        rc |= scs_buf_printf(b, "otp %s\n", d->otp);
    }
    rc |= scs_buf_printf(b, "mode %s\n", sim_mode_name(d->mode));
    if (d->pid[0] != '\0') {
        rc |= scs_buf_printf(b, "pid %s\npps %s\n", d->pid, d->pps);
    }
    rc |= scs_buf_printf(b, "prov_state %d\ncontrol_mode %d\nadmin_set %d\nadmin_user %s\n",
                         (int)d->prov_state, (int)d->control_mode, d->admin_set, d->admin_user);
    rc |= put_hex(b, "admin_ha1", d->admin_ha1, sizeof(d->admin_ha1));
    rc |= scs_buf_printf(b, "osadmin_pw %s\n", d->osadmin_pw);
    rc |= scs_buf_printf(
        b,
        "tls_remote %d %d %d\ntls_local %d\ntls_credential %d %u\n"
        "clock_offset %lld\ndhcp %d\nshared_fqdn %d\n"
        "redirection %d %u\noptin %u\nnext_handle %u\n"
        "hello %d %.3f\n",
        d->tls_remote_enabled, d->tls_remote_mutual, d->tls_remote_accept_non_secure,
        d->tls_local_enabled, d->tls_credential_set, d->tls_credential_cert, d->clock_offset,
        d->dhcp_enabled, d->shared_fqdn, d->redir_listener, d->redir_state, d->optin_required,
        d->next_handle, d->hello_ever_started, d->hello_total_elapsed);
    for (unsigned i = 0; i < d->tls_trusted_cn_count; i++) {
        rc |= scs_buf_printf(b, "tls_trusted_cn %s\n", d->tls_trusted_cn[i]);
    }
    if (d->hostname[0] != '\0') {
        rc |= scs_buf_printf(b, "hostname %s\n", d->hostname);
    }
    if (d->domain[0] != '\0') {
        rc |= scs_buf_printf(b, "domain %s\n", d->domain);
    }
    for (unsigned i = 0; i < d->cert_count; i++) {
        char key[40];

        snprintf(key, sizeof(key), "cert %u %d", d->certs[i].id, d->certs[i].trusted_root);
        rc |= put_b64(b, key, d->certs[i].der, d->certs[i].der_len);
    }
    for (unsigned i = 0; i < d->key_count; i++) {
        char key[40];

        snprintf(key, sizeof(key), "key %u", d->keys[i].id);
        rc |= put_b64(b, key, d->keys[i].der, d->keys[i].der_len);
    }
    if (rc != 0) {
        scs_buf_free(b);
        return SCS_ERR_TOO_LARGE;
    }
    rc = scs_file_write_atomic(d->path, scs_buf_data(b), scs_buf_len(b), 0600);
    scs_buf_free(b);
    return rc;
}

/* Copy a text value that must fit and contain only printable ASCII. */
static int get_text(char *dst, size_t cap, const char *v)
{
    size_t n = strlen(v);

    if (n >= cap) {
        return SCS_ERR_TOO_LARGE;
    }
    for (size_t i = 0; i < n; i++) {
        if ((unsigned char)v[i] < 0x20 || (unsigned char)v[i] > 0x7e) {
            return SCS_ERR_FORMAT;
        }
    }
    memcpy(dst, v, n + 1);
    return 0;
}

static int get_b64(uint8_t **dst, size_t *dlen, size_t cap, const char *v)
{
    size_t n = strlen(v);
    uint8_t *p = malloc(cap);
    int rc;

    if (p == NULL) {
        return SCS_ERR_NOMEM;
    }
    rc = scs_base64_decode(p, cap, dlen, v, n);
    if (rc != 0) {
        scs_freezero(p, cap);
        return rc;
    }
    *dst = p;
    return 0;
}

static int get_long(const char *v, long long lo, long long hi, long long *out)
{
    char *end = NULL;
    long long x = strtoll(v, &end, 10);

    if (end == v || (end != NULL && *end != '\0' && *end != ' ') || x < lo || x > hi) {
        return SCS_ERR_FORMAT;
    }
    *out = x;
    return 0;
}

static int get_int(const char *v, long long lo, long long hi, int *out)
{
    long long x;
    int rc = get_long(v, lo, hi, &x);

    if (rc == 0) {
        *out = (int)x;
    }
    return rc;
}

static int get_uint(const char *v, unsigned long long hi, unsigned *out)
{
    char *end = NULL;
    unsigned long long x;

    if (v[0] == '-') {
        return SCS_ERR_FORMAT;
    }
    x = strtoull(v, &end, 10);
    if (end == v || (*end != '\0' && *end != ' ') || x > hi) {
        return SCS_ERR_FORMAT;
    }
    *out = (unsigned)x;
    return 0;
}

/* Split "a b c" into up to n words in place. */
static int split_words(char *v, char **w, int n)
{
    int k = 0;
    char *p = v;

    while (k < n && p != NULL && *p != '\0') {
        char *sp = strchr(p, ' ');

        w[k++] = p;
        if (sp == NULL) {
            break;
        }
        *sp = '\0';
        p = sp + 1;
    }
    return k;
}

static int parse_line(struct sim_device *d, const char *key, char *v)
{
    char *w[5];
    int rc = 0;

    if (strcmp(key, "amtsim-state") == 0) {
        int ver;

        rc = get_int(v, 1, 1000, &ver);
        if (rc == 0 && ver != SIM_STATE_VERSION) {
            rc = SCS_ERR_VERSION;
        }
    } else if (strcmp(key, "index") == 0) {
        rc = get_uint(v, 1000000, &d->index);
    } else if (strcmp(key, "address") == 0) {
        rc = sim_addr_parse(v, &d->addr);
    } else if (strcmp(key, "uuid") == 0) {
        rc = scs_hex_decode(d->uuid, sizeof(d->uuid), v, strlen(v));
    } else if (strcmp(key, "realm") == 0) {
        rc = get_text(d->realm, sizeof(d->realm), v);
    } else if (strcmp(key, "fw_version") == 0) {
        rc = get_text(d->fw_version, sizeof(d->fw_version), v);
    } else if (strcmp(key, "tls_key") == 0) {
        rc = get_b64(&d->tls_key_der, &d->tls_key_len, SIM_KEY_MAX_DER, v);
    } else if (strcmp(key, "tls_cert") == 0) {
        rc = get_b64(&d->tls_cert_der, &d->tls_cert_len, SIM_CERT_MAX_DER, v);
    } else if (strcmp(key, "mebx_hash") == 0) {
        rc = scs_hex_decode(d->mebx_hash, sizeof(d->mebx_hash), v, strlen(v));
    } else if (strcmp(key, "mebx_changed") == 0) {
        rc = get_int(v, 0, 1, &d->mebx_changed);
    } else if (strcmp(key, "hash") == 0) {
        struct sim_hash_entry *h;
        unsigned alg;
        int isdef, en;
        size_t hl;

        if (split_words(v, w, 4) != 4 || d->hash_count >= SIM_MAX_HASHES) {
            return SCS_ERR_FORMAT;
        }
        h = &d->hashes[d->hash_count];
        if (get_uint(w[0], 3, &alg) != 0 || get_int(w[1], 0, 1, &isdef) != 0 ||
            get_int(w[2], 0, 1, &en) != 0) {
            return SCS_ERR_FORMAT;
        }
        hl = alg == 1 ? 20 : alg == 2 ? 32 : alg == 3 ? 48 : 0;
        if (hl == 0 || scs_hex_decode(h->data, hl, w[3], strlen(w[3])) != 0) {
            return SCS_ERR_FORMAT;
        }
        h->alg = (uint8_t)alg;
        h->len = (uint8_t)hl;
        h->is_default = (uint8_t)isdef;
        h->enabled = (uint8_t)en;
        d->hash_count++;
    } else if (strcmp(key, "dns_suffix") == 0) {
        rc = get_text(d->dns_suffix, sizeof(d->dns_suffix), v);
    } else if (strcmp(key, "otp") == 0) {
        rc = get_text(d->otp, sizeof(d->otp), v);
    } else if (strcmp(key, "mode") == 0) {
        if (strcmp(v, "psk") == 0) {
            d->mode = SIM_MODE_PSK;
        } else if (strcmp(v, "pki") == 0) {
            d->mode = SIM_MODE_PKI;
        } else if (strcmp(v, "none") == 0) {
            d->mode = SIM_MODE_NONE;
        } else {
            rc = SCS_ERR_FORMAT;
        }
    } else if (strcmp(key, "pid") == 0) {
        rc = strlen(v) == 8 ? get_text(d->pid, sizeof(d->pid), v) : SCS_ERR_FORMAT;
    } else if (strcmp(key, "pps") == 0) {
        rc = strlen(v) == 32 ? get_text(d->pps, sizeof(d->pps), v) : SCS_ERR_FORMAT;
    } else if (strcmp(key, "prov_state") == 0) {
        int s;

        rc = get_int(v, 0, 2, &s);
        d->prov_state = (enum sim_prov_state)s;
    } else if (strcmp(key, "control_mode") == 0) {
        int s;

        rc = get_int(v, 0, 2, &s);
        d->control_mode = (enum sim_control_mode)s;
    } else if (strcmp(key, "admin_set") == 0) {
        rc = get_int(v, 0, 1, &d->admin_set);
    } else if (strcmp(key, "admin_user") == 0) {
        rc = get_text(d->admin_user, sizeof(d->admin_user), v);
    } else if (strcmp(key, "admin_ha1") == 0) {
        rc = scs_hex_decode(d->admin_ha1, sizeof(d->admin_ha1), v, strlen(v));
    } else if (strcmp(key, "osadmin_pw") == 0) {
        rc = get_text(d->osadmin_pw, sizeof(d->osadmin_pw), v);
    } else if (strcmp(key, "tls_remote") == 0) {
        if (split_words(v, w, 3) != 3) {
            return SCS_ERR_FORMAT;
        }
        rc = get_int(w[0], 0, 1, &d->tls_remote_enabled) |
             get_int(w[1], 0, 1, &d->tls_remote_mutual) |
             get_int(w[2], 0, 1, &d->tls_remote_accept_non_secure);
    } else if (strcmp(key, "tls_trusted_cn") == 0) {
        if (d->tls_trusted_cn_count >= SIM_MAX_TRUSTED_CN) {
            return SCS_ERR_FORMAT;
        }
        rc = get_text(d->tls_trusted_cn[d->tls_trusted_cn_count], SIM_CN_MAX + 1, v);
        if (rc == 0) {
            d->tls_trusted_cn_count++;
        }
    } else if (strcmp(key, "tls_local") == 0) {
        rc = get_int(v, 0, 1, &d->tls_local_enabled);
    } else if (strcmp(key, "tls_credential") == 0) {
        if (split_words(v, w, 2) != 2) {
            return SCS_ERR_FORMAT;
        }
        rc = get_int(w[0], 0, 1, &d->tls_credential_set) |
             get_uint(w[1], 1000000, &d->tls_credential_cert);
    } else if (strcmp(key, "clock_offset") == 0) {
        rc = get_long(v, -(1LL << 40), 1LL << 40, &d->clock_offset);
    } else if (strcmp(key, "dhcp") == 0) {
        rc = get_int(v, 0, 1, &d->dhcp_enabled);
    } else if (strcmp(key, "shared_fqdn") == 0) {
        rc = get_int(v, 0, 1, &d->shared_fqdn);
    } else if (strcmp(key, "redirection") == 0) {
        if (split_words(v, w, 2) != 2) {
            return SCS_ERR_FORMAT;
        }
        rc = get_int(w[0], 0, 1, &d->redir_listener) | get_uint(w[1], 65535, &d->redir_state);
    } else if (strcmp(key, "optin") == 0) {
        rc = get_uint(v, 0xFFFFFFFFu, &d->optin_required);
    } else if (strcmp(key, "next_handle") == 0) {
        rc = get_uint(v, 1000000, &d->next_handle);
    } else if (strcmp(key, "hello") == 0) {
        if (split_words(v, w, 2) != 2) {
            return SCS_ERR_FORMAT;
        }
        rc = get_int(w[0], 0, 1, &d->hello_ever_started);
        d->hello_total_elapsed = strtod(w[1], NULL);
        if (!(d->hello_total_elapsed >= 0 && d->hello_total_elapsed < 1e12)) {
            rc = SCS_ERR_FORMAT;
        }
    } else if (strcmp(key, "hostname") == 0) {
        rc = get_text(d->hostname, sizeof(d->hostname), v);
    } else if (strcmp(key, "domain") == 0) {
        rc = get_text(d->domain, sizeof(d->domain), v);
    } else if (strcmp(key, "cert") == 0) {
        struct sim_cert_entry *c;

        if (split_words(v, w, 3) != 3 || d->cert_count >= SIM_MAX_CERTS) {
            return SCS_ERR_FORMAT;
        }
        c = &d->certs[d->cert_count];
        if (get_uint(w[0], 1000000, &c->id) != 0 || get_int(w[1], 0, 1, &c->trusted_root) != 0) {
            return SCS_ERR_FORMAT;
        }
        rc = get_b64(&c->der, &c->der_len, SIM_CERT_MAX_DER, w[2]);
        if (rc == 0) {
            d->cert_count++;
        }
    } else if (strcmp(key, "key") == 0) {
        struct sim_key_entry *k;

        if (split_words(v, w, 2) != 2 || d->key_count >= SIM_MAX_KEYS) {
            return SCS_ERR_FORMAT;
        }
        k = &d->keys[d->key_count];
        if (get_uint(w[0], 1000000, &k->id) != 0) {
            return SCS_ERR_FORMAT;
        }
        rc = get_b64(&k->der, &k->der_len, SIM_KEY_MAX_DER, w[1]);
        if (rc == 0) {
            d->key_count++;
        }
    }
    /* Unknown keys: ignored (forward compatibility). */
    return rc == 0 ? 0 : SCS_ERR_FORMAT;
}

int sim_device_load(const char *path, struct sim_device **out)
{
    struct scs_buf *b = NULL;
    struct sim_device *d;
    char *text, *p;
    size_t len;
    int rc = scs_file_read(path, SIM_STATE_MAX, &b);

    if (rc != 0) {
        return rc;
    }
    d = sim_device_new();
    if (d == NULL) {
        scs_buf_free(b);
        return SCS_ERR_NOMEM;
    }
    d->hash_count = 0;
    snprintf(d->path, sizeof(d->path), "%s", path);
    len = scs_buf_len(b);
    text = malloc(len + 1);
    if (text == NULL) {
        scs_buf_free(b);
        sim_device_free(d);
        return SCS_ERR_NOMEM;
    }
    memcpy(text, scs_buf_data(b), len);
    text[len] = '\0';
    scs_buf_free(b);
    if (strlen(text) != len) {
        rc = SCS_ERR_FORMAT; /* embedded NUL */
    }
    p = text;
    while (rc == 0 && *p != '\0') {
        char *nl = strchr(p, '\n');
        char *sp;

        if (nl == NULL || (size_t)(nl - p) > SIM_STATE_LINE_MAX) {
            rc = SCS_ERR_FORMAT;
            break;
        }
        *nl = '\0';
        sp = strchr(p, ' ');
        if (sp == NULL) {
            rc = SCS_ERR_FORMAT;
            break;
        }
        *sp = '\0';
        rc = parse_line(d, p, sp + 1);
        p = nl + 1;
    }
    scs_freezero(text, len + 1);
    if (rc == 0 && (d->realm[0] == '\0' || d->tls_key_der == NULL || d->tls_cert_der == NULL)) {
        rc = SCS_ERR_FORMAT;
    }
    if (rc == 0) {
        rc = sim_device_new_nonce(d);
    }
    if (rc != 0) {
        sim_device_free(d);
        return rc;
    }
    *out = d;
    return 0;
}
