/*
 * Fleet creation, loading and status (see fleet.h).
 */
#include "sim/fleet.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/fileio.h"
#include "common/json.h"
#include "common/secmem.h"
#include "formats/hello.h"
#include "sim/x509.h"

static int cmp_dev(const void *a, const void *b)
{
    const struct sim_device *x = *(struct sim_device *const *)a;
    const struct sim_device *y = *(struct sim_device *const *)b;

    return x->index < y->index ? -1 : x->index > y->index ? 1 : 0;
}

static int fleet_push(struct sim_fleet *f, struct sim_device *d)
{
    struct sim_device **n;

    if (f->count >= SIM_FLEET_MAX) {
        return SCS_ERR_TOO_LARGE;
    }
    n = realloc(f->dev, (f->count + 1) * sizeof(*n));
    if (n == NULL) {
        return SCS_ERR_NOMEM;
    }
    f->dev = n;
    f->dev[f->count++] = d;
    return 0;
}

int sim_fleet_load(const char *dir, struct sim_fleet **out)
{
    struct sim_fleet *f = calloc(1, sizeof(*f));
    DIR *dh;
    struct dirent *de;
    int rc = 0;

    if (f == NULL) {
        return SCS_ERR_NOMEM;
    }
    if (strlen(dir) >= sizeof(f->dir) - 32) {
        free(f);
        return SCS_ERR_TOO_LARGE;
    }
    snprintf(f->dir, sizeof(f->dir), "%s", dir);
    dh = opendir(dir);
    if (dh == NULL) {
        if (errno == ENOENT) {
            *out = f;
            return 0;
        }
        free(f);
        return SCS_ERR_IO;
    }
    while (rc == 0 && (de = readdir(dh)) != NULL) {
        char path[512];
        size_t nl = strlen(de->d_name);
        struct sim_device *d = NULL;

        if (strncmp(de->d_name, "device-", 7) != 0 || nl < 7 ||
            strcmp(de->d_name + nl - 6, ".state") != 0) {
            continue;
        }
        snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
        rc = sim_device_load(path, &d);
        if (rc == 0) {
            rc = fleet_push(f, d);
            if (rc != 0) {
                sim_device_free(d);
            }
        }
    }
    closedir(dh);
    if (rc != 0) {
        sim_fleet_free(f);
        return rc;
    }
    if (f->count > 1) {
        qsort(f->dev, f->count, sizeof(*f->dev), cmp_dev);
    }
    *out = f;
    return 0;
}

void sim_fleet_free(struct sim_fleet *f)
{
    if (f == NULL) {
        return;
    }
    for (unsigned i = 0; i < f->count; i++) {
        sim_device_free(f->dev[i]);
    }
    free(f->dev);
    free(f);
}

uint32_t sim_fleet_addr(uint32_t base, unsigned k)
{
    uint32_t a = base;

    /* Walk k usable addresses: x.y.z.0 and x.y.z.255 are skipped so that no
     * device sits on a network or broadcast-looking address. */
    if ((a & 0xFF) == 0 || (a & 0xFF) == 255) {
        a = (a & ~0xFFu) + 1;
    }
    for (unsigned i = 0; i < k; i++) {
        a++;
        if ((a & 0xFF) == 255) {
            a += 2;
        }
    }
    return a;
}

