/*
 * setup.bin reader and writer (protocol.md §7).  See setupbin.h for the shape
 * of the file and the policy; the comments here explain the individual checks.
 */
#include "formats/setupbin.h"

#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/encoding.h"
#include "common/err.h"
#include "common/secmem.h"
#include "formats/hello.h"
#include "formats/pidpps.h"

/* §7.1 FileTypeUUID per format version, raw bytes as stored. */
static const uint8_t setupbin_uuids[4][16] = {
    {0xb5, 0x16, 0xfb, 0x71, 0x87, 0xcb, 0xf9, 0x4a, 0xb4, 0x41, 0xca, 0x7b, 0x38, 0x35, 0x78,
     0xf9},
    {0x96, 0xb2, 0x81, 0x58, 0xcf, 0x6b, 0x72, 0x4c, 0x8b, 0x91, 0xa1, 0x5e, 0x51, 0x2e, 0x99,
     0xc4},
    {0xa7, 0xf7, 0xf6, 0xc6, 0x89, 0xc4, 0xf6, 0x47, 0x93, 0xed, 0xe2, 0xe5, 0x02, 0x0d, 0xa5,
     0x1d},
    {0xaa, 0xa9, 0x34, 0x52, 0xe1, 0x29, 0xa9, 0x44, 0x8d, 0x4d, 0x08, 0x1c, 0x07, 0xb9, 0x63,
     0x53},
};

/* §7.3, names as in the document. */
static const struct scs_setupbin_var_info setupbin_vars[] = {
    {1, 1, SCS_SBK_PASSWORD, SCS_MEBX_PASSWORD_MAX, 1, "Current MEBx Password"},
    {1, 2, SCS_SBK_PASSWORD, SCS_MEBX_PASSWORD_MAX, 1, "New MEBx Password"},
    {1, 3, SCS_SBK_U8, 1, 0, "Manageability Feature Selection"},
    {1, 4, SCS_SBK_U8, 1, 0, "Firmware Local Update"},
    {1, 5, SCS_SBK_U8, 1, 0, "Firmware Update Qualifier"},
    {1, 6, SCS_SBK_GUID, 16, 0, "Power Package"},
    {2, 1, SCS_SBK_PID, SCS_PID_LEN, 0, "Provisioning Preshared Key ID (PID)"},
    {2, 2, SCS_SBK_PPS, SCS_PPS_LEN, 1, "Provisioning Preshared Key (PPS)"},
    {2, 3, SCS_SBK_TEXT, 255, 0, "PKI DNS Suffix"},
    {2, 4, SCS_SBK_TEXT, 255, 0, "Configuration Server FQDN"},
    {2, 5, SCS_SBK_U8, 1, 0, "Remote Configuration Enabled (RCFG)"},
    {2, 6, SCS_SBK_U8, 1, 0, "Pre-Installed Certificates Enabled"},
    {2, 7, SCS_SBK_U8, 1, 0, "User Defined Certificate Configuration"},
    {2, 8, SCS_SBK_CERT_HASH, 2 + 48 + SCS_SETUPBIN_HASH_NAME_MAX, 0,
     "User Defined Certificate Addition"},
    {2, 10, SCS_SBK_U8, 1, 0, "SOL/IDER Redirection Configuration"},
    {2, 11, SCS_SBK_TEXT, 63, 0, "Hostname"},
    {2, 12, SCS_SBK_TEXT, 255, 0, "Domain Name"},
    {2, 13, SCS_SBK_U8, 1, 0, "DHCP"},
    {2, 14, SCS_SBK_U8, 1, 0, "Secure Firmware Update"},
    {2, 15, SCS_SBK_BYTES, 0, 0, "ITO"},
    {2, 16, SCS_SBK_U8, 1, 0, "Provisioning Mode (PM)"},
    {2, 17, SCS_SBK_IPV4, 4, 0, "Provisioning Server Address"},
    {2, 18, SCS_SBK_U16, 2, 0, "Provision Server Port Number (PSPO)"},
    {2, 19, SCS_SBK_BYTES, 0, 0, "Static IPv4 Parameters"},
    {2, 20, SCS_SBK_BYTES, 0, 0, "VLAN"},
    {2, 21, SCS_SBK_BYTES, 0, 0, "PASS Policy Flag"},
    {2, 22, SCS_SBK_BYTES, 0, 0, "IPv6"},
    {2, 23, SCS_SBK_U8, 1, 0, "Shared/Dedicated FQDN"},
    {2, 24, SCS_SBK_U8, 1, 0, "Dynamic DNS Update"},
    {2, 25, SCS_SBK_U8, 1, 0, "Remote Desktop (KVM) State"},
    {2, 26, SCS_SBK_U8, 1, 0, "Opt-in User Consent"},
    {2, 27, SCS_SBK_U8, 1, 0, "Opt-in Remote IT Consent Policy"},
    {2, 28, SCS_SBK_U8, 1, 0, "ME Provision Halt/Active"},
    {2, 29, SCS_SBK_U8, 1, 0, "Manual Setup and Configuration"},
    {2, 30, SCS_SBK_U32, 4, 0, "Support Channel Identifier"},
    {2, 31, SCS_SBK_TEXT, 60, 0, "Support Channel Description"},
    {2, 32, SCS_SBK_TEXT, 32, 0, "Service Account Number"},
    {2, 33, SCS_SBK_PASSWORD, 32, 1, "Enrollment Passcode"},
    {2, 34, SCS_SBK_U32, 4, 0, "Service Type"},
    {2, 35, SCS_SBK_GUID, 16, 0, "Service Provider Identifier"},
};

