/*
 * Hello codec (protocol.md §2.2).  The parser treats every byte as hostile:
 * it reads through a bounded cursor, checks each field before using it, and
 * rejects anything it cannot account for with the byte offset and a reason.
 *
 * PID policy for PSK Hellos: a byte outside A-Z 0-9 makes the Hello malformed
 * (it cannot be a PID and could not be shown safely), but a wrong check
 * character does not.  The device reports what was typed into its MEBx or read
 * from USB; rejecting it would hide that from the administrator, and the pool
 * look-up fails for such a PID anyway.  scs_hello_pid_check_ok() tells callers
 * whether the check character is right so they can warn.
 */
#include "formats/hello.h"

#include <string.h>

#include "common/buf.h"
#include "common/err.h"
#include "formats/pidpps.h"

size_t scs_hash_alg_len(unsigned alg)
{
    switch (alg) {
    case SCS_HASH_SHA1:
        return 20;
    case SCS_HASH_SHA256:
        return 32;
    case SCS_HASH_SHA384:
        return 48;
    default:
        return 0;
    }
}

const char *scs_hash_alg_name(unsigned alg)
{
    switch (alg) {
    case SCS_HASH_SHA1:
        return "SHA1";
    case SCS_HASH_SHA256:
        return "SHA256";
    case SCS_HASH_SHA384:
        return "SHA384";
    default:
        return NULL;
    }
}

static int hello_pid_byte_ok(uint8_t c)
{
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z');
}

int scs_hello_pid_check_ok(const struct scs_hello *h)
{
    if (h->version != SCS_HELLO_VERSION_PSK) {
        return 0;
    }
    return scs_pid_check(h->pid, strlen(h->pid), NULL) == 0;
}

static int hello_parse_psk(struct scs_rd *r, struct scs_hello *out, struct scs_diag *d)
{
    const uint8_t *pid;
    size_t off = scs_rd_offset(r);

    if (scs_rd_bytes(r, SCS_PID_LEN, &pid) != 0) {
        return scs_diag_fail(
            d, SCS_ERR_TRUNCATED, r->len,
            "PSK Hello ends inside the PID (a PSK Hello is %d bytes, this one %zu)",
            SCS_HELLO_PSK_LEN, r->len);
    }
    for (size_t i = 0; i < SCS_PID_LEN; i++) {
        if (!hello_pid_byte_ok(pid[i])) {
            return scs_diag_fail(d, SCS_ERR_FORMAT, off + i, "PID byte 0x%02x is not in A-Z 0-9",
                                 pid[i]);
        }
    }
    memcpy(out->pid, pid, SCS_PID_LEN);
    out->pid[SCS_PID_LEN] = 0;
    if (scs_rd_end(r) != 0) {
        return scs_diag_fail(d, SCS_ERR_TRAILING, scs_rd_offset(r),
                             "%zu bytes after the end of a PSK Hello (exactly %d expected)",
                             scs_rd_remaining(r), SCS_HELLO_PSK_LEN);
    }
    return 0;
}

