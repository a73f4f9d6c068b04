/* Unit tests for src/crypto: digests, AEAD binding, scrypt bounds, RNG. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "common/buf.h"
#include "common/encoding.h"
#include "common/err.h"
#include "crypto/crypto.h"

static void test_md5_password_vector(void **state)
{
    /* protocol.md §6.2: MD5("admin:<realm>:P@ssw0rd"). */
    const char *a1 = "admin:Digest:F3EB554784E729164447A89F60B641C5:P@ssw0rd";
    uint8_t md[SCS_MD5_LEN];
    char hex[33];
    assert_int_equal(scs_md5(a1, strlen(a1), md), 0);
    scs_hex_encode(hex, md, sizeof(md));
    assert_string_equal(hex, "0ae083011bae3d84fc486ce4ab44ae1d");
}

static void test_sha256_vector(void **state)
{
    uint8_t md[SCS_SHA256_LEN];
    char hex[65];
    assert_int_equal(scs_sha256("abc", 3, md), 0);
    scs_hex_encode(hex, md, sizeof(md));
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static void test_aead_roundtrip_and_binding(void **state)
{
    uint8_t key[SCS_AEAD_KEY_LEN], other[SCS_AEAD_KEY_LEN];
    struct scs_buf *blob = scs_buf_new(256);
    uint8_t pt[64];
    size_t n = 0;

    memset(key, 7, sizeof(key));
    memset(other, 8, sizeof(other));
    assert_int_equal(scs_aead_seal(key, "psk:pps:1", 9, "secret-pps", 10, blob), 0);
    assert_int_equal(scs_buf_len(blob), 10 + SCS_AEAD_OVERHEAD);
    assert_int_equal(scs_aead_open(key, "psk:pps:1", 9, scs_buf_data(blob), scs_buf_len(blob), pt,
                                   sizeof(pt), &n),
                     0);
    assert_int_equal(n, 10);
    assert_memory_equal(pt, "secret-pps", 10);
    /* Another row's associated data, another key, or one flipped bit: nothing opens. */
    assert_int_equal(scs_aead_open(key, "psk:pps:2", 9, scs_buf_data(blob), scs_buf_len(blob), pt,
                                   sizeof(pt), &n),
                     SCS_ERR_AUTH);
    assert_int_equal(scs_aead_open(other, "psk:pps:1", 9, scs_buf_data(blob), scs_buf_len(blob), pt,
                                   sizeof(pt), &n),
                     SCS_ERR_AUTH);
    {
        uint8_t copy[64];
        memcpy(copy, scs_buf_data(blob), scs_buf_len(blob));
        copy[SCS_AEAD_NONCE_LEN + 3] ^= 1;
        assert_int_equal(
            scs_aead_open(key, "psk:pps:1", 9, copy, scs_buf_len(blob), pt, sizeof(pt), &n),
            SCS_ERR_AUTH);
    }
    assert_int_equal(scs_aead_open(key, "", 0, scs_buf_data(blob), 5, pt, sizeof(pt), &n),
                     SCS_ERR_AUTH);
    scs_buf_free(blob);
}

static void test_scrypt_bounds(void **state)
{
    struct scs_scrypt_params weak = {.n = 1024, .r = 8, .p = 1};
    struct scs_scrypt_params huge = {.n = 1ull << 30, .r = 8, .p = 1};
    struct scs_scrypt_params odd = {.n = 3u << 14, .r = 8, .p = 1};
    struct scs_scrypt_params ok = {.n = 1u << 14, .r = 8, .p = 1};
    uint8_t out1[32], out2[32];

    assert_int_equal(scs_scrypt_params_check(&weak), SCS_ERR_FORMAT);
    assert_int_equal(scs_scrypt_params_check(&huge), SCS_ERR_FORMAT);
    assert_int_equal(scs_scrypt_params_check(&odd), SCS_ERR_FORMAT);
    assert_int_equal(scs_scrypt_params_check(&scs_scrypt_default), 0);
    assert_int_equal(scs_scrypt("pw", 2, (const uint8_t *)"salt", 4, &ok, out1, 32), 0);
    assert_int_equal(scs_scrypt("pw", 2, (const uint8_t *)"salt", 4, &ok, out2, 32), 0);
    assert_memory_equal(out1, out2, 32);
    assert_int_equal(scs_scrypt("pX", 2, (const uint8_t *)"salt", 4, &ok, out2, 32), 0);
    assert_memory_not_equal(out1, out2, 32);
}

static void test_random_uniform(void **state)
{
    struct scs_random_stream rs;
    unsigned counts[36] = {0};
    uint32_t v;
    scs_random_stream_init(&rs);
    for (int i = 0; i < 36000; i++) {
        assert_int_equal(scs_random_uniform(&rs, 36, &v), 0);
        assert_true(v < 36);
        counts[v]++;
    }
    /* Each bucket expects 1000; 700..1300 is far outside chance for a fair generator. */
    for (int i = 0; i < 36; i++) {
        assert_in_range(counts[i], 700, 1300);
    }
    assert_int_equal(scs_random_uniform(&rs, 0, &v), SCS_ERR_INVALID_ARG);
    assert_int_equal(scs_random_uniform(NULL, 36, &v), SCS_ERR_INVALID_ARG);
    /* A stream hands each byte out once: no two consecutive draws from a wide
     * bound repeat (a repeat of a 32-bit draw is a 1 in 2^32 event). */
    uint32_t prev = 0;
    for (int i = 0; i < 200; i++) {
        assert_int_equal(scs_random_uniform(&rs, UINT32_MAX, &v), 0);
        assert_true(i == 0 || v != prev);
        prev = v;
    }
    scs_random_stream_wipe(&rs);
    for (size_t i = 0; i < sizeof(rs.buf); i++) {
        assert_int_equal(rs.buf[i], 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_md5_password_vector),
        cmocka_unit_test(test_sha256_vector),
        cmocka_unit_test(test_aead_roundtrip_and_binding),
        cmocka_unit_test(test_scrypt_bounds),
        cmocka_unit_test(test_random_uniform),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
