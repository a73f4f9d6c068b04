/*
 * libFuzzer target for the WS-Man response parser: untrusted bytes from a
 * device go through wsman_response_parse() and every reader the provisioning
 * flow uses.  Run: fuzz_wsman_response fuzz/corpus/wsman_response
 */
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "wsman/wsman.h"
#include "wsman/wsman_amt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct wsman_response *r = NULL;
    struct scs_diag d;
    char buf[256];
    uint8_t uuid[WSMAN_AMT_UUID_LEN];
    uint32_t v;
    const char *n;
    const char *val;

    if (wsman_response_parse(data, size, &r, &d) != 0) {
        return 0;
    }
    (void)wsman_response_body_name(r);
    (void)wsman_response_action(r);
    (void)wsman_response_relates_to(r);
    (void)wsman_response_fault(r);
    (void)wsman_response_return_value(r, &v);
    (void)wsman_response_prop_count(r, "AllowedControlModes");
    (void)wsman_response_expect_output(r, "AMT_SetupAndConfigurationService", "CommitChanges", &v,
                                       &d);
    (void)wsman_amt_read_digest_realm(r, buf, sizeof(buf), &d);
    (void)wsman_amt_read_enum_context(r, buf, sizeof(buf), &d);
    (void)wsman_amt_read_amt_version(r, buf, sizeof(buf), &d);
    (void)wsman_amt_read_uuid(r, uuid, &d);
    (void)wsman_amt_read_time(r, &v, &d);
    (void)wsman_amt_read_epr_instance(r, "KeyPair", buf, sizeof(buf), &d);
    (void)wsman_amt_read_epr_instance(r, NULL, buf, sizeof(buf), &d);
    for (size_t i = 0; i < wsman_response_item_count(r); i++) {
        for (size_t j = 0; j < wsman_response_item_prop_count(r, i); j++) {
            (void)wsman_response_item_prop_at(r, i, j, &n, &val);
        }
    }
    wsman_response_free(r);
    return 0;
}
