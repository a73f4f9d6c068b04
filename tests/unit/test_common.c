/* Unit tests for src/common: buffers, cursors, encodings, JSON, secret hygiene. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "common/buf.h"
#include "common/encoding.h"
#include "common/err.h"
#include "common/json.h"
#include "common/secmem.h"

static void test_buf_cap_is_hard(void **state)
{
    struct scs_buf *b = scs_buf_new(8);
    assert_non_null(b);
    assert_int_equal(scs_buf_put(b, "12345678", 8), 0);
    /* One byte more must fail and leave the contents as they were. */
    assert_int_equal(scs_buf_put_u8(b, 'x'), SCS_ERR_TOO_LARGE);
    assert_int_equal(scs_buf_len(b), 8);
    assert_memory_equal(scs_buf_data(b), "12345678", 8);
    assert_int_equal(scs_buf_printf(b, "%d", 1), SCS_ERR_TOO_LARGE);
    scs_buf_free(b);
    assert_null(scs_buf_new(0));
    assert_null(scs_buf_new(SCS_BUF_MAX_CAP + 1));
}

static void test_buf_le_and_printf(void **state)
{
    struct scs_buf *b = scs_buf_new(64);
    static const uint8_t want[] = {0x01, 0x34, 0x12, 0x78, 0x56, 0x34, 0x12, 'a', '=', '7'};
    assert_int_equal(scs_buf_put_u8(b, 1), 0);
    assert_int_equal(scs_buf_put_u16le(b, 0x1234), 0);
    assert_int_equal(scs_buf_put_u32le(b, 0x12345678), 0);
    assert_int_equal(scs_buf_printf(b, "%s=%d", "a", 7), 0);
    assert_int_equal(scs_buf_len(b), sizeof(want));
    assert_memory_equal(scs_buf_data(b), want, sizeof(want));
    assert_int_equal(scs_buf_truncate(b, 3), 0);
    assert_int_equal(scs_buf_len(b), 3);
    assert_int_equal(scs_buf_truncate(b, 4), SCS_ERR_INVALID_ARG);
    scs_buf_reset(b);
    assert_string_equal(scs_buf_cstr(b), "");
    scs_buf_free(b);
}

static void test_buf_grows_across_many_appends(void **state)
{
    struct scs_buf *b = scs_buf_new(100000);
    for (int i = 0; i < 10000; i++) {
        assert_int_equal(scs_buf_put(b, "0123456789", 10), 0);
    }
    assert_int_equal(scs_buf_len(b), 100000);
    assert_int_equal(scs_buf_put_u8(b, 0), SCS_ERR_TOO_LARGE);
    assert_memory_equal(scs_buf_data(b) + 99990, "0123456789", 10);
    scs_buf_free(b);
}

static void test_rd_bounds(void **state)
{
    static const uint8_t in[] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07};
    struct scs_rd r;
    uint8_t u8;
    uint16_t u16;
    uint32_t u32;

    scs_rd_init(&r, in, sizeof(in));
    assert_int_equal(scs_rd_u8(&r, &u8), 0);
    assert_int_equal(u8, 1);
    assert_int_equal(scs_rd_u16le(&r, &u16), 0);
    assert_int_equal(u16, 0x0302);
    assert_int_equal(scs_rd_end(&r), SCS_ERR_TRAILING);
    /* Only 4 bytes left: a u32 fits, then nothing does. */
    assert_int_equal(scs_rd_u32le(&r, &u32), 0);
    assert_int_equal(u32, 0x07060504u);
    assert_int_equal(scs_rd_u8(&r, &u8), SCS_ERR_TRUNCATED);
    assert_int_equal(scs_rd_offset(&r), 7);
    assert_int_equal(scs_rd_end(&r), 0);

    /* A failed read does not move the cursor. */
    scs_rd_init(&r, in, 3);
    assert_int_equal(scs_rd_u32le(&r, &u32), SCS_ERR_TRUNCATED);
    assert_int_equal(scs_rd_offset(&r), 0);
    assert_int_equal(scs_rd_skip(&r, SIZE_MAX), SCS_ERR_TRUNCATED);
    assert_int_equal(scs_rd_offset(&r), 0);
}

