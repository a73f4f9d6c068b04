/* Unit tests for src/formats/setupbin.c (protocol.md §7). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/buf.h"
#include "common/encoding.h"
#include "common/err.h"
#include "common/fileio.h"
#include "common/secmem.h"
#include "formats/hello.h"
#include "formats/pidpps.h"
#include "formats/setupbin.h"

static const char intel_pps[] = "NKLDG5DCRRNQE9YZZIJL7LFLVJED69XJ";

/* Hand-written from §7.1-7.3 for spec_a() below (format 3, not scrambled). */
static const char want_header_hex[] = "a7f7f6c689c4f64793ede2e5020da51d" /* v3 type UUID */
                                      "0100"
                                      "2e00"
                                      "00000000" /* chunks, 46, rec 0 */
                                      "03"
                                      "00"
                                      "0000" /* 3.0, flags 0 */
                                      "01000000"
                                      "00000000" /* 1 record, 0 used */
                                      "0100"
                                      "0000" /* chunk, reserved */
                                      "0100"
                                      "0200"
                                      "0000"; /* modules 1, 2, end */
static const char want_record_hex[] =
    "01000000"
    "01000000"
    "00000000"
    "00000000"
    "0100"
    "1800"
    "01000000"
    "0100"
    "0100"
    "0500"
    "0000"
    "61646d696e000000" /* (1,1) admin */
    "0100"
    "0200"
    "0800"
    "0000"
    "4e65775040737331" /* (1,2) NewP@ss1 */
    "0200"
    "0100"
    "0800"
    "0000"
    "303030303033374d" /* (2,1) 0000037M */
    "0200"
    "0200"
    "2000"
    "0000" /* (2,2) PPS */
    "4e4b4c444735444352524e514539595a5a494a4c374c464c564a45443639584a"
    "0200"
    "0300"
    "0b00"
    "0000"
    "6578616d706c652e636f6d00" /* (2,3) example.com */
    "0200"
    "1100"
    "0400"
    "0000"
    "0101a8c0" /* (2,17) 192.168.1.1 */
    "0200"
    "1200"
    "0200"
    "0000"
    "f3260000" /* (2,18) 9971 */
    "0200"
    "1c00"
    "0100"
    "0000"
    "01000000"; /* (2,28) 1 */

struct fixture {
    struct scs_secret *cur, *new, *pps1, *pps2;
    char pid2[9];
    struct scs_setupbin_pair pairs[2];
    struct scs_setupbin_cert_hash hash;
    struct scs_setupbin_spec spec;
};
static struct fixture fx;

static void spec_a(void)
{
    memset(&fx.spec, 0, sizeof(fx.spec));
    fx.spec.version = 3;
    fx.spec.mebx_current = fx.cur;
    fx.spec.mebx_new = fx.new;
    fx.spec.dns_suffix = "example.com";
    fx.spec.has_server = 1;
    fx.spec.server_ip[0] = 192;
    fx.spec.server_ip[1] = 168;
    fx.spec.server_ip[2] = 1;
    fx.spec.server_ip[3] = 1;
    fx.spec.has_port = 1;
    fx.spec.server_port = 9971;
    fx.spec.provision_start = 1;
    fx.spec.pairs = fx.pairs;
    fx.spec.pair_count = 1;
}

static int setup(void **state)
{
    fx.cur = scs_secret_from("admin", 5);
    fx.new = scs_secret_from("NewP@ss1", 8);
    fx.pps1 = scs_secret_from(intel_pps, 32);
    if (scs_pps_generate(&fx.pps2) != 0) {
        return 1;
    }
    memcpy(fx.pid2, "1234567", 7);
    fx.pid2[7] = scs_pidpps_check_char(fx.pid2, 7);
    fx.pid2[8] = 0;
    fx.pairs[0].pid = "0000037M";
    fx.pairs[0].pps = fx.pps1;
    fx.pairs[1].pid = fx.pid2;
    fx.pairs[1].pps = fx.pps2;
    fx.hash.alg = SCS_HASH_SHA256;
    fx.hash.len = 32;
    scs_hex_decode(fx.hash.hash, 32,
                   "c3846bf24b9e93ca64274c0ec67c1ecc5e024ffcacd2d74019350e81fe546ae4", 64);
    memcpy(fx.hash.name, "MeshCentral", 12);
    spec_a();
    return 0;
}

