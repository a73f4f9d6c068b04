/*
 * Unit tests for src/registry: devices, device secrets, profiles and their
 * secrets, provisioning certificates, the CA; secrets bound to their row (a
 * blob copied to another row does not open), and no plaintext secret in the
 * database files.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/fileio.h"
#include "common/secmem.h"
#include "psk/pool.h"
#include "registry/registry.h"

#define UUID_A   "00112233-4455-6677-8899-aabbccddeeff"
#define UUID_B   "ffeeddcc-bbaa-9988-7766-554433221100"
#define ADMIN_PW "Adm1n!Secret-Registry-Test"
#define OTP_VAL  "OtpValue-98765"
#define KEY_PEM                                                                                    \
    "-----BEGIN PRIVATE KEY-----\nUNIQUEKEYBYTES-registry-test\n-----END PRIVATE KEY-----\n"
#define CA_KEY    "-----BEGIN PRIVATE KEY-----\nCAKEYBYTES-registry-test\n-----END PRIVATE KEY-----\n"
#define CHAIN_PEM "-----BEGIN CERTIFICATE-----\nCHAIN\n-----END CERTIFICATE-----\n"

struct fixture {
    char dir[64];
    char data[96];
    struct scs_pool *p;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));

    snprintf(f->dir, sizeof(f->dir), "/tmp/scs-test-registry.XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->data, sizeof(f->data), "%s/data", f->dir);
    assert_int_equal(scs_pool_init(f->data), 0);
    assert_int_equal(scs_pool_open(f->data, &f->p), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    char cmd[128];

    scs_pool_close(f->p);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
    assert_int_equal(system(cmd), 0);
    free(f);
    return 0;
}

static struct scs_secret *sec(const char *s)
{
    struct scs_secret *v = scs_secret_from(s, strlen(s));
    assert_non_null(v);
    return v;
}

static void expect_secret(struct scs_secret *got, const char *want)
{
    assert_non_null(got);
    assert_int_equal(scs_secret_len(got), strlen(want));
    assert_string_equal(scs_secret_str(got), want);
    scs_secret_free(got);
}

/* Run SQL on the store behind the registry's back (tampering). */
static void raw_sql(const struct fixture *f, const char *sql)
{
    char path[160];
    sqlite3 *db = NULL;

    snprintf(path, sizeof(path), "%s/scs.db", f->data);
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
}

static void test_names(void **state)
{
    enum scs_device_state s;

    (void)state;
    assert_string_equal(scs_device_state_name(SCS_DEVICE_SEEN), "seen");
    assert_string_equal(scs_device_state_name(SCS_DEVICE_UNPROVISIONED), "unprovisioned");
    assert_string_equal(scs_device_state_name((enum scs_device_state)99), "unknown");
    assert_int_equal(scs_device_state_parse("refused", &s), 0);
    assert_int_equal(s, SCS_DEVICE_REFUSED);
    assert_int_equal(scs_device_state_parse("bogus", &s), SCS_ERR_FORMAT);
    assert_string_equal(scs_prov_path_name(SCS_PATH_PSK), "psk");
    assert_string_equal(scs_prov_path_name(SCS_PATH_NONE), "");
    assert_int_equal(scs_registry_uuid_check(UUID_A), 0);
    assert_int_equal(scs_registry_uuid_check("00112233-4455-6677-8899-AABBCCDDEEFF"),
                     SCS_ERR_FORMAT);
    assert_int_equal(scs_registry_uuid_check("00112233"), SCS_ERR_FORMAT);
    assert_int_equal(scs_registry_name_check("corp-2025.v1_x"), 0);
    assert_int_equal(scs_registry_name_check("a/b"), SCS_ERR_FORMAT);
    assert_int_equal(scs_registry_name_check(""), SCS_ERR_FORMAT);
    assert_int_equal(scs_registry_name_check("-x"), SCS_ERR_FORMAT);
}

static int count_devices(void *arg, const struct scs_device *d)
{
    (void)d;
    (*(int *)arg)++;
    return 0;
}

