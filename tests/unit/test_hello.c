/* Unit tests for src/formats/hello.c and roothashes.c (protocol.md §2.2, §5.2). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/buf.h"
#include "common/encoding.h"
#include "common/err.h"
#include "common/fileio.h"
#include "formats/hello.h"
#include "formats/roothashes.h"

/* §2.2 test vectors. */
static const char pki_hex[] =
    "0100030000000000"
    "4b529b93d413181de4871c697a6b7a2b"
    "02"
    "0220c3846bf24b9e93ca64274c0ec67c1ecc5e024ffcacd2d74019350e81fe546ae4"
    "022045140b3247eb9cc8c5b4f0d7b53091f73292089e6e5a63e2749dd3aca9198eda";
static const char psk_hex[] = "0100020003000000"
                              "4b529b93d413181de4871c697a6b7a2b"
                              "303030303033374d";

static uint8_t pki[93], psk[32];
static struct scs_hello *h;

static int setup(void **state)
{
    assert_int_equal(scs_hex_decode(pki, sizeof(pki), pki_hex, strlen(pki_hex)), 0);
    assert_int_equal(scs_hex_decode(psk, sizeof(psk), psk_hex, strlen(psk_hex)), 0);
    h = calloc(1, sizeof(*h));
    return h == NULL;
}

static int teardown(void **state)
{
    free(h);
    return 0;
}

static void hex_of(char *out, const struct scs_hello_hash *hh)
{
    scs_hex_encode(out, hh->data, hh->len);
}

static void test_pki_vector(void **state)
{
    struct scs_diag d;
    char text[SCS_UUID_TEXT_LEN + 1], hex[97];

    assert_int_equal(scs_hello_parse(pki, sizeof(pki), h, &d), 0);
    assert_int_equal(h->admin_credentials_set, 1);
    assert_int_equal(h->version, SCS_HELLO_VERSION_PKI);
    assert_int_equal(h->retry_count, 0);
    scs_uuid_to_text(h->uuid, text);
    assert_string_equal(text, "939b524b-13d4-1d18-e487-1c697a6b7a2b");
    assert_int_equal(h->hash_count, 2);
    assert_int_equal(h->hashes[0].alg, SCS_HASH_SHA256);
    assert_int_equal(h->hashes[0].len, 32);
    hex_of(hex, &h->hashes[1]);
    assert_string_equal(hex, "45140b3247eb9cc8c5b4f0d7b53091f73292089e6e5a63e2749dd3aca9198eda");
}

static void test_psk_vector(void **state)
{
    struct scs_diag d;

    assert_int_equal(scs_hello_parse(psk, sizeof(psk), h, &d), 0);
    assert_int_equal(h->version, SCS_HELLO_VERSION_PSK);
    assert_int_equal(h->retry_count, 3);
    assert_string_equal(h->pid, "0000037M");
    assert_int_equal(h->hash_count, 0);
    assert_int_equal(scs_hello_pid_check_ok(h), 1);
}

static void test_fixtures(void **state)
{
    static const struct {
        const char *file;
        size_t len;
        unsigned hashes;
    } cases[] = {
        {SCS_FIXTURES "/hello/pki-capture-1.bin", 807, 23},
        {SCS_FIXTURES "/hello/pki-capture-2.bin", 841, 24},
    };

    for (size_t c = 0; c < 2; c++) {
        struct scs_buf *b = NULL;
        struct scs_diag d;
        char text[SCS_UUID_TEXT_LEN + 1], hex[97];
        unsigned defaults = 0;

        assert_int_equal(scs_file_read(cases[c].file, SCS_HELLO_MAX_LEN, &b), 0);
        assert_int_equal(scs_buf_len(b), cases[c].len);
        assert_int_equal(scs_hello_parse(scs_buf_data(b), scs_buf_len(b), h, &d), 0);
        assert_int_equal(h->admin_credentials_set, 1);
        assert_int_equal(h->version, 3);
        assert_int_equal(h->retry_count, 0);
        scs_uuid_to_text(h->uuid, text);
        assert_string_equal(text, "939b524b-13d4-1d18-e487-1c697a6b7a2b");
        assert_int_equal(h->hash_count, cases[c].hashes);
        for (unsigned i = 0; i < h->hash_count; i++) {
            const struct scs_root_hash *k;
            assert_int_equal(h->hashes[i].alg, SCS_HASH_SHA256);
            k = scs_root_hash_lookup(h->hashes[i].alg, h->hashes[i].data, h->hashes[i].len);
            assert_non_null(k); /* every hash of both captures is in the table */
            defaults += (unsigned)k->in_default_set;
        }
        /* The 23 defaults in both; capture 2 adds a267c480... as hash 20. */
        assert_int_equal(defaults, 23);
        hex_of(hex, &h->hashes[0]);
        assert_string_equal(hex,
                            "c3846bf24b9e93ca64274c0ec67c1ecc5e024ffcacd2d74019350e81fe546ae4");
        if (cases[c].hashes == 24) {
            hex_of(hex, &h->hashes[19]);
            assert_string_equal(hex,
                                "a267c480b0b29056eb5e8aa7c93add804f5a7df516e969e77bcacafe8d456079");
        }
        scs_buf_free(b);
    }
}