static void test_hex(void **state)
{
    static const uint8_t in[] = {0x00, 0x9f, 0xa0, 0xff};
    uint8_t out[4];
    char text[9];

    scs_hex_encode(text, in, sizeof(in));
    assert_string_equal(text, "009fa0ff");
    assert_int_equal(scs_hex_decode(out, 4, "009FA0ff", 8), 0);
    assert_memory_equal(out, in, 4);
    assert_int_equal(scs_hex_decode(out, 4, "009fa0f", 7), SCS_ERR_FORMAT);
    assert_int_equal(scs_hex_decode(out, 4, "009fa0fg", 8), SCS_ERR_FORMAT);
    assert_int_equal(scs_hex_decode(out, 4, "009fa0f:", 8), SCS_ERR_FORMAT);
    assert_int_equal(scs_hex_decode(out, 4, "@09fa0ff", 8), SCS_ERR_FORMAT);
}

static void test_base64(void **state)
{
    /* RFC 4648 §10 vectors. */
    static const char *const plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    static const char *const coded[] = {"",         "Zg==",     "Zm8=",    "Zm9v",
                                        "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
    uint8_t out[16];
    char text[16];
    size_t n;

    for (size_t i = 0; i < 7; i++) {
        scs_base64_encode(text, (const uint8_t *)plain[i], strlen(plain[i]));
        assert_string_equal(text, coded[i]);
        assert_int_equal(scs_base64_decode(out, sizeof(out), &n, coded[i], strlen(coded[i])), 0);
        assert_int_equal(n, strlen(plain[i]));
        assert_memory_equal(out, plain[i], n);
    }
    /* The §6.2 password hash vector. */
    {
        uint8_t md5[16];
        assert_int_equal(scs_hex_decode(md5, 16, "0ae083011bae3d84fc486ce4ab44ae1d", 32), 0);
        scs_base64_encode(text, md5, 16);
        assert_string_equal(text, "CuCDARuuPYT8SGzkq0SuHQ==");
    }
    assert_int_equal(scs_base64_decode(out, sizeof(out), &n, "Zm9", 3), SCS_ERR_FORMAT);
    assert_int_equal(scs_base64_decode(out, sizeof(out), &n, "Zm9*", 4), SCS_ERR_FORMAT);
    assert_int_equal(scs_base64_decode(out, sizeof(out), &n, "Z=9v", 4), SCS_ERR_FORMAT);
    assert_int_equal(scs_base64_decode(out, 2, &n, "Zm9v", 4), SCS_ERR_TOO_LARGE);
}

static void test_json(void **state)
{
    struct scs_buf *b = scs_buf_new(1024);
    struct scs_json j;

    scs_json_init(&j, b);
    scs_json_arr_begin(&j);
    scs_json_obj_begin(&j);
    scs_json_kv_str(&j, "pid", "0000-037M");
    scs_json_kv_int(&j, "n", -3);
    scs_json_kv_bool(&j, "ok", 1);
    scs_json_key(&j, "list");
    scs_json_arr_begin(&j);
    scs_json_str(&j, "a\"b\\c\n\x01");
    scs_json_null(&j);
    scs_json_arr_end(&j);
    scs_json_obj_end(&j);
    scs_json_obj_begin(&j);
    scs_json_obj_end(&j);
    scs_json_arr_end(&j);
    assert_int_equal(scs_json_finish(&j), 0);
    assert_string_equal(
        scs_buf_cstr(b),
        "[{\"pid\":\"0000-037M\",\"n\":-3,\"ok\":true,\"list\":[\"a\\\"b\\\\c\\n\\u0001\","
        "null]},{}]\n");
    /* Unbalanced documents are an error, not silently emitted. */
    scs_buf_reset(b);
    scs_json_init(&j, b);
    scs_json_obj_begin(&j);
    assert_int_equal(scs_json_finish(&j), SCS_ERR_INTERNAL);
    scs_buf_free(b);
}

static void test_ct_eq_and_secret(void **state)
{
    struct scs_secret *s;

    assert_true(scs_ct_eq("abcd", "abcd", 4));
    assert_false(scs_ct_eq("abcd", "abce", 4));
    assert_false(scs_ct_eq("\x80", "\x00", 1));
    assert_true(scs_ct_eq("", "", 0));
    assert_true(scs_ct_streq("pass", "pass"));
    assert_false(scs_ct_streq("pass", "pass1"));
    assert_false(scs_ct_streq("", "x"));

    s = scs_secret_from("NKLDG5DC", 8);
    assert_non_null(s);
    assert_int_equal(scs_secret_len(s), 8);
    assert_string_equal(scs_secret_str(s), "NKLDG5DC");
    scs_secret_set_len(s, 4);
    assert_string_equal(scs_secret_str(s), "NKLD");
    scs_secret_free(s);
    scs_secret_free(NULL);
}

static void test_strerror_and_diag(void **state)
{
    struct scs_diag d;

    assert_string_equal(scs_strerror(0), "success");
    assert_string_equal(scs_strerror(SCS_ERR_CHECKSUM), "check character mismatch");
    assert_string_equal(scs_strerror(SCS_ERR_MAX_), "unknown error");
    assert_string_equal(scs_strerror(5), "unknown error");
    for (int e = SCS_ERR_NOMEM; e > SCS_ERR_MAX_; e--) {
        assert_string_not_equal(scs_strerror(e), "unknown error");
    }
    assert_int_equal(scs_diag_fail(&d, SCS_ERR_FORMAT, 24, "bad %s", "thing"), SCS_ERR_FORMAT);
    assert_int_equal(d.offset, 24);
    assert_true(d.has_offset);
    assert_string_equal(d.reason, "bad thing");
}

/* Secrets of every size class and beyond: zeroed when made, each its own bytes
 * (no two overlap), zeroed again when a freed chunk is handed out anew. */
static void test_secret_sizes(void **state)
{
    static const size_t sizes[] = {0, 1, 32, 63, 64, 200, 255, 1000, 1023, 4095, 4096, 70000};
    enum { PER = 300 };
    struct scs_secret *s[sizeof(sizes) / sizeof(sizes[0])][PER];
    (void)state;

    for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
        for (size_t i = 0; i < PER; i++) {
            s[k][i] = scs_secret_new(sizes[k]);
            assert_non_null(s[k][i]);
            assert_int_equal(scs_secret_len(s[k][i]), sizes[k]);
            const uint8_t *d = scs_secret_cdata(s[k][i]);
            for (size_t j = 0; j <= sizes[k]; j++) {
                assert_int_equal(d[j], 0);
            }
            memset(scs_secret_data(s[k][i]), (int)(k * 31 + i) & 0xff, sizes[k]);
        }
    }
    for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
        for (size_t i = 0; i < PER; i++) {
            const uint8_t *d = scs_secret_cdata(s[k][i]);
            for (size_t j = 0; j < sizes[k]; j++) {
                assert_int_equal(d[j], (k * 31 + i) & 0xff);
            }
            assert_int_equal(d[sizes[k]], 0); /* the terminating NUL survived */
        }
    }
    for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
        for (size_t i = 0; i < PER; i++) {
            scs_secret_free(s[k][i]);
        }
    }
    /* Reused chunks come back zeroed. */
    for (size_t i = 0; i < PER; i++) {
        s[0][i] = scs_secret_new(40);
        assert_non_null(s[0][i]);
        for (size_t j = 0; j <= 40; j++) {
            assert_int_equal(scs_secret_cdata(s[0][i])[j], 0);
        }
    }
    for (size_t i = 0; i < PER; i++) {
        scs_secret_free(s[0][i]);
    }
    assert_null(scs_secret_new(SIZE_MAX - 1));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_buf_cap_is_hard),
        cmocka_unit_test(test_buf_le_and_printf),
        cmocka_unit_test(test_buf_grows_across_many_appends),
        cmocka_unit_test(test_rd_bounds),
        cmocka_unit_test(test_hex),
        cmocka_unit_test(test_base64),
        cmocka_unit_test(test_json),
        cmocka_unit_test(test_ct_eq_and_secret),
        cmocka_unit_test(test_secret_sizes),
        cmocka_unit_test(test_strerror_and_diag),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
