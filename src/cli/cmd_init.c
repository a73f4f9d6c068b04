/* scsctl init: create the data directory, the master key and the store. */
#include <getopt.h>
#include <string.h>

#include "cli/cli.h"
#include "common/err.h"
#include "psk/pool.h"

static void init_help(FILE *out)
{
    fprintf(out, "Usage: scsctl [-d DIR] init\n"
                 "\n"
                 "Create the data directory DIR (mode 0700) with a new 32-byte master key\n"
                 "(master.key, mode 0600) and an empty store (scs.db).  An existing directory\n"
                 "must be private to this user.  An initialised directory is never changed.\n"
                 "\n"
                 "Exit codes: 0 initialised, 2 usage error, 4 already initialised or unsafe\n"
                 "permissions, 5 I/O or database failure.\n");
}

int cmd_init(struct cli_ctx *ctx, int argc, char **argv)
{
    static const struct option opts[] = {
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct scs_diag d;
    int c, r;

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
        cli_error("%s is already initialised; nothing was changed", ctx->datadir);
        return CLI_STATE;
    }
    if (r != 0) {
        if (d.reason[0] != 0) {
            return cli_fail(r, "init failed: %s", d.reason);
        }
        return cli_fail(r, "init of %s failed", ctx->datadir);
    }
    printf("initialised %s (master key %s/master.key, store %s/scs.db)\n", ctx->datadir,
           ctx->datadir, ctx->datadir);
    return CLI_OK;
}