/* Every proper prefix is truncated, and the offset is where the data ended. */
static void test_truncated_everywhere(void **state)
{
    for (size_t n = 0; n < sizeof(pki); n++) {
        struct scs_diag d;
        assert_int_equal(scs_hello_parse(pki, n, h, &d), SCS_ERR_TRUNCATED);
        assert_true(d.has_offset);
        assert_int_equal(d.offset, n);
        assert_int_equal(h->version, 0); /* nothing half-parsed is left */
    }
    for (size_t n = 0; n < sizeof(psk); n++) {
        struct scs_diag d;
        assert_int_equal(scs_hello_parse(psk, n, h, &d), SCS_ERR_TRUNCATED);
        assert_int_equal(d.offset, n);
    }
}

static void test_rejections(void **state)
{
    uint8_t m[100];
    struct scs_diag d;

    /* AdminCredentialsSet > 1. */
    memcpy(m, pki, sizeof(pki));
    m[0] = 2;
    assert_int_equal(scs_hello_parse(m, sizeof(pki), h, &d), SCS_ERR_FORMAT);
    assert_int_equal(d.offset, 0);
    m[0] = 0;
    m[1] = 1;
    assert_int_equal(scs_hello_parse(m, sizeof(pki), h, &d), SCS_ERR_FORMAT);
    /* Unknown interface versions. */
    for (unsigned v = 0; v < 8; v++) {
        if (v == 2 || v == 3) {
            continue;
        }
        memcpy(m, pki, sizeof(pki));
        m[2] = (uint8_t)v;
        assert_int_equal(scs_hello_parse(m, sizeof(pki), h, &d), SCS_ERR_VERSION);
        assert_int_equal(d.offset, 2);
    }
    memcpy(m, pki, sizeof(pki));
    m[3] = 1; /* version 0x0103 */
    assert_int_equal(scs_hello_parse(m, sizeof(pki), h, &d), SCS_ERR_VERSION);
    /* Unknown hash types at the first entry (offset 25). */
    for (unsigned t = 0; t < 256; t++) {
        memcpy(m, pki, sizeof(pki));
        if (t >= 1 && t <= 3) {
            continue;
        }
        m[25] = (uint8_t)t;
        assert_int_equal(scs_hello_parse(m, sizeof(pki), h, &d), SCS_ERR_FORMAT);
        assert_int_equal(d.offset, 25);
    }
    /* Type/length mismatch: SHA256 with 20 or 48, SHA1 with 32 (second entry at 59). */
    memcpy(m, pki, sizeof(pki));
    m[26] = 20;
    assert_int_equal(scs_hello_parse(m, sizeof(pki), h, &d), SCS_ERR_FORMAT);
    assert_int_equal(d.offset, 26);
    memcpy(m, pki, sizeof(pki));
    m[59] = 1;
    assert_int_equal(scs_hello_parse(m, sizeof(pki), h, &d), SCS_ERR_FORMAT);
    assert_int_equal(d.offset, 60);
    assert_non_null(strstr(d.reason, "hash 2"));
    memcpy(m, pki, sizeof(pki));
    m[60] = 48;
    assert_int_equal(scs_hello_parse(m, sizeof(pki), h, &d), SCS_ERR_FORMAT);
    /* Count larger than the entries present. */
    memcpy(m, pki, sizeof(pki));
    m[24] = 3;
    assert_int_equal(scs_hello_parse(m, sizeof(pki), h, &d), SCS_ERR_TRUNCATED);
    assert_int_equal(d.offset, 93);
    assert_non_null(strstr(d.reason, "after 2 hashes"));
    /* Count smaller: the second entry is trailing data. */
    m[24] = 1;
    assert_int_equal(scs_hello_parse(m, sizeof(pki), h, &d), SCS_ERR_TRAILING);
    assert_int_equal(d.offset, 59);
    m[24] = 0;
    assert_int_equal(scs_hello_parse(m, sizeof(pki), h, &d), SCS_ERR_TRAILING);
    assert_int_equal(d.offset, 25);
    assert_int_equal(scs_hello_parse(m, 25, h, &d), 0); /* zero hashes is well-formed */
    assert_int_equal(h->hash_count, 0);
    /* Trailing bytes after complete messages. */
    memcpy(m, pki, sizeof(pki));
    m[93] = 0;
    assert_int_equal(scs_hello_parse(m, 94, h, &d), SCS_ERR_TRAILING);
    assert_int_equal(d.offset, 93);
    memcpy(m, psk, sizeof(psk));
    m[32] = 'X';
    assert_int_equal(scs_hello_parse(m, 33, h, &d), SCS_ERR_TRAILING);
    assert_int_equal(d.offset, 32);
    /* PID bytes outside A-Z 0-9 (including lower case) are malformed. */
    for (size_t i = 0; i < 8; i++) {
        static const uint8_t bad[] = {0, '-', 'a', 0x80, ' ', '@'};
        for (size_t k = 0; k < sizeof(bad); k++) {
            memcpy(m, psk, sizeof(psk));
            m[24 + i] = bad[k];
            assert_int_equal(scs_hello_parse(m, sizeof(psk), h, &d), SCS_ERR_FORMAT);
            assert_int_equal(d.offset, 24 + i);
        }
    }
    /* A wrong PID check character is accepted but flagged. */
    memcpy(m, psk, sizeof(psk));
    m[31] = 'N';
    assert_int_equal(scs_hello_parse(m, sizeof(psk), h, &d), 0);
    assert_string_equal(h->pid, "0000037N");
    assert_int_equal(scs_hello_pid_check_ok(h), 0);
    /* NULL with a length. */
    assert_int_equal(scs_hello_parse(NULL, 5, h, &d), SCS_ERR_INVALID_ARG);
}

