/*
 * libFuzzer target for the transfer bundle codec (src/psk/bundle_codec.c).
 *
 * The first input byte picks the parser:
 *   odd  - the outer file: psk_bundle_parse_header() over the rest;
 *   even - the decrypted record payload: two bytes of record count (LE), then
 *          the payload for psk_bundle_decode_records().
 * Whatever the decoder accepts must satisfy the record invariants and must
 * re-encode to exactly the bytes it came from.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/err.h"
#include "psk/bundle.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int check_record(void *arg, uint32_t index, const struct psk_bundle_record *rec)
{
    struct scs_buf *re = arg;
    size_t alen = strlen(rec->assignee);

    if (scs_pid_check(rec->pid, strlen(rec->pid), NULL) != 0 ||
        scs_pps_check(rec->pps, SCS_PPS_LEN, NULL) != 0 || (int)rec->state < 0 ||
        (int)rec->state >= SCS_PSK_STATE_COUNT || alen > PSK_BUNDLE_ASSIGNEE_MAX ||
        rec->created < 0 || rec->updated < 0) {
        abort();
    }
    if (psk_bundle_encode_record(re, rec) != 0) {
        abort();
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct scs_diag d;

    if (size < 1) {
        return 0;
    }
    if (data[0] & 1) {
        struct psk_bundle_header h;
        if (psk_bundle_parse_header(data + 1, size - 1, &h, &d) == 0) {
            /* An accepted header is internally consistent. */
            if (h.version != PSK_BUNDLE_VERSION || h.count > PSK_BUNDLE_MAX_RECORDS ||
                size - 1 != PSK_BUNDLE_HEADER_LEN + SCS_AEAD_OVERHEAD + (size_t)h.payload_len ||
                scs_scrypt_params_check(&h.kdf) != 0) {
                abort();
            }
        }
        return 0;
    }
    if (size < 3) {
        return 0;
    }
    {
        uint32_t count = (uint32_t)data[1] | (uint32_t)data[2] << 8;
        const uint8_t *payload = data + 3;
        size_t len = size - 3;
        struct scs_buf *re = scs_buf_new(len + 1);

        if (re == NULL) {
            return 0;
        }
        if (psk_bundle_decode_records(payload, len, count, check_record, re, &d) == 0) {
            if (scs_buf_len(re) != len ||
                (len > 0 && memcmp(scs_buf_data(re), payload, len) != 0)) {
                abort();
            }
        }
        scs_buf_free(re);
    }
    return 0;
}
