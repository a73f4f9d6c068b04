/*
 * The registry over the store (see registry.h).
 *
 * Secrets are sealed with the pool's master key and AEAD context
 * (psk/pool_internal.h), never with a key of their own, with associated data
 * that names the table, the row and the column:
 *
 *     scs/v1/device_secret/<uuid>/<name>
 *     scs/v1/profile_secret/<profile>/<name>
 *     scs/v1/cert/<name>/key
 *     scs/v1/ca/key
 *
 * so a blob copied to another row, column or table fails to open
 * (SCS_ERR_AUTH).  Names that go into associated data are restricted to
 * characters without '/', so two different rows never share one string.
 * Nothing here logs a secret or says which blob failed to open.
 */
#include "registry/registry.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/log.h"
#include "common/secmem.h"
#include "crypto/crypto.h"
#include "psk/pool.h"
#include "psk/pool_internal.h"
#include "store/store.h"

#define REG_AAD_MAX 192
/* Longest plaintext secret: a PEM private key (RSA 8192 is about 6.5 KB). */
#define REG_SECRET_MAX      (STORE_SECRET_BLOB_MAX - SCS_AEAD_OVERHEAD)
#define REG_SECRET_NAME_MAX 32

static const char *const device_state_names[SCS_DEVICE_STATE_COUNT] = {
    [SCS_DEVICE_SEEN] = "seen",
    [SCS_DEVICE_PROVISIONING] = "provisioning",
    [SCS_DEVICE_PROVISIONED] = "provisioned",
    [SCS_DEVICE_FAILED] = "failed",
    [SCS_DEVICE_REFUSED] = "refused",
    [SCS_DEVICE_UNPROVISIONED] = "unprovisioned",
};

const char *scs_device_state_name(enum scs_device_state s)
{
    if ((int)s < 0 || (int)s >= SCS_DEVICE_STATE_COUNT) {
        return "unknown";
    }
    return device_state_names[s];
}

int scs_device_state_parse(const char *name, enum scs_device_state *out)
{
    if (name == NULL) {
        return SCS_ERR_INVALID_ARG;
    }
    for (int i = 0; i < SCS_DEVICE_STATE_COUNT; i++) {
        if (strcmp(name, device_state_names[i]) == 0) {
            *out = (enum scs_device_state)i;
            return 0;
        }
    }
    return SCS_ERR_FORMAT;
}

const char *scs_prov_path_name(enum scs_prov_path p)
{
    switch (p) {
    case SCS_PATH_NONE:
        return "";
    case SCS_PATH_PSK:
        return "psk";
    case SCS_PATH_PKI:
        return "pki";
    default:
        return "unknown";
    }
}

int scs_registry_uuid_check(const char *uuid)
{
    uint8_t raw[SCS_UUID_LEN];
    char canon[SCS_UUID_TEXT_LEN + 1];

    if (uuid == NULL || strnlen(uuid, SCS_UUID_TEXT_LEN + 1) != SCS_UUID_TEXT_LEN ||
        scs_uuid_from_text(uuid, raw) != 0) {
        return SCS_ERR_FORMAT;
    }
    /* Rows are keyed by the canonical (lower-case) text, so one device is one row. */
    scs_uuid_to_text(raw, canon);
    return strcmp(canon, uuid) == 0 ? 0 : SCS_ERR_FORMAT;
}

int scs_registry_name_check(const char *name)
{
    size_t n;

    if (name == NULL) {
        return SCS_ERR_INVALID_ARG;
    }
    n = strnlen(name, STORE_NAME_MAX + 1);
    if (n == 0 || n > STORE_NAME_MAX || name[0] == '.' || name[0] == '-') {
        return SCS_ERR_FORMAT;
    }
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-')) {
            return SCS_ERR_FORMAT;
        }
    }
    return 0;
}

static int secret_name_check(const char *name)
{
    size_t n;

    if (name == NULL) {
        return SCS_ERR_INVALID_ARG;
    }
    n = strnlen(name, REG_SECRET_NAME_MAX + 1);
    if (n == 0 || n > REG_SECRET_NAME_MAX) {
        return SCS_ERR_INVALID_ARG;
    }
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) {
            return SCS_ERR_INVALID_ARG;
        }
    }
    return 0;
}

