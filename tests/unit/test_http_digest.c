/* Unit test for the Digest arithmetic against protocol.md §6.2 and §6.7. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "common/err.h"
#include "http/http.h"

static void test_vector(void **state)
{
    char ha1[HTTP_MD5_HEX_LEN + 1];
    char resp[HTTP_MD5_HEX_LEN + 1];
    /* §6.2: HA1 for admin / Digest:F3EB…41C5 / P@ssw0rd. */
    assert_int_equal(
        http_digest_ha1("admin", "Digest:F3EB554784E729164447A89F60B641C5", "P@ssw0rd", ha1), 0);
    assert_string_equal(ha1, "0ae083011bae3d84fc486ce4ab44ae1d");
    /* §6.7: POST /wsman with the 401's nonce, nc 00000001, cnonce 0a4f113b, qop auth. */
    assert_int_equal(http_digest_response(ha1, "POST", "/wsman", "B9AX94iAAAAAAAAAx6rrSfPHGUrx/3uA",
                                          "00000001", "0a4f113b", "auth", resp),
                     0);
    assert_string_equal(resp, "a28f645ecc35be8c21b23cd61d486745");
    assert_int_equal(
        http_digest_response(ha1, "POST", "/wsman", "n", "00000001", "c", "auth-int", resp),
        SCS_ERR_INVALID_ARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vector),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
