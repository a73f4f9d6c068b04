/* amtsim X.509 rules: the §5.1 suffix rule, key generation, DERKey, signature checks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/err.h"
#include "common/secmem.h"
#include "sim/device.h"
#include "sim/x509.h"

static void test_suffix_rule(void **state)
{
    (void)state;
    assert_true(sim_x509_suffix_match("example.com", "example.com"));
    assert_true(sim_x509_suffix_match("Example.COM", "example.com"));
    assert_true(sim_x509_suffix_match("example.com", "*.example.com"));
    assert_true(sim_x509_suffix_match("corp.example.com", "example.com"));
    assert_true(sim_x509_suffix_match("example.com", "prov.example.com"));
    assert_false(sim_x509_suffix_match("example.com", "badexample.com"));
    assert_false(sim_x509_suffix_match("example.com", "example.org"));
    assert_false(sim_x509_suffix_match("", "example.com"));
}

static void test_identity_and_keys(void **state)
{
    struct sim_device *d = sim_device_new();
    uint8_t *pub = NULL;
    size_t pl = 0;
    const uint8_t *der[1];
    size_t len[1];
    struct scs_diag dg;

    (void)state;
    assert_int_equal(sim_device_new_identity(d), 0);
    assert_int_equal(sim_device_default_hashes(d), 0);
    assert_int_equal(sim_x509_make_identity(d, 1024), 0);
    assert_int_equal(sim_x509_cert_check(d->tls_cert_der, d->tls_cert_len), 0);
    assert_true(sim_x509_cert_matches_key(d->tls_cert_der, d->tls_cert_len, d->tls_key_der,
                                          d->tls_key_len));
    assert_int_equal(sim_x509_pubkey_der(d->tls_key_der, d->tls_key_len, &pub, &pl), 0);
    assert_int_equal(pub[0], 0x30); /* SEQUENCE { n, e } */
    free(pub);
    /* a self-signed device certificate is no provisioning certificate */
    der[0] = d->tls_cert_der;
    len[0] = d->tls_cert_len;
    assert_int_equal(sim_x509_check_prov_chain(d, der, len, 1, &dg), SCS_ERR_AUTH);
    assert_int_equal(sim_x509_verify_sha256(d->tls_cert_der, d->tls_cert_len, (const uint8_t *)"x",
                                            1, (const uint8_t *)"y", 1),
                     SCS_ERR_AUTH);
    assert_int_not_equal(sim_x509_cert_check((const uint8_t *)"junk", 4), 0);
    sim_device_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_suffix_rule),
        cmocka_unit_test(test_identity_and_keys),
    };

    assert_int_equal(sim_x509_init(), 0);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