static void test_size_limit(void **state)
{
    /* The largest possible Hello (255 SHA-384 hashes) is exactly the limit and parses. */
    size_t n = SCS_HELLO_MAX_LEN;
    uint8_t *big = calloc(1, n + 1);
    struct scs_diag d;

    assert_int_equal(SCS_HELLO_MAX_LEN, 12775);
    memcpy(big, pki, 24);
    big[24] = 255;
    for (size_t i = 0; i < 255; i++) {
        big[25 + i * 50] = 3;
        big[26 + i * 50] = 48;
    }
    assert_int_equal(scs_hello_parse(big, n, h, &d), 0);
    assert_int_equal(h->hash_count, 255);
    assert_int_equal(h->hashes[254].alg, SCS_HASH_SHA384);
    assert_int_equal(scs_hello_parse(big, n + 1, h, &d), SCS_ERR_TOO_LARGE);
    assert_int_equal(d.offset, SCS_HELLO_MAX_LEN);
    free(big);
}

static void test_encode_round_trip(void **state)
{
    struct scs_buf *b = scs_buf_new(SCS_HELLO_MAX_LEN);
    struct scs_diag d;

    assert_int_equal(scs_hello_parse(pki, sizeof(pki), h, &d), 0);
    assert_int_equal(scs_hello_encode(h, b), 0);
    assert_int_equal(scs_buf_len(b), sizeof(pki));
    assert_memory_equal(scs_buf_data(b), pki, sizeof(pki));
    scs_buf_reset(b);
    assert_int_equal(scs_hello_parse(psk, sizeof(psk), h, &d), 0);
    assert_int_equal(scs_hello_encode(h, b), 0);
    assert_memory_equal(scs_buf_data(b), psk, sizeof(psk));
    scs_buf_reset(b);
    /* The encoder refuses what the parser would refuse. */
    h->pid[3] = 'a';
    assert_int_equal(scs_hello_encode(h, b), SCS_ERR_INVALID_ARG);
    assert_int_equal(scs_hello_parse(pki, sizeof(pki), h, &d), 0);
    h->hashes[1].len = 20;
    assert_int_equal(scs_hello_encode(h, b), SCS_ERR_INVALID_ARG);
    h->hashes[1].len = 32;
    h->admin_credentials_set = 2;
    assert_int_equal(scs_hello_encode(h, b), SCS_ERR_INVALID_ARG);
    h->admin_credentials_set = 0;
    h->version = 4;
    assert_int_equal(scs_hello_encode(h, b), SCS_ERR_INVALID_ARG);
    h->version = 3;
    h->hash_count = 256;
    assert_int_equal(scs_hello_encode(h, b), SCS_ERR_INVALID_ARG);
    assert_int_equal(scs_buf_len(b), 0);
    scs_buf_free(b);
}

