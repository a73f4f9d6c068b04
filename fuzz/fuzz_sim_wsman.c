/*
 * amtsim WS-Man: bytes of an HTTP body -> sim_wsman_parse -> sim_wsman_handle
 * on a fresh in-memory device, as the local OS admin (every class reachable).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/buf.h"
#include "common/err.h"
#include "sim/device.h"
#include "sim/wsman.h"
#include "sim/wsman_parse.h"
#include "sim/x509.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int init;
    struct sim_wsman_req r;
    struct scs_diag d;
    struct sim_device *dev;
    struct scs_buf *out;
    struct sim_ctx c;
    int status;

    if (!init) {
        if (sim_x509_init() != 0) {
            return 0;
        }
        init = 1;
    }
    if (sim_wsman_parse(data, size, &r, &d) != 0) {
        return 0;
    }
    dev = sim_device_new();
    out = scs_buf_new(1 << 20);
    if (dev != NULL && out != NULL && sim_device_new_identity(dev) == 0 &&
        sim_device_default_hashes(dev) == 0) {
        memset(&c, 0, sizeof(c));
        dev->index = 1;
        dev->mode = SIM_MODE_PKI;
        dev->prov_state = SIM_PROV_IN;
        c.dev = dev;
        c.local = 1;
        c.now = 1700000000;
        c.fault_call = "GenerateKeyPair";
        (void)sim_wsman_handle(&c, &r, out, &status);
    }
    scs_buf_free(out);
    sim_device_free(dev);
    sim_wsman_req_clear(&r);
    return 0;
}
