/*
 * Fault files: DIR/device-NNNNN.fault beside the state file.  The `fault`
 * command owns them and the running process only reads them, so the two never
 * race on the device state file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/fileio.h"
#include "sim/run.h"

#define SIM_FAULT_FILE_MAX 4096

void sim_faults_path(const char *state_path, char *out, size_t cap)
{
    size_t n = strlen(state_path);

    if (n > 6 && strcmp(state_path + n - 6, ".state") == 0) {
        snprintf(out, cap, "%.*s.fault", (int)(n - 6), state_path);
    } else {
        snprintf(out, cap, "%s.fault", state_path);
    }
}

static int num(const char *v, unsigned long max, unsigned *out)
{
    char *end = NULL;
    unsigned long x;

    if (v[0] < '0' || v[0] > '9') {
        return SCS_ERR_FORMAT;
    }
    x = strtoul(v, &end, 10);
    if (*end != '\0' || x > max) {
        return SCS_ERR_FORMAT;
    }
    *out = (unsigned)x;
    return 0;
}

int sim_faults_read(const char *path, struct sim_faults *f)
{
    struct scs_buf *b = NULL;
    char text[SIM_FAULT_FILE_MAX + 1];
    char *p;
    int rc;

    memset(f, 0, sizeof(*f));
    rc = scs_file_read(path, SIM_FAULT_FILE_MAX, &b);
    if (rc != 0) {
        return rc;
    }
    memcpy(text, scs_buf_data(b), scs_buf_len(b));
    text[scs_buf_len(b)] = '\0';
    scs_buf_free(b);
    p = text;
    while (*p != '\0') {
        char *nl = strchr(p, '\n');
        char *sp;

        if (nl != NULL) {
            *nl = '\0';
        }
        sp = strchr(p, ' ');
        if (sp != NULL) {
            *sp = '\0';
        }
        if (strcmp(p, "seq") == 0 && sp != NULL) {
            rc |= num(sp + 1, 1000000000, &f->seq);
        } else if (strcmp(p, "drop") == 0 && sp != NULL) {
            rc |= num(sp + 1, 1000000, &f->drop_after);
            f->drop_set = 1;
        } else if (strcmp(p, "delay") == 0 && sp != NULL) {
            rc |= num(sp + 1, 600000, &f->delay_ms);
        } else if (strcmp(p, "soap") == 0 && sp != NULL) {
            snprintf(f->soap_call, sizeof(f->soap_call), "%s", sp + 1);
        } else if (strcmp(p, "reboot") == 0) {
            f->reboot = 1;
        }
        if (nl == NULL) {
            break;
        }
        p = nl + 1;
    }
    return rc == 0 ? 0 : SCS_ERR_FORMAT;
}

int sim_faults_write(const char *path, const struct sim_faults *f)
{
    char text[SIM_FAULT_FILE_MAX];
    int n = snprintf(text, sizeof(text), "seq %u\n", f->seq);
    size_t len;

    if (n < 0) {
        return SCS_ERR_INTERNAL;
    }
    len = (size_t)n;
    if (f->drop_set) {
        n = snprintf(text + len, sizeof(text) - len, "drop %u\n", f->drop_after);
        len += n > 0 ? (size_t)n : 0;
    }
    if (f->delay_ms > 0 && len < sizeof(text)) {
        n = snprintf(text + len, sizeof(text) - len, "delay %u\n", f->delay_ms);
        len += n > 0 ? (size_t)n : 0;
    }
    if (f->soap_call[0] != '\0' && len < sizeof(text)) {
        n = snprintf(text + len, sizeof(text) - len, "soap %s\n", f->soap_call);
        len += n > 0 ? (size_t)n : 0;
    }
    if (f->reboot && len < sizeof(text)) {
        n = snprintf(text + len, sizeof(text) - len, "reboot\n");
        len += n > 0 ? (size_t)n : 0;
    }
    if (len >= sizeof(text)) {
        return SCS_ERR_TOO_LARGE;
    }
    return scs_file_write_atomic(path, text, len, 0600);
}