static int teardown(void **state)
{
    scs_secret_free(fx.cur);
    scs_secret_free(fx.new);
    scs_secret_free(fx.pps1);
    scs_secret_free(fx.pps2);
    return 0;
}

static struct scs_buf *write_spec(void)
{
    struct scs_buf *b = scs_buf_new(SCS_SETUPBIN_MAX_FILE_LEN);
    struct scs_diag d;
    assert_non_null(b);
    assert_int_equal(scs_setupbin_write(&fx.spec, b, &d), 0);
    return b;
}

static void render(const struct scs_setupbin_var *v, int show, char *out, size_t cap)
{
    struct scs_buf *b = scs_buf_new(1024);
    assert_int_equal(scs_setupbin_var_render(v, show, b), 0);
    snprintf(out, cap, "%s", scs_buf_cstr(b));
    scs_buf_free(b);
}

static void test_acu_default_fixture(void **state)
{
    struct scs_buf *f = NULL;
    struct scs_setupbin *sb = NULL;
    struct scs_diag d;
    const struct scs_setupbin_record *r;
    char text[128];
    static const uint16_t want[][3] = {{1, 1, 5},  {1, 2, 14}, {1, 6, 16}, {2, 13, 1}, {2, 23, 1},
                                       {2, 25, 1}, {2, 26, 1}, {2, 27, 1}, {2, 29, 1}};

    assert_int_equal(
        scs_file_read(SCS_FIXTURES "/setupbin/acu-12.1-default.bin", SCS_SETUPBIN_MAX_FILE_LEN, &f),
        0);
    assert_int_equal(scs_setupbin_parse(scs_buf_data(f), scs_buf_len(f), &sb, &d), 0);
    assert_int_equal(sb->version, 4);
    assert_int_equal(sb->minor, 0);
    assert_int_equal(sb->flags, SCS_SETUPBIN_HDR_NO_CONSUME);
    assert_int_equal(sb->records_consumed, 0);
    assert_int_equal(sb->module_count, 2);
    assert_int_equal(sb->modules[0], 1);
    assert_int_equal(sb->modules[1], 2);
    assert_int_equal(sb->record_count, 1);
    r = &sb->records[0];
    assert_int_equal(r->type, 1);
    assert_int_equal(r->flags, SCS_SETUPBIN_REC_VALID | SCS_SETUPBIN_REC_SCRAMBLED);
    assert_int_equal(r->number, 1);
    assert_int_equal(r->var_count, sizeof(want) / sizeof(want[0]));
    for (size_t i = 0; i < r->var_count; i++) {
        assert_int_equal(r->vars[i].module, want[i][0]);
        assert_int_equal(r->vars[i].id, want[i][1]);
        assert_int_equal(r->vars[i].len, want[i][2]);
        assert_non_null(scs_setupbin_var_lookup(r->vars[i].module, r->vars[i].id));
    }
    assert_int_equal(r->vars[0].offset, 512 + 24);
    assert_memory_equal(r->vars[0].value, "admin", 5);
    render(&r->vars[0], 0, text, sizeof(text));
    assert_string_equal(text, "********");
    render(&r->vars[1], 1, text, sizeof(text));
    assert_string_equal(text, "HeyH0Password!");
    render(&r->vars[2], 0, text, sizeof(text));
    assert_string_equal(text, "46732273-dc23-2f43-a98a-13d37982d855");
    render(&r->vars[3], 0, text, sizeof(text));
    assert_string_equal(text, "2");
    scs_setupbin_free(sb);
    scs_buf_free(f);
}

static void test_acu_edited_fixture(void **state)
{
    struct scs_buf *f = NULL;
    struct scs_setupbin *sb = NULL;
    struct scs_diag d;

    assert_int_equal(
        scs_file_read(SCS_FIXTURES "/setupbin/acu-12.1-edited.bin", SCS_SETUPBIN_MAX_FILE_LEN, &f),
        0);
    assert_int_equal(scs_setupbin_parse(scs_buf_data(f), scs_buf_len(f), &sb, &d), 0);
    assert_int_equal(sb->version, 4);
    /* This ACU sample has RecordHeaderBytes 46 but an all-zero module list. */
    assert_int_equal(sb->module_count, 0);
    assert_int_equal(sb->records[0].var_count, 11);
    assert_int_equal(sb->records[0].vars[2].module, 1);
    assert_int_equal(sb->records[0].vars[2].id, 3);
    assert_int_equal(sb->records[0].vars[2].value[0], 1);
    assert_int_equal(sb->records[0].vars[4].id, 10);
    assert_int_equal(sb->records[0].vars[4].value[0], 7);
    scs_setupbin_free(sb);
    scs_buf_free(f);
}

