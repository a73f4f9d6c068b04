/*
 * Transfer bundle codec (layout in docs/bundle.md).  Everything here reads
 * bytes from a file someone handed the administrator, so every length is
 * checked against a named limit before use and every field is validated
 * before the caller sees it.
 */
#include <string.h>

#include "common/buf.h"
#include "common/err.h"
#include "psk/bundle.h"

static int put_u64le(struct scs_buf *b, uint64_t v)
{
    int r = scs_buf_put_u32le(b, (uint32_t)(v & 0xffffffffu));
    return r != 0 ? r : scs_buf_put_u32le(b, (uint32_t)(v >> 32));
}

static int rd_u64le(struct scs_rd *rd, uint64_t *v)
{
    uint32_t lo, hi;
    struct scs_rd save = *rd;

    if (scs_rd_u32le(rd, &lo) != 0 || scs_rd_u32le(rd, &hi) != 0) {
        *rd = save;
        return SCS_ERR_TRUNCATED;
    }
    *v = (uint64_t)hi << 32 | lo;
    return 0;
}

static int log2_exact(uint64_t n, uint8_t *out)
{
    for (uint8_t i = 0; i < 64; i++) {
        if (n == (uint64_t)1 << i) {
            *out = i;
            return 0;
        }
    }
    return SCS_ERR_INVALID_ARG;
}

/* scs_scrypt_params_check plus a memory ceiling of our own: the crypto module's
 * bounds allow far more memory than importing a bundle should ever take. */
static int kdf_check(const struct scs_scrypt_params *k)
{
    if (scs_scrypt_params_check(k) != 0) {
        return SCS_ERR_FORMAT;
    }
    if (128u * k->n * k->r * k->p > PSK_BUNDLE_MAX_KDF_MEM) {
        return SCS_ERR_TOO_LARGE;
    }
    return 0;
}

int psk_bundle_encode_header(const struct psk_bundle_header *h, struct scs_buf *out)
{
    uint8_t log2n;
    int r;

    if (h->version != PSK_BUNDLE_VERSION || kdf_check(&h->kdf) != 0 ||
        log2_exact(h->kdf.n, &log2n) != 0 || h->count > PSK_BUNDLE_MAX_RECORDS ||
        h->payload_len > PSK_BUNDLE_MAX_PAYLOAD) {
        return SCS_ERR_INVALID_ARG;
    }
    if ((r = scs_buf_put(out, PSK_BUNDLE_MAGIC, PSK_BUNDLE_MAGIC_LEN)) != 0 ||
        (r = scs_buf_put_u16le(out, h->version)) != 0 ||
        (r = scs_buf_put_u8(out, PSK_BUNDLE_KDF_SCRYPT)) != 0 ||
        (r = scs_buf_put_u8(out, log2n)) != 0 || (r = scs_buf_put_u32le(out, h->kdf.r)) != 0 ||
        (r = scs_buf_put_u32le(out, h->kdf.p)) != 0 ||
        (r = scs_buf_put(out, h->salt, sizeof(h->salt))) != 0 ||
        (r = scs_buf_put_u32le(out, h->count)) != 0 ||
        (r = scs_buf_put_u32le(out, h->payload_len)) != 0 || (r = scs_buf_put_u32le(out, 0)) != 0) {
        return r;
    }
    return 0;
}

int psk_bundle_parse_header(const uint8_t *file, size_t len, struct psk_bundle_header *h,
                            struct scs_diag *d)
{
    struct scs_rd rd;
    const uint8_t *magic = NULL;
    uint8_t kdf_id = 0, log2n = 0;
    uint32_t reserved = 0;
    size_t want;

