/*
 * PID/PPS text parsers.  The input is treated as typed text (cut at 64 bytes,
 * NUL-terminated) and also as raw bytes for the strict checkers; whatever
 * parses must pass the raw check and format back to the dashed form.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/secmem.h"
#include "formats/pidpps.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char text[65], pid[SCS_PID_LEN + 1], disp[SCS_PPS_TEXT_LEN + 1];
    struct scs_secret *pps = NULL;
    struct scs_diag d;
    size_t n = size < 64 ? size : 64;

    memcpy(text, data, n);
    text[n] = 0;
    if (scs_pid_parse(text, pid, &d) == 0) {
        if (scs_pid_check(pid, strlen(pid), NULL) != 0) {
            abort();
        }
        scs_pid_format(pid, disp);
        if (scs_pid_parse(disp, pid, &d) != 0) {
            abort();
        }
    }
    if (scs_pps_parse(text, &pps, &d) == 0) {
        if (scs_pps_check(scs_secret_str(pps), scs_secret_len(pps), NULL) != 0) {
            abort();
        }
        scs_secret_free(pps);
    } else if (pps != NULL) {
        abort();
    }
    (void)scs_pid_check((const char *)data, size, &d);
    (void)scs_pps_check((const char *)data, size, &d);
    (void)scs_pidpps_check_char((const char *)data, size);
    return 0;
}
