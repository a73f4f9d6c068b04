/*
 * A fleet: the devices in one state directory (DIR/device-NNNNN.state, the
 * directory mode 0700), each on its own loopback address.
 */
#ifndef SCS_SIM_FLEET_H
#define SCS_SIM_FLEET_H

#include <stddef.h>
#include <stdint.h>

#include "sim/device.h"

struct scs_buf;
struct scs_diag;

#define SIM_FLEET_MAX 65536

struct sim_fleet {
    char dir[400];
    struct sim_device **dev;
    unsigned count;
};

struct sim_psk_pair {
    char pid[9];
    char pps[33]; /* secret */
};

struct sim_create_opts {
    unsigned n;
    enum sim_prov_mode mode;
    const struct sim_psk_pair *pairs; /* PSK: one per device (from setup.bin or generated) */
    size_t pair_count;
    const char *dns_suffix;
    const struct sim_hash_entry *extra_hashes; /* custom root hashes */
    unsigned extra_hash_count;
    const char *otp;
    uint32_t base_addr; /* host order, e.g. 127.1.0.1 */
    int base_given;     /* 0: continue after the fleet's last address (or 127.1.0.1) */
    unsigned key_bits;  /* device TLS key */
    const char *fw_version;
    const char *mebx_password; /* from setup.bin (1,2); NULL: factory "admin" */
};

/* Load every device state file of dir (sorted by index); an absent dir is an empty fleet. */
int sim_fleet_load(const char *dir, struct sim_fleet **out);
void sim_fleet_free(struct sim_fleet *f);
/* Create n devices after the existing ones and write their state files. */
int sim_fleet_create(struct sim_fleet *f, const struct sim_create_opts *o, struct scs_diag *diag);
/* The address of the k-th device (0-based) from base: skips .0 and .255. */
uint32_t sim_fleet_addr(uint32_t base, unsigned k);
/* By 1-based index, UUID text or address. */
struct sim_device *sim_fleet_find(const struct sim_fleet *f, const char *spec);
/* status --json: one object per device, never a secret. */
int sim_fleet_status_json(const struct sim_fleet *f, struct scs_buf *out);
int sim_fleet_status_text(const struct sim_fleet *f, struct scs_buf *out);

#endif