static void expect_hex(const uint8_t *got, const char *hex)
{
    size_t n = strlen(hex) / 2;
    uint8_t *want = malloc(n);
    assert_int_equal(scs_hex_decode(want, n, hex, 2 * n), 0);
    assert_memory_equal(got, want, n);
    free(want);
}

static void test_writer_exact_bytes(void **state)
{
    struct scs_buf *b;
    const uint8_t *p;

    spec_a();
    b = write_spec();
    assert_int_equal(scs_buf_len(b), 1024);
    p = scs_buf_data(b);
    expect_hex(p, want_header_hex);
    for (size_t i = strlen(want_header_hex) / 2; i < 512; i++) {
        assert_int_equal(p[i], 0);
    }
    expect_hex(p + 512, want_record_hex);
    for (size_t i = 512 + strlen(want_record_hex) / 2; i < 1024; i++) {
        assert_int_equal(p[i], 0);
    }
    scs_buf_free(b);

    /* Scrambled: flags 3, every variable byte (padding included) + 0x11. */
    fx.spec.scramble = 1;
    b = write_spec();
    p = scs_buf_data(b);
    expect_hex(p, want_header_hex);
    assert_int_equal(p[512 + 4], 3);
    assert_int_equal(p[512 + 24], 0x12); /* module 1 -> 0x01 + 0x11 */
    assert_int_equal(p[512 + 32], 'a' + 0x11);
    assert_int_equal(p[1023], 0x11);
    scs_buf_free(b);
    spec_a();
}

static void test_round_trip(void **state)
{
    for (unsigned v = 1; v <= 4; v++) {
        for (int scr = 0; scr <= 1; scr++) {
            struct scs_buf *b;
            struct scs_setupbin *sb = NULL;
            struct scs_diag d;
            char text[128];

            spec_a();
            fx.spec.version = v;
            fx.spec.scramble = scr;
            fx.spec.pair_count = 2;
            fx.spec.hashes = &fx.hash;
            fx.spec.hash_count = 1;
            if (v < 3) {
                fx.hash.alg = SCS_HASH_SHA1;
                fx.hash.len = 20;
            }
            b = write_spec();
            fx.hash.alg = SCS_HASH_SHA256;
            fx.hash.len = 32;
            assert_int_equal(scs_buf_len(b), 512 * 3);
            assert_int_equal(scs_setupbin_parse(scs_buf_data(b), scs_buf_len(b), &sb, &d), 0);
            assert_int_equal(sb->version, v);
            assert_int_equal(sb->flags, 0);
            assert_int_equal(sb->record_count, 2);
            for (size_t i = 0; i < 2; i++) {
                const struct scs_setupbin_record *r = &sb->records[i];
                static const uint16_t ids[][2] = {{1, 1}, {1, 2},  {2, 1},  {2, 2}, {2, 3},
                                                  {2, 8}, {2, 17}, {2, 18}, {2, 28}};
                assert_int_equal(r->flags, scr ? 3 : 1);
                assert_int_equal(r->var_count, 9);
                for (size_t k = 0; k < 9; k++) {
                    assert_int_equal(r->vars[k].module, ids[k][0]);
                    assert_int_equal(r->vars[k].id, ids[k][1]);
                }
                assert_memory_equal(r->vars[2].value, fx.pairs[i].pid, 8);
                assert_memory_equal(r->vars[3].value, scs_secret_str(fx.pairs[i].pps), 32);
                render(&r->vars[2], 0, text, sizeof(text));
                assert_int_equal(strlen(text), 9);
                assert_int_equal(text[4], '-');
                render(&r->vars[3], 0, text, sizeof(text));
                assert_string_equal(text, "********");
                render(&r->vars[5], 0, text, sizeof(text));
                assert_string_equal(text, v < 3 ? "SHA1 c3846bf24b9e93ca64274c0ec67c1ecc5e024ffc "
                                                  "\"MeshCentral\""
                                                : "SHA256 c3846bf24b9e93ca64274c0ec67c1ecc5e02"
                                                  "4ffcacd2d74019350e81fe546ae4 \"MeshCentral\"");
                render(&r->vars[6], 0, text, sizeof(text));
                assert_string_equal(text, "192.168.1.1");
                render(&r->vars[7], 0, text, sizeof(text));
                assert_string_equal(text, "9971");
            }
            scs_setupbin_free(sb);
            scs_buf_free(b);
        }
    }
    spec_a();
}

