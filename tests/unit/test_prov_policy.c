/* Unit tests for the provisioning engine's pure decisions (src/prov/policy.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "common/secmem.h"
#include "common/err.h"
#include "prov/prov_internal.h"

static void test_password_generate(void **state)
{
    (void)state;
    for (int i = 0; i < 500; i++) {
        struct scs_secret *s = NULL;
        assert_int_equal(prov_password_generate(&s), 0);
        assert_int_equal(strlen(scs_secret_str(s)), PROV_PASSWORD_LEN);
        assert_true(prov_password_strong(scs_secret_str(s)));
        /* Never a character that breaks Digest or XML. */
        assert_null(strpbrk(scs_secret_str(s), ":,\" <>&'"));
        scs_secret_free(s);
    }
}

static void test_password_differs(void **state)
{
    struct scs_secret *a = NULL, *b = NULL;
    (void)state;
    assert_int_equal(prov_password_generate(&a), 0);
    assert_int_equal(prov_password_generate(&b), 0);
    assert_string_not_equal(scs_secret_str(a), scs_secret_str(b));
    scs_secret_free(a);
    scs_secret_free(b);
}

static void test_password_strong(void **state)
{
    (void)state;
    assert_true(prov_password_strong("Abcdef1!"));
    assert_false(prov_password_strong("Abcde1!"));  /* 7 characters */
    assert_false(prov_password_strong("abcdef1!")); /* no upper */
    assert_false(prov_password_strong("ABCDEF1!")); /* no lower */
    assert_false(prov_password_strong("Abcdefg!")); /* no digit */
    assert_false(prov_password_strong("Abcdefg1")); /* no symbol */
    assert_false(prov_password_strong("Abc:def1")); /* ':' is not a usable symbol */
    /* Intel's rule: space and '_' are allowed but do not count as the symbol
     * ("Location_1" is Intel's own example of a password the firmware refuses). */
    assert_true(prov_password_strong("Abc def1!"));
    assert_false(prov_password_strong("Location_1"));
    assert_false(prov_password_strong("Abc def12"));
    assert_false(prov_password_strong("Abc,def1!"));
    assert_false(prov_password_strong("Abcdefgh1!Abcdefgh1!Abcdefgh1!xyz")); /* 33 */
    assert_false(prov_password_strong(NULL));
}

static void test_cidr(void **state)
{
    (void)state;
    assert_true(prov_cidr_list_contains("10.1.0.0/16", "10.1.200.3"));
    assert_false(prov_cidr_list_contains("10.1.0.0/16", "10.2.0.1"));
    assert_true(prov_cidr_list_contains("192.168.1.0/24, 10.0.0.0/8", "10.9.9.9"));
    assert_true(prov_cidr_list_contains("127.2.0.5", "127.2.0.5"));
    assert_false(prov_cidr_list_contains("127.2.0.5", "127.2.0.6"));
    assert_true(prov_cidr_list_contains("127.2.0.0/23", "127.2.1.255"));
    assert_false(prov_cidr_list_contains("127.2.0.0/23", "127.2.2.0"));
    assert_true(prov_cidr_list_contains("0.0.0.0/0", "8.8.8.8"));
    assert_true(prov_cidr_list_contains("fd00::/8", "fd12::1"));
    assert_false(prov_cidr_list_contains("fd00::/8", "10.0.0.1"));
    assert_false(prov_cidr_list_contains("10.0.0.0/33", "10.0.0.1"));
    assert_false(prov_cidr_list_contains("10.0.0.0/x", "10.0.0.1"));
    assert_false(prov_cidr_list_contains("", "10.0.0.1"));
    assert_false(prov_cidr_list_contains("garbage", "10.0.0.1"));
}

