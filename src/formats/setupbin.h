/*
 * setup.bin, the USB "one-touch" configuration file (protocol.md §7).
 * Pure codec: no I/O.
 *
 * Layout: a 512-byte header block, then one 512-byte data record per machine.
 * Each record holds a list of variables (module, id, length, value) padded to
 * 4 bytes; with record flag bit1 the 488 variable bytes are stored as
 * (b + 0x11) & 0xff ("scrambled").  Formats 1..4 differ only in the file
 * type UUID and in which variables a device understands (SHA-256/384 user
 * root hashes need format 3 or later).
 *
 * The parser is strict: every header field, every record header, every
 * variable length and all padding are checked, and anything unexpected fails
 * with the file offset and a reason in struct scs_diag.  Unknown variables are
 * kept (and shown as hex), so newer files still inspect.  The header's module
 * list is informational: ACU's own edited sample carries an empty one, so
 * variables are not checked against it.
 */
#ifndef SCS_FORMATS_SETUPBIN_H
#define SCS_FORMATS_SETUPBIN_H

#include <stddef.h>
#include <stdint.h>

struct scs_buf;
struct scs_diag;
struct scs_secret;

#define SCS_SETUPBIN_BLOCK_LEN      512
#define SCS_SETUPBIN_MAX_FILE_LEN   (512 * 1024)
#define SCS_SETUPBIN_MAX_RECORDS    (SCS_SETUPBIN_MAX_FILE_LEN / SCS_SETUPBIN_BLOCK_LEN - 1)
#define SCS_SETUPBIN_HEADER_FIXED   40 /* header bytes before the module list */
#define SCS_SETUPBIN_MAX_MODULES    8  /* module list entries, terminator excluded */
#define SCS_SETUPBIN_REC_HEADER_LEN 24
#define SCS_SETUPBIN_VARS_LEN       (SCS_SETUPBIN_BLOCK_LEN - SCS_SETUPBIN_REC_HEADER_LEN) /* 488 */
#define SCS_SETUPBIN_VAR_HEADER_LEN 8
#define SCS_SETUPBIN_MAX_VARS       (SCS_SETUPBIN_VARS_LEN / SCS_SETUPBIN_VAR_HEADER_LEN) /* 61 */
#define SCS_SETUPBIN_SCRAMBLE_ADD   0x11

/* Header flags. */
#define SCS_SETUPBIN_HDR_NO_CONSUME 0x0001 /* every machine uses record 1 */
/* Record flags. */
#define SCS_SETUPBIN_REC_VALID     0x0001
#define SCS_SETUPBIN_REC_SCRAMBLED 0x0002

#define SCS_SETUPBIN_MODULE_ME  1
#define SCS_SETUPBIN_MODULE_AMT 2

/* MEBx passwords: AMT accepts at most 32 characters. */
#define SCS_MEBX_PASSWORD_MIN 8
#define SCS_MEBX_PASSWORD_MAX 32
/* (2,8) user root hash names. */
#define SCS_SETUPBIN_HASH_NAME_MAX 32

/* How a variable's value is shown. */
enum scs_setupbin_kind {
    SCS_SBK_BYTES = 0, /* unknown or opaque: hex */
    SCS_SBK_TEXT,      /* ASCII text, non-printable bytes escaped */
    SCS_SBK_U8,
    SCS_SBK_U16,
    SCS_SBK_U32,
    SCS_SBK_GUID,      /* 16 bytes, mixed-endian like the SMBIOS UUID */
    SCS_SBK_PID,       /* 8 characters, shown with a dash */
    SCS_SBK_PPS,       /* 32 characters, secret */
    SCS_SBK_PASSWORD,  /* text, secret */
    SCS_SBK_CERT_HASH, /* (2,8): alg, digest, name length, name */
    SCS_SBK_IPV4,      /* (2,17): u32 LE of the address, 192.168.1.1 = 01 01 a8 c0 */
};

struct scs_setupbin_var_info {
    uint16_t module;
    uint16_t id;
    enum scs_setupbin_kind kind;
    uint16_t max_len; /* longest value accepted; fixed-size kinds must match exactly */
    int secret;       /* masked unless the caller asks for secrets */
    const char *name; /* as in protocol.md §7.3 */
};

/* Metadata of a known variable, or NULL. */
const struct scs_setupbin_var_info *scs_setupbin_var_lookup(uint16_t module, uint16_t id);

