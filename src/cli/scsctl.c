/* scsctl: top level.  Global options, then a command group from the table. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/log.h"

#ifndef SCS_VERSION
#define SCS_VERSION "0.0.0"
#endif

#define SCS_DEFAULT_DATADIR "/var/lib/scs"

static int cmd_version(struct cli_ctx *ctx, int argc, char **argv)
{
    printf("scsctl %s\n", SCS_VERSION);
    return CLI_OK;
}

static const struct cli_command commands[] = {
    {"init", cmd_init, "create the data directory, store and master key"},
    {"psk", cmd_psk,
     "manage the PID/PPS pool: generate, list, stats, check, revoke, export, import"},
    {"usb", cmd_usb, "write or inspect USB setup.bin files"},
    {"hello", cmd_hello, "decode a Hello message captured from a device"},
    {"cert", cmd_cert, "provisioning certificates: add, list, remove"},
    {"otp", cmd_otp, "set or clear a device's one-time password"},
    {"ca", cmd_ca, "the CA for device TLS certificates: show, import"},
    {"profile", cmd_profile, "provisioning profiles: list, show, set, remove"},
    {"device", cmd_device, "devices: list, show, password, unprovision"},
    {"audit", cmd_audit, "show the audit log of security-relevant events"},
    {"doctor", cmd_doctor, "explain whether a device (or a Hello) would provision"},
    {"version", cmd_version, "print the version"},
    {NULL, NULL, NULL},
};

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: scsctl [-d DIR] [-v] COMMAND [ARGS]\n"
            "\n"
            "Administer an scs Setup and Configuration Server for Intel AMT.\n"
            "\n"
            "Options:\n"
            "  -d, --data-dir DIR  data directory (default: $SCS_HOME, else %s)\n"
            "  -v, --verbose       more log output on stderr\n"
            "  -h, --help          this help\n"
            "\n"
            "Commands:\n",
            SCS_DEFAULT_DATADIR);
    for (const struct cli_command *c = commands; c->name != NULL; c++) {
        fprintf(out, "  %-8s %s\n", c->name, c->summary);
    }
    fprintf(out, "\n"
                 "Exit codes: 0 success, 1 check failed, 2 usage error, 3 bad input data,\n"
                 "4 store or object state, 5 system error.\n");
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"data-dir", required_argument, NULL, 'd'},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct cli_ctx ctx = {.prog = "scsctl", .datadir = NULL};
    int c;

    scs_log_init("scsctl", SCS_LOG_WARN);
    /* '+' stops at the first non-option so each command parses its own flags. */
    while ((c = getopt_long(argc, argv, "+d:vh", opts, NULL)) != -1) {
        switch (c) {
        case 'd':
            ctx.datadir = optarg;
            break;
        case 'v':
            scs_log_set_level(scs_log_get_level() < SCS_LOG_DEBUG ? scs_log_get_level() + 1
                                                                  : SCS_LOG_DEBUG);
            break;
        case 'h':
            usage(stdout);
            return CLI_OK;
        default:
            usage(stderr);
            return CLI_USAGE;
        }
    }
    if (ctx.datadir == NULL) {
        const char *env = getenv("SCS_HOME");
        ctx.datadir = (env != NULL && *env != 0) ? env : SCS_DEFAULT_DATADIR;
    }
    if (optind >= argc) {
        usage(stderr);
        return CLI_USAGE;
    }
    argc -= optind;
    argv += optind;
    for (const struct cli_command *cmd = commands; cmd->name != NULL; cmd++) {
        if (strcmp(cmd->name, argv[0]) == 0) {
            /* Reset getopt for the command's own parsing. */
            optind = 0;
            return cmd->run(&ctx, argc, argv);
        }
    }
    if (strcmp(argv[0], "help") == 0) {
        usage(stdout);
        return CLI_OK;
    }
    cli_error("unknown command '%s'", argv[0]);
    usage(stderr);
    return CLI_USAGE;
}