int sim_fleet_create(struct sim_fleet *f, const struct sim_create_opts *o, struct scs_diag *diag)
{
    unsigned start = 0;
    uint32_t last_addr = 0;
    uint32_t *addrs;
    int rc;

    if (o->n == 0 || o->n > SIM_FLEET_MAX - f->count) {
        return scs_diag_failn(diag, SCS_ERR_INVALID_ARG, "device count out of range");
    }
    if (o->mode == SIM_MODE_PSK && o->pair_count < o->n) {
        return scs_diag_failn(diag, SCS_ERR_INVALID_ARG,
                              "%zu PID/PPS pairs for %u devices (one record per device)",
                              o->pair_count, o->n);
    }
    if ((o->base_addr >> 24) != 127) {
        return scs_diag_failn(diag, SCS_ERR_INVALID_ARG, "base address must be in 127.0.0.0/8");
    }
    if ((rc = scs_dir_ensure(f->dir, 0700)) != 0) {
        return scs_diag_failn(diag, rc, "cannot create %s", f->dir);
    }
    /* The directory holds PPS values and private keys. */
    if (chmod(f->dir, 0700) != 0) {
        return scs_diag_failn(diag, SCS_ERR_IO, "cannot chmod %s", f->dir);
    }
    for (unsigned i = 0; i < f->count; i++) {
        if (f->dev[i]->index > start) {
            start = f->dev[i]->index;
            last_addr = f->dev[i]->addr;
        }
    }
    /* Place every new device first, so that a collision creates nothing.  An
     * explicit base is used as given (device k of this call at base + k);
     * without one, new devices continue after the fleet's last device. */
    addrs = calloc(o->n, sizeof(*addrs));
    if (addrs == NULL) {
        return SCS_ERR_NOMEM;
    }
    for (unsigned k = 0; k < o->n; k++) {
        if (o->base_given || start == 0) {
            addrs[k] = sim_fleet_addr(o->base_addr, k);
        } else {
            addrs[k] = sim_fleet_addr(last_addr, k + 1);
        }
        if ((addrs[k] >> 24) != 127) {
            free(addrs);
            return scs_diag_failn(diag, SCS_ERR_INVALID_ARG, "address range leaves 127.0.0.0/8");
        }
        for (unsigned i = 0; i < f->count; i++) {
            if (f->dev[i]->addr == addrs[k]) {
                char text[16];

                sim_addr_text(addrs[k], text);
                free(addrs);
                return scs_diag_failn(diag, SCS_ERR_EXISTS,
                                      "address %s already in use by device %u", text,
                                      f->dev[i]->index);
            }
        }
    }
    for (unsigned k = 0; k < o->n; k++) {
        struct sim_device *d = sim_device_new();
        unsigned idx = start + k + 1;
        const struct sim_psk_pair *pair = o->mode == SIM_MODE_PSK ? &o->pairs[k] : NULL;
        const char *mebx = o->mebx_password;
        const char *suffix = o->dns_suffix;

        if (d == NULL) {
            free(addrs);
            return SCS_ERR_NOMEM;
        }
        d->index = idx;
        d->addr = addrs[k];
        /* A USB record applies its own MEBx password and DNS suffix (§7.3). */
        if (pair != NULL && pair->mebx_new[0] != '\0') {
            mebx = pair->mebx_new;
        }
        if (suffix == NULL && pair != NULL && pair->dns_suffix[0] != '\0') {
            suffix = pair->dns_suffix;
        }
        snprintf(d->path, sizeof(d->path), "%s/device-%05u.state", f->dir, idx);
        if (o->fw_version != NULL) {
            snprintf(d->fw_version, sizeof(d->fw_version), "%s", o->fw_version);
        }
        d->mode = o->mode;
        rc = sim_device_new_identity(d);
        if (rc == 0) {
            rc = sim_device_default_hashes(d);
        }
        for (unsigned h = 0; rc == 0 && h < o->extra_hash_count; h++) {
            rc = sim_device_add_hash(d, o->extra_hashes[h].alg, o->extra_hashes[h].data,
                                     o->extra_hashes[h].len);
            if (rc == SCS_ERR_EXISTS) {
                rc = 0;
            }
        }
        if (rc == 0 && suffix != NULL) {
            snprintf(d->dns_suffix, sizeof(d->dns_suffix), "%s", suffix);
        }
        if (rc == 0 && o->otp != NULL) {
            snprintf(d->otp, sizeof(d->otp), "%s", o->otp);
        }
        if (rc == 0 && mebx != NULL) {
            rc = sim_device_set_mebx(d, mebx);
        }
        if (rc == 0 && pair != NULL) {
            memcpy(d->pid, pair->pid, sizeof(d->pid));
            memcpy(d->pps, pair->pps, sizeof(d->pps));
        }
        /* USB one-touch and bare-metal PKI both start remote configuration at once. */
        d->prov_state = o->mode == SIM_MODE_NONE ? SIM_PROV_PRE : SIM_PROV_IN;
        if (rc == 0) {
            rc = sim_x509_make_identity(d, o->key_bits);
        }
        if (rc == 0) {
            rc = sim_device_save(d);
        }
        if (rc == 0) {
            rc = fleet_push(f, d);
        }
        if (rc != 0) {
            sim_device_free(d);
            free(addrs);
            return scs_diag_failn(diag, rc, "device %u: %s", idx, scs_strerror(rc));
        }
    }
    free(addrs);
    return 0;
}