const struct scs_setupbin_var_info *scs_setupbin_var_lookup(uint16_t module, uint16_t id)
{
    for (size_t i = 0; i < sizeof(setupbin_vars) / sizeof(setupbin_vars[0]); i++) {
        if (setupbin_vars[i].module == module && setupbin_vars[i].id == id) {
            return &setupbin_vars[i];
        }
    }
    return NULL;
}

const uint8_t *scs_setupbin_type_uuid(unsigned version)
{
    if (version < 1 || version > 4) {
        return NULL;
    }
    return setupbin_uuids[version - 1];
}

static uint16_t get_u16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static size_t pad4(size_t n)
{
    return (n + 3) & ~(size_t)3;
}

/* Offset of the first non-zero byte in p[from..to), or to. */
static size_t first_nonzero(const uint8_t *p, size_t from, size_t to)
{
    for (size_t i = from; i < to; i++) {
        if (p[i] != 0) {
            return i;
        }
    }
    return to;
}

int scs_setupbin_cert_hash_decode(const uint8_t *v, size_t len, struct scs_setupbin_cert_hash *out,
                                  struct scs_diag *d)
{
    size_t hlen, nlen;

    memset(out, 0, sizeof(*out));
    if (len < 1) {
        return scs_diag_fail(d, SCS_ERR_TRUNCATED, 0, "root hash entry is empty");
    }
    if ((hlen = scs_hash_alg_len(v[0])) == 0) {
        return scs_diag_fail(d, SCS_ERR_FORMAT, 0,
                             "root hash algorithm %u (1 SHA1, 2 SHA256, 3 SHA384)", v[0]);
    }
    if (len < 1 + hlen + 1) {
        return scs_diag_fail(d, SCS_ERR_TRUNCATED, len, "root hash entry ends inside the %s digest",
                             scs_hash_alg_name(v[0]));
    }
    nlen = v[1 + hlen];
    if (nlen > SCS_SETUPBIN_HASH_NAME_MAX) {
        return scs_diag_fail(d, SCS_ERR_FORMAT, 1 + hlen, "root hash name length %zu is over %d",
                             nlen, SCS_SETUPBIN_HASH_NAME_MAX);
    }
    if (len != 2 + hlen + nlen) {
        return scs_diag_fail(d, len < 2 + hlen + nlen ? SCS_ERR_TRUNCATED : SCS_ERR_TRAILING,
                             len < 2 + hlen + nlen ? len : 2 + hlen + nlen,
                             "root hash entry is %zu bytes, its fields say %zu", len,
                             2 + hlen + nlen);
    }
    out->alg = v[0];
    out->len = (uint8_t)hlen;
    memcpy(out->hash, v + 1, hlen);
    memcpy(out->name, v + 2 + hlen, nlen);
    out->name[nlen] = 0;
    return 0;
}

/* Kind-specific checks of a known variable's value. */
static int setupbin_check_value(const struct scs_setupbin_var_info *info, const uint8_t *v,
                                size_t len, size_t voff, struct scs_diag *d)
{
    struct scs_diag sub;
    int r = 0;

    scs_diag_clear(&sub);
    switch (info->kind) {
    case SCS_SBK_U8:
    case SCS_SBK_U16:
    case SCS_SBK_U32:
    case SCS_SBK_GUID:
    case SCS_SBK_IPV4:
        if (len != info->max_len) {
            return scs_diag_fail(d, SCS_ERR_FORMAT, voff - 4,
                                 "(%u,%u) %s must be %u bytes, not %zu", info->module, info->id,
                                 info->name, info->max_len, len);
        }
        return 0;
    case SCS_SBK_PID:
        r = scs_pid_check((const char *)v, len, &sub);
        break;
    case SCS_SBK_PPS:
        /* The reason names a group number only, never PPS characters. */
        r = scs_pps_check((const char *)v, len, &sub);
        break;
    case SCS_SBK_CERT_HASH: {
        struct scs_setupbin_cert_hash h;
        r = scs_setupbin_cert_hash_decode(v, len, &h, &sub);
        break;
    }
    case SCS_SBK_TEXT:
    case SCS_SBK_PASSWORD:
    case SCS_SBK_BYTES:
    default:
        if (info->max_len != 0 && len > info->max_len) {
            return scs_diag_fail(d, SCS_ERR_FORMAT, voff - 4,
                                 "(%u,%u) %s is %zu bytes, at most %u allowed", info->module,
                                 info->id, info->name, len, info->max_len);
        }
        return 0;
    }
    if (r != 0) {
        return scs_diag_fail(d, r, voff + (sub.has_offset ? sub.offset : 0), "(%u,%u) %s: %s",
                             info->module, info->id, info->name, sub.reason);
    }
    return 0;
}

static int setupbin_parse_vars(const struct scs_setupbin *sb, size_t base,
                               struct scs_setupbin_record *rec, struct scs_diag *d)
{
    struct scs_setupbin_var vars[SCS_SETUPBIN_MAX_VARS];
    const uint8_t *p = sb->plain_ + base;
    size_t pos = SCS_SETUPBIN_REC_HEADER_LEN, n = 0;
    const unsigned recno = rec->number;

