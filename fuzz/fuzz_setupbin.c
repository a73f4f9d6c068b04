/*
 * setup.bin parser.  Whatever parses must render every variable (masked and
 * not) and every variable must lie inside its own record.
 */
#include <stdint.h>
#include <stdlib.h>

#include "common/buf.h"
#include "common/err.h"
#include "formats/setupbin.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct scs_setupbin *sb = NULL;
    struct scs_diag d;
    struct scs_buf *b;
    int r = scs_setupbin_parse(data, size, &sb, &d);

    if (r != 0) {
        if (sb != NULL || !d.has_offset || d.offset > size || d.reason[0] == 0) {
            abort();
        }
        return 0;
    }
    if ((b = scs_buf_new(8192)) == NULL) {
        abort();
    }
    for (size_t i = 0; i < sb->record_count; i++) {
        const struct scs_setupbin_record *rec = &sb->records[i];
        size_t start = SCS_SETUPBIN_BLOCK_LEN * (i + 1);
        for (size_t k = 0; k < rec->var_count; k++) {
            const struct scs_setupbin_var *v = &rec->vars[k];
            if (v->offset < start + SCS_SETUPBIN_REC_HEADER_LEN ||
                v->offset + SCS_SETUPBIN_VAR_HEADER_LEN + v->len > start + SCS_SETUPBIN_BLOCK_LEN) {
                abort();
            }
            if (scs_setupbin_var_render(v, 0, b) != 0 || scs_setupbin_var_render(v, 1, b) != 0) {
                abort();
            }
            scs_buf_reset(b);
        }
    }
    scs_buf_free(b);
    scs_setupbin_free(sb);
    return 0;
}
