/*
 * Unit tests for transfer bundles: the pure codec (header and records) and
 * export/import through the pool, including every way an import must fail
 * without importing anything.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/fileio.h"
#include "common/secmem.h"
#include "crypto/crypto.h"
#include "formats/pidpps.h"
#include "psk/bundle.h"
#include "psk/pool.h"

/* Intel's example pair (protocol.md §4.1) and a second valid pair. */
#define PID_A "0000037M"
#define PPS_A "NKLDG5DCRRNQE9YZZIJL7LFLVJED69XJ"

static const struct scs_scrypt_params fast_kdf = {.n = 1u << 14, .r = 8, .p = 1};

static struct psk_bundle_record rec_a(void)
{
    struct psk_bundle_record r;
    memset(&r, 0, sizeof(r));
    memcpy(r.pid, PID_A, SCS_PID_LEN + 1);
    r.pps = PPS_A;
    r.state = SCS_PSK_ASSIGNED;
    snprintf(r.assignee, sizeof(r.assignee), "usb:setup.bin");
    r.created = 1700000000;
    r.updated = 1700000100;
    return r;
}

/* ---- codec ---------------------------------------------------------------- */

struct decoded {
    int n;
    struct psk_bundle_record last;
    char pps[SCS_PPS_LEN + 1];
};

static int decode_visit(void *arg, uint32_t index, const struct psk_bundle_record *rec)
{
    struct decoded *d = arg;
    d->n++;
    d->last = *rec;
    memcpy(d->pps, rec->pps, SCS_PPS_LEN);
    d->pps[SCS_PPS_LEN] = 0;
    return 0;
}

static void test_record_roundtrip(void **state)
{
    struct scs_buf *b = scs_buf_new(4096);
    struct psk_bundle_record r = rec_a();
    struct decoded got = {0};
    struct scs_diag d;

    assert_int_equal(psk_bundle_encode_record(b, &r), 0);
    r.state = SCS_PSK_AVAILABLE;
    r.assignee[0] = 0;
    assert_int_equal(psk_bundle_encode_record(b, &r), 0);
    assert_int_equal(scs_buf_len(b), 2 * PSK_BUNDLE_RECORD_MIN + strlen("usb:setup.bin"));
    assert_int_equal(
        psk_bundle_decode_records(scs_buf_data(b), scs_buf_len(b), 2, decode_visit, &got, &d), 0);
    assert_int_equal(got.n, 2);
    assert_string_equal(got.last.pid, PID_A);
    assert_string_equal(got.pps, PPS_A);
    assert_int_equal(got.last.state, SCS_PSK_AVAILABLE);
    assert_int_equal(got.last.created, 1700000000);
    assert_int_equal(got.last.updated, 1700000100);
    /* Count mismatch either way. */
    assert_int_equal(psk_bundle_decode_records(scs_buf_data(b), scs_buf_len(b), 1, NULL, NULL, &d),
                     SCS_ERR_TRAILING);
    assert_int_equal(psk_bundle_decode_records(scs_buf_data(b), scs_buf_len(b), 3, NULL, NULL, &d),
                     SCS_ERR_TRUNCATED);
    assert_non_null(strstr(d.reason, "record 3"));
    /* Every shorter payload fails. */
    for (size_t len = 0; len < scs_buf_len(b); len++) {
        assert_int_not_equal(psk_bundle_decode_records(scs_buf_data(b), len, 2, NULL, NULL, &d), 0);
    }
    /* The encoder refuses what the decoder would refuse. */
    r = rec_a();
    r.pid[7] = 'N';
    assert_int_equal(psk_bundle_encode_record(b, &r), SCS_ERR_INVALID_ARG);
    r = rec_a();
    r.state = (enum scs_psk_state)7;
    assert_int_equal(psk_bundle_encode_record(b, &r), SCS_ERR_INVALID_ARG);
    scs_buf_free(b);
}