    while (pos < SCS_SETUPBIN_BLOCK_LEN) {
        uint16_t mod = get_u16(p + pos), id = get_u16(p + pos + 2), vlen;
        const struct scs_setupbin_var_info *info;
        size_t z;

        if (mod == 0 || id == 0) {
            /* Terminator: the rest of the record is padding. */
            if ((z = first_nonzero(p, pos, SCS_SETUPBIN_BLOCK_LEN)) != SCS_SETUPBIN_BLOCK_LEN) {
                return scs_diag_fail(d, SCS_ERR_FORMAT, base + z,
                                     "record %u: non-zero byte after the end of the variable list",
                                     recno);
            }
            break;
        }
        if (SCS_SETUPBIN_BLOCK_LEN - pos < SCS_SETUPBIN_VAR_HEADER_LEN) {
            return scs_diag_fail(d, SCS_ERR_TRUNCATED, base + pos,
                                 "record %u: variable (%u,%u) header runs past the record", recno,
                                 mod, id);
        }
        vlen = get_u16(p + pos + 4);
        if (get_u16(p + pos + 6) != 0) {
            return scs_diag_fail(d, SCS_ERR_FORMAT, base + pos + 6,
                                 "record %u: variable (%u,%u) reserved field is not 0", recno, mod,
                                 id);
        }
        if (vlen > SCS_SETUPBIN_BLOCK_LEN - pos - SCS_SETUPBIN_VAR_HEADER_LEN) {
            return scs_diag_fail(d, SCS_ERR_TRUNCATED, base + pos + 4,
                                 "record %u: variable (%u,%u) length %u runs past the record",
                                 recno, mod, id, vlen);
        }
        /* (2,8) may repeat (one entry per root hash); anything else may not. */
        for (size_t k = 0; k < n; k++) {
            if (vars[k].module == mod && vars[k].id == id && !(mod == 2 && id == 8)) {
                return scs_diag_fail(d, SCS_ERR_FORMAT, base + pos,
                                     "record %u: variable (%u,%u) appears twice", recno, mod, id);
            }
        }
        z = pos + SCS_SETUPBIN_VAR_HEADER_LEN + vlen;
        if ((z = first_nonzero(p, z, pos + SCS_SETUPBIN_VAR_HEADER_LEN + pad4(vlen))) !=
            pos + SCS_SETUPBIN_VAR_HEADER_LEN + pad4(vlen)) {
            return scs_diag_fail(d, SCS_ERR_FORMAT, base + z,
                                 "record %u: variable (%u,%u) padding is not zero", recno, mod, id);
        }
        if ((info = scs_setupbin_var_lookup(mod, id)) != NULL) {
            int r = setupbin_check_value(info, p + pos + SCS_SETUPBIN_VAR_HEADER_LEN, vlen,
                                         base + pos + SCS_SETUPBIN_VAR_HEADER_LEN, d);
            if (r != 0) {
                return r;
            }
        }
        /* Cannot overflow: every variable takes at least 8 of the 488 bytes. */
        vars[n].module = mod;
        vars[n].id = id;
        vars[n].len = vlen;
        vars[n].value = p + pos + SCS_SETUPBIN_VAR_HEADER_LEN;
        vars[n].offset = base + pos;
        n++;
        pos += SCS_SETUPBIN_VAR_HEADER_LEN + pad4(vlen);
    }
    if (n > 0) {
        if ((rec->vars = calloc(n, sizeof(*rec->vars))) == NULL) {
            return scs_diag_failn(d, SCS_ERR_NOMEM, "out of memory");
        }
        memcpy(rec->vars, vars, n * sizeof(*rec->vars));
    }
    rec->var_count = n;
    return 0;
}

static int setupbin_parse_record(struct scs_setupbin *sb, const uint8_t *data, size_t i,
                                 struct scs_diag *d)
{
    size_t base = SCS_SETUPBIN_BLOCK_LEN * (i + 1);
    const uint8_t *h = data + base;
    struct scs_setupbin_record *rec = &sb->records[i];
    const unsigned recno = (unsigned)(i + 1);

    rec->type = get_u32(h);
    rec->flags = get_u32(h + 4);
    rec->number = get_u32(h + 20);
    if (rec->type > 1) {
        return scs_diag_fail(d, SCS_ERR_FORMAT, base,
                             "record %u: type %u (0 invalid or 1 data expected)", recno, rec->type);
    }
    if ((rec->flags & ~(uint32_t)(SCS_SETUPBIN_REC_VALID | SCS_SETUPBIN_REC_SCRAMBLED)) != 0) {
        return scs_diag_fail(d, SCS_ERR_FORMAT, base + 4, "record %u: unknown flags 0x%x", recno,
                             rec->flags);
    }
    if (get_u32(h + 8) != 0 || get_u32(h + 12) != 0) {
        return scs_diag_fail(d, SCS_ERR_FORMAT, base + (get_u32(h + 8) != 0 ? 8u : 12u),
                             "record %u: reserved field is not 0", recno);
    }
    if (get_u16(h + 16) != 1) {
        return scs_diag_fail(d, SCS_ERR_FORMAT, base + 16, "record %u: chunk count %u (1 expected)",
                             recno, get_u16(h + 16));
    }
    if (get_u16(h + 18) != SCS_SETUPBIN_REC_HEADER_LEN) {
        return scs_diag_fail(d, SCS_ERR_FORMAT, base + 18,
                             "record %u: header byte count %u (24 expected)", recno,
                             get_u16(h + 18));
    }
    if (rec->number != i + 1) {
        return scs_diag_fail(d, SCS_ERR_FORMAT, base + 20,
                             "record %u: record number is %u (%u expected)", recno, rec->number,
                             recno);
    }
    if (rec->flags & SCS_SETUPBIN_REC_SCRAMBLED) {
        for (size_t k = base + SCS_SETUPBIN_REC_HEADER_LEN; k < base + SCS_SETUPBIN_BLOCK_LEN;
             k++) {
            sb->plain_[k] = (uint8_t)(data[k] - SCS_SETUPBIN_SCRAMBLE_ADD);
        }
    }
    return setupbin_parse_vars(sb, base, rec, d);
}