static int hello_parse_pki(struct scs_rd *r, struct scs_hello *out, struct scs_diag *d)
{
    uint8_t count;

    if (scs_rd_u8(r, &count) != 0) {
        return scs_diag_fail(d, SCS_ERR_TRUNCATED, scs_rd_offset(r),
                             "PKI Hello ends before the hash count");
    }
    for (unsigned i = 0; i < count; i++) {
        size_t entry = scs_rd_offset(r);
        uint8_t type, len;
        size_t want;

        if (scs_rd_u8(r, &type) != 0) {
            return scs_diag_fail(d, SCS_ERR_TRUNCATED, entry,
                                 "hash count says %u but the Hello ends after %u hashes", count, i);
        }
        if ((want = scs_hash_alg_len(type)) == 0) {
            return scs_diag_fail(d, SCS_ERR_FORMAT, entry,
                                 "hash %u has unknown type %u (1 SHA1, 2 SHA256, 3 SHA384)", i + 1,
                                 type);
        }
        if (scs_rd_u8(r, &len) != 0) {
            return scs_diag_fail(d, SCS_ERR_TRUNCATED, entry + 1,
                                 "Hello ends inside hash %u (before its length)", i + 1);
        }
        if (len != want) {
            return scs_diag_fail(d, SCS_ERR_FORMAT, entry + 1,
                                 "hash %u: length %u does not match type %s (%zu)", i + 1, len,
                                 scs_hash_alg_name(type), want);
        }
        if (scs_rd_copy(r, out->hashes[i].data, len) != 0) {
            return scs_diag_fail(d, SCS_ERR_TRUNCATED, r->len,
                                 "Hello ends inside hash %u (%zu of %u bytes)", i + 1,
                                 r->len - (entry + 2), len);
        }
        out->hashes[i].alg = type;
        out->hashes[i].len = len;
        out->hash_count = i + 1;
    }
    if (scs_rd_end(r) != 0) {
        return scs_diag_fail(d, SCS_ERR_TRAILING, scs_rd_offset(r),
                             "%zu bytes after the last of %u hashes", scs_rd_remaining(r), count);
    }
    return 0;
}

int scs_hello_parse(const uint8_t *data, size_t len, struct scs_hello *out, struct scs_diag *d)
{
    struct scs_rd r;
    int rc;

    scs_diag_clear(d);
    memset(out, 0, sizeof(*out));
    if (data == NULL && len != 0) {
        return scs_diag_failn(d, SCS_ERR_INVALID_ARG, "no data");
    }
    if (len > SCS_HELLO_MAX_LEN) {
        return scs_diag_fail(d, SCS_ERR_TOO_LARGE, SCS_HELLO_MAX_LEN,
                             "%zu bytes is longer than the largest possible Hello (%d)", len,
                             SCS_HELLO_MAX_LEN);
    }
    scs_rd_init(&r, data, len);
    if (len < SCS_HELLO_HEADER_LEN) {
        return scs_diag_fail(d, SCS_ERR_TRUNCATED, len,
                             "only %zu bytes, shorter than the %d-byte Hello header", len,
                             SCS_HELLO_HEADER_LEN);
    }
    /* The header is complete, so these reads cannot fail. */
    if (scs_rd_u16le(&r, &out->admin_credentials_set) != 0 ||
        scs_rd_u16le(&r, &out->version) != 0 || scs_rd_u32le(&r, &out->retry_count) != 0 ||
        scs_rd_copy(&r, out->uuid, SCS_UUID_LEN) != 0) {
        return scs_diag_failn(d, SCS_ERR_INTERNAL, "header read failed");
    }
    if (out->admin_credentials_set > 1) {
        rc = scs_diag_fail(d, SCS_ERR_FORMAT, 0, "AdminCredentialsSet is %u (0 or 1 expected)",
                           out->admin_credentials_set);
    } else if (out->version == SCS_HELLO_VERSION_PSK) {
        rc = hello_parse_psk(&r, out, d);
    } else if (out->version == SCS_HELLO_VERSION_PKI) {
        rc = hello_parse_pki(&r, out, d);
    } else {
        rc = scs_diag_fail(d, SCS_ERR_VERSION, 2,
                           "interface version %u (2 = PSK and 3 = PKI are known)", out->version);
    }
    if (rc != 0) {
        /* Callers must not act on a half-parsed Hello. */
        memset(out, 0, sizeof(*out));
    }
    return rc;
}