/* One record with a byte changed at off; the decoder must say why. */
static int decode_mutated(size_t off, uint8_t v, struct scs_diag *d)
{
    struct scs_buf *b = scs_buf_new(4096);
    struct psk_bundle_record r = rec_a();
    uint8_t copy[256];
    size_t len;
    int rc;

    assert_int_equal(psk_bundle_encode_record(b, &r), 0);
    r.pid[0] = '1';
    r.pid[7] = scs_pidpps_check_char(r.pid, 7);
    assert_int_equal(psk_bundle_encode_record(b, &r), 0);
    len = scs_buf_len(b);
    memcpy(copy, scs_buf_data(b), len);
    scs_buf_free(b);
    copy[off] = v;
    scs_diag_clear(d);
    rc = psk_bundle_decode_records(copy, len, 2, NULL, NULL, d);
    return rc;
}

static void test_record_validation(void **state)
{
    size_t second = PSK_BUNDLE_RECORD_MIN + strlen("usb:setup.bin");
    struct scs_diag d;

    /* PID check character of record 2. */
    assert_int_equal(decode_mutated(second + 7, 'Z', &d), SCS_ERR_CHECKSUM);
    assert_non_null(strstr(d.reason, "record 2"));
    assert_non_null(strstr(d.reason, "PID"));
    /* PID alphabet. */
    assert_int_equal(decode_mutated(second + 2, 'a', &d), SCS_ERR_FORMAT);
    /* PPS group 3 check character: the message names the group, never the PPS. */
    assert_int_equal(decode_mutated(second + 8 + 11, 'Z', &d), SCS_ERR_CHECKSUM);
    assert_non_null(strstr(d.reason, "record 2"));
    assert_non_null(strstr(d.reason, "group 3"));
    assert_null(strstr(d.reason, "RRNQ"));
    assert_null(strstr(d.reason, "RRNZ"));
    /* State 5 does not exist. */
    assert_int_equal(decode_mutated(second + 40, 5, &d), SCS_ERR_FORMAT);
    assert_non_null(strstr(d.reason, "state"));
    /* Assignee length over the limit, and a control character in it. */
    assert_int_equal(decode_mutated(41, 200, &d), SCS_ERR_TOO_LARGE);
    assert_non_null(strstr(d.reason, "record 1"));
    assert_int_equal(decode_mutated(42, '\n', &d), SCS_ERR_FORMAT);
    /* A timestamp beyond int64. */
    assert_int_equal(decode_mutated(42 + 13 + 7, 0x80, &d), SCS_ERR_FORMAT);
    /* Unchanged: fine. */
    assert_int_equal(decode_mutated(0, '0', &d), 0);
}

static void make_header(struct scs_buf *b, uint32_t count, uint32_t payload_len)
{
    struct psk_bundle_header h;
    memset(&h, 0, sizeof(h));
    h.version = PSK_BUNDLE_VERSION;
    h.kdf = fast_kdf;
    h.count = count;
    h.payload_len = payload_len;
    memset(h.salt, 0xa5, sizeof(h.salt));
    assert_int_equal(psk_bundle_encode_header(&h, b), 0);
}