static int setupbin_parse_header(struct scs_setupbin *sb, const uint8_t *h, size_t *count,
                                 struct scs_diag *d)
{
    uint16_t hdr_bytes, v16;
    uint32_t v32;
    size_t pos, z;

    sb->version = 0;
    for (unsigned v = 1; v <= 4; v++) {
        if (memcmp(h, setupbin_uuids[v - 1], 16) == 0) {
            sb->version = v;
        }
    }
    if (sb->version == 0) {
        return scs_diag_fail(d, SCS_ERR_VERSION, 0,
                             "unknown file type UUID (not a setup.bin of format 1 to 4)");
    }
    if ((v16 = get_u16(h + 16)) != 1) {
        return scs_diag_fail(d, SCS_ERR_FORMAT, 16, "header chunk count %u (1 expected)", v16);
    }
    hdr_bytes = get_u16(h + 18);
    if ((v32 = get_u32(h + 20)) != 0) {
        return scs_diag_fail(d, SCS_ERR_FORMAT, 20, "header record number %u (0 expected)", v32);
    }
    if (h[24] != sb->version) {
        return scs_diag_fail(d, SCS_ERR_FORMAT, 24,
                             "major version %u does not match the file type (format %u)", h[24],
                             sb->version);
    }
    sb->minor = h[25];
    sb->flags = get_u16(h + 26);
    if ((sb->flags & ~(unsigned)SCS_SETUPBIN_HDR_NO_CONSUME) != 0) {
        return scs_diag_fail(d, SCS_ERR_FORMAT, 26, "unknown header flags 0x%x", sb->flags);
    }
    v32 = get_u32(h + 28);
    if (v32 == 0) {
        return scs_diag_fail(d, SCS_ERR_FORMAT, 28, "the file has no data records");
    }
    if (v32 > SCS_SETUPBIN_MAX_RECORDS) {
        return scs_diag_fail(d, SCS_ERR_TOO_LARGE, 28, "%u data records, at most %d allowed", v32,
                             SCS_SETUPBIN_MAX_RECORDS);
    }
    *count = v32;
    sb->records_consumed = get_u32(h + 32);
    if (sb->records_consumed > v32) {
        return scs_diag_fail(d, SCS_ERR_FORMAT, 32, "%u records consumed of %u",
                             sb->records_consumed, v32);
    }
    if ((v16 = get_u16(h + 36)) != 1) {
        return scs_diag_fail(d, SCS_ERR_FORMAT, 36, "data record chunk count %u (1 expected)", v16);
    }
    if ((v16 = get_u16(h + 38)) != 0) {
        return scs_diag_fail(d, SCS_ERR_FORMAT, 38, "reserved header field is %u (0 expected)",
                             v16);
    }
    for (pos = SCS_SETUPBIN_HEADER_FIXED;; pos += 2) {
        uint16_t m = get_u16(h + pos);
        if (m == 0) {
            break;
        }
        if (sb->module_count == SCS_SETUPBIN_MAX_MODULES) {
            return scs_diag_fail(d, SCS_ERR_FORMAT, pos, "more than %d modules listed",
                                 SCS_SETUPBIN_MAX_MODULES);
        }
        if (m != SCS_SETUPBIN_MODULE_ME && m != SCS_SETUPBIN_MODULE_AMT) {
            return scs_diag_fail(d, SCS_ERR_FORMAT, pos, "unknown module %u (1 ME, 2 AMT)", m);
        }
        for (size_t k = 0; k < sb->module_count; k++) {
            if (sb->modules[k] == m) {
                return scs_diag_fail(d, SCS_ERR_FORMAT, pos, "module %u listed twice", m);
            }
        }
        sb->modules[sb->module_count++] = m;
    }
    /*
     * RecordHeaderBytes is normally 40 + 2 x (modules + terminator), but ACU's
     * own "edited" sample has 46 with an empty (all-zero) list, so a longer
     * zero-filled list area is accepted; a shorter one is not.
     */
    if ((hdr_bytes & 1) != 0 ||
        hdr_bytes < SCS_SETUPBIN_HEADER_FIXED + 2 * (sb->module_count + 1) ||
        hdr_bytes > SCS_SETUPBIN_HEADER_FIXED + 2 * (SCS_SETUPBIN_MAX_MODULES + 1)) {
        return scs_diag_fail(d, SCS_ERR_FORMAT, 18,
                             "header byte count %u does not fit %zu modules + terminator (%zu)",
                             hdr_bytes, sb->module_count,
                             SCS_SETUPBIN_HEADER_FIXED + 2 * (sb->module_count + 1));
    }
    if ((z = first_nonzero(h, pos + 2, SCS_SETUPBIN_BLOCK_LEN)) != SCS_SETUPBIN_BLOCK_LEN) {
        return scs_diag_fail(d, SCS_ERR_FORMAT, z, "non-zero byte after the module list");
    }
    return 0;
}