static void test_device_crud(void **state)
{
    struct fixture *f = *state;
    struct scs_device d, got;
    int n = 0;

    assert_int_equal(scs_device_get(f->p, UUID_A, &got), SCS_ERR_NOT_FOUND);
    assert_int_equal(scs_device_get(f->p, "not-a-uuid", &got), SCS_ERR_INVALID_ARG);
    memset(&d, 0, sizeof(d));
    snprintf(d.uuid, sizeof(d.uuid), "%s", UUID_A);
    snprintf(d.address, sizeof(d.address), "192.0.2.7");
    d.state = SCS_DEVICE_PROVISIONING;
    d.path = SCS_PATH_PKI;
    snprintf(d.fw_version, sizeof(d.fw_version), "16.1.25");
    snprintf(d.profile, sizeof(d.profile), "default");
    snprintf(d.pid, sizeof(d.pid), "ABCDEFGH");
    snprintf(d.step, sizeof(d.step), "admin_setup");
    snprintf(d.last_error, sizeof(d.last_error), "none yet");
    snprintf(d.realm, sizeof(d.realm), "Digest:1234");
    memset(d.tls_fingerprint, 'a', 64);
    d.attempts = 3;
    d.first_seen = 1000;
    d.last_hello = 2000;
    d.provisioned_at = 0;
    assert_int_equal(scs_device_put(f->p, &d), 0);
    assert_int_equal(scs_device_get(f->p, UUID_A, &got), 0);
    assert_string_equal(got.uuid, UUID_A);
    assert_string_equal(got.address, "192.0.2.7");
    assert_int_equal(got.state, SCS_DEVICE_PROVISIONING);
    assert_int_equal(got.path, SCS_PATH_PKI);
    assert_string_equal(got.fw_version, "16.1.25");
    assert_string_equal(got.profile, "default");
    assert_string_equal(got.pid, "ABCDEFGH");
    assert_string_equal(got.step, "admin_setup");
    assert_string_equal(got.last_error, "none yet");
    assert_string_equal(got.realm, "Digest:1234");
    assert_string_equal(got.tls_fingerprint, d.tls_fingerprint);
    assert_int_equal(got.attempts, 3);
    assert_int_equal(got.first_seen, 1000);
    assert_int_equal(got.last_hello, 2000);
    assert_true(got.updated > 0); /* set by put */

    /* Replace the whole row. */
    d.state = SCS_DEVICE_PROVISIONED;
    d.provisioned_at = 3000;
    d.last_error[0] = 0;
    assert_int_equal(scs_device_put(f->p, &d), 0);
    assert_int_equal(scs_device_get(f->p, UUID_A, &got), 0);
    assert_int_equal(got.state, SCS_DEVICE_PROVISIONED);
    assert_int_equal(got.provisioned_at, 3000);
    assert_string_equal(got.last_error, "");

    snprintf(d.uuid, sizeof(d.uuid), "%s", UUID_B);
    assert_int_equal(scs_device_put(f->p, &d), 0);
    assert_int_equal(scs_device_list(f->p, count_devices, &n), 0);
    assert_int_equal(n, 2);

    /* Refusals: bad key, state out of range, a field without its NUL. */
    snprintf(d.uuid, sizeof(d.uuid), "00112233-4455-6677-8899-AABBCCDDEEFF");
    assert_int_equal(scs_device_put(f->p, &d), SCS_ERR_INVALID_ARG);
    snprintf(d.uuid, sizeof(d.uuid), "%s", UUID_A);
    d.state = (enum scs_device_state)SCS_DEVICE_STATE_COUNT;
    assert_int_equal(scs_device_put(f->p, &d), SCS_ERR_INVALID_ARG);
    d.state = SCS_DEVICE_SEEN;
    memset(d.step, 'x', sizeof(d.step));
    assert_int_equal(scs_device_put(f->p, &d), SCS_ERR_INVALID_ARG);
}

