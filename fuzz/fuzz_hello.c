/*
 * Hello parser.  Beyond "no crash": whatever parses must encode back to the
 * exact input bytes (the format has no slack), and a failure must leave no
 * half-parsed Hello behind and point inside (or just past) the input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/err.h"
#include "formats/hello.h"
#include "formats/roothashes.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct scs_hello h;
    struct scs_diag d;
    char uuid[SCS_UUID_TEXT_LEN + 1];
    int r = scs_hello_parse(data, size, &h, &d);

    if (r != 0) {
        if (h.version != 0 || !d.has_offset || d.offset > size || d.reason[0] == 0) {
            abort();
        }
        return 0;
    }
    scs_uuid_to_text(h.uuid, uuid);
    for (unsigned i = 0; i < h.hash_count; i++) {
        (void)scs_root_hash_lookup(h.hashes[i].alg, h.hashes[i].data, h.hashes[i].len);
    }
    (void)scs_hello_pid_check_ok(&h);
    {
        struct scs_buf *b = scs_buf_new(SCS_HELLO_MAX_LEN);
        if (b == NULL || scs_hello_encode(&h, b) != 0 || scs_buf_len(b) != size ||
            memcmp(scs_buf_data(b), data, size) != 0) {
            abort();
        }
        scs_buf_free(b);
    }
    return 0;
}