int scs_setupbin_parse(const uint8_t *data, size_t len, struct scs_setupbin **out,
                       struct scs_diag *d)
{
    struct scs_setupbin *sb;
    size_t count = 0, want;
    int r;

    *out = NULL;
    scs_diag_clear(d);
    if (data == NULL && len != 0) {
        return scs_diag_failn(d, SCS_ERR_INVALID_ARG, "no data");
    }
    if (len > SCS_SETUPBIN_MAX_FILE_LEN) {
        return scs_diag_fail(d, SCS_ERR_TOO_LARGE, SCS_SETUPBIN_MAX_FILE_LEN,
                             "%zu bytes is over the %d-byte limit", len, SCS_SETUPBIN_MAX_FILE_LEN);
    }
    if (len < SCS_SETUPBIN_BLOCK_LEN) {
        return scs_diag_fail(d, SCS_ERR_TRUNCATED, len,
                             "only %zu bytes, shorter than the 512-byte header", len);
    }
    if ((sb = calloc(1, sizeof(*sb))) == NULL) {
        return scs_diag_failn(d, SCS_ERR_NOMEM, "out of memory");
    }
    if ((r = setupbin_parse_header(sb, data, &count, d)) != 0) {
        goto fail;
    }
    want = SCS_SETUPBIN_BLOCK_LEN * (count + 1);
    if (len < want) {
        r = scs_diag_fail(d, SCS_ERR_TRUNCATED, len,
                          "the header announces %zu records (%zu bytes), the file has %zu bytes",
                          count, want, len);
        goto fail;
    }
    if (len > want) {
        r = scs_diag_fail(d, SCS_ERR_TRAILING, want, "%zu bytes after the last of %zu records",
                          len - want, count);
        goto fail;
    }
    sb->plain_ = malloc(len);
    sb->records = calloc(count, sizeof(*sb->records));
    if (sb->plain_ == NULL || sb->records == NULL) {
        r = scs_diag_failn(d, SCS_ERR_NOMEM, "out of memory");
        goto fail;
    }
    memcpy(sb->plain_, data, len);
    sb->plain_len_ = len;
    for (size_t i = 0; i < count; i++) {
        sb->record_count = i + 1;
        if ((r = setupbin_parse_record(sb, data, i, d)) != 0) {
            goto fail;
        }
    }
    *out = sb;
    return 0;
fail:
    scs_setupbin_free(sb);
    return r;
}

void scs_setupbin_free(struct scs_setupbin *sb)
{
    if (sb == NULL) {
        return;
    }
    if (sb->records != NULL) {
        for (size_t i = 0; i < sb->record_count; i++) {
            free(sb->records[i].vars);
        }
        free(sb->records);
    }
    /* Every value (MEBx passwords, PPS) lives in plain_. */
    scs_freezero(sb->plain_, sb->plain_len_);
    scs_freezero(sb, sizeof(*sb));
}

/* Printable ASCII as is, everything else (and backslash, quote) as \xNN. */
static int render_text(struct scs_buf *out, const uint8_t *v, size_t len)
{
    int r = 0;

    for (size_t i = 0; i < len && r == 0; i++) {
        if (v[i] >= 0x20 && v[i] < 0x7f && v[i] != '\\' && v[i] != '"') {
            r = scs_buf_put_u8(out, v[i]);
        } else {
            r = scs_buf_printf(out, "\\x%02x", v[i]);
        }
    }
    return r;
}

static int render_hex(struct scs_buf *out, const uint8_t *v, size_t len)
{
    uint8_t *p;
    int r;

    if (len == 0) {
        return 0;
    }
    /* scs_hex_encode writes a NUL: reserve it, then drop it. */
    if ((r = scs_buf_reserve(out, 2 * len + 1, &p)) != 0) {
        return r;
    }
    scs_hex_encode((char *)p, v, len);
    return scs_buf_truncate(out, scs_buf_len(out) - 1);
}