/* 1 when the fixed-size field holds a NUL (so it is a string we may read). */
static int field_ok(const char *f, size_t cap)
{
    return strnlen(f, cap) < cap;
}

#define FIELD_OK(f) field_ok(f, sizeof(f))

static int aad_make(char aad[static REG_AAD_MAX], const char *a, const char *b, const char *c)
{
    int n = snprintf(aad, REG_AAD_MAX, "scs/v1/%s/%s/%s", a, b, c);
    return n > 0 && n < REG_AAD_MAX ? 0 : SCS_ERR_INVALID_ARG;
}

/* Seal value for aad into a new buffer. */
static int seal(struct scs_pool *p, const char *aad, const struct scs_secret *value,
                struct scs_buf **out)
{
    struct scs_buf *b;
    int r;

    *out = NULL;
    if (value == NULL || scs_secret_len(value) == 0 || scs_secret_len(value) > REG_SECRET_MAX) {
        return SCS_ERR_INVALID_ARG;
    }
    if ((b = scs_buf_new(STORE_SECRET_BLOB_MAX)) == NULL) {
        return SCS_ERR_NOMEM;
    }
    if ((r = psk_secret_seal(p, aad, scs_secret_cdata(value), scs_secret_len(value), b)) != 0) {
        scs_buf_free(b);
        return r;
    }
    *out = b;
    return 0;
}

struct open_ctx {
    struct scs_pool *p;
    const char *aad;
    struct scs_secret *out;
};

static int open_visit(void *arg, const uint8_t *blob, size_t len)
{
    struct open_ctx *o = arg;
    return psk_secret_open(o->p, o->aad, blob, len, &o->out);
}

/* ---- devices ---------------------------------------------------------- */

static void device_to_row(const struct scs_device *d, struct store_device_row *row)
{
    memset(row, 0, sizeof(*row));
    snprintf(row->uuid, sizeof(row->uuid), "%s", d->uuid);
    snprintf(row->address, sizeof(row->address), "%s", d->address);
    row->state = (int)d->state;
    row->path = (int)d->path;
    snprintf(row->fw_version, sizeof(row->fw_version), "%s", d->fw_version);
    snprintf(row->profile, sizeof(row->profile), "%s", d->profile);
    snprintf(row->pid, sizeof(row->pid), "%s", d->pid);
    snprintf(row->new_pid, sizeof(row->new_pid), "%s", d->new_pid);
    snprintf(row->step, sizeof(row->step), "%s", d->step);
    snprintf(row->last_error, sizeof(row->last_error), "%s", d->last_error);
    snprintf(row->realm, sizeof(row->realm), "%s", d->realm);
    snprintf(row->tls_fingerprint, sizeof(row->tls_fingerprint), "%s", d->tls_fingerprint);
    row->attempts = d->attempts;
    row->first_seen = d->first_seen;
    row->last_hello = d->last_hello;
    row->updated = d->updated;
    row->provisioned_at = d->provisioned_at;
}

static void device_from_row(const struct store_device_row *row, struct scs_device *d)
{
    memset(d, 0, sizeof(*d));
    snprintf(d->uuid, sizeof(d->uuid), "%s", row->uuid);
    snprintf(d->address, sizeof(d->address), "%s", row->address);
    d->state = row->state >= 0 && row->state < SCS_DEVICE_STATE_COUNT
                   ? (enum scs_device_state)row->state
                   : SCS_DEVICE_FAILED;
    d->path = row->path >= SCS_PATH_NONE && row->path <= SCS_PATH_PKI
                  ? (enum scs_prov_path)row->path
                  : SCS_PATH_NONE;
    snprintf(d->fw_version, sizeof(d->fw_version), "%s", row->fw_version);
    snprintf(d->profile, sizeof(d->profile), "%s", row->profile);
    snprintf(d->pid, sizeof(d->pid), "%s", row->pid);
    snprintf(d->new_pid, sizeof(d->new_pid), "%s", row->new_pid);
    snprintf(d->step, sizeof(d->step), "%s", row->step);
    snprintf(d->last_error, sizeof(d->last_error), "%s", row->last_error);
    snprintf(d->realm, sizeof(d->realm), "%s", row->realm);
    snprintf(d->tls_fingerprint, sizeof(d->tls_fingerprint), "%s", row->tls_fingerprint);
    d->attempts = row->attempts;
    d->first_seen = row->first_seen;
    d->last_hello = row->last_hello;
    d->updated = row->updated;
    d->provisioned_at = row->provisioned_at;
}

