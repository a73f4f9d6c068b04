/* amtsim device state: defaults, atomic save/load round trip, file modes, fleets. */
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
#include "crypto/crypto.h"
#include "sim/device.h"
#include "sim/fleet.h"
#include "sim/x509.h"

static char tmpdir[256];

static int setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_sim_state.XXXXXX");
    return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int teardown(void **state)
{
    char cmd[300];

    (void)state;
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static void test_defaults(void **state)
{
    struct sim_device *d = sim_device_new();
    uint8_t h[32];

    (void)state;
    assert_int_equal(sim_device_new_identity(d), 0);
    assert_int_equal(sim_device_default_hashes(d), 0);
    assert_int_equal(d->hash_count, 23);
    assert_int_equal(strlen(d->realm), SIM_REALM_LEN);
    assert_memory_equal(d->realm, "Digest:", 7);
    for (size_t i = 7; i < SIM_REALM_LEN; i++) {
        assert_true((d->realm[i] >= '0' && d->realm[i] <= '9') ||
                    (d->realm[i] >= 'A' && d->realm[i] <= 'F'));
    }
    assert_int_equal(scs_sha256("admin", 5, h), 0);
    assert_memory_equal(d->mebx_hash, h, 32);
    assert_int_equal(d->mebx_changed, 0);
    /* custom slots: duplicates refused, a bounded number accepted */
    memset(h, 0x11, sizeof(h));
    assert_int_equal(sim_device_add_hash(d, 2, h, 32), 0);
    assert_int_equal(sim_device_add_hash(d, 2, h, 32), SCS_ERR_EXISTS);
    assert_int_equal(sim_device_add_hash(d, 2, h, 31), SCS_ERR_INVALID_ARG);
    sim_device_free(d);
}

static void test_ha1_vector(void **state)
{
    struct sim_device *d = sim_device_new();
    uint8_t ha1[16];
    static const uint8_t want[16] = {0x0a, 0xe0, 0x83, 0x01, 0x1b, 0xae, 0x3d, 0x84,
                                     0xfc, 0x48, 0x6c, 0xe4, 0xab, 0x44, 0xae, 0x1d};

    (void)state;
    snprintf(d->realm, sizeof(d->realm), "Digest:F3EB554784E729164447A89F60B641C5");
    assert_int_equal(sim_device_ha1(d, "admin", "P@ssw0rd", ha1), 0);
    assert_memory_equal(ha1, want, 16);
    sim_device_free(d);
}

static void test_fleet_round_trip(void **state)
{
    struct sim_fleet *f = NULL, *g = NULL;
    struct sim_create_opts o;
    struct sim_psk_pair pairs[2] = {{.pid = "0000037M", .pps = "NKLDG5DCRRNQE9YZZIJL7LFLVJED69XJ"},
                                    {.pid = "0000037M", .pps = "NKLDG5DCRRNQE9YZZIJL7LFLVJED69XJ"}};
    struct scs_diag dg;
    struct stat st;
    char dir[300];
    struct scs_buf *b = scs_buf_new(1 << 20);

    (void)state;
    snprintf(dir, sizeof(dir), "%s/fleet", tmpdir);
    memset(&o, 0, sizeof(o));
    o.n = 2;
    o.mode = SIM_MODE_PSK;
    o.pairs = pairs;
    o.pair_count = 2;
    o.base_addr = 0x7F0100FE; /* 127.1.0.254: the next would be .255, skipped */
    o.key_bits = 1024;
    assert_int_equal(sim_fleet_load(dir, &f), 0);
    assert_int_equal(f->count, 0);
    assert_int_equal(sim_fleet_create(f, &o, &dg), 0);
    assert_int_equal(f->count, 2);
    assert_int_equal(f->dev[1]->addr, 0x7F010101);
    assert_int_equal(stat(dir, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    assert_int_equal(stat(f->dev[0]->path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    f->dev[0]->prov_state = SIM_PROV_POST;
    f->dev[0]->admin_set = 1;
    f->dev[0]->clock_offset = -42;
    assert_int_equal(sim_device_save(f->dev[0]), 0);
    assert_int_equal(sim_fleet_load(dir, &g), 0);
    assert_int_equal(g->count, 2);
    assert_memory_equal(g->dev[0]->uuid, f->dev[0]->uuid, 16);
    assert_string_equal(g->dev[0]->realm, f->dev[0]->realm);
    assert_string_equal(g->dev[0]->pps, pairs[0].pps);
    assert_int_equal(g->dev[0]->prov_state, SIM_PROV_POST);
    assert_int_equal(g->dev[0]->clock_offset, -42);
    assert_int_equal(g->dev[0]->hash_count, 23);
    assert_int_equal(g->dev[0]->tls_cert_len, f->dev[0]->tls_cert_len);
    assert_ptr_equal(sim_fleet_find(g, "2"), g->dev[1]);
    assert_ptr_equal(sim_fleet_find(g, "127.1.0.254"), g->dev[0]);
    /* status never shows the PPS */
    assert_int_equal(sim_fleet_status_json(g, b), 0);
    assert_null(strstr(scs_buf_cstr(b), pairs[0].pps));
    assert_non_null(strstr(scs_buf_cstr(b), "\"provisioning_state\":\"post\""));
    assert_non_null(strstr(scs_buf_cstr(b), "\"pid\":\"0000037M\""));
    scs_buf_free(b);
    sim_fleet_free(f);
    sim_fleet_free(g);
}

/* A second create: an explicit --base-address is used as given (collisions
 * refused, nothing created); without one the fleet's range continues. */
static void test_fleet_base_address(void **state)
{
    struct sim_fleet *f = NULL;
    struct sim_create_opts o;
    struct scs_diag dg;
    char dir[300];

    (void)state;
    snprintf(dir, sizeof(dir), "%s/bases", tmpdir);
    memset(&o, 0, sizeof(o));
    o.n = 2;
    o.mode = SIM_MODE_NONE;
    o.key_bits = 1024;
    assert_int_equal(sim_addr_parse("127.40.0.1", &o.base_addr), 0);
    o.base_given = 1;
    assert_int_equal(sim_fleet_load(dir, &f), 0);
    assert_int_equal(sim_fleet_create(f, &o, &dg), 0);
    /* explicit base on the second create: 127.41.0.1, not 127.40.0.3 */
    assert_int_equal(sim_addr_parse("127.41.0.1", &o.base_addr), 0);
    assert_int_equal(sim_fleet_create(f, &o, &dg), 0);
    assert_int_equal(f->count, 4);
    assert_int_equal(f->dev[2]->index, 3);
    assert_int_equal(f->dev[2]->addr, 0x7F290001);
    assert_int_equal(f->dev[3]->addr, 0x7F290002);
    /* no base: after the last device */
    o.base_given = 0;
    o.n = 1;
    assert_int_equal(sim_fleet_create(f, &o, &dg), 0);
    assert_int_equal(f->dev[4]->addr, 0x7F290003);
    /* 127.40.0.2 + 127.40.0.3: the first collides, so neither is created */
    o.base_given = 1;
    o.n = 2;
    assert_int_equal(sim_addr_parse("127.40.0.2", &o.base_addr), 0);
    assert_int_equal(sim_fleet_create(f, &o, &dg), SCS_ERR_EXISTS);
    assert_non_null(strstr(dg.reason, "127.40.0.2"));
    assert_int_equal(f->count, 5);
    sim_fleet_free(f);
    assert_int_equal(sim_fleet_load(dir, &f), 0);
    assert_int_equal(f->count, 5);
    sim_fleet_free(f);
}

static void test_load_rejects_garbage(void **state)
{
    struct sim_device *d = NULL;
    char path[300];
    FILE *fp;

    (void)state;
    snprintf(path, sizeof(path), "%s/bad.state", tmpdir);
    fp = fopen(path, "w");
    assert_non_null(fp);
    fputs("amtsim-state 1\nprov_state 7\n", fp);
    fclose(fp);
    assert_int_not_equal(sim_device_load(path, &d), 0);
    fp = fopen(path, "w");
    fputs("amtsim-state 99\n", fp);
    fclose(fp);
    assert_int_not_equal(sim_device_load(path, &d), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_ha1_vector),
        cmocka_unit_test(test_fleet_round_trip),
        cmocka_unit_test(test_fleet_base_address),
        cmocka_unit_test(test_load_rejects_garbage),
    };

    assert_int_equal(sim_x509_init(), 0);
    return cmocka_run_group_tests(tests, setup, teardown);
}