static void test_device_secrets(void **state)
{
    struct fixture *f = *state;
    struct scs_secret *v = sec(ADMIN_PW), *got = NULL;

    assert_int_equal(scs_device_secret_get(f->p, UUID_A, "admin_password", &got),
                     SCS_ERR_NOT_FOUND);
    assert_null(got);
    /* A secret may be recorded before the device's row exists (an OTP set ahead). */
    assert_int_equal(scs_device_secret_set(f->p, UUID_A, "admin_password", v), 0);
    scs_secret_free(v);
    assert_int_equal(scs_device_secret_get(f->p, UUID_A, "admin_password", &got), 0);
    expect_secret(got, ADMIN_PW);
    /* Overwrite. */
    v = sec("Other#Pass1");
    assert_int_equal(scs_device_secret_set(f->p, UUID_A, "admin_password", v), 0);
    scs_secret_free(v);
    assert_int_equal(scs_device_secret_get(f->p, UUID_A, "admin_password", &got), 0);
    expect_secret(got, "Other#Pass1");
    /* Another device does not see it. */
    assert_int_equal(scs_device_secret_get(f->p, UUID_B, "admin_password", &got),
                     SCS_ERR_NOT_FOUND);
    /* Delete. */
    assert_int_equal(scs_device_secret_delete(f->p, UUID_A, "admin_password"), 0);
    assert_int_equal(scs_device_secret_delete(f->p, UUID_A, "admin_password"), SCS_ERR_NOT_FOUND);
    assert_int_equal(scs_device_secret_get(f->p, UUID_A, "admin_password", &got),
                     SCS_ERR_NOT_FOUND);
    /* Bad names and values. */
    v = sec("x");
    assert_int_equal(scs_device_secret_set(f->p, UUID_A, "a/b", v), SCS_ERR_INVALID_ARG);
    assert_int_equal(scs_device_secret_set(f->p, UUID_A, "", v), SCS_ERR_INVALID_ARG);
    assert_int_equal(scs_device_secret_set(f->p, "bad", "otp", v), SCS_ERR_INVALID_ARG);
    scs_secret_free(v);
    v = scs_secret_new(0);
    assert_int_equal(scs_device_secret_set(f->p, UUID_A, "otp", v), SCS_ERR_INVALID_ARG);
    scs_secret_free(v);
}

/* A sealed blob copied into another row or column must not open. */
static void test_secrets_bound_to_row(void **state)
{
    struct fixture *f = *state;
    struct scs_secret *v = sec(ADMIN_PW), *got = NULL;
    struct scs_profile prof;

    assert_int_equal(scs_device_secret_set(f->p, UUID_A, "admin_password", v), 0);
    assert_int_equal(scs_device_secret_set(f->p, UUID_B, "admin_password", v), 0);
    assert_int_equal(scs_device_secret_set(f->p, UUID_A, "otp", v), 0);
    scs_profile_defaults(&prof, "p1");
    assert_int_equal(scs_profile_put(f->p, &prof), 0);
    assert_int_equal(scs_profile_secret_set(f->p, "p1", "admin_password", v), 0);
    scs_secret_free(v);

    /* Device A's blob into device B's row. */
    raw_sql(f, "UPDATE device_secrets SET value_ct = (SELECT value_ct FROM device_secrets WHERE "
               "uuid = '" UUID_A "' AND name = 'admin_password') WHERE uuid = '" UUID_B
               "' AND name = 'admin_password'");
    assert_int_equal(scs_device_secret_get(f->p, UUID_B, "admin_password", &got), SCS_ERR_AUTH);
    assert_null(got);
    /* The admin password into the otp column of the same device. */
    raw_sql(f, "UPDATE device_secrets SET value_ct = (SELECT value_ct FROM device_secrets WHERE "
               "uuid = '" UUID_A "' AND name = 'admin_password') WHERE uuid = '" UUID_A
               "' AND name = 'otp'");
    assert_int_equal(scs_device_secret_get(f->p, UUID_A, "otp", &got), SCS_ERR_AUTH);
    /* A device blob into a profile row. */
    raw_sql(f, "UPDATE profile_secrets SET value_ct = (SELECT value_ct FROM device_secrets WHERE "
               "uuid = '" UUID_A "' AND name = 'admin_password') WHERE profile = 'p1'");
    assert_int_equal(scs_profile_secret_get(f->p, "p1", "admin_password", &got), SCS_ERR_AUTH);
    /* A flipped byte. */
    raw_sql(f,
            "UPDATE device_secrets SET value_ct = CAST(zeroblob(60) AS BLOB) WHERE uuid = '" UUID_A
            "' AND name = 'admin_password'");
    assert_int_equal(scs_device_secret_get(f->p, UUID_A, "admin_password", &got), SCS_ERR_AUTH);
}

static int collect_profile(void *arg, const struct scs_profile *prof)
{
    struct scs_buf *b = arg;
    return scs_buf_printf(b, "%s,", prof->name);
}

