/*
 * Unit tests for src/tls helpers: identities, root hashes, the §5.1 provisioning
 * certificate rules, the DNS-suffix rule and the device-certificate CA.
 * Certificates come from tests/unit/client_pki.sh (openssl CLI) in a temp dir.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/fileio.h"
#include "crypto/crypto.h"
#include "tls/tls.h"

static char dir[64];

static const char *path(const char *name)
{
    static char p[256];
    int n = snprintf(p, sizeof(p), "%s/%s", dir, name);
    assert_true(n > 0 && (size_t)n < sizeof(p));
    return p;
}

static int run(const char *cmd)
{
    char full[1024];
    int n = snprintf(full, sizeof(full), "cd %s && %s", dir, cmd);
    assert_true(n > 0 && (size_t)n < sizeof(full));
    return system(full);
}

static int setup(void **state)
{
    char cmd[512];
    int n;
    snprintf(dir, sizeof(dir), "/tmp/scs-test-tls-XXXXXX");
    if (mkdtemp(dir) == NULL) {
        return -1;
    }
    n = snprintf(cmd, sizeof(cmd), "bash %s/unit/client_pki.sh %s", SCS_TESTS_DIR, dir);
    if (n < 0 || (size_t)n >= sizeof(cmd)) {
        return -1;
    }
    return system(cmd) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static struct tls_identity *load(const char *chain, const char *key, int expect)
{
    struct tls_identity *id = NULL;
    struct scs_diag d;
    char c[256];
    snprintf(c, sizeof(c), "%s", path(chain));
    int rc = tls_identity_load_pem(c, path(key), &id, &d);
    if (rc != expect) {
        print_error("%s: %d %s\n", chain, rc, d.reason);
    }
    assert_int_equal(rc, expect);
    return id;
}

static void test_identity_and_hashes(void **state)
{
    struct tls_identity *id = load("chain.pem", "leaf.key", 0);
    struct tls_cert_hashes h;
    struct scs_buf *der = NULL;
    uint8_t want[SCS_SHA256_LEN];
    assert_int_equal(tls_identity_chain_len(id), 3);
    assert_int_equal(tls_identity_root_hashes(id, &h), 0);
    /* Compare with the root as the openssl CLI writes it. */
    assert_int_equal(run("openssl x509 -in root.pem -outform DER -out root.der"), 0);
    assert_int_equal(scs_file_read(path("root.der"), 65536, &der), 0);
    assert_int_equal(scs_sha256(scs_buf_data(der), scs_buf_len(der), want), 0);
    assert_memory_equal(h.sha256, want, sizeof(want));
    uint8_t want1[SCS_SHA1_LEN];
    assert_int_equal(scs_sha1(scs_buf_data(der), scs_buf_len(der), want1), 0);
    assert_memory_equal(h.sha1, want1, sizeof(want1));
    scs_buf_free(der);

    struct scs_buf *sig = scs_buf_new(1024);
    assert_int_equal(tls_identity_sign_sha256(id, "nonces", 6, sig), 0);
    assert_int_equal(scs_buf_len(sig), 256);
    scs_buf_free(sig);
    struct scs_buf *leaf = scs_buf_new(65536);
    assert_int_equal(tls_identity_cert_der(id, 0, leaf), 0);
    assert_int_equal(tls_identity_cert_der(id, 3, leaf), SCS_ERR_INVALID_ARG);
    assert_int_equal(scs_buf_data(leaf)[0], 0x30);
    scs_buf_free(leaf);
    tls_identity_free(id);

    assert_null(load("misordered_chain.pem", "inter.key", SCS_ERR_FORMAT));
    assert_null(load("chain.pem", "ou_leaf.key", SCS_ERR_FORMAT));
    assert_null(load("leaf.key", "leaf.key", SCS_ERR_FORMAT));
}

static void test_provisioning_rules(void **state)
{
    struct tls_prov_check c;
    struct scs_diag d;
    time_t now = time(NULL);
    struct tls_identity *id = load("chain.pem", "leaf.key", 0);

    assert_int_equal(tls_identity_check_provisioning(id, now, &c, &d), 0);
    assert_true(c.has_intel_oid);
    assert_false(c.has_setup_ou);
    assert_true(c.has_server_auth);
    assert_int_equal(c.rsa_bits, 2048);
    assert_true(c.valid_now);
    assert_true(c.days_to_expiry >= 19 && c.days_to_expiry <= 20);
    /* 30 days on, the 20-day leaf has expired. */
    assert_int_equal(tls_identity_check_provisioning(id, now + 30 * 86400, &c, &d), SCS_ERR_STATE);
    assert_false(c.valid_now);
    assert_true(c.days_to_expiry < 0);
    assert_int_equal(tls_identity_check_provisioning(id, now - 86400, &c, &d), SCS_ERR_STATE);

    assert_true(tls_identity_domain_matches(id, "corp.example.com"));
    assert_true(tls_identity_domain_matches(id, "CORP.Example.com"));
    assert_true(tls_identity_domain_matches(id, "prov.corp.example.com"));
    assert_true(tls_identity_domain_matches(id, "example.com"));
    assert_false(tls_identity_domain_matches(id, "ample.com"));
    assert_false(tls_identity_domain_matches(id, "other.example.org"));
    assert_false(tls_identity_domain_matches(id, ""));
    tls_identity_free(id);

    id = load("ou_chain.pem", "ou_leaf.key", 0);
    assert_int_equal(tls_identity_check_provisioning(id, now, &c, &d), 0);
    assert_false(c.has_intel_oid);
    assert_true(c.has_setup_ou);
    /* CN "*.example.com": the wildcard is stripped (§5.1). */
    assert_true(tls_identity_domain_matches(id, "corp.example.com"));
    tls_identity_free(id);

    id = load("weak_chain.pem", "weak_leaf.key", 0);
    assert_int_equal(tls_identity_check_provisioning(id, now, &c, &d), SCS_ERR_FORMAT);
    assert_non_null(strstr(d.reason, "neither"));
    assert_false(c.has_server_auth);
    assert_int_equal(c.rsa_bits, 1024);
    tls_identity_free(id);
}