struct sim_device *sim_fleet_find(const struct sim_fleet *f, const char *spec)
{
    uint8_t uuid[16];
    uint32_t addr;
    char *end = NULL;
    unsigned long idx;

    if (spec[0] >= '0' && spec[0] <= '9' && strchr(spec, '.') == NULL &&
        strchr(spec, '-') == NULL) {
        idx = strtoul(spec, &end, 10);
        if (end != NULL && *end == '\0') {
            for (unsigned i = 0; i < f->count; i++) {
                if (f->dev[i]->index == idx) {
                    return f->dev[i];
                }
            }
        }
        return NULL;
    }
    if (sim_addr_parse(spec, &addr) == 0) {
        for (unsigned i = 0; i < f->count; i++) {
            if (f->dev[i]->addr == addr) {
                return f->dev[i];
            }
        }
        return NULL;
    }
    if (scs_uuid_from_text(spec, uuid) == 0) {
        for (unsigned i = 0; i < f->count; i++) {
            if (memcmp(f->dev[i]->uuid, uuid, 16) == 0) {
                return f->dev[i];
            }
        }
    }
    return NULL;
}

int sim_fleet_status_json(const struct sim_fleet *f, struct scs_buf *out)
{
    struct scs_json j;

    scs_json_init(&j, out);
    scs_json_arr_begin(&j);
    for (unsigned i = 0; i < f->count; i++) {
        const struct sim_device *d = f->dev[i];
        char uuid[SCS_UUID_TEXT_LEN + 1];
        char addr[16];

        scs_uuid_to_text(d->uuid, uuid);
        sim_addr_text(d->addr, addr);
        scs_json_obj_begin(&j);
        scs_json_kv_int(&j, "index", d->index);
        scs_json_kv_str(&j, "uuid", uuid);
        scs_json_kv_str(&j, "address", addr);
        scs_json_kv_str(&j, "mode", sim_mode_name(d->mode));
        scs_json_kv_str(&j, "provisioning_state", sim_prov_state_name(d->prov_state));
        scs_json_kv_str(&j, "control_mode", sim_control_mode_name(d->control_mode));
        scs_json_kv_bool(&j, "admin_password_changed", d->admin_set);
        scs_json_kv_bool(&j, "mebx_password_changed", d->mebx_changed);
        scs_json_kv_bool(&j, "tls_configured", d->tls_credential_set && d->tls_remote_enabled);
        if (d->pid[0] != '\0') {
            scs_json_kv_str(&j, "pid", d->pid);
        } else {
            scs_json_key(&j, "pid");
            scs_json_null(&j);
        }
        scs_json_kv_str(&j, "realm", d->realm);
        scs_json_kv_str(&j, "fw_version", d->fw_version);
        scs_json_kv_str(&j, "dns_suffix", d->dns_suffix);
        scs_json_obj_end(&j);
    }
    scs_json_arr_end(&j);
    return scs_json_finish(&j);
}

int sim_fleet_status_text(const struct sim_fleet *f, struct scs_buf *out)
{
    int rc =
        scs_buf_printf(out, "%-5s %-36s %-15s %-4s %-5s %-5s %-5s %-5s %-3s %s\n", "INDEX", "UUID",
                       "ADDRESS", "MODE", "STATE", "CTRL", "ADMIN", "MEBX", "TLS", "PID");

    for (unsigned i = 0; rc == 0 && i < f->count; i++) {
        const struct sim_device *d = f->dev[i];
        char uuid[SCS_UUID_TEXT_LEN + 1];
        char addr[16];

        scs_uuid_to_text(d->uuid, uuid);
        sim_addr_text(d->addr, addr);
        rc = scs_buf_printf(out, "%-5u %-36s %-15s %-4s %-5s %-5s %-5s %-5s %-3s %s\n", d->index,
                            uuid, addr, sim_mode_name(d->mode), sim_prov_state_name(d->prov_state),
                            sim_control_mode_name(d->control_mode), d->admin_set ? "yes" : "no",
                            d->mebx_changed ? "yes" : "no",
                            d->tls_credential_set && d->tls_remote_enabled ? "yes" : "no",
                            d->pid[0] != '\0' ? d->pid : "-");
    }
    return rc;
}