static void test_profiles(void **state)
{
    struct fixture *f = *state;
    struct scs_profile prof, got;
    struct scs_secret *v = sec("Mebx#Pass9"), *s = NULL;
    struct scs_buf *b = scs_buf_new(1024);

    assert_int_equal(scs_profile_get(f->p, "default", &got), SCS_ERR_NOT_FOUND);
    scs_profile_defaults(&prof, NULL);
    assert_string_equal(prof.name, "default");
    assert_int_equal(prof.admin_password_random, 1);
    assert_int_equal(prof.set_mebx_password, 1);
    assert_int_equal(prof.mebx_password_random, 1);
    assert_int_equal(prof.time_sync, 1);
    assert_int_equal(prof.new_psk, 1);
    assert_int_equal(prof.require_otp, 0);
    assert_int_equal(prof.configure_tls, 0);
    assert_int_equal(scs_profile_put(f->p, &prof), 0);
    assert_int_equal(scs_profile_get(f->p, "default", &got), 0);
    assert_memory_equal(&got, &prof, sizeof(prof));

    /* Secrets: unknown profile, set, survive a put, go with a delete. */
    assert_int_equal(scs_profile_secret_set(f->p, "nope", "mebx_password", v), SCS_ERR_NOT_FOUND);
    scs_profile_defaults(&prof, "lab");
    prof.mebx_password_random = 0;
    prof.redirection = 7;
    prof.user_consent = 1;
    snprintf(prof.hostname_template, sizeof(prof.hostname_template), "amt-%%u");
    snprintf(prof.domain, sizeof(prof.domain), "lab.example.com");
    assert_int_equal(scs_profile_put(f->p, &prof), 0);
    assert_int_equal(scs_profile_secret_set(f->p, "lab", "mebx_password", v), 0);
    prof.time_sync = 0;
    assert_int_equal(scs_profile_put(f->p, &prof), 0);
    assert_int_equal(scs_profile_get(f->p, "lab", &got), 0);
    assert_int_equal(got.time_sync, 0);
    assert_int_equal(got.redirection, 7);
    assert_string_equal(got.domain, "lab.example.com");
    assert_int_equal(scs_profile_secret_get(f->p, "lab", "mebx_password", &s), 0);
    expect_secret(s, "Mebx#Pass9");

    assert_int_equal(scs_profile_list(f->p, collect_profile, b), 0);
    assert_string_equal(scs_buf_cstr(b), "default,lab,");

    assert_int_equal(scs_profile_delete(f->p, "lab"), 0);
    assert_int_equal(scs_profile_delete(f->p, "lab"), SCS_ERR_NOT_FOUND);
    assert_int_equal(scs_profile_put(f->p, &prof), 0);
    assert_int_equal(scs_profile_secret_get(f->p, "lab", "mebx_password", &s), SCS_ERR_NOT_FOUND);
    assert_int_equal(scs_profile_secret_delete(f->p, "lab", "mebx_password"), SCS_ERR_NOT_FOUND);

    /* Refusals. */
    prof.user_consent = 3;
    assert_int_equal(scs_profile_put(f->p, &prof), SCS_ERR_INVALID_ARG);
    prof.user_consent = 0;
    snprintf(prof.name, sizeof(prof.name), "bad/name");
    assert_int_equal(scs_profile_put(f->p, &prof), SCS_ERR_INVALID_ARG);
    scs_secret_free(v);
    scs_buf_free(b);
}

static void fill_entry(struct scs_cert_entry *e, const char *name)
{
    memset(e, 0, sizeof(*e));
    snprintf(e->name, sizeof(e->name), "%s", name);
    snprintf(e->domain, sizeof(e->domain), "example.com");
    memset(e->root_sha1, 'a', 40);
    memset(e->root_sha256, 'b', 64);
    memset(e->root_sha384, 'c', 96);
    e->not_after = 1900000000;
    snprintf(e->subnets, sizeof(e->subnets), "10.0.0.0/8,192.0.2.0/24");
}

static int count_certs(void *arg, const struct scs_cert_entry *e)
{
    (void)e;
    (*(int *)arg)++;
    return 0;
}

