/*
 * scsctl init: create the data directory, the master key and the store, then
 * the server's CA (for device TLS certificates) and the `default` profile.
 *
 * A directory initialised by an older scsctl (store and key, but no CA or no
 * default profile) is completed by running init again; a complete one is never
 * changed.
 */
#include <getopt.h>
#include <string.h>

#include "cli/cli.h"
#include "common/buf.h"
#include "common/err.h"
#include "common/secmem.h"
#include "psk/pool.h"
#include "registry/registry.h"
#include "tls/tls.h"

/* RSA 3072 (NIST's 128-bit level) for a CA that lives ten years. */
#define INIT_CA_BITS 3072
#define INIT_CA_DAYS 3650
#define INIT_CA_CN   "scs device TLS CA"

static void init_help(FILE *out)
{
    fprintf(out, "Usage: scsctl [-d DIR] init\n"
                 "\n"
                 "Create the data directory DIR (mode 0700) with a new 32-byte master key\n"
                 "(master.key, mode 0600) and a store (scs.db) holding:\n"
                 "  - the server's CA (RSA 3072, valid 10 years), which signs the TLS\n"
                 "    certificates of devices whose profile turns TLS on; its key is sealed\n"
                 "    with the master key;\n"
                 "  - the profile 'default': a random admin password per device, a random\n"
                 "    MEBx password set, time sync on, a new PSK on, OTP off, TLS off.\n"
                 "An existing directory must be private to this user.  A directory that lacks\n"
                 "only the CA or the default profile (made by an older scsctl) is completed;\n"
                 "an initialised directory is otherwise never changed.\n"
                 "\n"
                 "Exit codes: 0 initialised or completed, 2 usage error, 4 already initialised\n"
                 "or unsafe permissions, 5 I/O, database or crypto failure.\n");
}

static int make_ca(struct scs_pool *p)
{
    struct tls_ca *ca = NULL;
    struct scs_buf *pem = scs_buf_new(16 * 1024);
    struct scs_secret *key = NULL;
    int r;

    if (pem == NULL) {
        return SCS_ERR_NOMEM;
    }
    if ((r = tls_ca_generate_rsa(INIT_CA_CN, INIT_CA_DAYS, INIT_CA_BITS, &ca)) == 0 &&
        (r = tls_ca_to_pem(ca, pem, &key)) == 0 &&
        (r = scs_ca_put(p, scs_buf_cstr(pem), key)) == 0) {
        r = scs_pool_audit(p, "ca-created", INIT_CA_CN, "rsa=3072 days=3650");
    }
    scs_secret_free(key);
    scs_buf_free(pem);
    tls_ca_free(ca);
    return r;
}

static int make_default_profile(struct scs_pool *p)
{
    struct scs_profile prof;
    int r;

    scs_profile_defaults(&prof, SCS_PROFILE_DEFAULT);
    if ((r = scs_profile_put(p, &prof)) == 0) {
        r = scs_pool_audit(p, "profile-set", SCS_PROFILE_DEFAULT, "created by init");
    }
    return r;
}

/* Add what is missing; *added counts it.  Nothing is written when nothing is missing. */
static int complete(struct cli_ctx *ctx, int *added)
{
    struct scs_pool *p = NULL;
    struct scs_profile prof;
    struct scs_diag d;
    int r;

    *added = 0;
    scs_diag_clear(&d);
    if ((r = scs_pool_open_diag(ctx->datadir, &p, &d)) != 0) {
        return r;
    }
    r = scs_ca_get(p, NULL, NULL);
    if (r == SCS_ERR_NOT_FOUND) {
        if ((r = make_ca(p)) != 0) {
            cli_fail(r, "cannot create the server CA in %s", ctx->datadir);
            goto out;
        }
        printf("created the server CA (%s, RSA %d, %d days)\n", INIT_CA_CN, INIT_CA_BITS,
               INIT_CA_DAYS);
        (*added)++;
    } else if (r != 0) {
        cli_fail(r, "cannot read the server CA in %s", ctx->datadir);
        goto out;
    }
    r = scs_profile_get(p, SCS_PROFILE_DEFAULT, &prof);
    if (r == SCS_ERR_NOT_FOUND) {
        if ((r = make_default_profile(p)) != 0) {
            cli_fail(r, "cannot create the default profile in %s", ctx->datadir);
            goto out;
        }
        printf("created the profile '%s'\n", SCS_PROFILE_DEFAULT);
        (*added)++;
    } else if (r != 0) {
        cli_fail(r, "cannot read the default profile in %s", ctx->datadir);
        goto out;
    }
out:
    scs_pool_close(p);
    return r;
}

int cmd_init(struct cli_ctx *ctx, int argc, char **argv)
{
    static const struct option opts[] = {
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct scs_diag d;
    int c, r, added = 0;

    opterr = 0;
    optind = 0;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'h':
            init_help(stdout);
            return CLI_OK;
        default:
            return cli_usage("init", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc) {
        return cli_usage("init", "unexpected argument '%s' (the directory is given with -d)",
                         argv[optind]);
    }
    scs_diag_clear(&d);
    r = scs_pool_init_diag(ctx->datadir, &d);
    if (r == SCS_ERR_EXISTS) {
        /* Complete a directory from an older scsctl; a complete one is left alone. */
        if (complete(ctx, &added) == 0 && added > 0) {
            printf("completed %s\n", ctx->datadir);
            return CLI_OK;
        }
        cli_error("%s is already initialised; nothing was changed", ctx->datadir);
        return CLI_STATE;
    }
    if (r != 0) {
        if (d.reason[0] != 0) {
            return cli_fail(r, "init failed: %s", d.reason);
        }
        return cli_fail(r, "init of %s failed", ctx->datadir);
    }
    if ((r = complete(ctx, &added)) != 0) {
        cli_error("%s has a store but is incomplete; run 'scsctl init' again to finish it",
                  ctx->datadir);
        return cli_exit_for(r);
    }
    printf("initialised %s (master key %s/master.key, store %s/scs.db)\n", ctx->datadir,
           ctx->datadir, ctx->datadir);
    return CLI_OK;
}
