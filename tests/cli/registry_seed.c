/*
 * registry_seed: a test helper for tests/cli/test_server_cli.sh.  It stands in
 * for scsd where the CLI tests need registry rows that only a provisioning
 * session writes (a device in some state, a stored admin password), through
 * registry.h like scsd.  Secrets are read from a file, not the command line.
 *
 *   registry_seed DIR device UUID STATE [LAST_ERROR]
 *   registry_seed DIR secret UUID NAME FILE
 *
 * Exit codes: 0 done, 1 the registry refused, 2 usage.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/fileio.h"
#include "common/secmem.h"
#include "psk/pool.h"
#include "registry/registry.h"

static int seed_device(struct scs_pool *p, int argc, char **argv)
{
    struct scs_device d;
    enum scs_device_state st;

    if (argc < 2 || scs_device_state_parse(argv[1], &st) != 0) {
        return SCS_ERR_INVALID_ARG;
    }
    if (scs_device_get(p, argv[0], &d) != 0) {
        memset(&d, 0, sizeof(d));
        snprintf(d.uuid, sizeof(d.uuid), "%s", argv[0]);
        d.first_seen = (int64_t)time(NULL);
    }
    d.state = st;
    d.path = SCS_PATH_PKI;
    d.last_hello = (int64_t)time(NULL);
    snprintf(d.address, sizeof(d.address), "192.0.2.10");
    snprintf(d.fw_version, sizeof(d.fw_version), "16.1.30");
    snprintf(d.profile, sizeof(d.profile), "default");
    snprintf(d.last_error, sizeof(d.last_error), "%s", argc > 2 ? argv[2] : "");
    if (st == SCS_DEVICE_PROVISIONED) {
        d.provisioned_at = (int64_t)time(NULL);
    }
    return scs_device_put(p, &d);
}

static int seed_secret(struct scs_pool *p, int argc, char **argv)
{
    struct scs_buf *b = NULL;
    struct scs_secret *s;
    int r;

    if (argc != 3) {
        return SCS_ERR_INVALID_ARG;
    }
    if ((r = scs_file_read(argv[2], 4096, &b)) != 0) {
        return r;
    }
    s = scs_secret_from(scs_buf_data(b), strcspn(scs_buf_cstr(b), "\n"));
    scs_buf_free(b);
    if (s == NULL) {
        return SCS_ERR_NOMEM;
    }
    r = scs_device_secret_set(p, argv[0], argv[1], s);
    scs_secret_free(s);
    return r;
}

int main(int argc, char **argv)
{
    struct scs_pool *p = NULL;
    int r;

    if (argc < 4) {
        fprintf(stderr, "usage: registry_seed DIR device|secret ...\n");
        return 2;
    }
    if ((r = scs_pool_open(argv[1], &p)) != 0) {
        fprintf(stderr, "registry_seed: %s: %s\n", argv[1], scs_strerror(r));
        return 1;
    }
    if (strcmp(argv[2], "device") == 0) {
        r = seed_device(p, argc - 3, argv + 3);
    } else if (strcmp(argv[2], "secret") == 0) {
        r = seed_secret(p, argc - 3, argv + 3);
    } else {
        r = SCS_ERR_INVALID_ARG;
    }
    scs_pool_close(p);
    if (r != 0) {
        fprintf(stderr, "registry_seed: %s\n", scs_strerror(r));
        return r == SCS_ERR_INVALID_ARG ? 2 : 1;
    }
    return 0;
}
