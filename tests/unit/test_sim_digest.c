/* amtsim HTTP Digest: the protocol.md §6.7 vector, quoting styles, nonces. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "common/encoding.h"
#include "common/err.h"
#include "sim/digest.h"

static const char *ha1_hex = "0ae083011bae3d84fc486ce4ab44ae1d";

static void test_vector(void **state)
{
    uint8_t ha1[16];
    char out[33];

    (void)state;
    assert_int_equal(scs_hex_decode(ha1, 16, ha1_hex, 32), 0);
    assert_int_equal(sim_digest_response(ha1, "POST", "/wsman", "B9AX94iAAAAAAAAAx6rrSfPHGUrx/3uA",
                                         "00000001", "0a4f113b", "auth", NULL, 0, out),
                     0);
    assert_string_equal(out, "a28f645ecc35be8c21b23cd61d486745");
}

static void test_parse_quoting_styles(void **state)
{
    struct sim_digest_cred a, b;
    uint8_t ha1[16];

    (void)state;
    /* RPS quotes every parameter; MeshCentral leaves qop and nc bare. */
    assert_int_equal(
        sim_digest_parse(
            "Digest username=\"admin\", realm=\"Digest:F3EB554784E729164447A89F60B641C5\", "
            "nonce=\"B9AX94iAAAAAAAAAx6rrSfPHGUrx/3uA\", uri=\"/wsman\", "
            "response=\"a28f645ecc35be8c21b23cd61d486745\", qop=\"auth\", "
            "nc=\"00000001\", cnonce=\"0a4f113b\"",
            &a),
        0);
    assert_int_equal(
        sim_digest_parse(
            "Digest username=\"admin\",realm=\"Digest:F3EB554784E729164447A89F60B641C5\","
            "nonce=\"B9AX94iAAAAAAAAAx6rrSfPHGUrx/3uA\",uri=\"/wsman\","
            "qop=auth,nc=00000001,cnonce=\"0a4f113b\","
            "response=\"A28F645ECC35BE8C21B23CD61D486745\"",
            &b),
        0);
    assert_string_equal(a.qop, "auth");
    assert_string_equal(b.qop, "auth");
    assert_string_equal(b.nc, "00000001");
    assert_int_equal(scs_hex_decode(ha1, 16, ha1_hex, 32), 0);
    assert_int_equal(sim_digest_verify(&a, ha1, "POST", NULL, 0), 0);
    assert_int_equal(sim_digest_verify(&b, ha1, "POST", NULL, 0), 0);
    ha1[0] ^= 1;
    assert_int_equal(sim_digest_verify(&a, ha1, "POST", NULL, 0), SCS_ERR_AUTH);
}

static void test_auth_int(void **state)
{
    struct sim_digest_cred c;
    uint8_t ha1[16];
    char resp[33];
    char hdr[512];
    const uint8_t body[] = "<Envelope/>";

    (void)state;
    assert_int_equal(scs_hex_decode(ha1, 16, ha1_hex, 32), 0);
    assert_int_equal(sim_digest_response(ha1, "POST", "/wsman", "n1", "00000002", "c1", "auth-int",
                                         body, sizeof(body) - 1, resp),
                     0);
    snprintf(hdr, sizeof(hdr),
             "Digest username=\"admin\", realm=\"r\", nonce=\"n1\", uri=\"/wsman\", qop=auth-int, "
             "nc=00000002, cnonce=\"c1\", response=\"%s\"",
             resp);
    assert_int_equal(sim_digest_parse(hdr, &c), 0);
    assert_int_equal(sim_digest_verify(&c, ha1, "POST", body, sizeof(body) - 1), 0);
    /* a changed body fails auth-int */
    assert_int_equal(sim_digest_verify(&c, ha1, "POST", (const uint8_t *)"x", 1), SCS_ERR_AUTH);
}

static void test_parse_rejects(void **state)
{
    struct sim_digest_cred c;

    (void)state;
    assert_int_not_equal(sim_digest_parse("Basic YWRtaW46YWRtaW4=", &c), 0);
    assert_int_not_equal(sim_digest_parse("Digest username=\"admin", &c), 0);
    assert_int_not_equal(sim_digest_parse("Digest username=\"a\", nonce=\"n\", uri=\"/\"", &c), 0);
    assert_int_not_equal(
        sim_digest_parse("Digest username=\"a\", nonce=\"n\", uri=\"/\", response=\"r\", "
                         "algorithm=SHA-256",
                         &c),
        0);
    /* qop without nc/cnonce */
    assert_int_not_equal(sim_digest_parse("Digest username=\"a\", nonce=\"n\", uri=\"/\", "
                                          "response=\"r\", qop=auth",
                                          &c),
                         0);
}

static void test_nonce(void **state)
{
    char n[SIM_DIGEST_NONCE_LEN + 1];

    (void)state;
    assert_int_equal(sim_digest_init(), 0);
    sim_digest_nonce_make(7, 1000000, n);
    assert_int_equal(strlen(n), SIM_DIGEST_NONCE_LEN);
    assert_int_equal(sim_digest_nonce_check(7, n, 1000010), 0);
    assert_int_equal(sim_digest_nonce_check(7, n, 1000000 + SIM_DIGEST_NONCE_TTL + 1), 1);
    assert_int_equal(sim_digest_nonce_check(8, n, 1000010), SCS_ERR_AUTH);
    n[3] = n[3] == 'A' ? 'B' : 'A';
    assert_int_equal(sim_digest_nonce_check(7, n, 1000010), SCS_ERR_AUTH);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vector),   cmocka_unit_test(test_parse_quoting_styles),
        cmocka_unit_test(test_auth_int), cmocka_unit_test(test_parse_rejects),
        cmocka_unit_test(test_nonce),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