static void expect_write_fail(int err, const char *needle)
{
    struct scs_buf *b = scs_buf_new(SCS_SETUPBIN_MAX_FILE_LEN);
    struct scs_diag d;
    int r = scs_setupbin_write(&fx.spec, b, &d);
    if (r != err) {
        fail_msg("expected %d for '%s', got %d", err, needle, r);
    }
    assert_int_equal(scs_buf_len(b), 0);
    if (strstr(d.reason, needle) == NULL) {
        fail_msg("reason '%s' lacks '%s'", d.reason, needle);
    }
    scs_buf_free(b);
    spec_a();
}

static void test_writer_rejects(void **state)
{
    struct scs_secret *weak = scs_secret_from("password", 8);
    struct scs_secret *bad_pps = scs_secret_from("NKLDG5DCRRNQE9YZZIJL7LFLVJED69XK", 32);
    struct scs_setupbin_cert_hash many[8];
    struct scs_setupbin_pair dup[2];

    fx.spec.version = 0;
    expect_write_fail(SCS_ERR_INVALID_ARG, "format version 0");
    fx.spec.version = 5;
    expect_write_fail(SCS_ERR_INVALID_ARG, "format version 5");
    fx.spec.pair_count = 0;
    expect_write_fail(SCS_ERR_INVALID_ARG, "pairs");
    fx.spec.mebx_current = NULL;
    expect_write_fail(SCS_ERR_INVALID_ARG, "go together");
    fx.spec.mebx_new = NULL;
    expect_write_fail(SCS_ERR_INVALID_ARG, "go together");
    fx.spec.mebx_new = weak;
    expect_write_fail(SCS_ERR_INVALID_ARG, "too weak");
    fx.spec.version = 2;
    fx.spec.hashes = &fx.hash;
    fx.spec.hash_count = 1;
    expect_write_fail(SCS_ERR_INVALID_ARG, "needs format 3");
    fx.spec.dns_suffix = "exa mple.com";
    expect_write_fail(SCS_ERR_INVALID_ARG, "DNS suffix");
    fx.spec.pairs = dup;
    dup[0] = fx.pairs[0];
    dup[1] = fx.pairs[0];
    fx.spec.pair_count = 2;
    expect_write_fail(SCS_ERR_INVALID_ARG, "repeats pair 1");
    dup[1].pid = "0000037N";
    fx.spec.pairs = dup;
    fx.spec.pair_count = 2;
    expect_write_fail(SCS_ERR_INVALID_ARG, "check character");
    fx.spec.pairs = dup;
    dup[1] = fx.pairs[1];
    dup[1].pps = bad_pps;
    fx.spec.pair_count = 2;
    expect_write_fail(SCS_ERR_INVALID_ARG, "pair 2: PPS group 8");
    fx.spec.no_consume = 1;
    fx.spec.pair_count = 2;
    expect_write_fail(SCS_ERR_INVALID_ARG, "do not consume");
    /* Eight SHA-384 hashes with long names cannot fit in 488 bytes. */
    for (size_t i = 0; i < 8; i++) {
        many[i].alg = SCS_HASH_SHA384;
        many[i].len = 48;
        memset(many[i].hash, (int)i, 48);
        memset(many[i].name, 'n', 32);
        many[i].name[32] = 0;
    }
    fx.spec.hashes = many;
    fx.spec.hash_count = 8;
    expect_write_fail(SCS_ERR_TOO_LARGE, "do not fit");
    many[0].len = 32;
    fx.spec.hashes = many;
    fx.spec.hash_count = 1;
    expect_write_fail(SCS_ERR_INVALID_ARG, "root hash 1");
    scs_secret_free(weak);
    scs_secret_free(bad_pps);
}

