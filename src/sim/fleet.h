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

/* What a PSK device takes from its setup.bin record (or is generated). */
struct sim_psk_pair {
    char pid[9];
    char pps[33];                            /* secret */
    char mebx_new[33];                       /* (1,2) new MEBx password, empty for none: secret */
    char dns_suffix[SIM_DNS_SUFFIX_MAX + 1]; /* (2,3), empty for none */
};

struct sim_create_opts {
    unsigned n;
    enum sim_prov_mode mode;
    const struct sim_psk_pair *pairs; /* PSK: one per device (from setup.bin or generated) */
    size_t pair_count;
    const char *dns_suffix; /* given on the command line: wins over a record's (2,3) */
    const struct sim_hash_entry *extra_hashes; /* custom root hashes */
    unsigned extra_hash_count;
    const char *otp;
    uint32_t base_addr; /* host order, e.g. 127.1.0.1 */
    int base_given;     /* 1: device k of this call at base + k; 0: continue the fleet's range */
    unsigned key_bits;  /* device TLS key */
    const char *fw_version;
    const char *mebx_password; /* NULL: factory "admin" (or a pair's mebx_new) */
};

/* Load every device state file of dir (sorted by index); an absent dir is an empty fleet. */
int sim_fleet_load(const char *dir, struct sim_fleet **out);
void sim_fleet_free(struct sim_fleet *f);
/* Create n devices after the existing ones and write their state files.  Every
 * address is checked against the fleet before the first device is made. */
int sim_fleet_create(struct sim_fleet *f, const struct sim_create_opts *o, struct scs_diag *diag);
/* The address of the k-th device (0-based) from base: skips .0 and .255. */
uint32_t sim_fleet_addr(uint32_t base, unsigned k);
/* By 1-based index, UUID text or address. */
struct sim_device *sim_fleet_find(const struct sim_fleet *f, const char *spec);
/* status --json: one object per device, never a secret. */
int sim_fleet_status_json(const struct sim_fleet *f, struct scs_buf *out);
int sim_fleet_status_text(const struct sim_fleet *f, struct scs_buf *out);

#endif