static void test_pid_acceptable(void **state)
{
    struct scs_psk_entry e;
    char why[200];
    (void)state;

    memset(&e, 0, sizeof(e));
    assert_false(prov_pid_acceptable(0, NULL, "u1", "0000-037M", 0, why, sizeof(why)));
    assert_string_equal(why, "unknown PID 0000-037M");
    e.state = SCS_PSK_USED;
    assert_false(prov_pid_acceptable(1, &e, "u1", "0000-037M", 0, why, sizeof(why)));
    assert_string_equal(why, "PID 0000-037M is used, not assigned");
    e.state = SCS_PSK_REVOKED;
    assert_false(prov_pid_acceptable(1, &e, "u1", "0000-037M", 0, why, sizeof(why)));
    assert_string_equal(why, "PID 0000-037M is revoked, not assigned");
    e.state = SCS_PSK_AVAILABLE;
    assert_false(prov_pid_acceptable(1, &e, "u1", "0000-037M", 0, why, sizeof(why)));
    e.state = SCS_PSK_ASSIGNED;
    (void)snprintf(e.assignee, sizeof(e.assignee), "%s", "usb:setup.bin");
    assert_true(prov_pid_acceptable(1, &e, "u1", "0000-037M", 0, why, sizeof(why)));
    (void)snprintf(e.assignee, sizeof(e.assignee), "%s", "device:u1");
    assert_true(prov_pid_acceptable(1, &e, "u1", "0000-037M", 0, why, sizeof(why)));
    (void)snprintf(e.assignee, sizeof(e.assignee), "%s", "device:u2");
    assert_false(prov_pid_acceptable(1, &e, "u1", "0000-037M", 0, why, sizeof(why)));
    assert_string_equal(why, "PID 0000-037M is assigned to another device");
    /* A device coming back after an unprovision may hold a pair spent by itself. */
    e.state = SCS_PSK_USED;
    (void)snprintf(e.assignee, sizeof(e.assignee), "%s", "device:u1");
    assert_false(prov_pid_acceptable(1, &e, "u1", "0000-037M", 0, why, sizeof(why)));
    assert_true(prov_pid_acceptable(1, &e, "u1", "0000-037M", 1, why, sizeof(why)));
    assert_false(prov_pid_acceptable(1, &e, "u2", "0000-037M", 1, why, sizeof(why)));
    assert_string_equal(why, "PID 0000-037M is used, not assigned");
    e.state = SCS_PSK_REVOKED;
    assert_false(prov_pid_acceptable(1, &e, "u1", "0000-037M", 1, why, sizeof(why)));
    (void)snprintf(e.assignee, sizeof(e.assignee), "%s", "usb:setup.bin");
    e.state = SCS_PSK_USED;
    assert_false(prov_pid_acceptable(1, &e, "u1", "0000-037M", 1, why, sizeof(why)));
}

static void test_hostname_expand(void **state)
{
    const char *u = "0a1b2c3d-4455-6677-8899-aabbccddeeff";
    char out[PROV_HOSTNAME_MAX + 1];
    char big[80];
    (void)state;

    assert_int_equal(prov_hostname_expand("amt-%u", u, out, sizeof(out)), 0);
    assert_string_equal(out, "amt-0a1b2c3d");
    assert_int_equal(prov_hostname_expand("%u-pc", u, out, sizeof(out)), 0);
    assert_string_equal(out, "0a1b2c3d-pc");
    assert_int_equal(prov_hostname_expand("plain", u, out, sizeof(out)), 0);
    assert_string_equal(out, "plain");
    assert_int_equal(prov_hostname_expand("a%%b", u, out, sizeof(out)), SCS_ERR_FORMAT);
    assert_int_equal(prov_hostname_expand("amt-%x", u, out, sizeof(out)), SCS_ERR_FORMAT);
    assert_int_equal(prov_hostname_expand("amt-%", u, out, sizeof(out)), SCS_ERR_FORMAT);
    assert_int_equal(prov_hostname_expand("amt.%u", u, out, sizeof(out)), SCS_ERR_FORMAT);
    assert_int_equal(prov_hostname_expand("-%u", u, out, sizeof(out)), SCS_ERR_FORMAT);
    assert_int_equal(prov_hostname_expand("", u, out, sizeof(out)), SCS_ERR_FORMAT);
    memset(big, 'a', 60);
    (void)snprintf(big + 60, sizeof(big) - 60, "%%u");
    assert_int_equal(prov_hostname_expand(big, u, out, sizeof(out)), SCS_ERR_TOO_LARGE);
}

/* Chains with fake identities: selection only dereferences them for the DNS
 * rule, which these cases do not reach (host_name NULL). */
static void set_hash(struct prov_chain *c, uint8_t v)
{
    memset(c->root.sha256, v, sizeof(c->root.sha256));
    memset(c->root.sha1, v, sizeof(c->root.sha1));
    memset(c->root.sha384, v, sizeof(c->root.sha384));
    c->id = (struct tls_identity *)(uintptr_t)0x1000u;
}

static void hello_with(struct scs_hello *h, const uint8_t *vals, unsigned n, uint8_t alg)
{
    memset(h, 0, sizeof(*h));
    h->version = SCS_HELLO_VERSION_PKI;
    for (unsigned i = 0; i < n; i++) {
        h->hashes[i].alg = alg;
        h->hashes[i].len = (uint8_t)scs_hash_alg_len(alg);
        memset(h->hashes[i].data, vals[i], h->hashes[i].len);
    }
    h->hash_count = n;
}