    memset(h, 0, sizeof(*h));
    if (len > PSK_BUNDLE_MAX_FILE) {
        return scs_diag_failn(d, SCS_ERR_TOO_LARGE, "bundle is larger than the %zu-byte limit",
                              PSK_BUNDLE_MAX_FILE);
    }
    if (len < PSK_BUNDLE_MAGIC_LEN || memcmp(file, PSK_BUNDLE_MAGIC, PSK_BUNDLE_MAGIC_LEN) != 0) {
        /* A file cut inside the magic is still "not a bundle" to a person. */
        return scs_diag_fail(d, SCS_ERR_FORMAT, 0, "not an scs PSK bundle (bad magic)");
    }
    if (len < PSK_BUNDLE_HEADER_LEN) {
        return scs_diag_fail(d, SCS_ERR_TRUNCATED, len,
                             "bundle is truncated: %zu bytes, the header alone is %d", len,
                             PSK_BUNDLE_HEADER_LEN);
    }
    scs_rd_init(&rd, file, len);
    /* The length checks above make every read below succeed. */
    if (scs_rd_bytes(&rd, PSK_BUNDLE_MAGIC_LEN, &magic) != 0 ||
        scs_rd_u16le(&rd, &h->version) != 0 || scs_rd_u8(&rd, &kdf_id) != 0 ||
        scs_rd_u8(&rd, &log2n) != 0 || scs_rd_u32le(&rd, &h->kdf.r) != 0 ||
        scs_rd_u32le(&rd, &h->kdf.p) != 0 || scs_rd_copy(&rd, h->salt, sizeof(h->salt)) != 0 ||
        scs_rd_u32le(&rd, &h->count) != 0 || scs_rd_u32le(&rd, &h->payload_len) != 0 ||
        scs_rd_u32le(&rd, &reserved) != 0) {
        return scs_diag_fail(d, SCS_ERR_INTERNAL, scs_rd_offset(&rd), "header read failed");
    }
    if (h->version != PSK_BUNDLE_VERSION) {
        return scs_diag_fail(d, SCS_ERR_VERSION, 8,
                             "bundle format version %u is not supported (this program reads "
                             "version %d)",
                             h->version, PSK_BUNDLE_VERSION);
    }
    if (kdf_id != PSK_BUNDLE_KDF_SCRYPT) {
        return scs_diag_fail(d, SCS_ERR_VERSION, 10, "unknown key derivation %u", kdf_id);
    }
    if (log2n >= 63) {
        return scs_diag_fail(d, SCS_ERR_FORMAT, 11, "scrypt N = 2^%u is out of bounds", log2n);
    }
    h->kdf.n = (uint64_t)1 << log2n;
    switch (kdf_check(&h->kdf)) {
    case 0:
        break;
    case SCS_ERR_TOO_LARGE:
        return scs_diag_fail(d, SCS_ERR_TOO_LARGE, 11,
                             "scrypt parameters N=2^%u r=%u p=%u would need more than %llu MiB",
                             log2n, h->kdf.r, h->kdf.p,
                             (unsigned long long)(PSK_BUNDLE_MAX_KDF_MEM >> 20));
    default:
        return scs_diag_fail(d, SCS_ERR_FORMAT, 11,
                             "scrypt parameters N=2^%u r=%u p=%u are out of bounds", log2n,
                             h->kdf.r, h->kdf.p);
    }
    if (reserved != 0) {
        return scs_diag_fail(d, SCS_ERR_FORMAT, 44, "reserved header field is not zero");
    }
    if (h->count > PSK_BUNDLE_MAX_RECORDS) {
        return scs_diag_fail(d, SCS_ERR_TOO_LARGE, 36,
                             "bundle claims %u records, more than the limit of %u", h->count,
                             PSK_BUNDLE_MAX_RECORDS);
    }
    if (h->payload_len > PSK_BUNDLE_MAX_PAYLOAD) {
        return scs_diag_fail(d, SCS_ERR_TOO_LARGE, 40, "bundle payload of %u bytes is too large",
                             h->payload_len);
    }
    if ((uint64_t)h->count * PSK_BUNDLE_RECORD_MIN > h->payload_len) {
        return scs_diag_fail(d, SCS_ERR_FORMAT, 36, "bundle claims %u records in a %u-byte payload",
                             h->count, h->payload_len);
    }
    want = PSK_BUNDLE_HEADER_LEN + SCS_AEAD_OVERHEAD + (size_t)h->payload_len;
    if (len < want) {
        return scs_diag_fail(d, SCS_ERR_TRUNCATED, len,
                             "bundle is truncated: %zu bytes of the %zu its header announces", len,
                             want);
    }
    if (len > want) {
        return scs_diag_fail(d, SCS_ERR_TRAILING, want,
                             "bundle has %zu bytes after the %zu its header announces", len - want,
                             want);
    }
    return 0;
}

static int assignee_ok(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] < 0x20 || s[i] > 0x7e) {
            return 0;
        }
    }
    return 1;
}

int psk_bundle_encode_record(struct scs_buf *out, const struct psk_bundle_record *rec)
{
    size_t alen = strnlen(rec->assignee, sizeof(rec->assignee));
    int r;

    if (alen > PSK_BUNDLE_ASSIGNEE_MAX || !assignee_ok(rec->assignee, alen) ||
        (int)rec->state < 0 || (int)rec->state >= SCS_PSK_STATE_COUNT || rec->created < 0 ||
        rec->updated < 0 || rec->pps == NULL ||
        scs_pid_check(rec->pid, strnlen(rec->pid, sizeof(rec->pid)), NULL) != 0) {
        return SCS_ERR_INVALID_ARG;
    }
    if ((r = scs_buf_put(out, rec->pid, SCS_PID_LEN)) != 0 ||
        (r = scs_buf_put(out, rec->pps, SCS_PPS_LEN)) != 0 ||
        (r = scs_buf_put_u8(out, (uint8_t)rec->state)) != 0 ||
        (r = scs_buf_put_u8(out, (uint8_t)alen)) != 0 ||
        (r = scs_buf_put(out, rec->assignee, alen)) != 0 ||
        (r = put_u64le(out, (uint64_t)rec->created)) != 0 ||
        (r = put_u64le(out, (uint64_t)rec->updated)) != 0) {
        return r;
    }
    return 0;
}