static void test_uuid_text(void **state)
{
    static const uint8_t raw[16] = {0x4b, 0x52, 0x9b, 0x93, 0xd4, 0x13, 0x18, 0x1d,
                                    0xe4, 0x87, 0x1c, 0x69, 0x7a, 0x6b, 0x7a, 0x2b};
    char text[SCS_UUID_TEXT_LEN + 1];
    uint8_t back[16];

    scs_uuid_to_text(raw, text);
    assert_string_equal(text, "939b524b-13d4-1d18-e487-1c697a6b7a2b");
    assert_int_equal(scs_uuid_from_text("939B524B-13D4-1D18-E487-1C697A6B7A2B", back), 0);
    assert_memory_equal(back, raw, 16);
    assert_int_equal(scs_uuid_from_text("939b524b-13d4-1d18-e487-1c697a6b7a2", back),
                     SCS_ERR_FORMAT);
    assert_int_equal(scs_uuid_from_text("939b524b13d4-1d18-e487-1c697a6b7a2bx", back),
                     SCS_ERR_FORMAT);
    assert_int_equal(scs_uuid_from_text("939b524b-13d4-1d18-e487-1c697a6b7a2g", back),
                     SCS_ERR_FORMAT);
    assert_int_equal(scs_uuid_from_text(NULL, back), SCS_ERR_FORMAT);
}

static void test_hash_alg(void **state)
{
    assert_int_equal(scs_hash_alg_len(1), 20);
    assert_int_equal(scs_hash_alg_len(2), 32);
    assert_int_equal(scs_hash_alg_len(3), 48);
    assert_int_equal(scs_hash_alg_len(0), 0);
    assert_int_equal(scs_hash_alg_len(4), 0);
    assert_string_equal(scs_hash_alg_name(3), "SHA384");
    assert_null(scs_hash_alg_name(9));
}

static void test_root_hash_table(void **state)
{
    size_t defaults = 0, sha1 = 0, sha256 = 0;
    uint8_t dig[48];
    const struct scs_root_hash *k;

    for (size_t i = 0; i < scs_root_hashes_count; i++) {
        const struct scs_root_hash *e = &scs_root_hashes[i];
        assert_int_equal(strlen(e->hex), 2 * scs_hash_alg_len(e->alg));
        defaults += (size_t)e->in_default_set;
        sha1 += e->alg == SCS_HASH_SHA1;
        sha256 += e->alg == SCS_HASH_SHA256;
        if (e->in_default_set) {
            assert_int_equal(e->alg, SCS_HASH_SHA256);
        }
        /* No duplicates, and every entry finds itself. */
        assert_int_equal(scs_hex_decode(dig, scs_hash_alg_len(e->alg), e->hex, strlen(e->hex)), 0);
        assert_ptr_equal(scs_root_hash_lookup(e->alg, dig, scs_hash_alg_len(e->alg)), e);
    }
    assert_int_equal(defaults, 23);
    assert_int_equal(sha1, 6);
    assert_int_equal(sha256, 23 + 1 + 5);
    /* The first default, the unnamed ones, and the 24th. */
    assert_string_equal(scs_root_hashes[0].name, "Go Daddy Class 2 Certification Authority");
    assert_null(scs_root_hashes[8].name);
    assert_null(scs_root_hashes[18].name);
    assert_null(scs_root_hashes[19].name);
    assert_string_equal(scs_root_hashes[22].name, "GlobalSign Root CA – R6");
    assert_string_equal(scs_root_hashes[23].hex,
                        "a267c480b0b29056eb5e8aa7c93add804f5a7df516e969e77bcacafe8d456079");
    assert_false(scs_root_hashes[23].in_default_set);
    assert_null(scs_root_hashes[23].name);
    /* SHA-1 Go Daddy Class 2. */
    assert_int_equal(scs_hex_decode(dig, 20, "2796bae63f1801e277261ba0d77770028f20eee4", 40), 0);
    k = scs_root_hash_lookup(SCS_HASH_SHA1, dig, 20);
    assert_non_null(k);
    assert_string_equal(k->name, "Go Daddy Class 2 Certification Authority");
    /* Wrong algorithm or length: no match. */
    assert_null(scs_root_hash_lookup(SCS_HASH_SHA256, dig, 20));
    assert_null(scs_root_hash_lookup(SCS_HASH_SHA1, dig, 19));
    dig[0] ^= 1;
    assert_null(scs_root_hash_lookup(SCS_HASH_SHA1, dig, 20));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pki_vector),        cmocka_unit_test(test_psk_vector),
        cmocka_unit_test(test_fixtures),          cmocka_unit_test(test_truncated_everywhere),
        cmocka_unit_test(test_rejections),        cmocka_unit_test(test_size_limit),
        cmocka_unit_test(test_encode_round_trip), cmocka_unit_test(test_uuid_text),
        cmocka_unit_test(test_hash_alg),          cmocka_unit_test(test_root_hash_table),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