static void test_password_rule(void **state)
{
    static const char *good[] = {"NewP@ss1", "Abcdef1!", "aB3$aB3$aB3$aB3$aB3$aB3$aB3$aB3$",
                                 "P4ss w_rd!"};
    static const char *bad[] = {"",           "Ab1!",      "abcdefg1!",
                                "ABCDEFG1!",  "Abcdefgh!", "Abcdefgh1",
                                "Abcdefg_1",  "Abcdef1:x", "Abcde,f1!",
                                "Abc\"def1!", "Abcdéf1!",  "aB3$aB3$aB3$aB3$aB3$aB3$aB3$aB3$x"};
    struct scs_diag d;

    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        assert_int_equal(scs_mebx_password_check(good[i], strlen(good[i]), &d), 0);
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(scs_mebx_password_check(bad[i], strlen(bad[i]), &d), SCS_ERR_FORMAT);
        assert_null(strstr(d.reason, bad[i][0] != 0 ? bad[i] : "\x01"));
    }
}

/* A valid 3-record v4 file (unscrambled) to mutate. */
static struct scs_buf *base_file(void)
{
    spec_a();
    fx.spec.version = 4;
    fx.spec.pair_count = 2;
    fx.spec.hashes = &fx.hash;
    fx.spec.hash_count = 1;
    return write_spec();
}

