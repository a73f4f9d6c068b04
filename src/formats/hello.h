/*
 * The Hello message a device sends to the SCS on port 9971 (protocol.md §2.2).
 * Pure codec: no I/O.  The server, scsctl and amtsim all use this one parser.
 */
#ifndef SCS_FORMATS_HELLO_H
#define SCS_FORMATS_HELLO_H

#include <stddef.h>
#include <stdint.h>

struct scs_buf;
struct scs_diag;

#define SCS_HELLO_HEADER_LEN  24
#define SCS_HELLO_PSK_LEN     32
#define SCS_HELLO_MAX_HASHES  255
#define SCS_HELLO_MAX_LEN     (25 + SCS_HELLO_MAX_HASHES * (2 + 48)) /* 12775 */
#define SCS_HELLO_VERSION_PSK 2
#define SCS_HELLO_VERSION_PKI 3
#define SCS_UUID_LEN          16
#define SCS_UUID_TEXT_LEN     36

/* Hash types in a PKI Hello (and in setup.bin (2,8)). */
enum scs_hash_alg { SCS_HASH_SHA1 = 1, SCS_HASH_SHA256 = 2, SCS_HASH_SHA384 = 3 };

struct scs_hello_hash {
    uint8_t alg; /* enum scs_hash_alg */
    uint8_t len; /* 20, 32 or 48, always matching alg */
    uint8_t data[48];
};

struct scs_hello {
    uint16_t admin_credentials_set; /* 0 or 1 */
    uint16_t version;               /* SCS_HELLO_VERSION_PSK or _PKI */
    uint32_t retry_count;           /* 0..14 per Intel; larger values are accepted and flagged */
    uint8_t uuid[SCS_UUID_LEN];     /* raw SMBIOS byte order, as on the wire */
    char pid[9];                    /* PSK Hello: 8 raw PID characters + NUL */
    unsigned hash_count;            /* PKI Hello */
    struct scs_hello_hash hashes[SCS_HELLO_MAX_HASHES];
};

/* Parse exactly len bytes; anything malformed fails with offset and reason in d. */
int scs_hello_parse(const uint8_t *data, size_t len, struct scs_hello *out, struct scs_diag *d);
/* Encode (used by amtsim and tests); validates like the parser. */
int scs_hello_encode(const struct scs_hello *h, struct scs_buf *out);
/*
 * PSK Hello: 1 when the PID's check character is right.  The parser accepts a
 * PID with a wrong check character (only bytes outside A-Z 0-9 make a Hello
 * malformed) so that an administrator sees what the device sent; warn on 0.
 */
int scs_hello_pid_check_ok(const struct scs_hello *h);

/* Digest length for a hash type, 0 if unknown. */
size_t scs_hash_alg_len(unsigned alg);
const char *scs_hash_alg_name(unsigned alg); /* "SHA1", "SHA256", "SHA384" or NULL */

/* SMBIOS-order UUID bytes <-> canonical text (lowercase, 8-4-4-4-12). */
void scs_uuid_to_text(const uint8_t raw[static SCS_UUID_LEN],
                      char out[static SCS_UUID_TEXT_LEN + 1]);
int scs_uuid_from_text(const char *text, uint8_t raw[static SCS_UUID_LEN]);

#endif