/* Record-level failure: "record N: <reason>", the offset of the record's field. */
static int record_fail(struct scs_diag *d, int err, size_t off, uint32_t index, const char *pid,
                       const char *reason)
{
    if (pid != NULL) {
        char text[SCS_PID_TEXT_LEN + 1];
        scs_pid_format(pid, text);
        return scs_diag_fail(d, err, off, "record %u (PID %s): %s", index + 1, text, reason);
    }
    return scs_diag_fail(d, err, off, "record %u: %s", index + 1, reason);
}

int psk_bundle_decode_records(const uint8_t *payload, size_t len, uint32_t count,
                              int (*fn)(void *arg, uint32_t index,
                                        const struct psk_bundle_record *rec),
                              void *arg, struct scs_diag *d)
{
    struct psk_bundle_record rec;
    struct scs_diag why;
    struct scs_rd rd;
    int r;

    if (count > PSK_BUNDLE_MAX_RECORDS) {
        return scs_diag_failn(d, SCS_ERR_TOO_LARGE, "%u records is more than the limit of %u",
                              count, PSK_BUNDLE_MAX_RECORDS);
    }
    scs_rd_init(&rd, payload, len);
    for (uint32_t i = 0; i < count; i++) {
        const uint8_t *pid = NULL, *pps = NULL, *who = NULL;
        size_t at = scs_rd_offset(&rd);
        uint8_t state = 0, alen = 0;
        uint64_t created = 0, updated = 0;

        memset(&rec, 0, sizeof(rec));
        if (scs_rd_bytes(&rd, SCS_PID_LEN, &pid) != 0 ||
            scs_rd_bytes(&rd, SCS_PPS_LEN, &pps) != 0 || scs_rd_u8(&rd, &state) != 0 ||
            scs_rd_u8(&rd, &alen) != 0) {
            return record_fail(d, SCS_ERR_TRUNCATED, at, i, NULL, "payload ends inside it");
        }
        scs_diag_clear(&why);
        if ((r = scs_pid_check((const char *)pid, SCS_PID_LEN, &why)) != 0) {
            return record_fail(d, r, at, i, NULL, why.reason);
        }
        memcpy(rec.pid, pid, SCS_PID_LEN);
        rec.pid[SCS_PID_LEN] = 0;
        scs_diag_clear(&why);
        if ((r = scs_pps_check((const char *)pps, SCS_PPS_LEN, &why)) != 0) {
            return record_fail(d, r, at + SCS_PID_LEN, i, rec.pid, why.reason);
        }
        rec.pps = (const char *)pps;
        if (state >= SCS_PSK_STATE_COUNT) {
            return record_fail(d, SCS_ERR_FORMAT, at + SCS_PID_LEN + SCS_PPS_LEN, i, rec.pid,
                               "unknown state");
        }
        rec.state = (enum scs_psk_state)state;
        if (alen > PSK_BUNDLE_ASSIGNEE_MAX) {
            return record_fail(d, SCS_ERR_TOO_LARGE, at + SCS_PID_LEN + SCS_PPS_LEN + 1, i, rec.pid,
                               "assignee is longer than 127 bytes");
        }
        if (scs_rd_bytes(&rd, alen, &who) != 0 || rd_u64le(&rd, &created) != 0 ||
            rd_u64le(&rd, &updated) != 0) {
            return record_fail(d, SCS_ERR_TRUNCATED, at, i, rec.pid, "payload ends inside it");
        }
        if (!assignee_ok((const char *)who, alen)) {
            return record_fail(d, SCS_ERR_FORMAT, at + SCS_PID_LEN + SCS_PPS_LEN + 2, i, rec.pid,
                               "assignee has a byte outside printable ASCII");
        }
        memcpy(rec.assignee, who, alen);
        rec.assignee[alen] = 0;
        if (created > INT64_MAX || updated > INT64_MAX) {
            return record_fail(d, SCS_ERR_FORMAT, at, i, rec.pid, "timestamp out of range");
        }
        rec.created = (int64_t)created;
        rec.updated = (int64_t)updated;
        if (fn != NULL && (r = fn(arg, i, &rec)) != 0) {
            return r;
        }
    }
    if (scs_rd_end(&rd) != 0) {
        return scs_diag_fail(d, SCS_ERR_TRAILING, scs_rd_offset(&rd),
                             "%zu bytes after the last of %u records", scs_rd_remaining(&rd),
                             count);
    }
    return 0;
}
