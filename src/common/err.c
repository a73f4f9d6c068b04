#include "common/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const messages[] = {
    [0] = "success",
    [1] = "out of memory",
    [2] = "invalid argument",
    [3] = "input is truncated",
    [4] = "unexpected trailing data",
    [5] = "input exceeds size limit",
    [6] = "malformed input",
    [7] = "check character mismatch",
    [8] = "input/output error",
    [9] = "cryptographic library failure",
    [10] = "authentication failed",
    [11] = "not found",
    [12] = "already exists",
    [13] = "wrong state for this operation",
    [14] = "database error",
    [15] = "none available",
    [16] = "unsupported version",
    [17] = "protocol violation by peer",
    [18] = "timed out",
    [19] = "network error",
    [20] = "data directory not initialised (run 'scsctl init')",
    [21] = "unsafe file permissions",
    [22] = "internal error",
};

const char *scs_strerror(int err)
{
    if (err > 0 || err <= SCS_ERR_MAX_) {
        return "unknown error";
    }
    return messages[-err];
}

void scs_diag_clear(struct scs_diag *d)
{
    if (d != NULL) {
        memset(d, 0, sizeof(*d));
    }
}

static void diag_vset(struct scs_diag *d, const char *fmt, va_list ap)
{
    vsnprintf(d->reason, sizeof(d->reason), fmt, ap);
}

int scs_diag_fail(struct scs_diag *d, int err, size_t offset, const char *fmt, ...)
{
    if (d != NULL) {
        va_list ap;
        d->offset = offset;
        d->has_offset = 1;
        va_start(ap, fmt);
        diag_vset(d, fmt, ap);
        va_end(ap);
    }
    return err;
}

int scs_diag_failn(struct scs_diag *d, int err, const char *fmt, ...)
{
    if (d != NULL) {
        va_list ap;
        d->offset = 0;
        d->has_offset = 0;
        va_start(ap, fmt);
        diag_vset(d, fmt, ap);
        va_end(ap);
    }
    return err;
}