static void test_certs(void **state)
{
    struct fixture *f = *state;
    struct scs_cert_entry e, got;
    struct scs_secret *key = sec(KEY_PEM), *k = NULL;
    char *chain = NULL;
    int n = 0;

    fill_entry(&e, "corp");
    assert_int_equal(scs_cert_get(f->p, "corp", &got, &chain, &k), SCS_ERR_NOT_FOUND);
    assert_int_equal(scs_cert_put(f->p, &e, CHAIN_PEM, strlen(CHAIN_PEM), key), 0);
    assert_int_equal(scs_cert_get(f->p, "corp", &got, &chain, &k), 0);
    assert_memory_equal(&got, &e, sizeof(e));
    assert_string_equal(chain, CHAIN_PEM);
    expect_secret(k, KEY_PEM);
    free(chain);
    /* Metadata only. */
    assert_int_equal(scs_cert_get(f->p, "corp", &got, NULL, NULL), 0);
    assert_string_equal(got.root_sha256, e.root_sha256);

    fill_entry(&e, "second");
    assert_int_equal(scs_cert_put(f->p, &e, CHAIN_PEM, strlen(CHAIN_PEM), key), 0);
    assert_int_equal(scs_cert_list(f->p, count_certs, &n), 0);
    assert_int_equal(n, 2);

    /* A key moved to another certificate's row does not open. */
    raw_sql(f, "UPDATE certs SET key_ct = (SELECT key_ct FROM certs WHERE name = 'corp') "
               "WHERE name = 'second'");
    assert_int_equal(scs_cert_get(f->p, "second", &got, &chain, &k), SCS_ERR_AUTH);
    assert_null(chain);
    assert_null(k);

    assert_int_equal(scs_cert_delete(f->p, "second"), 0);
    assert_int_equal(scs_cert_delete(f->p, "second"), SCS_ERR_NOT_FOUND);

    /* Refusals: bad hash text, bad name. */
    fill_entry(&e, "x");
    e.root_sha256[3] = 'G';
    assert_int_equal(scs_cert_put(f->p, &e, CHAIN_PEM, strlen(CHAIN_PEM), key),
                     SCS_ERR_INVALID_ARG);
    fill_entry(&e, "a/b");
    assert_int_equal(scs_cert_put(f->p, &e, CHAIN_PEM, strlen(CHAIN_PEM), key),
                     SCS_ERR_INVALID_ARG);
    scs_secret_free(key);
}

static void test_ca(void **state)
{
    struct fixture *f = *state;
    struct scs_secret *key = sec(CA_KEY), *k = NULL;
    char *pem = NULL;

    assert_int_equal(scs_ca_get(f->p, &pem, &k), SCS_ERR_NOT_FOUND);
    assert_int_equal(scs_ca_put(f->p, CHAIN_PEM, key), 0);
    assert_int_equal(scs_ca_get(f->p, &pem, &k), 0);
    assert_string_equal(pem, CHAIN_PEM);
    expect_secret(k, CA_KEY);
    free(pem);
    /* Replacing keeps one row. */
    assert_int_equal(scs_ca_put(f->p, "X", key), 0);
    assert_int_equal(scs_ca_get(f->p, &pem, NULL), 0);
    assert_string_equal(pem, "X");
    free(pem);
    /* A certificate key moved into the CA row does not open. */
    {
        struct scs_cert_entry e;
        fill_entry(&e, "corp");
        assert_int_equal(scs_cert_put(f->p, &e, CHAIN_PEM, strlen(CHAIN_PEM), key), 0);
        raw_sql(f, "UPDATE ca SET key_ct = (SELECT key_ct FROM certs WHERE name = 'corp')");
        assert_int_equal(scs_ca_get(f->p, &pem, &k), SCS_ERR_AUTH);
        assert_null(pem);
        assert_null(k);
    }
    scs_secret_free(key);
}

static int find_init(void *arg, int64_t id, int64_t time, const char *event, const char *subject,
                     const char *detail)
{
    (void)id;
    (void)time;
    (void)subject;
    (void)detail;
    if (strcmp(event, "init") == 0) {
        (*(int *)arg)++;
    }
    return 0;
}

static void test_audit(void **state)
{
    struct fixture *f = *state;
    int n = 0;

    assert_int_equal(scs_pool_audit(f->p, "cert-added", "corp", "domain=example.com"), 0);
    assert_int_equal(scs_audit_list(f->p, find_init, &n), 0);
    assert_int_equal(n, 1);
}

