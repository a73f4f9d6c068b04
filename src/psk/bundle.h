/*
 * The transfer bundle codec (docs/bundle.md): pure functions over bytes, no
 * I/O, no store, so they can be fuzzed on their own.  scs_pool_export and
 * scs_pool_import (bundle.c) wrap them with scrypt, AES-256-GCM and the store.
 */
#ifndef SCS_PSK_BUNDLE_H
#define SCS_PSK_BUNDLE_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/crypto.h"
#include "psk/pool.h"

struct scs_buf;
struct scs_diag;

#define PSK_BUNDLE_MAGIC      "SCSPSKBD"
#define PSK_BUNDLE_MAGIC_LEN  8
#define PSK_BUNDLE_VERSION    1
#define PSK_BUNDLE_KDF_SCRYPT 1
#define PSK_BUNDLE_SALT_LEN   16
#define PSK_BUNDLE_HEADER_LEN 48
/* Limits on what a bundle may ask of the reader, checked before anything is
 * allocated or derived. */
#define PSK_BUNDLE_MAX_FILE    ((size_t)192 * 1024 * 1024)
#define PSK_BUNDLE_MAX_RECORDS 2000000u
#define PSK_BUNDLE_MAX_PAYLOAD (PSK_BUNDLE_MAX_FILE - PSK_BUNDLE_HEADER_LEN - SCS_AEAD_OVERHEAD)
/* scrypt memory (128 * N * r * p bytes) a bundle may demand: 1 GiB; the default
 * parameters need 128 MiB. */
#define PSK_BUNDLE_MAX_KDF_MEM ((uint64_t)1 << 30)
/* pid(8) pps(32) state(1) assignee length(1) created(8) updated(8) */
#define PSK_BUNDLE_RECORD_MIN   58
#define PSK_BUNDLE_ASSIGNEE_MAX 127

struct psk_bundle_header {
    uint16_t version;
    struct scs_scrypt_params kdf;
    uint8_t salt[PSK_BUNDLE_SALT_LEN];
    uint32_t count;       /* records in the payload */
    uint32_t payload_len; /* plaintext bytes; the sealed part is this + SCS_AEAD_OVERHEAD */
};

struct psk_bundle_record {
    char pid[SCS_PID_LEN + 1];
    const char *pps; /* SCS_PPS_LEN characters, not terminated; points into the payload */
    enum scs_psk_state state;
    char assignee[PSK_BUNDLE_ASSIGNEE_MAX + 1];
    int64_t created;
    int64_t updated;
};

/* Write the 48-byte header; SCS_ERR_INVALID_ARG if the parameters cannot be encoded. */
int psk_bundle_encode_header(const struct psk_bundle_header *h, struct scs_buf *out);
/*
 * Parse and bound-check the header of a whole file of len bytes: magic,
 * version, scrypt parameters, counts, and that the file is exactly as long as
 * the header says (SCS_ERR_TRUNCATED / SCS_ERR_TRAILING otherwise).
 */
int psk_bundle_parse_header(const uint8_t *file, size_t len, struct psk_bundle_header *h,
                            struct scs_diag *d);

/* Append one record; SCS_ERR_INVALID_ARG for a record that the decoder would refuse. */
int psk_bundle_encode_record(struct scs_buf *out, const struct psk_bundle_record *rec);
/*
 * Decode exactly count records from the decrypted payload, validating each
 * (PID and PPS check characters, state, assignee) and calling fn (when not
 * NULL) for each in order.  Any bad record, short or trailing byte fails the
 * whole payload; d names the record and the reason, never a PPS character.
 * A non-zero return from fn stops the walk and is returned.
 */
int psk_bundle_decode_records(const uint8_t *payload, size_t len, uint32_t count,
                              int (*fn)(void *arg, uint32_t index,
                                        const struct psk_bundle_record *rec),
                              void *arg, struct scs_diag *d);

#endif