int scs_device_get(struct scs_pool *p, const char *uuid, struct scs_device *out)
{
    struct store_device_row row;
    int r;

    if (p == NULL || out == NULL) {
        return SCS_ERR_INVALID_ARG;
    }
    memset(out, 0, sizeof(*out));
    if (scs_registry_uuid_check(uuid) != 0) {
        return SCS_ERR_INVALID_ARG;
    }
    if ((r = store_device_get(psk_pool_store(p), uuid, &row)) != 0) {
        return r;
    }
    device_from_row(&row, out);
    return 0;
}

int scs_device_put(struct scs_pool *p, const struct scs_device *d)
{
    struct store_device_row row;

    if (p == NULL || d == NULL || scs_registry_uuid_check(d->uuid) != 0 || (int)d->state < 0 ||
        (int)d->state >= SCS_DEVICE_STATE_COUNT || (int)d->path < SCS_PATH_NONE ||
        (int)d->path > SCS_PATH_PKI || !FIELD_OK(d->address) || !FIELD_OK(d->fw_version) ||
        !FIELD_OK(d->profile) || !FIELD_OK(d->pid) || !FIELD_OK(d->new_pid) || !FIELD_OK(d->step) ||
        !FIELD_OK(d->last_error) || !FIELD_OK(d->realm) || !FIELD_OK(d->tls_fingerprint)) {
        return SCS_ERR_INVALID_ARG;
    }
    device_to_row(d, &row);
    row.updated = psk_now();
    return store_device_put(psk_pool_store(p), &row);
}

struct device_list_ctx {
    scs_device_visit_fn visit;
    void *arg;
};

static int device_list_visit(void *arg, const struct store_device_row *row)
{
    struct device_list_ctx *l = arg;
    struct scs_device d;

    device_from_row(row, &d);
    return l->visit(l->arg, &d);
}

int scs_device_list(struct scs_pool *p, scs_device_visit_fn visit, void *arg)
{
    struct device_list_ctx l = {.visit = visit, .arg = arg};

    if (p == NULL || visit == NULL) {
        return SCS_ERR_INVALID_ARG;
    }
    return store_device_list(psk_pool_store(p), device_list_visit, &l);
}

/* ---- sealed secrets owned by a device or a profile ---------------------- */

/* The two kinds of owner differ only in how their key is checked, the table the
 * blob lives in and the label in its associated data; the rest is one code path. */
struct secret_owner {
    enum store_secret_table table;
    const char *label; /* "device_secret" or "profile_secret": part of the AAD */
    const char *noun;  /* for the log line when a blob does not open */
    int (*key_check)(const char *key);
};

static const struct secret_owner device_owner = {STORE_SECRET_DEVICE, "device_secret", "device",
                                                 scs_registry_uuid_check};
static const struct secret_owner profile_owner = {STORE_SECRET_PROFILE, "profile_secret", "profile",
                                                  scs_registry_name_check};

static int owned_secret_set(struct scs_pool *p, const struct secret_owner *w, const char *key,
                            const char *name, const struct scs_secret *value)
{
    char aad[REG_AAD_MAX];
    struct scs_buf *b = NULL;
    int r;

    if (p == NULL || w->key_check(key) != 0 || secret_name_check(name) != 0 ||
        aad_make(aad, w->label, key, name) != 0) {
        return SCS_ERR_INVALID_ARG;
    }
    if ((r = seal(p, aad, value, &b)) != 0) {
        return r;
    }
    r = store_secret_set(psk_pool_store(p), w->table, key, name, scs_buf_data(b), scs_buf_len(b),
                         psk_now());
    scs_buf_free(b);
    return r;
}