static void test_header(void **state)
{
    struct scs_buf *b = scs_buf_new(4096);
    struct psk_bundle_header h;
    struct scs_diag d;
    uint8_t f[512];
    size_t len;

    make_header(b, 2, 120);
    assert_int_equal(scs_buf_len(b), PSK_BUNDLE_HEADER_LEN);
    len = PSK_BUNDLE_HEADER_LEN + SCS_AEAD_OVERHEAD + 120;
    memset(f, 0, sizeof(f));
    memcpy(f, scs_buf_data(b), PSK_BUNDLE_HEADER_LEN);
    assert_int_equal(psk_bundle_parse_header(f, len, &h, &d), 0);
    assert_int_equal(h.count, 2);
    assert_int_equal(h.payload_len, 120);
    assert_int_equal(h.kdf.n, 1u << 14);
    assert_int_equal(h.salt[3], 0xa5);
    /* Length must match the header exactly. */
    assert_int_equal(psk_bundle_parse_header(f, len - 1, &h, &d), SCS_ERR_TRUNCATED);
    assert_int_equal(psk_bundle_parse_header(f, len + 1, &h, &d), SCS_ERR_TRAILING);
    assert_int_equal(psk_bundle_parse_header(f, 47, &h, &d), SCS_ERR_TRUNCATED);
    assert_int_equal(psk_bundle_parse_header(f, 3, &h, &d), SCS_ERR_FORMAT);
    assert_int_equal(psk_bundle_parse_header(f, 0, &h, &d), SCS_ERR_FORMAT);
    /* Magic, version, KDF id and bounds, reserved field, counts. */
    f[0] ^= 1;
    assert_int_equal(psk_bundle_parse_header(f, len, &h, &d), SCS_ERR_FORMAT);
    assert_non_null(strstr(d.reason, "not an scs PSK bundle"));
    f[0] ^= 1;
    f[8] = 2;
    assert_int_equal(psk_bundle_parse_header(f, len, &h, &d), SCS_ERR_VERSION);
    assert_non_null(strstr(d.reason, "version 2"));
    f[8] = 1;
    f[10] = 9;
    assert_int_equal(psk_bundle_parse_header(f, len, &h, &d), SCS_ERR_VERSION);
    f[10] = 1;
    f[11] = 10; /* N = 2^10: below the floor */
    assert_int_equal(psk_bundle_parse_header(f, len, &h, &d), SCS_ERR_FORMAT);
    f[11] = 200;
    assert_int_equal(psk_bundle_parse_header(f, len, &h, &d), SCS_ERR_FORMAT);
    f[11] = 22; /* 2^22 * 8 * 128 = 4 GiB: over the bundle memory limit */
    assert_int_equal(psk_bundle_parse_header(f, len, &h, &d), SCS_ERR_TOO_LARGE);
    f[11] = 14;
    f[12] = 0; /* r = 0 */
    assert_int_equal(psk_bundle_parse_header(f, len, &h, &d), SCS_ERR_FORMAT);
    f[12] = 8;
    f[44] = 1;
    assert_int_equal(psk_bundle_parse_header(f, len, &h, &d), SCS_ERR_FORMAT);
    f[44] = 0;
    f[36] = 3; /* 3 records cannot fit in 120 bytes */
    assert_int_equal(psk_bundle_parse_header(f, len, &h, &d), SCS_ERR_FORMAT);
    f[36] = 0xff;
    f[37] = 0xff;
    f[38] = 0xff; /* over the record limit */
    assert_int_equal(psk_bundle_parse_header(f, len, &h, &d), SCS_ERR_TOO_LARGE);
    f[36] = 2;
    f[37] = f[38] = 0;
    assert_int_equal(psk_bundle_parse_header(f, len, &h, &d), 0);
    scs_buf_free(b);
}

/* ---- export / import ------------------------------------------------------ */

struct fixture {
    char dir[64];
    char src[96], dst[96], bundle[128];
    struct scs_pool *a, *b;
    struct scs_secret *pass;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    struct scs_psk_entry *got = NULL;
    uint64_t made = 0, n = 0;

