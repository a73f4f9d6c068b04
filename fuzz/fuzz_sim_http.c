/*
 * amtsim HTTP: bytes from a client -> sim_http_parse -> sim_server_handle on a
 * fresh in-memory device (no files), once as an authenticated provisioning
 * session (reaches WS-Man dispatch) and once without (reaches Digest).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/buf.h"
#include "common/err.h"
#include "sim/device.h"
#include "sim/digest.h"
#include "sim/http.h"
#include "sim/server.h"
#include "sim/x509.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int init;
    struct sim_http_req req;
    struct scs_diag d;
    struct sim_device *dev;
    struct scs_buf *out;
    struct sim_request_result res;

    if (!init) {
        if (sim_x509_init() != 0 || sim_digest_init() != 0) {
            return 0;
        }
        init = 1;
    }
    memset(&req, 0, sizeof(req));
    if (sim_http_parse(data, size, &req, &d) != 0) {
        sim_http_req_clear(&req);
        return 0;
    }
    dev = sim_device_new();
    out = scs_buf_new(1 << 20);
    if (dev != NULL && out != NULL && sim_device_new_identity(dev) == 0 &&
        sim_device_default_hashes(dev) == 0) {
        dev->index = 1;
        dev->addr = 0x7F010001;
        dev->mode = SIM_MODE_PSK;
        dev->prov_state = SIM_PROV_IN;
        /* RSA key generation would only slow the fuzzer down: fault it instead. */
        (void)sim_server_handle(dev, SIM_LISTEN_TLS, 1, &req, "GenerateKeyPair", 1700000000, out,
                                &res);
        scs_buf_reset(out);
        (void)sim_server_handle(dev, SIM_LISTEN_LOCAL, 0, &req, "GenerateKeyPair", 1700000000, out,
                                &res);
    }
    scs_buf_free(out);
    sim_device_free(dev);
    sim_http_req_clear(&req);
    return 0;
}