static int owned_secret_get(struct scs_pool *p, const struct secret_owner *w, const char *key,
                            const char *name, struct scs_secret **out)
{
    char aad[REG_AAD_MAX];
    struct open_ctx o = {.p = p, .aad = aad, .out = NULL};
    struct store_blob_visit v = {.fn = open_visit, .arg = &o};
    int r;

    if (out == NULL) {
        return SCS_ERR_INVALID_ARG;
    }
    *out = NULL;
    if (p == NULL || w->key_check(key) != 0 || secret_name_check(name) != 0 ||
        aad_make(aad, w->label, key, name) != 0) {
        return SCS_ERR_INVALID_ARG;
    }
    if ((r = store_secret_get(psk_pool_store(p), w->table, key, name, &v)) != 0) {
        if (r == SCS_ERR_AUTH) {
            log_warn("registry: a stored secret of %s %s does not open (wrong key or moved blob)",
                     w->noun, key);
        }
        return r;
    }
    *out = o.out;
    return 0;
}

static int owned_secret_delete(struct scs_pool *p, const struct secret_owner *w, const char *key,
                               const char *name)
{
    if (p == NULL || w->key_check(key) != 0 || secret_name_check(name) != 0) {
        return SCS_ERR_INVALID_ARG;
    }
    return store_secret_delete(psk_pool_store(p), w->table, key, name);
}

int scs_device_secret_set(struct scs_pool *p, const char *uuid, const char *name,
                          const struct scs_secret *value)
{
    return owned_secret_set(p, &device_owner, uuid, name, value);
}

int scs_device_secret_get(struct scs_pool *p, const char *uuid, const char *name,
                          struct scs_secret **out)
{
    return owned_secret_get(p, &device_owner, uuid, name, out);
}

int scs_device_secret_delete(struct scs_pool *p, const char *uuid, const char *name)
{
    return owned_secret_delete(p, &device_owner, uuid, name);
}

/* ---- profiles --------------------------------------------------------- */

void scs_profile_defaults(struct scs_profile *out, const char *name)
{
    memset(out, 0, sizeof(*out));
    snprintf(out->name, sizeof(out->name), "%s", name != NULL ? name : SCS_PROFILE_DEFAULT);
    out->admin_password_random = 1;
    out->set_mebx_password = 1;
    out->mebx_password_random = 1;
    out->require_otp = 0;
    out->time_sync = 1;
    out->configure_tls = 0;
    out->new_psk = 1;
    out->redirection = 0;
    out->user_consent = 2; /* AMT's own default: consent for every redirection session */
}

static int profile_check(const struct scs_profile *prof)
{
    if (scs_registry_name_check(prof->name) != 0 || !FIELD_OK(prof->hostname_template) ||
        !FIELD_OK(prof->domain) || prof->redirection < 0 || prof->redirection > 7 ||
        prof->user_consent < 0 || prof->user_consent > 2) {
        return SCS_ERR_INVALID_ARG;
    }
    return 0;
}

static void profile_from_row(const struct store_profile_row *row, struct scs_profile *out)
{
    memset(out, 0, sizeof(*out));
    snprintf(out->name, sizeof(out->name), "%s", row->name);
    out->admin_password_random = row->admin_password_random != 0;
    out->set_mebx_password = row->set_mebx_password != 0;
    out->mebx_password_random = row->mebx_password_random != 0;
    out->require_otp = row->require_otp != 0;
    out->time_sync = row->time_sync != 0;
    out->configure_tls = row->configure_tls != 0;
    out->new_psk = row->new_psk != 0;
    out->redirection = row->redirection;
    out->user_consent = row->user_consent;
    snprintf(out->hostname_template, sizeof(out->hostname_template), "%s", row->hostname_template);
    snprintf(out->domain, sizeof(out->domain), "%s", row->domain);
}