static void expect_parse_fail(const uint8_t *p, size_t n, int err, size_t off, const char *needle)
{
    struct scs_setupbin *sb = (struct scs_setupbin *)1;
    struct scs_diag d;
    int r = scs_setupbin_parse(p, n, &sb, &d);

    if (r != err) {
        fail_msg("expected %d, got %d (%s)", err, r, d.reason);
    }
    assert_null(sb);
    assert_true(d.has_offset);
    if (d.offset != off) {
        fail_msg("offset %zu, expected %zu (%s)", d.offset, off, d.reason);
    }
    if (needle != NULL && strstr(d.reason, needle) == NULL) {
        fail_msg("reason '%s' lacks '%s'", d.reason, needle);
    }
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void test_parse_header_rejects(void **state)
{
    struct scs_buf *b = base_file();
    size_t n = scs_buf_len(b);
    uint8_t *m = malloc(n + 512);
    struct scs_setupbin *sb = NULL;
    struct scs_diag d;

#define RESET() memcpy(m, scs_buf_data(b), n)
    RESET();
    assert_int_equal(scs_setupbin_parse(m, n, &sb, &d), 0);
    scs_setupbin_free(sb);
    expect_parse_fail(m, 0, SCS_ERR_TRUNCATED, 0, "header");
    expect_parse_fail(m, 511, SCS_ERR_TRUNCATED, 511, "header");
    expect_parse_fail(m, 1000, SCS_ERR_TRUNCATED, 1000, "announces 2 records");
    memset(m + n, 0, 512);
    expect_parse_fail(m, n + 1, SCS_ERR_TRAILING, n, NULL);
    expect_parse_fail(m, n + 512, SCS_ERR_TRAILING, n, NULL);
    {
        uint8_t *big = calloc(1, SCS_SETUPBIN_MAX_FILE_LEN + 1);
        expect_parse_fail(big, SCS_SETUPBIN_MAX_FILE_LEN + 1, SCS_ERR_TOO_LARGE,
                          SCS_SETUPBIN_MAX_FILE_LEN, NULL);
        free(big);
    }
    m[5] ^= 1;
    expect_parse_fail(m, n, SCS_ERR_VERSION, 0, "UUID");
    RESET();
    put16(m + 16, 2);
    expect_parse_fail(m, n, SCS_ERR_FORMAT, 16, "chunk count");
    RESET();
    put16(m + 18, 47);
    expect_parse_fail(m, n, SCS_ERR_FORMAT, 18, "header byte count");
    RESET();
    put16(m + 18, 44); /* shorter than 2 modules + terminator */
    expect_parse_fail(m, n, SCS_ERR_FORMAT, 18, "header byte count");
    RESET();
    m[20] = 1;
    expect_parse_fail(m, n, SCS_ERR_FORMAT, 20, "record number");
    RESET();
    m[24] = 3;
    expect_parse_fail(m, n, SCS_ERR_FORMAT, 24, "major version 3");
    RESET();
    put16(m + 26, 4);
    expect_parse_fail(m, n, SCS_ERR_FORMAT, 26, "flags");
    RESET();
    m[28] = 0;
    expect_parse_fail(m, n, SCS_ERR_FORMAT, 28, "no data records");
    RESET();
    put16(m + 28, 2000);
    expect_parse_fail(m, n, SCS_ERR_TOO_LARGE, 28, NULL);
    RESET();
    m[32] = 3;
    expect_parse_fail(m, n, SCS_ERR_FORMAT, 32, "consumed");
    RESET();
    put16(m + 36, 2);
    expect_parse_fail(m, n, SCS_ERR_FORMAT, 36, "chunk count");
    RESET();
    m[38] = 1;
    expect_parse_fail(m, n, SCS_ERR_FORMAT, 38, "reserved");
    RESET();
    put16(m + 42, 3);
    expect_parse_fail(m, n, SCS_ERR_FORMAT, 42, "unknown module 3");
    RESET();
    put16(m + 42, 1);
    expect_parse_fail(m, n, SCS_ERR_FORMAT, 42, "listed twice");
    RESET();
    m[300] = 1;
    expect_parse_fail(m, n, SCS_ERR_FORMAT, 300, "after the module list");
    free(m);
    scs_buf_free(b);
#undef RESET
}

static void test_parse_record_rejects(void **state)
{
    struct scs_buf *b = base_file();
    size_t n = scs_buf_len(b);
    const size_t r2 = 1024, v0 = r2 + 24; /* record 2 and its first variable */
    uint8_t *m = malloc(n);

#define RESET() memcpy(m, scs_buf_data(b), n)
    RESET();
    m[r2] = 2;
    expect_parse_fail(m, n, SCS_ERR_FORMAT, r2, "record 2: type 2");
    RESET();
    m[r2 + 4] = 5;
    expect_parse_fail(m, n, SCS_ERR_FORMAT, r2 + 4, "unknown flags");
    RESET();
    m[r2 + 12] = 1;
    expect_parse_fail(m, n, SCS_ERR_FORMAT, r2 + 12, "reserved");
    RESET();
    m[r2 + 16] = 2;
    expect_parse_fail(m, n, SCS_ERR_FORMAT, r2 + 16, "chunk count");
    RESET();
    m[r2 + 18] = 25;
    expect_parse_fail(m, n, SCS_ERR_FORMAT, r2 + 18, "header byte count");
    RESET();
    m[r2 + 20] = 1;
    expect_parse_fail(m, n, SCS_ERR_FORMAT, r2 + 20, "record number is 1");
    /* Variables. */
    RESET();
    m[v0 + 6] = 1;
    expect_parse_fail(m, n, SCS_ERR_FORMAT, v0 + 6, "reserved");
    RESET();
    put16(m + v0 + 4, 481);
    expect_parse_fail(m, n, SCS_ERR_TRUNCATED, v0 + 4, "runs past the record");
    RESET();
    m[v0 + 8 + 5] = 'x'; /* padding after "admin" */
    expect_parse_fail(m, n, SCS_ERR_FORMAT, v0 + 13, "padding");
    RESET();
    m[r2 + 500] = 7; /* after the terminator */
    expect_parse_fail(m, n, SCS_ERR_FORMAT, r2 + 500, "after the end of the variable list");
    RESET();
    put16(m + v0 + 2, 2); /* (1,1) -> (1,2): now (1,2) twice */
    expect_parse_fail(m, n, SCS_ERR_FORMAT, v0 + 16, "appears twice");
    RESET();
    put16(m + v0 + 2, 3); /* (1,1) len 5 -> (1,3), a u8 */
    expect_parse_fail(m, n, SCS_ERR_FORMAT, v0 + 4, "must be 1 bytes, not 5");
    RESET();
    m[v0 + 32 + 8 + 7] = 'N'; /* PID check character of record 2 ((2,1) is the 3rd var) */
    expect_parse_fail(m, n, SCS_ERR_CHECKSUM, v0 + 32 + 8 + 7, "check character");
    RESET();
    /* PPS group 3 check character: replace it with another alphabet character (a
     * bit flip could leave the alphabet when the random PPS has 'Z' there). */
    m[v0 + 48 + 8 + 11] = m[v0 + 48 + 8 + 11] == 'A' ? 'B' : 'A';
    {
        struct scs_setupbin *sb = NULL;
        struct scs_diag d;
        char pps[33];
        assert_int_equal(scs_setupbin_parse(m, n, &sb, &d), SCS_ERR_CHECKSUM);
        assert_non_null(strstr(d.reason, "PPS group 3"));
        memcpy(pps, m + v0 + 56, 32);
        pps[32] = 0;
        for (size_t g = 0; g < 8; g++) {
            char chunk[5];
            memcpy(chunk, pps + 4 * g, 4);
            chunk[4] = 0;
            assert_null(strstr(d.reason, chunk));
        }
    }
    RESET();
    /* (2,8) alg at v0 + 48 + 40 + 8 + 20: after (2,3) (8 + 12 bytes). */
    {
        size_t h8 = v0 + 32 + 16 + 40 + 20;
        assert_int_equal(m[h8 + 2], 8);
        m[h8 + 8] = 9;
        expect_parse_fail(m, n, SCS_ERR_FORMAT, h8 + 8, "root hash algorithm 9");
    }
    /* Every prefix of the file fails cleanly. */
    for (size_t k = 0; k < n; k += 7) {
        struct scs_setupbin *sb = NULL;
        struct scs_diag d;
        assert_int_not_equal(scs_setupbin_parse(scs_buf_data(b), k, &sb, &d), 0);
        assert_null(sb);
    }
    free(m);
    scs_buf_free(b);
#undef RESET
}

static void test_unknown_variable_kept(void **state)
{
    struct scs_buf *b = base_file();
    size_t n = scs_buf_len(b);
    uint8_t *m = malloc(n);
    struct scs_setupbin *sb = NULL;
    struct scs_diag d;
    char text[64];

    memcpy(m, scs_buf_data(b), n);
    put16(m + 512 + 24 + 2, 99); /* (1,1) -> (1,99): unknown, shown as hex */
    assert_int_equal(scs_setupbin_parse(m, n, &sb, &d), 0);
    assert_null(scs_setupbin_var_lookup(1, 99));
    render(&sb->records[0].vars[0], 0, text, sizeof(text));
    assert_string_equal(text, "61646d696e");
    scs_setupbin_free(sb);
    scs_setupbin_free(NULL);
    free(m);
    scs_buf_free(b);
}

static void test_cert_hash_decode(void **state)
{
    uint8_t v[2 + 20 + 3] = {1};
    struct scs_setupbin_cert_hash h;
    struct scs_diag d;

    v[21] = 3;
    memcpy(v + 22, "abc", 3);
    assert_int_equal(scs_setupbin_cert_hash_decode(v, sizeof(v), &h, &d), 0);
    assert_int_equal(h.len, 20);
    assert_string_equal(h.name, "abc");
    assert_int_equal(scs_setupbin_cert_hash_decode(v, sizeof(v) - 1, &h, &d), SCS_ERR_TRUNCATED);
    assert_int_equal(scs_setupbin_cert_hash_decode(v, 10, &h, &d), SCS_ERR_TRUNCATED);
    assert_int_equal(scs_setupbin_cert_hash_decode(v, 0, &h, &d), SCS_ERR_TRUNCATED);
    v[21] = 2;
    assert_int_equal(scs_setupbin_cert_hash_decode(v, sizeof(v), &h, &d), SCS_ERR_TRAILING);
    v[21] = 33;
    assert_int_equal(scs_setupbin_cert_hash_decode(v, sizeof(v), &h, &d), SCS_ERR_FORMAT);
    v[0] = 0;
    assert_int_equal(scs_setupbin_cert_hash_decode(v, sizeof(v), &h, &d), SCS_ERR_FORMAT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_acu_default_fixture),   cmocka_unit_test(test_acu_edited_fixture),
        cmocka_unit_test(test_writer_exact_bytes),    cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_writer_rejects),        cmocka_unit_test(test_password_rule),
        cmocka_unit_test(test_parse_header_rejects),  cmocka_unit_test(test_parse_record_rejects),
        cmocka_unit_test(test_unknown_variable_kept), cmocka_unit_test(test_cert_hash_decode),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