static void test_server_header_version(void **state)
{
    char v[16];
    (void)state;

    assert_int_equal(
        prov_server_header_version("Intel(R) Active Management Technology 11.8.55", v, sizeof(v)),
        1);
    assert_string_equal(v, "11.8.55");
    assert_int_equal(prov_server_header_version(
                         "Intel(R) Active Management Technology 15.0.23.1706", v, sizeof(v)),
                     1);
    assert_string_equal(v, "15.0.23.1706");
    /* Not that header, or not a version: 0, out untouched. */
    (void)snprintf(v, sizeof(v), "kept");
    static const char *const bad[] = {
        NULL,
        "",
        "nginx/1.22.1",
        "Intel(R) Active Management Technology",
        "Intel(R) Active Management Technology ",
        "Intel(R) Active Management Technology 11",
        "Intel(R) Active Management Technology 11.8",
        "Intel(R) Active Management Technology 11..55",
        "Intel(R) Active Management Technology .11.8.55",
        "Intel(R) Active Management Technology 11.8.55.",
        "Intel(R) Active Management Technology 11.8.55 beta",
        "Intel(R) Active Management Technology 11.8.5x",
        "intel(r) active management technology 11.8.55",
        "Intel(R) Active Management Technology 1234567.89.12345678", /* longer than out */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(prov_server_header_version(bad[i], v, sizeof(v)), 0);
        assert_string_equal(v, "kept");
    }
}

static void test_chain_select(void **state)
{
    static struct scs_hello h;
    struct prov_chain c[3];
    size_t idx = 99;
    char why[256];
    const uint8_t one[] = {0x11, 0x22};
    const uint8_t none[] = {0x33, 0x44, 0x55};
    (void)state;

    memset(c, 0, sizeof(c));
    set_hash(&c[0], 0x11);
    set_hash(&c[1], 0x22);
    set_hash(&c[2], 0x22);

    /* Unknown roots: the reason names what the device trusts. */
    hello_with(&h, none, 3, SCS_HASH_SHA256);
    assert_int_equal(prov_chain_select(c, 1, &h, "10.0.0.1", NULL, &idx, why, sizeof(why)),
                     PROV_PICK_NO_ROOT);
    assert_string_equal(
        why, "no provisioning certificate matches the device's trusted roots (3 SHA256 hashes)");

    /* One chain fits by SHA-256, another by SHA-1. */
    hello_with(&h, one, 1, SCS_HASH_SHA256);
    assert_int_equal(prov_chain_select(c, 2, &h, "10.0.0.1", NULL, &idx, why, sizeof(why)),
                     PROV_PICK_OK);
    assert_int_equal(idx, 0);
    hello_with(&h, one + 1, 1, SCS_HASH_SHA1);
    assert_int_equal(prov_chain_select(c, 2, &h, "10.0.0.1", NULL, &idx, why, sizeof(why)),
                     PROV_PICK_OK);
    assert_int_equal(idx, 1);

    /* Two chains under the same root: ambiguous until a subnet tells them apart. */
    hello_with(&h, one + 1, 1, SCS_HASH_SHA256);
    assert_int_equal(prov_chain_select(c, 3, &h, "10.0.0.1", NULL, &idx, why, sizeof(why)),
                     PROV_PICK_AMBIGUOUS);
    (void)snprintf(c[2].entry.subnets, sizeof(c[2].entry.subnets), "%s", "10.0.0.0/24");
    assert_int_equal(prov_chain_select(c, 3, &h, "10.0.0.1", NULL, &idx, why, sizeof(why)),
                     PROV_PICK_OK);
    assert_int_equal(idx, 2);
    /* Outside the mapped subnet the unmapped chain is the only one left. */
    assert_int_equal(prov_chain_select(c, 3, &h, "10.9.0.1", NULL, &idx, why, sizeof(why)),
                     PROV_PICK_OK);
    assert_int_equal(idx, 1);
    /* Every matching chain mapped elsewhere. */
    (void)snprintf(c[1].entry.subnets, sizeof(c[1].entry.subnets), "%s", "192.168.0.0/16");
    assert_int_equal(prov_chain_select(c, 3, &h, "10.9.0.1", NULL, &idx, why, sizeof(why)),
                     PROV_PICK_NO_SUBNET);
    assert_non_null(strstr(why, "subnets do not include 10.9.0.1"));
    /* A chain that failed to load is never picked. */
    c[0].id = NULL;
    hello_with(&h, one, 1, SCS_HASH_SHA256);
    assert_int_equal(prov_chain_select(c, 1, &h, "10.0.0.1", NULL, &idx, why, sizeof(why)),
                     PROV_PICK_NO_ROOT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_password_generate), cmocka_unit_test(test_password_differs),
        cmocka_unit_test(test_password_strong),   cmocka_unit_test(test_cidr),
        cmocka_unit_test(test_pid_acceptable),    cmocka_unit_test(test_hostname_expand),
        cmocka_unit_test(test_chain_select),      cmocka_unit_test(test_server_header_version),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