int scs_setupbin_var_render(const struct scs_setupbin_var *v, int show_secrets, struct scs_buf *out)
{
    const struct scs_setupbin_var_info *info = scs_setupbin_var_lookup(v->module, v->id);
    enum scs_setupbin_kind kind = info != NULL ? info->kind : SCS_SBK_BYTES;

    if (info != NULL && info->secret && !show_secrets) {
        return scs_buf_put_str(out, "********");
    }
    switch (kind) {
    case SCS_SBK_TEXT:
    case SCS_SBK_PASSWORD:
        return render_text(out, v->value, v->len);
    case SCS_SBK_U8:
        if (v->len == 1) {
            return scs_buf_printf(out, "%u", v->value[0]);
        }
        break;
    case SCS_SBK_U16:
        if (v->len == 2) {
            return scs_buf_printf(out, "%u", get_u16(v->value));
        }
        break;
    case SCS_SBK_U32:
        if (v->len == 4) {
            return scs_buf_printf(out, "%lu", (unsigned long)get_u32(v->value));
        }
        break;
    case SCS_SBK_GUID:
        if (v->len == SCS_UUID_LEN) {
            char text[SCS_UUID_TEXT_LEN + 1];
            scs_uuid_to_text(v->value, text);
            return scs_buf_put_str(out, text);
        }
        break;
    case SCS_SBK_IPV4:
        /* A u32 LE of the address: the most significant octet is stored last. */
        if (v->len == 4) {
            return scs_buf_printf(out, "%u.%u.%u.%u", v->value[3], v->value[2], v->value[1],
                                  v->value[0]);
        }
        break;
    case SCS_SBK_PID:
        if (v->len == SCS_PID_LEN) {
            char text[SCS_PID_TEXT_LEN + 1];
            scs_pid_format((const char *)v->value, text);
            return render_text(out, (const uint8_t *)text, strlen(text));
        }
        break;
    case SCS_SBK_PPS:
        if (v->len == SCS_PPS_LEN) {
            char text[SCS_PPS_TEXT_LEN + 1];
            int r;
            scs_pps_format((const char *)v->value, text);
            r = render_text(out, (const uint8_t *)text, strlen(text));
            scs_wipe(text, sizeof(text));
            return r;
        }
        break;
    case SCS_SBK_CERT_HASH: {
        struct scs_setupbin_cert_hash h;
        int r;
        if (scs_setupbin_cert_hash_decode(v->value, v->len, &h, NULL) != 0) {
            break;
        }
        if ((r = scs_buf_printf(out, "%s ", scs_hash_alg_name(h.alg))) != 0 ||
            (r = render_hex(out, h.hash, h.len)) != 0 || (r = scs_buf_put_str(out, " \"")) != 0 ||
            (r = render_text(out, (const uint8_t *)h.name, strlen(h.name))) != 0) {
            return r;
        }
        return scs_buf_put_str(out, "\"");
    }
    case SCS_SBK_BYTES:
    default:
        break;
    }
    /* Unknown variables and values of an unexpected size: hex. */
    return render_hex(out, v->value, v->len);
}

int scs_mebx_password_check(const char *pw, size_t len, struct scs_diag *d)
{
    int digit = 0, lower = 0, upper = 0, other = 0, bad = 0;

    if (len < SCS_MEBX_PASSWORD_MIN || len > SCS_MEBX_PASSWORD_MAX) {
        return scs_diag_failn(d, SCS_ERR_FORMAT,
                              "MEBx password must be %d to %d characters, not %zu",
                              SCS_MEBX_PASSWORD_MIN, SCS_MEBX_PASSWORD_MAX, len);
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)pw[i];
        if (c < 0x20 || c > 0x7e || c == ':' || c == ',' || c == '"') {
            bad = 1;
        } else if (c >= '0' && c <= '9') {
            digit = 1;
        } else if (c >= 'a' && c <= 'z') {
            lower = 1;
        } else if (c >= 'A' && c <= 'Z') {
            upper = 1;
        } else if (c != '_' && c != ' ') {
            /* '_' and space are allowed but do not count as non-alphanumeric. */
            other = 1;
        }
    }
    if (bad) {
        return scs_diag_failn(d, SCS_ERR_FORMAT,
                              "MEBx password may only use printable 7-bit ASCII without : , \"");
    }
    if (!digit || !lower || !upper || !other) {
        return scs_diag_failn(d, SCS_ERR_FORMAT,
                              "MEBx password is too weak: it needs a digit, a lower-case and an "
                              "upper-case letter, and a non-alphanumeric character other than _");
    }
    return 0;
}

/* Append one variable to a record's 488-byte variable area. */
static int put_var(uint8_t *area, size_t *used, uint16_t mod, uint16_t id, const void *v,
                   size_t len, unsigned recno, struct scs_diag *d)
{
    size_t need = SCS_SETUPBIN_VAR_HEADER_LEN + pad4(len);
    uint8_t *p;

    if (len > UINT16_MAX || need > SCS_SETUPBIN_VARS_LEN - *used) {
        return scs_diag_failn(d, SCS_ERR_TOO_LARGE,
                              "record %u: the variables do not fit in the %d bytes of a record "
                              "(at (%u,%u))",
                              recno, SCS_SETUPBIN_VARS_LEN, mod, id);
    }
    p = area + *used;
    p[0] = (uint8_t)(mod & 0xff);
    p[1] = (uint8_t)(mod >> 8);
    p[2] = (uint8_t)(id & 0xff);
    p[3] = (uint8_t)(id >> 8);
    p[4] = (uint8_t)(len & 0xff);
    p[5] = (uint8_t)(len >> 8);
    p[6] = 0;
    p[7] = 0;
    if (len > 0) {
        memcpy(p + SCS_SETUPBIN_VAR_HEADER_LEN, v, len);
    }
    /* Padding is already zero: the area starts zeroed. */
    *used += need;
    return 0;
}

static int spec_text_ok(const char *s, size_t max)
{
    size_t n = strlen(s);

    if (n == 0 || n > max) {
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f) {
            return 0;
        }
    }
    return 1;
}