int scs_profile_get(struct scs_pool *p, const char *name, struct scs_profile *out)
{
    struct store_profile_row row;
    int r;

    if (p == NULL || out == NULL) {
        return SCS_ERR_INVALID_ARG;
    }
    memset(out, 0, sizeof(*out));
    if (scs_registry_name_check(name) != 0) {
        return SCS_ERR_INVALID_ARG;
    }
    if ((r = store_profile_get(psk_pool_store(p), name, &row)) != 0) {
        return r;
    }
    profile_from_row(&row, out);
    return 0;
}

int scs_profile_put(struct scs_pool *p, const struct scs_profile *prof)
{
    struct store_profile_row row;

    if (p == NULL || prof == NULL || profile_check(prof) != 0) {
        return SCS_ERR_INVALID_ARG;
    }
    memset(&row, 0, sizeof(row));
    snprintf(row.name, sizeof(row.name), "%s", prof->name);
    row.admin_password_random = prof->admin_password_random != 0;
    row.set_mebx_password = prof->set_mebx_password != 0;
    row.mebx_password_random = prof->mebx_password_random != 0;
    row.require_otp = prof->require_otp != 0;
    row.time_sync = prof->time_sync != 0;
    row.configure_tls = prof->configure_tls != 0;
    row.new_psk = prof->new_psk != 0;
    row.redirection = prof->redirection;
    row.user_consent = prof->user_consent;
    snprintf(row.hostname_template, sizeof(row.hostname_template), "%s", prof->hostname_template);
    snprintf(row.domain, sizeof(row.domain), "%s", prof->domain);
    row.updated = psk_now();
    return store_profile_put(psk_pool_store(p), &row);
}

int scs_profile_delete(struct scs_pool *p, const char *name)
{
    if (p == NULL || scs_registry_name_check(name) != 0) {
        return SCS_ERR_INVALID_ARG;
    }
    return store_profile_delete(psk_pool_store(p), name);
}

struct profile_list_ctx {
    scs_profile_visit_fn visit;
    void *arg;
};

static int profile_list_visit(void *arg, const struct store_profile_row *row)
{
    struct profile_list_ctx *l = arg;
    struct scs_profile prof;

    profile_from_row(row, &prof);
    return l->visit(l->arg, &prof);
}

int scs_profile_list(struct scs_pool *p, scs_profile_visit_fn visit, void *arg)
{
    struct profile_list_ctx l = {.visit = visit, .arg = arg};

    if (p == NULL || visit == NULL) {
        return SCS_ERR_INVALID_ARG;
    }
    return store_profile_list(psk_pool_store(p), profile_list_visit, &l);
}

int scs_profile_secret_set(struct scs_pool *p, const char *name, const char *secret_name,
                           const struct scs_secret *value)
{
    return owned_secret_set(p, &profile_owner, name, secret_name, value);
}

int scs_profile_secret_get(struct scs_pool *p, const char *name, const char *secret_name,
                           struct scs_secret **out)
{
    return owned_secret_get(p, &profile_owner, name, secret_name, out);
}

int scs_profile_secret_delete(struct scs_pool *p, const char *name, const char *secret_name)
{
    return owned_secret_delete(p, &profile_owner, name, secret_name);
}

/* ---- provisioning certificates --------------------------------------- */

static int hex_ok(const char *s, size_t want)
{
    if (strnlen(s, want + 1) != want) {
        return 0;
    }
    for (size_t i = 0; i < want; i++) {
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) {
            return 0;
        }
    }
    return 1;
}

static void cert_entry_from_row(const struct store_cert_row *row, struct scs_cert_entry *e)
{
    memset(e, 0, sizeof(*e));
    snprintf(e->name, sizeof(e->name), "%s", row->name);
    snprintf(e->domain, sizeof(e->domain), "%s", row->domain);
    snprintf(e->root_sha1, sizeof(e->root_sha1), "%s", row->root_sha1);
    snprintf(e->root_sha256, sizeof(e->root_sha256), "%s", row->root_sha256);
    snprintf(e->root_sha384, sizeof(e->root_sha384), "%s", row->root_sha384);
    e->not_after = row->not_after;
    snprintf(e->subnets, sizeof(e->subnets), "%s", row->subnets);
}

