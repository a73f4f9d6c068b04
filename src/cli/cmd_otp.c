/*
 * scsctl otp: the one-time password a device reports during remote
 * configuration (protocol.md §5.3: ProvisioningServerOTP, 8 to 32
 * characters).  It is stored sealed as the device secret "otp"; scsd compares
 * it, in constant time, before sending any secret to a device whose profile
 * requires an OTP.  The value is read from a file or the terminal, never from
 * the command line, and is never printed.
 */
#include <getopt.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "common/err.h"
#include "common/secmem.h"
#include "psk/pool.h"
#include "registry/registry.h"

#define OTP_MIN 8
#define OTP_MAX 32

static const char otp_exit_codes[] =
    "Exit codes: 0 success, 2 usage error, 3 the OTP is not 8 to 32 printable characters,\n"
    "4 store not initialised or no OTP stored, 5 I/O or database failure.\n";

/* 8..32 printable ASCII characters (what AMT_SetupAndConfigurationService accepts). */
static int otp_ok(const struct scs_secret *s)
{
    const uint8_t *b = scs_secret_cdata(s);
    size_t n = scs_secret_len(s);
    int bad = 0;

    if (n < OTP_MIN || n > OTP_MAX) {
        return 0;
    }
    /* No early exit: the time taken does not depend on which character is wrong. */
    for (size_t i = 0; i < n; i++) {
        bad |= b[i] < 0x20 || b[i] > 0x7e;
    }
    return !bad;
}

static int otp_set(struct cli_ctx *ctx, int argc, char **argv)
{
    static const struct option opts[] = {
        {"file", required_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *file = NULL;
    char uuid[SCS_UUID_TEXT_LEN + 1];
    struct scs_secret *otp = NULL;
    struct scs_pool *p = NULL;
    struct scs_device d;
    int c, r, created = 0;

    for (;;) {
        if ((r = cli_getopt("otp set", argc, argv, "f:h", opts, &c)) != CLI_OK) {
            return r;
        }
        if (c == -1) {
            break;
        }
        switch (c) {
        case 'f':
            file = optarg;
            break;
        case 'h':
            printf("Usage: scsctl [-d DIR] otp set UUID [--file F]\n"
                   "\n"
                   "Record the one-time password of device UUID: the first line of F, or asked\n"
                   "for twice on the terminal.  8 to %d printable ASCII characters, the same\n"
                   "value given to the device (CFG_SetProvisioningServerOTP or the MEBx).  A\n"
                   "device not seen yet is added in state 'seen'.  It is checked only when the\n"
                   "device's profile has --otp on.\n\n%s",
                   OTP_MAX, otp_exit_codes);
            return CLI_OK;
        default:
            return cli_usage("otp set", "unknown option");
        }
    }
    if (argc - optind != 1) {
        return cli_usage("otp set", "expected one device UUID");
    }
    if ((r = cli_parse_uuid("otp set", argv[optind], uuid)) != CLI_OK) {
        return r;
    }
    if ((r = cli_read_secret(file, "OTP", "--file", 1, &otp)) != CLI_OK) {
        return r;
    }
    if (!otp_ok(otp)) {
        scs_secret_free(otp);
        cli_error("the OTP must be %d to %d printable ASCII characters", OTP_MIN, OTP_MAX);
        return CLI_DATA;
    }
    if ((r = cli_open_pool(ctx, &p)) != CLI_OK) {
        scs_secret_free(otp);
        return r;
    }
    r = scs_device_get(p, uuid, &d);
    if (r == SCS_ERR_NOT_FOUND) {
        memset(&d, 0, sizeof(d));
        snprintf(d.uuid, sizeof(d.uuid), "%s", uuid);
        d.state = SCS_DEVICE_SEEN;
        d.first_seen = (int64_t)time(NULL);
        r = scs_device_put(p, &d);
        created = 1;
    }
    if (r == 0) {
        r = scs_device_secret_set(p, uuid, "otp", otp);
    }
    scs_secret_free(otp);
    if (r == 0) {
        r = scs_pool_audit(p, "otp-set", uuid, created ? "device added" : "");
    }
    scs_pool_close(p);
    if (r != 0) {
        return cli_fail(r, "cannot record the OTP of %s", uuid);
    }
    printf("recorded the OTP of %s%s\n", uuid, created ? " (new device, state seen)" : "");
    return CLI_OK;
}

static int otp_clear(struct cli_ctx *ctx, int argc, char **argv)
{
    static const struct option opts[] = {
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    char uuid[SCS_UUID_TEXT_LEN + 1];
    struct scs_pool *p = NULL;
    int c, r;

    for (;;) {
        if ((r = cli_getopt("otp clear", argc, argv, "h", opts, &c)) != CLI_OK) {
            return r;
        }
        if (c == -1) {
            break;
        }
        switch (c) {
        case 'h':
            printf("Usage: scsctl [-d DIR] otp clear UUID\n"
                   "\n"
                   "Forget the OTP of device UUID.\n\n%s",
                   otp_exit_codes);
            return CLI_OK;
        default:
            return cli_usage("otp clear", "unknown option");
        }
    }
    if (argc - optind != 1) {
        return cli_usage("otp clear", "expected one device UUID");
    }
    if ((r = cli_parse_uuid("otp clear", argv[optind], uuid)) != CLI_OK) {
        return r;
    }
    if ((r = cli_open_pool(ctx, &p)) != CLI_OK) {
        return r;
    }
    r = scs_device_secret_delete(p, uuid, "otp");
    if (r == 0) {
        r = scs_pool_audit(p, "otp-cleared", uuid, "");
    }
    scs_pool_close(p);
    if (r == SCS_ERR_NOT_FOUND) {
        cli_error("no OTP is recorded for %s", uuid);
        return CLI_STATE;
    }
    if (r != 0) {
        return cli_fail(r, "cannot clear the OTP of %s", uuid);
    }
    printf("cleared the OTP of %s\n", uuid);
    return CLI_OK;
}

static const struct cli_command otp_commands[] = {
    {"set", otp_set, "record a device's one-time password"},
    {"clear", otp_clear, "forget a device's one-time password"},
    {NULL, NULL, NULL},
};

int cmd_otp(struct cli_ctx *ctx, int argc, char **argv)
{
    return cli_dispatch(ctx, "otp", otp_commands, argc - 1, argv + 1);
}