/* No plaintext secret in the database, its WAL or anything else in the directory. */
static void test_no_plaintext(void **state)
{
    struct fixture *f = *state;
    static const char *const files[] = {"scs.db", "scs.db-wal", "scs.db-shm"};
    static const char *const needles[] = {ADMIN_PW, OTP_VAL, "UNIQUEKEYBYTES", "CAKEYBYTES",
                                          "Mebx#Pass9"};
    struct scs_secret *v;
    struct scs_cert_entry e;
    struct scs_profile prof;

    v = sec(ADMIN_PW);
    assert_int_equal(scs_device_secret_set(f->p, UUID_A, "admin_password", v), 0);
    scs_secret_free(v);
    v = sec(OTP_VAL);
    assert_int_equal(scs_device_secret_set(f->p, UUID_A, "otp", v), 0);
    scs_secret_free(v);
    v = sec(KEY_PEM);
    fill_entry(&e, "corp");
    assert_int_equal(scs_cert_put(f->p, &e, CHAIN_PEM, strlen(CHAIN_PEM), v), 0);
    scs_secret_free(v);
    v = sec(CA_KEY);
    assert_int_equal(scs_ca_put(f->p, CHAIN_PEM, v), 0);
    scs_secret_free(v);
    scs_profile_defaults(&prof, "lab");
    assert_int_equal(scs_profile_put(f->p, &prof), 0);
    v = sec("Mebx#Pass9");
    assert_int_equal(scs_profile_secret_set(f->p, "lab", "mebx_password", v), 0);
    scs_secret_free(v);

    /* Check while open (WAL holds the new pages) and after close (checkpointed). */
    for (int round = 0; round < 2; round++) {
        if (round == 1) {
            scs_pool_close(f->p);
            f->p = NULL;
        }
        for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
            char path[160];
            struct scs_buf *b = NULL;
            snprintf(path, sizeof(path), "%s/%s", f->data, files[i]);
            if (access(path, F_OK) != 0) {
                continue;
            }
            assert_int_equal(scs_file_read(path, 64 * 1024 * 1024, &b), 0);
            for (size_t j = 0; j < sizeof(needles) / sizeof(needles[0]); j++) {
                assert_null(
                    memmem(scs_buf_data(b), scs_buf_len(b), needles[j], strlen(needles[j])));
            }
            scs_buf_free(b);
        }
    }
    /* Reopen for teardown, and the values still open. */
    assert_int_equal(scs_pool_open(f->data, &f->p), 0);
    assert_int_equal(scs_device_secret_get(f->p, UUID_A, "otp", &v), 0);
    expect_secret(v, OTP_VAL);
}

/* A store made before the registry (schema 1) gains the registry tables on open and
 * keeps its PSK pool. */
static void test_migrate_from_v1(void **state)
{
    struct fixture *f = *state;
    struct scs_secret *v = sec(OTP_VAL), *got = NULL;
    uint64_t made = 0, counts[SCS_PSK_STATE_COUNT];
    struct scs_device d;

    assert_int_equal(scs_pool_generate(f->p, 5, &made), 0);
    scs_pool_close(f->p);
    f->p = NULL;
    raw_sql(f, "DROP TABLE devices; DROP TABLE device_secrets; DROP TABLE profile_secrets; "
               "DROP TABLE profiles; DROP TABLE certs; DROP TABLE ca; PRAGMA user_version = 1;");
    assert_int_equal(scs_pool_open(f->data, &f->p), 0);
    assert_int_equal(scs_pool_stats(f->p, counts), 0);
    assert_int_equal(counts[SCS_PSK_AVAILABLE], 5);
    assert_int_equal(scs_device_get(f->p, UUID_A, &d), SCS_ERR_NOT_FOUND);
    assert_int_equal(scs_device_secret_set(f->p, UUID_A, "otp", v), 0);
    assert_int_equal(scs_device_secret_get(f->p, UUID_A, "otp", &got), 0);
    expect_secret(got, OTP_VAL);
    scs_secret_free(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test_setup_teardown(test_device_crud, setup, teardown),
        cmocka_unit_test_setup_teardown(test_device_secrets, setup, teardown),
        cmocka_unit_test_setup_teardown(test_secrets_bound_to_row, setup, teardown),
        cmocka_unit_test_setup_teardown(test_profiles, setup, teardown),
        cmocka_unit_test_setup_teardown(test_certs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ca, setup, teardown),
        cmocka_unit_test_setup_teardown(test_audit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_plaintext, setup, teardown),
        cmocka_unit_test_setup_teardown(test_migrate_from_v1, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