int scs_cert_put(struct scs_pool *p, const struct scs_cert_entry *e, const char *chain_pem,
                 size_t chain_len, const struct scs_secret *key_pem)
{
    char aad[REG_AAD_MAX];
    struct store_cert_row row;
    struct scs_buf *b = NULL;
    int r;

    if (p == NULL || e == NULL || chain_pem == NULL || chain_len == 0 ||
        chain_len > STORE_TEXT_MAX || memchr(chain_pem, 0, chain_len) != NULL ||
        scs_registry_name_check(e->name) != 0 || !FIELD_OK(e->domain) || !FIELD_OK(e->subnets) ||
        !hex_ok(e->root_sha1, 40) || !hex_ok(e->root_sha256, 64) || !hex_ok(e->root_sha384, 96) ||
        aad_make(aad, "cert", e->name, "key") != 0) {
        return SCS_ERR_INVALID_ARG;
    }
    if ((r = seal(p, aad, key_pem, &b)) != 0) {
        return r;
    }
    memset(&row, 0, sizeof(row));
    snprintf(row.name, sizeof(row.name), "%s", e->name);
    snprintf(row.domain, sizeof(row.domain), "%s", e->domain);
    snprintf(row.root_sha1, sizeof(row.root_sha1), "%s", e->root_sha1);
    snprintf(row.root_sha256, sizeof(row.root_sha256), "%s", e->root_sha256);
    snprintf(row.root_sha384, sizeof(row.root_sha384), "%s", e->root_sha384);
    row.not_after = e->not_after;
    snprintf(row.subnets, sizeof(row.subnets), "%s", e->subnets);
    row.created = psk_now();
    row.chain_pem = chain_pem;
    row.chain_len = chain_len;
    row.key_blob = scs_buf_data(b);
    row.key_len = scs_buf_len(b);
    r = store_cert_put(psk_pool_store(p), &row);
    scs_buf_free(b);
    return r;
}

struct cert_get_ctx {
    struct scs_pool *p;
    const char *aad;
    struct scs_cert_entry *entry;
    char **chain;
    struct scs_secret **key;
};

static int cert_get_visit(void *arg, const struct store_cert_row *row)
{
    struct cert_get_ctx *g = arg;
    int r;

    cert_entry_from_row(row, g->entry);
    if (g->key != NULL) {
        if ((r = psk_secret_open(g->p, g->aad, row->key_blob, row->key_len, g->key)) != 0) {
            return r;
        }
    }
    if (g->chain != NULL) {
        if (row->chain_pem == NULL || (*g->chain = malloc(row->chain_len + 1)) == NULL) {
            if (g->key != NULL) {
                scs_secret_free(*g->key);
                *g->key = NULL;
            }
            return row->chain_pem == NULL ? SCS_ERR_INTERNAL : SCS_ERR_NOMEM;
        }
        memcpy(*g->chain, row->chain_pem, row->chain_len);
        (*g->chain)[row->chain_len] = 0;
    }
    return 0;
}

int scs_cert_get(struct scs_pool *p, const char *name, struct scs_cert_entry *out, char **chain_pem,
                 struct scs_secret **key_pem)
{
    char aad[REG_AAD_MAX];
    struct scs_cert_entry scratch;
    struct cert_get_ctx g = {.p = p,
                             .aad = aad,
                             .entry = out != NULL ? out : &scratch,
                             .chain = chain_pem,
                             .key = key_pem};
    int r;

    if (chain_pem != NULL) {
        *chain_pem = NULL;
    }
    if (key_pem != NULL) {
        *key_pem = NULL;
    }
    if (p == NULL || scs_registry_name_check(name) != 0 ||
        aad_make(aad, "cert", name, "key") != 0) {
        return SCS_ERR_INVALID_ARG;
    }
    r = store_cert_get(psk_pool_store(p), name, chain_pem != NULL || key_pem != NULL,
                       cert_get_visit, &g);
    if (r == SCS_ERR_AUTH) {
        log_warn("registry: the stored key of certificate %s does not open (wrong key or moved "
                 "blob)",
                 name);
    }
    return r;
}

