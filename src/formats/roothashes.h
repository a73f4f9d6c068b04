/*
 * Default root-certificate hashes that AMT firmware trusts (protocol.md §5.2),
 * with their names where known.  amtsim seeds its devices' hash tables from
 * this list; scsctl and scsd use it to name the hashes in a Hello.
 */
#ifndef SCS_FORMATS_ROOTHASHES_H
#define SCS_FORMATS_ROOTHASHES_H

#include <stddef.h>
#include <stdint.h>

struct scs_root_hash {
    uint8_t alg;        /* enum scs_hash_alg */
    const char *hex;    /* lowercase hex of the digest over the root's DER */
    const char *name;   /* CA name, or NULL where no source confirms it */
    int in_default_set; /* 1 for the 23 SHA-256 defaults of a 2018-era device */
};

extern const struct scs_root_hash scs_root_hashes[];
extern const size_t scs_root_hashes_count;

/* The entry for a digest, or NULL.  Unnamed known entries return an entry with name NULL. */
const struct scs_root_hash *scs_root_hash_lookup(unsigned alg, const uint8_t *digest, size_t len);

#endif