struct scs_setupbin_var {
    uint16_t module;
    uint16_t id;
    size_t len;
    const uint8_t *value; /* descrambled; points into the parsed file's private copy */
    size_t offset;        /* file offset of the variable's header */
};

struct scs_setupbin_record {
    uint32_t type;   /* 1 = data (0 = invalid is accepted too) */
    uint32_t flags;  /* SCS_SETUPBIN_REC_* */
    uint32_t number; /* 1-based */
    size_t var_count;
    struct scs_setupbin_var *vars;
};

struct scs_setupbin {
    unsigned version; /* 1..4 */
    unsigned minor;
    uint16_t flags; /* SCS_SETUPBIN_HDR_* */
    uint32_t records_consumed;
    size_t module_count;
    uint16_t modules[SCS_SETUPBIN_MAX_MODULES];
    size_t record_count;
    struct scs_setupbin_record *records;
    /* private: descrambled copy of the file, wiped on free */
    uint8_t *plain_;
    size_t plain_len_;
};

/* Parse a whole file (at most SCS_SETUPBIN_MAX_FILE_LEN bytes). */
int scs_setupbin_parse(const uint8_t *data, size_t len, struct scs_setupbin **out,
                       struct scs_diag *d);
/* Wipes every value (passwords, PPS) before freeing; NULL is allowed. */
void scs_setupbin_free(struct scs_setupbin *sb);

/*
 * Render a value as text into out (appended).  Secrets are shown as
 * "********" unless show_secrets is set.  Numbers are decimal, GUIDs and
 * IPv4 in their usual text forms, root hashes as "SHA256 <hex> \"name\"",
 * unknown variables as hex.
 */
int scs_setupbin_var_render(const struct scs_setupbin_var *v, int show_secrets,
                            struct scs_buf *out);

/* A (2,8) user root-hash entry. */
struct scs_setupbin_cert_hash {
    uint8_t alg; /* enum scs_hash_alg */
    uint8_t len;
    uint8_t hash[48];
    char name[SCS_SETUPBIN_HASH_NAME_MAX + 1];
};
int scs_setupbin_cert_hash_decode(const uint8_t *v, size_t len, struct scs_setupbin_cert_hash *out,
                                  struct scs_diag *d);

/*
 * The AMT strength rule for a new MEBx password: 8..32 characters of 7-bit
 * ASCII 32..126 without ':' ',' '"'; at least one digit, one lower-case and
 * one upper-case letter, and one non-alphanumeric character other than '_'
 * and space.  The diagnostic never contains the password.
 */
int scs_mebx_password_check(const char *pw, size_t len, struct scs_diag *d);

/* What to write. */
struct scs_setupbin_pair {
    const char *pid;              /* 8 raw characters */
    const struct scs_secret *pps; /* 32 raw characters */
};

struct scs_setupbin_spec {
    unsigned version; /* 1..4 */
    int scramble;     /* record flag bit1 */
    /*
     * Header flag bit0 "do not consume records": every machine would use
     * record 1, so it is refused with more than one record (it would give the
     * same PSK to every machine).
     */
    int no_consume;
    const struct scs_secret *mebx_current; /* (1,1); NULL for none */
    const struct scs_secret *mebx_new;     /* (1,2); required with mebx_current */
    const char *dns_suffix;                /* (2,3); NULL for none */
    int has_server;
    uint8_t server_ip[4]; /* (2,17); dotted order, server_ip[0] = 192 for 192.168.1.1 */
    int has_port;
    uint16_t server_port;                        /* (2,18) */
    const struct scs_setupbin_cert_hash *hashes; /* (2,8) each; alg 2/3 need version >= 3 */
    size_t hash_count;
    int provision_start; /* write (2,28) = 1 after (2,3)/(2,17) */
    const struct scs_setupbin_pair *pairs;
    size_t pair_count; /* one data record per pair, 1..SCS_SETUPBIN_MAX_RECORDS */
};

/*
 * Append a complete file to out.  Variables are written sorted by (module, id),
 * which puts the MEBx passwords first and (2,28) after (2,3) and (2,17)
 * (§7.3 ordering rules).  Every field is validated first; on error nothing
 * is appended and d says why.  out holds secrets afterwards: it is wiped on
 * scs_buf_free().
 */
int scs_setupbin_write(const struct scs_setupbin_spec *spec, struct scs_buf *out,
                       struct scs_diag *d);

/* The 16-byte file type UUID for a format version (1..4), or NULL. */
const uint8_t *scs_setupbin_type_uuid(unsigned version);

#endif