int scs_cert_delete(struct scs_pool *p, const char *name)
{
    if (p == NULL || scs_registry_name_check(name) != 0) {
        return SCS_ERR_INVALID_ARG;
    }
    return store_cert_delete(psk_pool_store(p), name);
}

struct cert_list_ctx {
    scs_cert_visit_fn visit;
    void *arg;
};

static int cert_list_visit(void *arg, const struct store_cert_row *row)
{
    struct cert_list_ctx *l = arg;
    struct scs_cert_entry e;

    cert_entry_from_row(row, &e);
    return l->visit(l->arg, &e);
}

int scs_cert_list(struct scs_pool *p, scs_cert_visit_fn visit, void *arg)
{
    struct cert_list_ctx l = {.visit = visit, .arg = arg};

    if (p == NULL || visit == NULL) {
        return SCS_ERR_INVALID_ARG;
    }
    return store_cert_list(psk_pool_store(p), cert_list_visit, &l);
}

/* ---- the server's CA --------------------------------------------------- */

#define REG_CA_AAD "scs/v1/ca/key"

struct ca_get_ctx {
    struct scs_pool *p;
    char **cert;
    struct scs_secret **key;
};

static int ca_get_visit(void *arg, const char *cert_pem, size_t cert_len, const uint8_t *key_blob,
                        size_t key_len)
{
    struct ca_get_ctx *g = arg;
    int r;

    if (g->key != NULL && (r = psk_secret_open(g->p, REG_CA_AAD, key_blob, key_len, g->key)) != 0) {
        return r;
    }
    if (g->cert != NULL) {
        if ((*g->cert = malloc(cert_len + 1)) == NULL) {
            if (g->key != NULL) {
                scs_secret_free(*g->key);
                *g->key = NULL;
            }
            return SCS_ERR_NOMEM;
        }
        memcpy(*g->cert, cert_pem, cert_len);
        (*g->cert)[cert_len] = 0;
    }
    return 0;
}

int scs_ca_get(struct scs_pool *p, char **cert_pem, struct scs_secret **key_pem)
{
    struct ca_get_ctx g = {.p = p, .cert = cert_pem, .key = key_pem};
    int r;

    if (cert_pem != NULL) {
        *cert_pem = NULL;
    }
    if (key_pem != NULL) {
        *key_pem = NULL;
    }
    if (p == NULL) {
        return SCS_ERR_INVALID_ARG;
    }
    r = store_ca_get(psk_pool_store(p), ca_get_visit, &g);
    if (r == SCS_ERR_AUTH) {
        log_warn("registry: the stored CA key does not open (wrong key or moved blob)");
    }
    return r;
}

int scs_ca_put(struct scs_pool *p, const char *cert_pem, const struct scs_secret *key_pem)
{
    struct scs_buf *b = NULL;
    size_t len;
    int r;

    if (p == NULL || cert_pem == NULL) {
        return SCS_ERR_INVALID_ARG;
    }
    len = strnlen(cert_pem, STORE_TEXT_MAX + 1);
    if (len == 0 || len > STORE_TEXT_MAX) {
        return SCS_ERR_INVALID_ARG;
    }
    if ((r = seal(p, REG_CA_AAD, key_pem, &b)) != 0) {
        return r;
    }
    r = store_ca_put(psk_pool_store(p), cert_pem, len, scs_buf_data(b), scs_buf_len(b), psk_now());
    scs_buf_free(b);
    return r;
}

/* ---- audit ------------------------------------------------------------ */

int scs_audit_list(struct scs_pool *p, scs_audit_visit_fn visit, void *arg)
{
    if (p == NULL || visit == NULL) {
        return SCS_ERR_INVALID_ARG;
    }
    return scs_pool_audit_list(p, visit, arg);
}