static int setupbin_spec_check(const struct scs_setupbin_spec *s, struct scs_diag *d)
{
    struct scs_diag sub;

    if (s->version < 1 || s->version > 4) {
        return scs_diag_failn(d, SCS_ERR_INVALID_ARG, "format version %u (1 to 4)", s->version);
    }
    if (s->pair_count == 0 || s->pair_count > SCS_SETUPBIN_MAX_RECORDS || s->pairs == NULL) {
        return scs_diag_failn(d, SCS_ERR_INVALID_ARG, "%zu PID/PPS pairs (1 to %d)", s->pair_count,
                              SCS_SETUPBIN_MAX_RECORDS);
    }
    if (s->no_consume && s->pair_count > 1) {
        return scs_diag_failn(d, SCS_ERR_INVALID_ARG,
                              "\"do not consume records\" with %zu records would give every "
                              "machine the first PID/PPS",
                              s->pair_count);
    }
    for (size_t i = 0; i < s->pair_count; i++) {
        const struct scs_setupbin_pair *p = &s->pairs[i];
        if (p->pid == NULL || scs_pid_check(p->pid, strlen(p->pid), &sub) != 0) {
            return scs_diag_failn(d, SCS_ERR_INVALID_ARG, "pair %zu: %s", i + 1,
                                  p->pid == NULL ? "no PID" : sub.reason);
        }
        for (size_t k = 0; k < i; k++) {
            /* Two machines with one PSK: the second provisioning would fail. */
            if (strcmp(s->pairs[k].pid, p->pid) == 0) {
                return scs_diag_failn(d, SCS_ERR_INVALID_ARG, "pair %zu: PID %s repeats pair %zu",
                                      i + 1, p->pid, k + 1);
            }
        }
        if (p->pps == NULL ||
            scs_pps_check(scs_secret_str(p->pps), scs_secret_len(p->pps), &sub) != 0) {
            return scs_diag_failn(d, SCS_ERR_INVALID_ARG, "pair %zu: %s", i + 1,
                                  p->pps == NULL ? "no PPS" : sub.reason);
        }
    }
    if ((s->mebx_new != NULL) != (s->mebx_current != NULL)) {
        /* v2 demands a new password after the default one, and a new one
         * without the current one cannot be applied: always both or none. */
        return scs_diag_failn(d, SCS_ERR_INVALID_ARG,
                              "the current and the new MEBx password go together");
    }
    if (s->mebx_current != NULL) {
        size_t n = scs_secret_len(s->mebx_current);
        if (n == 0 || n > SCS_MEBX_PASSWORD_MAX) {
            return scs_diag_failn(d, SCS_ERR_INVALID_ARG,
                                  "current MEBx password must be 1 to %d characters",
                                  SCS_MEBX_PASSWORD_MAX);
        }
        if (scs_mebx_password_check(scs_secret_str(s->mebx_new), scs_secret_len(s->mebx_new),
                                    &sub) != 0) {
            return scs_diag_failn(d, SCS_ERR_INVALID_ARG, "new %s", sub.reason);
        }
    }
    if (s->dns_suffix != NULL && !spec_text_ok(s->dns_suffix, 255)) {
        return scs_diag_failn(d, SCS_ERR_INVALID_ARG,
                              "DNS suffix must be 1 to 255 printable characters without spaces");
    }
    if (s->hash_count > 0 && s->hashes == NULL) {
        return scs_diag_failn(d, SCS_ERR_INVALID_ARG, "no root hashes");
    }
    for (size_t i = 0; i < s->hash_count; i++) {
        const struct scs_setupbin_cert_hash *h = &s->hashes[i];
        size_t nlen = strnlen(h->name, sizeof(h->name));
        if (scs_hash_alg_len(h->alg) == 0 || h->len != scs_hash_alg_len(h->alg)) {
            return scs_diag_failn(d, SCS_ERR_INVALID_ARG,
                                  "root hash %zu: algorithm %u with %u bytes", i + 1, h->alg,
                                  h->len);
        }
        if (h->alg != SCS_HASH_SHA1 && s->version < 3) {
            return scs_diag_failn(d, SCS_ERR_INVALID_ARG,
                                  "root hash %zu: %s needs format 3 or later (this is format %u)",
                                  i + 1, scs_hash_alg_name(h->alg), s->version);
        }
        if (nlen > SCS_SETUPBIN_HASH_NAME_MAX) {
            return scs_diag_failn(d, SCS_ERR_INVALID_ARG, "root hash %zu: name over %d characters",
                                  i + 1, SCS_SETUPBIN_HASH_NAME_MAX);
        }
    }
    return 0;
}

static int setupbin_write_header(const struct scs_setupbin_spec *s, struct scs_buf *out)
{
    uint16_t modules[2];
    size_t k = 0;
    int r;

    if (s->mebx_current != NULL) {
        modules[k++] = SCS_SETUPBIN_MODULE_ME;
    }
    modules[k++] = SCS_SETUPBIN_MODULE_AMT;
    if ((r = scs_buf_put(out, setupbin_uuids[s->version - 1], 16)) != 0 ||
        (r = scs_buf_put_u16le(out, 1)) != 0 ||
        (r = scs_buf_put_u16le(out, (uint16_t)(SCS_SETUPBIN_HEADER_FIXED + 2 * (k + 1)))) != 0 ||
        (r = scs_buf_put_u32le(out, 0)) != 0 ||
        (r = scs_buf_put_u8(out, (uint8_t)s->version)) != 0 || (r = scs_buf_put_u8(out, 0)) != 0 ||
        (r = scs_buf_put_u16le(out, s->no_consume ? SCS_SETUPBIN_HDR_NO_CONSUME : 0)) != 0 ||
        (r = scs_buf_put_u32le(out, (uint32_t)s->pair_count)) != 0 ||
        (r = scs_buf_put_u32le(out, 0)) != 0 || (r = scs_buf_put_u16le(out, 1)) != 0 ||
        (r = scs_buf_put_u16le(out, 0)) != 0) {
        return r;
    }
    for (size_t i = 0; i < k; i++) {
        if ((r = scs_buf_put_u16le(out, modules[i])) != 0) {
            return r;
        }
    }
    return scs_buf_put_zeros(out, SCS_SETUPBIN_BLOCK_LEN - SCS_SETUPBIN_HEADER_FIXED - 2 * k);
}