int scs_hello_encode(const struct scs_hello *h, struct scs_buf *out)
{
    int r = 0;

    if (h->admin_credentials_set > 1) {
        return SCS_ERR_INVALID_ARG;
    }
    switch (h->version) {
    case SCS_HELLO_VERSION_PSK:
        if (strnlen(h->pid, sizeof(h->pid)) != SCS_PID_LEN) {
            return SCS_ERR_INVALID_ARG;
        }
        for (size_t i = 0; i < SCS_PID_LEN; i++) {
            if (!hello_pid_byte_ok((uint8_t)h->pid[i])) {
                return SCS_ERR_INVALID_ARG;
            }
        }
        break;
    case SCS_HELLO_VERSION_PKI:
        if (h->hash_count > SCS_HELLO_MAX_HASHES) {
            return SCS_ERR_INVALID_ARG;
        }
        for (unsigned i = 0; i < h->hash_count; i++) {
            size_t want = scs_hash_alg_len(h->hashes[i].alg);
            if (want == 0 || h->hashes[i].len != want) {
                return SCS_ERR_INVALID_ARG;
            }
        }
        break;
    default:
        return SCS_ERR_INVALID_ARG;
    }
    if ((r = scs_buf_put_u16le(out, h->admin_credentials_set)) != 0 ||
        (r = scs_buf_put_u16le(out, h->version)) != 0 ||
        (r = scs_buf_put_u32le(out, h->retry_count)) != 0 ||
        (r = scs_buf_put(out, h->uuid, SCS_UUID_LEN)) != 0) {
        return r;
    }
    if (h->version == SCS_HELLO_VERSION_PSK) {
        return scs_buf_put(out, h->pid, SCS_PID_LEN);
    }
    if ((r = scs_buf_put_u8(out, (uint8_t)h->hash_count)) != 0) {
        return r;
    }
    for (unsigned i = 0; i < h->hash_count; i++) {
        if ((r = scs_buf_put_u8(out, h->hashes[i].alg)) != 0 ||
            (r = scs_buf_put_u8(out, h->hashes[i].len)) != 0 ||
            (r = scs_buf_put(out, h->hashes[i].data, h->hashes[i].len)) != 0) {
            return r;
        }
    }
    return 0;
}

/* Byte order of the text form: u32 LE, u16 LE, u16 LE, then 8 bytes as they are. */
static const uint8_t uuid_text_order[SCS_UUID_LEN] = {3, 2, 1,  0,  5,  4,  7,  6,
                                                      8, 9, 10, 11, 12, 13, 14, 15};

static int uuid_dash_after(size_t i)
{
    return i == 3 || i == 5 || i == 7 || i == 9;
}

void scs_uuid_to_text(const uint8_t raw[static SCS_UUID_LEN],
                      char out[static SCS_UUID_TEXT_LEN + 1])
{
    static const char digits[] = "0123456789abcdef";
    size_t o = 0;

    for (size_t i = 0; i < SCS_UUID_LEN; i++) {
        uint8_t b = raw[uuid_text_order[i]];
        out[o++] = digits[b >> 4];
        out[o++] = digits[b & 0x0f];
        if (uuid_dash_after(i)) {
            out[o++] = '-';
        }
    }
    out[o] = 0;
}

static int uuid_hex_digit(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

int scs_uuid_from_text(const char *text, uint8_t raw[static SCS_UUID_LEN])
{
    uint8_t tmp[SCS_UUID_LEN];
    size_t t = 0;

    if (text == NULL || strlen(text) != SCS_UUID_TEXT_LEN) {
        return SCS_ERR_FORMAT;
    }
    for (size_t i = 0; i < SCS_UUID_LEN; i++) {
        int hi = uuid_hex_digit(text[t]);
        int lo = uuid_hex_digit(text[t + 1]);
        if (hi < 0 || lo < 0) {
            return SCS_ERR_FORMAT;
        }
        tmp[uuid_text_order[i]] = (uint8_t)(hi << 4 | lo);
        t += 2;
        if (uuid_dash_after(i)) {
            if (text[t] != '-') {
                return SCS_ERR_FORMAT;
            }
            t++;
        }
    }
    memcpy(raw, tmp, SCS_UUID_LEN);
    return 0;
}