static void test_ca_signs_device_cert(void **state)
{
    struct tls_ca *ca = NULL;
    struct scs_buf *out = scs_buf_new(65536);
    struct scs_buf *pub = NULL;
    struct scs_diag d;
    FILE *f;

    assert_int_equal(tls_ca_generate("SCS Device CA", 3650, &ca), 0);
    assert_int_equal(run("openssl x509 -in device.pem -pubkey -noout | openssl pkey -pubin "
                         "-outform DER -out spki.der && openssl x509 -in device.pem -pubkey -noout "
                         "| openssl rsa -pubin -RSAPublicKey_out -outform DER -out pkcs1.der "
                         "2>/dev/null"),
                     0);
    const char *forms[] = {"spki.der", "pkcs1.der"};
    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(scs_file_read(path(forms[i]), 65536, &pub), 0);
        scs_buf_reset(out);
        assert_int_equal(tls_ca_sign_device_cert(ca, scs_buf_data(pub), scs_buf_len(pub),
                                                 "IntelAMT-0123456789ab", 365, out, &d),
                         0);
        /* Trailing garbage after the key is refused. */
        struct scs_buf *bad = scs_buf_new(65536);
        assert_int_equal(scs_buf_put(bad, scs_buf_data(pub), scs_buf_len(pub)), 0);
        assert_int_equal(scs_buf_put_u8(bad, 0), 0);
        assert_int_equal(
            tls_ca_sign_device_cert(ca, scs_buf_data(bad), scs_buf_len(bad), "x", 365, out, &d),
            SCS_ERR_FORMAT);
        scs_buf_free(bad);
        scs_buf_free(pub);
        pub = NULL;
    }
    f = fopen(path("issued.der"), "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(scs_buf_data(out), 1, scs_buf_len(out), f), scs_buf_len(out));
    fclose(f);
    scs_buf_reset(out);
    assert_int_equal(tls_ca_cert_der(ca, out), 0);
    f = fopen(path("ca.der"), "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(scs_buf_data(out), 1, scs_buf_len(out), f), scs_buf_len(out));
    fclose(f);
    /* An independent verifier accepts the issued certificate for TLS server use. */
    assert_int_equal(run("openssl x509 -inform DER -in ca.der -out ca.pem && openssl x509 -inform "
                         "DER -in issued.der -out issued.pem && openssl verify -purpose sslserver "
                         "-CAfile ca.pem issued.pem >/dev/null && openssl x509 -in issued.pem "
                         "-noout -ext extendedKeyUsage | grep -q 'TLS Web Client Authentication'"),
                     0);
    assert_int_equal(run("openssl x509 -in issued.pem -noout -subject | grep -q "
                         "'CN = IntelAMT-0123456789ab'"),
                     0);
    /* A 1024-bit device key is refused. */
    assert_int_equal(run("openssl x509 -in weak_leaf.pem -pubkey -noout | openssl pkey -pubin "
                         "-outform DER -out weak.der"),
                     0);
    assert_int_equal(scs_file_read(path("weak.der"), 65536, &pub), 0);
    assert_int_equal(
        tls_ca_sign_device_cert(ca, scs_buf_data(pub), scs_buf_len(pub), "x", 365, out, &d),
        SCS_ERR_FORMAT);
    scs_buf_free(pub);
    tls_ca_free(ca);
    scs_buf_free(out);
}

static void test_sessions(void **state)
{
    struct tls_session *s = NULL;
    uint8_t fp[TLS_FINGERPRINT_LEN];
    assert_int_equal(tls_session_new_psk((const uint8_t *)"0000-37M",
                                         (const uint8_t *)"NKLDG5DCRRNQE9YZZIJL7LFLVJED69XJ", 1,
                                         &s),
                     SCS_ERR_INVALID_ARG);
    assert_int_equal(tls_session_new_psk((const uint8_t *)"0000037M",
                                         (const uint8_t *)"NKLDG5DCRRNQE9YZZIJL7LFLVJED69XJ", 1,
                                         &s),
                     0);
    assert_int_equal(tls_session_peer_fingerprint(s, fp), SCS_ERR_NOT_FOUND);
    assert_int_equal(tls_session_psk_uses(s), 0);
    assert_int_equal(tls_session_apply(s, NULL), SCS_ERR_INVALID_ARG);
    tls_session_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_identity_and_hashes),
        cmocka_unit_test(test_provisioning_rules),
        cmocka_unit_test(test_ca_signs_device_cert),
        cmocka_unit_test(test_sessions),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