/* The variables of record i, sorted by (module, id) as §7.3 asks. */
static int setupbin_build_vars(const struct scs_setupbin_spec *s, size_t i, uint8_t *area,
                               struct scs_diag *d)
{
    const struct scs_setupbin_pair *p = &s->pairs[i];
    unsigned recno = (unsigned)(i + 1);
    size_t used = 0;
    int r;

    if (s->mebx_current != NULL) {
        if ((r = put_var(area, &used, 1, 1, scs_secret_cdata(s->mebx_current),
                         scs_secret_len(s->mebx_current), recno, d)) != 0 ||
            (r = put_var(area, &used, 1, 2, scs_secret_cdata(s->mebx_new),
                         scs_secret_len(s->mebx_new), recno, d)) != 0) {
            return r;
        }
    }
    if ((r = put_var(area, &used, 2, 1, p->pid, SCS_PID_LEN, recno, d)) != 0 ||
        (r = put_var(area, &used, 2, 2, scs_secret_cdata(p->pps), SCS_PPS_LEN, recno, d)) != 0) {
        return r;
    }
    if (s->dns_suffix != NULL &&
        (r = put_var(area, &used, 2, 3, s->dns_suffix, strlen(s->dns_suffix), recno, d)) != 0) {
        return r;
    }
    for (size_t k = 0; k < s->hash_count; k++) {
        const struct scs_setupbin_cert_hash *h = &s->hashes[k];
        uint8_t v[2 + 48 + SCS_SETUPBIN_HASH_NAME_MAX];
        size_t nlen = strnlen(h->name, sizeof(h->name));

        v[0] = h->alg;
        memcpy(v + 1, h->hash, h->len);
        v[1 + h->len] = (uint8_t)nlen;
        memcpy(v + 2 + h->len, h->name, nlen);
        if ((r = put_var(area, &used, 2, 8, v, 2 + h->len + nlen, recno, d)) != 0) {
            return r;
        }
    }
    if (s->has_server) {
        /* u32 LE of the address, as MeshCentral writes it: 192.168.1.1 -> 01 01 a8 c0. */
        uint8_t ip[4] = {s->server_ip[3], s->server_ip[2], s->server_ip[1], s->server_ip[0]};
        if ((r = put_var(area, &used, 2, 17, ip, 4, recno, d)) != 0) {
            return r;
        }
    }
    if (s->has_port) {
        uint8_t port[2] = {(uint8_t)(s->server_port & 0xff), (uint8_t)(s->server_port >> 8)};
        if ((r = put_var(area, &used, 2, 18, port, 2, recno, d)) != 0) {
            return r;
        }
    }
    if (s->provision_start) {
        uint8_t one = 1;
        if ((r = put_var(area, &used, 2, 28, &one, 1, recno, d)) != 0) {
            return r;
        }
    }
    return 0;
}

int scs_setupbin_write(const struct scs_setupbin_spec *spec, struct scs_buf *out,
                       struct scs_diag *d)
{
    size_t start = scs_buf_len(out);
    uint8_t area[SCS_SETUPBIN_VARS_LEN];
    int r;

    scs_diag_clear(d);
    if ((r = setupbin_spec_check(spec, d)) != 0) {
        return r;
    }
    if ((r = setupbin_write_header(spec, out)) != 0) {
        scs_diag_failn(d, r, "writing the header");
        goto fail;
    }
    for (size_t i = 0; i < spec->pair_count; i++) {
        uint32_t flags = SCS_SETUPBIN_REC_VALID | (spec->scramble ? SCS_SETUPBIN_REC_SCRAMBLED : 0);

        memset(area, 0, sizeof(area));
        if ((r = setupbin_build_vars(spec, i, area, d)) != 0) {
            goto fail;
        }
        if (spec->scramble) {
            for (size_t k = 0; k < sizeof(area); k++) {
                area[k] = (uint8_t)(area[k] + SCS_SETUPBIN_SCRAMBLE_ADD);
            }
        }
        if ((r = scs_buf_put_u32le(out, 1)) != 0 || (r = scs_buf_put_u32le(out, flags)) != 0 ||
            (r = scs_buf_put_u32le(out, 0)) != 0 || (r = scs_buf_put_u32le(out, 0)) != 0 ||
            (r = scs_buf_put_u16le(out, 1)) != 0 ||
            (r = scs_buf_put_u16le(out, SCS_SETUPBIN_REC_HEADER_LEN)) != 0 ||
            (r = scs_buf_put_u32le(out, (uint32_t)(i + 1))) != 0 ||
            (r = scs_buf_put(out, area, sizeof(area))) != 0) {
            scs_diag_failn(d, r, "record %zu: output buffer too small", i + 1);
            goto fail;
        }
    }
    scs_wipe(area, sizeof(area));
    return 0;
fail:
    scs_wipe(area, sizeof(area));
    scs_buf_truncate(out, start);
    return r;
}