    snprintf(f->dir, sizeof(f->dir), "/tmp/scs-test-bundle.XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->src, sizeof(f->src), "%s/a", f->dir);
    snprintf(f->dst, sizeof(f->dst), "%s/b", f->dir);
    snprintf(f->bundle, sizeof(f->bundle), "%s/pairs.bundle", f->dir);
    assert_int_equal(scs_pool_init(f->src), 0);
    assert_int_equal(scs_pool_init(f->dst), 0);
    assert_int_equal(scs_pool_open(f->src, &f->a), 0);
    assert_int_equal(scs_pool_open(f->dst, &f->b), 0);
    /* 50 pairs: 40 available, 7 assigned, 2 used, 1 revoked. */
    assert_int_equal(scs_pool_generate(f->a, 50, &made), 0);
    assert_int_equal(scs_pool_take(f->a, 10, "usb:batch1", &got), 0);
    assert_int_equal(
        scs_pool_transition(f->a, got[0].pid, SCS_PSK_ASSIGNED, SCS_PSK_USED, "device:u1"), 0);
    assert_int_equal(
        scs_pool_transition(f->a, got[1].pid, SCS_PSK_ASSIGNED, SCS_PSK_USED, "device:u2"), 0);
    assert_int_equal(scs_pool_revoke(f->a, got[2].pid), 0);
    scs_pool_entries_free(got, 10);
    f->pass = scs_secret_from("correct horse battery staple", 28);
    assert_int_equal(scs_pool_export_params(f->a, f->bundle, f->pass, -1, &fast_kdf, &n), 0);
    assert_int_equal(n, 50);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    char cmd[128];

    scs_pool_close(f->a);
    scs_pool_close(f->b);
    scs_secret_free(f->pass);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
    assert_int_equal(system(cmd), 0);
    free(f);
    return 0;
}

static uint64_t total(struct scs_pool *p)
{
    uint64_t c[SCS_PSK_STATE_COUNT], t = 0;
    assert_int_equal(scs_pool_stats(p, c), 0);
    for (int i = 0; i < SCS_PSK_STATE_COUNT; i++) {
        t += c[i];
    }
    return t;
}

struct compare_ctx {
    struct scs_pool *other;
    int same;
    int n;
};

static int compare_visit(void *arg, const struct scs_psk_entry *e)
{
    struct compare_ctx *c = arg;
    struct scs_psk_entry o;

    c->n++;
    if (scs_pool_lookup(c->other, e->pid, 1, &o) != 0) {
        return 0;
    }
    if (o.state == e->state && strcmp(o.assignee, e->assignee) == 0 && o.created == e->created &&
        o.updated == e->updated &&
        scs_ct_eq(scs_secret_cdata(o.pps), scs_secret_cdata(e->pps), SCS_PPS_LEN)) {
        c->same++;
    }
    scs_psk_entry_clear(&o);
    return 0;
}

static void test_export_import_roundtrip(void **state)
{
    struct fixture *f = *state;
    struct scs_import_result res;
    struct compare_ctx c = {0};
    struct scs_diag d;
    struct stat st;
    uint64_t counts[SCS_PSK_STATE_COUNT];

    assert_int_equal(stat(f->bundle, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(scs_pool_import(f->b, f->bundle, f->pass, &res, &d), 0);
    assert_int_equal(res.imported, 50);
    assert_int_equal(res.skipped, 0);
    assert_int_equal(scs_pool_stats(f->b, counts), 0);
    assert_int_equal(counts[SCS_PSK_AVAILABLE], 40);
    assert_int_equal(counts[SCS_PSK_ASSIGNED], 7);
    assert_int_equal(counts[SCS_PSK_USED], 2);
    assert_int_equal(counts[SCS_PSK_REVOKED], 1);
    /* Same PPS, state, assignee and times for every PID. */
    c.other = f->b;
    assert_int_equal(scs_pool_list(f->a, -1, 1, compare_visit, &c), 0);
    assert_int_equal(c.n, 50);
    assert_int_equal(c.same, 50);
    /* Again: everything is skipped. */
    assert_int_equal(scs_pool_import(f->b, f->bundle, f->pass, &res, &d), 0);
    assert_int_equal(res.imported, 0);
    assert_int_equal(res.skipped, 50);
    assert_int_equal(total(f->b), 50);
}

static void test_export_by_state(void **state)
{
    struct fixture *f = *state;
    struct scs_import_result res;
    struct scs_diag d;
    uint64_t n = 0;

    assert_int_equal(scs_pool_export_params(f->a, f->bundle, f->pass, SCS_PSK_USED, &fast_kdf, &n),
                     0);
    assert_int_equal(n, 2);
    assert_int_equal(scs_pool_import(f->b, f->bundle, f->pass, &res, &d), 0);
    assert_int_equal(res.imported, 2);
    assert_int_equal(total(f->b), 2);
    /* An empty bundle is valid. */
    assert_int_equal(
        scs_pool_export_params(f->a, f->bundle, f->pass, SCS_PSK_REPLACED, &fast_kdf, &n), 0);
    assert_int_equal(n, 0);
    assert_int_equal(scs_pool_import(f->b, f->bundle, f->pass, &res, &d), 0);
    assert_int_equal(res.imported, 0);
    assert_int_equal(res.skipped, 0);
}

static void test_wrong_passphrase(void **state)
{
    struct fixture *f = *state;
    struct scs_secret *bad = scs_secret_from("correct horse battery stapler", 29);
    struct scs_import_result res;
    struct scs_diag d;

    assert_int_equal(scs_pool_import(f->b, f->bundle, bad, &res, &d), SCS_ERR_AUTH);
    assert_string_equal(d.reason, "wrong passphrase or corrupted file");
    assert_int_equal(res.imported, 0);
    assert_int_equal(total(f->b), 0);
    scs_secret_free(bad);
}

/* Write bytes of the good bundle, changed by the caller, and import them: must fail,
 * import nothing, and return err. */
static void import_fails(struct fixture *f, const uint8_t *data, size_t len, int err,
                         const char *reason_part)
{
    char path[160];
    struct scs_import_result res;
    struct scs_diag d;

    snprintf(path, sizeof(path), "%s/bad.bundle", f->dir);
    assert_int_equal(scs_file_write_atomic(path, data, len, 0600), 0);
    assert_int_equal(scs_pool_import(f->b, path, f->pass, &res, &d), err);
    assert_true(d.reason[0] != 0);
    if (reason_part != NULL) {
        assert_non_null(strstr(d.reason, reason_part));
    }
    assert_int_equal(res.imported, 0);
    assert_int_equal(total(f->b), 0);
}

static void test_truncated_and_tampered(void **state)
{
    struct fixture *f = *state;
    struct scs_buf *good = NULL;
    uint8_t *copy;
    size_t len;
    const size_t cuts[] = {0, 1, 7, 8, 47, 48, 60, 76, 200, 1000};

    assert_int_equal(scs_file_read(f->bundle, 1 << 20, &good), 0);
    len = scs_buf_len(good);
    copy = malloc(len + 1);
    memcpy(copy, scs_buf_data(good), len);
    /* Truncated at several lengths, including one byte short. */
    for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
        assert_true(cuts[i] < len);
        import_fails(f, copy, cuts[i], cuts[i] < 8 ? SCS_ERR_FORMAT : SCS_ERR_TRUNCATED, NULL);
    }
    import_fails(f, copy, len - 1, SCS_ERR_TRUNCATED, "truncated");
    /* One byte too many. */
    copy[len] = 0;
    import_fails(f, copy, len + 1, SCS_ERR_TRAILING, NULL);
    /* A flipped bit in the salt, the ciphertext, the tag, or the record count. */
    {
        const size_t offs[] = {20, 35, 36, 48, 60, 100, len / 2, len - 17, len - 1};
        for (size_t i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
            copy[offs[i]] ^= 0x01;
            import_fails(f, copy, len, SCS_ERR_AUTH, "wrong passphrase or corrupted file");
            copy[offs[i]] ^= 0x01;
        }
    }
    /* Unknown format version: refused before any key is derived. */
    copy[8] = 9;
    import_fails(f, copy, len, SCS_ERR_VERSION, "version 9");
    copy[8] = 1;
    /* Hostile scrypt parameters. */
    copy[11] = 30;
    import_fails(f, copy, len, SCS_ERR_FORMAT, "scrypt");
    copy[11] = 14;
    /* The unchanged copy imports (the helper above was not failing for another reason). */
    {
        struct scs_import_result res;
        struct scs_diag d;
        assert_int_equal(scs_pool_import(f->b, f->bundle, f->pass, &res, &d), 0);
        assert_int_equal(res.imported, 50);
    }
    free(copy);
    scs_buf_free(good);
}

/* Seal a payload the way export does, bypassing the encoder's validation. */
static void write_bundle(const char *path, const struct scs_secret *pass, const uint8_t *payload,
                         size_t len, uint32_t count)
{
    struct scs_buf *out = scs_buf_new(1 << 20);
    struct psk_bundle_header h;
    uint8_t key[SCS_AEAD_KEY_LEN];

    memset(&h, 0, sizeof(h));
    h.version = PSK_BUNDLE_VERSION;
    h.kdf = fast_kdf;
    h.count = count;
    h.payload_len = (uint32_t)len;
    assert_int_equal(scs_random_bytes(h.salt, sizeof(h.salt)), 0);
    assert_int_equal(psk_bundle_encode_header(&h, out), 0);
    assert_int_equal(scs_scrypt(scs_secret_cdata(pass), scs_secret_len(pass), h.salt,
                                sizeof(h.salt), &h.kdf, key, sizeof(key)),
                     0);
    {
        uint8_t hdr[PSK_BUNDLE_HEADER_LEN];
        memcpy(hdr, scs_buf_data(out), sizeof(hdr));
        assert_int_equal(scs_aead_seal(key, hdr, sizeof(hdr), payload, len, out), 0);
    }
    assert_int_equal(scs_file_write_atomic(path, scs_buf_data(out), scs_buf_len(out), 0600), 0);
    scs_buf_free(out);
}

static void test_one_bad_record_imports_nothing(void **state)
{
    struct fixture *f = *state;
    struct scs_buf *pl = scs_buf_new(4096);
    struct psk_bundle_record r = rec_a();
    struct scs_import_result res;
    struct scs_diag d;
    char path[160];
    uint8_t *bytes;
    size_t one;

    snprintf(path, sizeof(path), "%s/badrec.bundle", f->dir);
    assert_int_equal(psk_bundle_encode_record(pl, &r), 0);
    one = scs_buf_len(pl);
    r.pid[0] = '1';
    r.pid[7] = scs_pidpps_check_char(r.pid, 7);
    assert_int_equal(psk_bundle_encode_record(pl, &r), 0);
    bytes = malloc(scs_buf_len(pl));
    memcpy(bytes, scs_buf_data(pl), scs_buf_len(pl));
    /* The well-formed payload imports both... */
    write_bundle(path, f->pass, bytes, scs_buf_len(pl), 2);
    assert_int_equal(scs_pool_import(f->b, path, f->pass, &res, &d), 0);
    assert_int_equal(res.imported, 2);
    scs_pool_close(f->b);
    {
        char cmd[200];
        snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dst);
        assert_int_equal(system(cmd), 0);
    }
    assert_int_equal(scs_pool_init(f->dst), 0);
    assert_int_equal(scs_pool_open(f->dst, &f->b), 0);
    /* ...but with the second PID's check character wrong, neither is imported. */
    bytes[one + 7] = bytes[one + 7] == 'A' ? 'B' : 'A';
    write_bundle(path, f->pass, bytes, scs_buf_len(pl), 2);
    assert_int_equal(scs_pool_import(f->b, path, f->pass, &res, &d), SCS_ERR_CHECKSUM);
    assert_non_null(strstr(d.reason, "record 2"));
    assert_int_equal(total(f->b), 0);
    /* A bad state in the second record. */
    bytes[one + 7] = (uint8_t)r.pid[7];
    bytes[one + 40] = 9;
    write_bundle(path, f->pass, bytes, scs_buf_len(pl), 2);
    assert_int_equal(scs_pool_import(f->b, path, f->pass, &res, &d), SCS_ERR_FORMAT);
    assert_non_null(strstr(d.reason, "state"));
    assert_int_equal(total(f->b), 0);
    free(bytes);
    scs_buf_free(pl);
}

static void test_conflicting_pps_imports_nothing(void **state)
{
    struct fixture *f = *state;
    struct scs_buf *pl = scs_buf_new(4096);
    struct psk_bundle_record r = rec_a();
    struct scs_import_result res;
    struct scs_diag d;
    char path[160];
    char other[SCS_PPS_LEN + 1];

    snprintf(path, sizeof(path), "%s/conflict.bundle", f->dir);
    assert_int_equal(psk_bundle_encode_record(pl, &r), 0);
    write_bundle(path, f->pass, scs_buf_data(pl), scs_buf_len(pl), 1);
    assert_int_equal(scs_pool_import(f->b, path, f->pass, &res, &d), 0);
    assert_int_equal(res.imported, 1);
    /* The same PID with another valid PPS, plus a fresh PID before it. */
    scs_buf_reset(pl);
    memcpy(other, PPS_A, sizeof(other));
    other[0] = 'A';
    other[3] = scs_pidpps_check_char(other, 3);
    r.pid[0] = '5';
    r.pid[7] = scs_pidpps_check_char(r.pid, 7);
    assert_int_equal(psk_bundle_encode_record(pl, &r), 0);
    r = rec_a();
    r.pps = other;
    assert_int_equal(psk_bundle_encode_record(pl, &r), 0);
    write_bundle(path, f->pass, scs_buf_data(pl), scs_buf_len(pl), 2);
    assert_int_equal(scs_pool_import(f->b, path, f->pass, &res, &d), SCS_ERR_EXISTS);
    assert_non_null(strstr(d.reason, "different PPS"));
    assert_int_equal(total(f->b), 1);
    scs_buf_free(pl);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_record_roundtrip),
        cmocka_unit_test(test_record_validation),
        cmocka_unit_test(test_header),
        cmocka_unit_test_setup_teardown(test_export_import_roundtrip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_export_by_state, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wrong_passphrase, setup, teardown),
        cmocka_unit_test_setup_teardown(test_truncated_and_tampered, setup, teardown),
        cmocka_unit_test_setup_teardown(test_one_bad_record_imports_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_conflicting_pps_imports_nothing, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
