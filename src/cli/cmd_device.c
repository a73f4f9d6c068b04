/*
 * scsctl device: the devices the server has heard from.  list and show print
 * what the registry knows (never a secret); password reveals a stored
 * password, and is audited before it prints anything; unprovision marks a
 * device so that scsd unprovisions it if it can reach it and provisions it
 * again when it comes back: the CLI only marks, the server acts.
 */
#include <getopt.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "common/buf.h"
#include "common/err.h"
#include "common/json.h"
#include "common/secmem.h"
#include "prov/unprovision.h"
#include "psk/pool.h"
#include "registry/registry.h"

static const char device_exit_codes[] =
    "Exit codes: 0 success, 2 usage error, 4 store not initialised, unknown device or no\n"
    "such password stored, 5 I/O, database or crypto failure.\n";

static void device_json(struct scs_json *j, const struct scs_device *d, int full)
{
    scs_json_kv_str(j, "uuid", d->uuid);
    scs_json_kv_str(j, "address", d->address);
    scs_json_kv_str(j, "state", scs_device_state_name(d->state));
    scs_json_kv_str(j, "path", scs_prov_path_name(d->path));
    scs_json_kv_str(j, "firmware", d->fw_version);
    scs_json_kv_int(j, "last_hello", d->last_hello);
    scs_json_kv_str(j, "last_error", d->last_error);
    scs_json_kv_str(j, "profile", d->profile);
    if (!full) {
        return;
    }
    scs_json_kv_str(j, "pid", d->pid);
    scs_json_kv_str(j, "new_pid", d->new_pid);
    scs_json_kv_str(j, "step", d->step);
    scs_json_kv_str(j, "realm", d->realm);
    scs_json_kv_str(j, "tls_fingerprint", d->tls_fingerprint);
    scs_json_kv_int(j, "attempts", d->attempts);
    scs_json_kv_int(j, "first_seen", d->first_seen);
    scs_json_kv_int(j, "updated", d->updated);
    scs_json_kv_int(j, "provisioned_at", d->provisioned_at);
}

/* ---- list -------------------------------------------------------------- */

struct device_list_out {
    int json;
    int state; /* -1: all */
    struct scs_json j;
    unsigned n;
};

static int device_list_one(void *arg, const struct scs_device *d)
{
    struct device_list_out *o = arg;
    char hello[32];

    if (o->state >= 0 && (int)d->state != o->state) {
        return 0;
    }
    o->n++;
    if (o->json) {
        scs_json_obj_begin(&o->j);
        device_json(&o->j, d, 0);
        scs_json_obj_end(&o->j);
        return 0;
    }
    cli_fmt_time(d->last_hello, hello);
    printf("%-36s  %-15s  %-13s  %-4s  %-10s  %-20s  %-10s  %s\n", d->uuid,
           d->address[0] ? d->address : "-", scs_device_state_name(d->state),
           d->path != SCS_PATH_NONE ? scs_prov_path_name(d->path) : "-",
           d->fw_version[0] ? d->fw_version : "-", hello, d->profile[0] ? d->profile : "-",
           d->last_error[0] ? d->last_error : "-");
    return 0;
}

static int device_list(struct cli_ctx *ctx, int argc, char **argv)
{
    static const struct option opts[] = {
        {"state", required_argument, NULL, 's'},
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct device_list_out o;
    struct scs_pool *p = NULL;
    struct scs_buf *b = NULL;
    enum scs_device_state st;
    int c, r;

    memset(&o, 0, sizeof(o));
    o.state = -1;
    for (;;) {
        if ((r = cli_getopt("device list", argc, argv, "h", opts, &c)) != CLI_OK) {
            return r;
        }
        if (c == -1) {
            break;
        }
        switch (c) {
        case 's':
            if (scs_device_state_parse(optarg, &st) != 0) {
                return cli_usage("device list",
                                 "invalid state '%s' (one of seen, provisioning, provisioned, "
                                 "failed, refused, unprovisioned)",
                                 optarg);
            }
            o.state = (int)st;
            break;
        case 'j':
            o.json = 1;
            break;
        case 'h':
            printf("Usage: scsctl [-d DIR] device list [--state S] [--json]\n"
                   "\n"
                   "List devices in UUID order: UUID, address of the last Hello, state, path\n"
                   "(psk or pki), firmware, last Hello, profile, last error.\n"
                   "\n"
                   "  --state S  only devices in state S (seen, provisioning, provisioned,\n"
                   "             failed, refused, unprovisioned)\n"
                   "  --json     an array of objects with uuid, address, state, path, firmware,\n"
                   "             last_hello (Unix seconds, 0 = never), last_error, profile\n\n%s",
                   device_exit_codes);
            return CLI_OK;
        default:
            return cli_usage("device list", "unknown option");
        }
    }
    if (optind < argc) {
        return cli_usage("device list", "unexpected argument '%s'", argv[optind]);
    }
    if ((r = cli_open_pool(ctx, &p)) != CLI_OK) {
        return r;
    }
    if (o.json) {
        if ((b = scs_buf_new(64 * 1024 * 1024)) == NULL) {
            scs_pool_close(p);
            return cli_fail(SCS_ERR_NOMEM, "listing");
        }
        scs_json_init(&o.j, b);
        scs_json_arr_begin(&o.j);
    } else {
        printf("%-36s  %-15s  %-13s  %-4s  %-10s  %-20s  %-10s  %s\n", "UUID", "ADDRESS", "STATE",
               "PATH", "FIRMWARE", "LAST HELLO", "PROFILE", "LAST ERROR");
    }
    r = scs_device_list(p, device_list_one, &o);
    scs_pool_close(p);
    if (r != 0) {
        scs_buf_free(b);
        return cli_fail(r, "listing the devices failed");
    }
    if (o.json) {
        scs_json_arr_end(&o.j);
        r = cli_json_emit(&o.j);
        scs_buf_free(b);
        return r;
    }
    return CLI_OK;
}

/* ---- show -------------------------------------------------------------- */

static int has_secret(struct scs_pool *p, const char *uuid, const char *name)
{
    struct scs_secret *s = NULL;
    int r = scs_device_secret_get(p, uuid, name, &s);

    scs_secret_free(s);
    return r == 0;
}

/* Parse "CMD [--json] UUID"; *json set when asked.  -1 after --help. */
static int one_uuid_args(const char *cmd, int argc, char **argv, const char *help, int *json,
                         char uuid[static SCS_UUID_TEXT_LEN + 1], int *mebx)
{
    static const struct option opts[] = {
        {"json", no_argument, NULL, 'j'},
        {"mebx", no_argument, NULL, 'm'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c, r;

    for (;;) {
        if ((r = cli_getopt(cmd, argc, argv, "h", opts, &c)) != CLI_OK) {
            return r;
        }
        if (c == -1) {
            break;
        }
        switch (c) {
        case 'j':
            if (json == NULL) {
                return cli_usage(cmd, "unknown option '--json'");
            }
            *json = 1;
            break;
        case 'm':
            if (mebx == NULL) {
                return cli_usage(cmd, "unknown option '--mebx'");
            }
            *mebx = 1;
            break;
        case 'h':
            printf("%s\n%s", help, device_exit_codes);
            return -1;
        default:
            return cli_usage(cmd, "unknown option");
        }
    }
    if (argc - optind != 1) {
        return cli_usage(cmd, "expected one device UUID");
    }
    return cli_parse_uuid(cmd, argv[optind], uuid);
}

static int open_device(struct cli_ctx *ctx, const char *uuid, struct scs_pool **p,
                       struct scs_device *d)
{
    int r;

    if ((r = cli_open_pool(ctx, p)) != CLI_OK) {
        return r;
    }
    r = scs_device_get(*p, uuid, d);
    if (r == 0) {
        return CLI_OK;
    }
    scs_pool_close(*p);
    *p = NULL;
    if (r == SCS_ERR_NOT_FOUND) {
        cli_error("no device %s in the registry", uuid);
        return CLI_STATE;
    }
    return cli_fail(r, "cannot read device %s", uuid);
}

static int device_show(struct cli_ctx *ctx, int argc, char **argv)
{
    char uuid[SCS_UUID_TEXT_LEN + 1];
    char t1[32], t2[32], t3[32], t4[32];
    struct scs_pool *p = NULL;
    struct scs_device d;
    int r, json = 0, adm, mebx, otp;

    r = one_uuid_args("device show", argc, argv,
                      "Usage: scsctl [-d DIR] device show UUID [--json]\n"
                      "\n"
                      "Everything the registry knows about one device, and which secrets are\n"
                      "stored for it (never their values).\n",
                      &json, uuid, NULL);
    if (r != CLI_OK) {
        return r < 0 ? CLI_OK : r;
    }
    if ((r = open_device(ctx, uuid, &p, &d)) != CLI_OK) {
        return r;
    }
    adm = has_secret(p, uuid, "admin_password");
    mebx = has_secret(p, uuid, "mebx_password");
    otp = has_secret(p, uuid, "otp");
    scs_pool_close(p);
    if (json) {
        struct scs_buf *b = scs_buf_new(16384);
        struct scs_json j;
        if (b == NULL) {
            return cli_fail(SCS_ERR_NOMEM, "output");
        }
        scs_json_init(&j, b);
        scs_json_obj_begin(&j);
        device_json(&j, &d, 1);
        scs_json_kv_bool(&j, "admin_password_stored", adm);
        scs_json_kv_bool(&j, "mebx_password_stored", mebx);
        scs_json_kv_bool(&j, "otp_stored", otp);
        scs_json_obj_end(&j);
        r = cli_json_emit(&j);
        scs_buf_free(b);
        return r;
    }
    cli_fmt_time(d.first_seen, t1);
    cli_fmt_time(d.last_hello, t2);
    cli_fmt_time(d.updated, t3);
    cli_fmt_time(d.provisioned_at, t4);
    printf("uuid             %s\n", d.uuid);
    printf("state            %s\n", scs_device_state_name(d.state));
    printf("address          %s\n", d.address[0] ? d.address : "-");
    printf("path             %s\n", d.path != SCS_PATH_NONE ? scs_prov_path_name(d.path) : "-");
    printf("firmware         %s\n", d.fw_version[0] ? d.fw_version : "-");
    printf("profile          %s\n", d.profile[0] ? d.profile : "-");
    printf("step             %s\n", d.step[0] ? d.step : "-");
    printf("last error       %s\n", d.last_error[0] ? d.last_error : "-");
    printf("attempts         %u\n", d.attempts);
    printf("PID              %s\n", d.pid[0] ? d.pid : "-");
    printf("new PID          %s\n", d.new_pid[0] ? d.new_pid : "-");
    printf("realm            %s\n", d.realm[0] ? d.realm : "-");
    printf("TLS fingerprint  %s\n", d.tls_fingerprint[0] ? d.tls_fingerprint : "-");
    printf("first seen       %s\n", t1);
    printf("last Hello       %s\n", t2);
    printf("updated          %s\n", t3);
    printf("provisioned      %s\n", t4);
    printf("secrets stored   admin password: %s, MEBx password: %s, OTP: %s\n", adm ? "yes" : "no",
           mebx ? "yes" : "no", otp ? "yes" : "no");
    return CLI_OK;
}

/* ---- profile ----------------------------------------------------------- */

static int device_profile(struct cli_ctx *ctx, int argc, char **argv)
{
    static const struct option opts[] = {
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    char uuid[SCS_UUID_TEXT_LEN + 1];
    struct scs_profile prof;
    struct scs_device d;
    struct scs_pool *p = NULL;
    const char *name;
    int c, r, created = 0;

    for (;;) {
        if ((r = cli_getopt("device profile", argc, argv, "h", opts, &c)) != CLI_OK) {
            return r;
        }
        if (c == -1) {
            break;
        }
        switch (c) {
        case 'h':
            printf("Usage: scsctl [-d DIR] device profile UUID NAME\n"
                   "\n"
                   "Provision device UUID with profile NAME (see 'scsctl profile list') instead\n"
                   "of scsd's default_profile.  A device not seen yet is added in state 'seen',\n"
                   "so a profile can be chosen before its first Hello.  It applies from the\n"
                   "device's next session.  Audited as profile-assigned.\n"
                   "\n"
                   "Exit codes: 0 success, 2 usage error, 4 store not initialised or no such\n"
                   "profile, 5 I/O or database failure.\n");
            return CLI_OK;
        default:
            return cli_usage("device profile", "unknown option");
        }
    }
    if (argc - optind != 2) {
        return cli_usage("device profile", "expected a device UUID and a profile name");
    }
    if ((r = cli_parse_uuid("device profile", argv[optind], uuid)) != CLI_OK) {
        return r;
    }
    name = argv[optind + 1];
    if (scs_registry_name_check(name) != 0) {
        return cli_usage("device profile", "'%s' is not a profile name", name);
    }
    if ((r = cli_open_pool(ctx, &p)) != CLI_OK) {
        return r;
    }
    r = scs_profile_get(p, name, &prof);
    if (r == SCS_ERR_NOT_FOUND) {
        scs_pool_close(p);
        cli_error("no profile named '%s' (see 'scsctl profile list')", name);
        return CLI_STATE;
    }
    if (r == 0) {
        r = scs_device_get(p, uuid, &d);
        if (r == SCS_ERR_NOT_FOUND) {
            memset(&d, 0, sizeof(d));
            snprintf(d.uuid, sizeof(d.uuid), "%s", uuid);
            d.state = SCS_DEVICE_SEEN;
            d.first_seen = (int64_t)time(NULL);
            created = 1;
            r = 0;
        }
    }
    if (r == 0) {
        snprintf(d.profile, sizeof(d.profile), "%s", name);
        r = scs_device_put(p, &d);
    }
    if (r == 0) {
        r = scs_pool_audit(p, "profile-assigned", uuid, name);
    }
    scs_pool_close(p);
    if (r != 0) {
        return cli_fail(r, "cannot assign profile '%s' to %s", name, uuid);
    }
    printf("device %s will be provisioned with profile '%s'%s\n", uuid, name,
           created ? " (new device, state seen)" : "");
    return CLI_OK;
}

/* ---- password ---------------------------------------------------------- */

static int device_password(struct cli_ctx *ctx, int argc, char **argv)
{
    char uuid[SCS_UUID_TEXT_LEN + 1], detail[96];
    struct scs_secret *pw = NULL;
    struct scs_pool *p = NULL;
    const char *name;
    int r, mebx = 0;

    r = one_uuid_args("device password", argc, argv,
                      "Usage: scsctl [-d DIR] device password UUID [--mebx]\n"
                      "\n"
                      "Print the admin password the server set on device UUID (with --mebx: the\n"
                      "MEBx password) on standard output, for an administrator who must log\n"
                      "in to it.  Every use is recorded in the audit log as password-revealed\n"
                      "before the password is printed.\n",
                      NULL, uuid, &mebx);
    if (r != CLI_OK) {
        return r < 0 ? CLI_OK : r;
    }
    name = mebx ? "mebx_password" : "admin_password";
    if ((r = cli_open_pool(ctx, &p)) != CLI_OK) {
        return r;
    }
    r = scs_device_secret_get(p, uuid, name, &pw);
    if (r == SCS_ERR_NOT_FOUND) {
        scs_pool_close(p);
        cli_error("no %s password is stored for %s", mebx ? "MEBx" : "admin", uuid);
        return CLI_STATE;
    }
    if (r != 0) {
        scs_pool_close(p);
        return cli_fail(r, "cannot read the password of %s", uuid);
    }
    /* Audit first: a password nobody can account for must not be printed. */
    snprintf(detail, sizeof(detail), "%s uid=%u", name, (unsigned)getuid());
    r = scs_pool_audit(p, "password-revealed", uuid, detail);
    scs_pool_close(p);
    if (r != 0) {
        scs_secret_free(pw);
        return cli_fail(r, "cannot record the audit entry; the password was not shown");
    }
    fwrite(scs_secret_cdata(pw), 1, scs_secret_len(pw), stdout);
    fputc('\n', stdout);
    fflush(stdout);
    scs_secret_free(pw);
    return CLI_OK;
}

/* ---- unprovision ------------------------------------------------------- */

static int port_arg(const char *text, uint16_t *out)
{
    unsigned long v;

    if (cli_parse_ulong(text, 1, 65535, &v) != 0) {
        return cli_usage("device unprovision", "invalid port '%s'", text);
    }
    *out = (uint16_t)v;
    return CLI_OK;
}

static int device_unprovision(struct cli_ctx *ctx, int argc, char **argv)
{
    static const struct option opts[] = {
        {"port", required_argument, NULL, 'p'},    {"http-port", required_argument, NULL, 'P'},
        {"timeout", required_argument, NULL, 't'}, {"mark-only", no_argument, NULL, 'm'},
        {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0},
    };
    char uuid[SCS_UUID_TEXT_LEN + 1];
    struct prov_unprovision_opts o;
    struct prov_unprovision_result res;
    struct scs_pool *p = NULL;
    struct scs_diag d;
    unsigned long secs;
    int c, r;

    memset(&o, 0, sizeof(o));
    for (;;) {
        if ((r = cli_getopt("device unprovision", argc, argv, "h", opts, &c)) != CLI_OK) {
            return r;
        }
        if (c == -1) {
            break;
        }
        switch (c) {
        case 'p':
            if ((r = port_arg(optarg, &o.tls_port)) != CLI_OK) {
                return r;
            }
            break;
        case 'P':
            if ((r = port_arg(optarg, &o.http_port)) != CLI_OK) {
                return r;
            }
            break;
        case 't':
            if (cli_parse_ulong(optarg, 1, 600, &secs) != 0) {
                return cli_usage("device unprovision", "invalid timeout '%s' (1..600 s)", optarg);
            }
            o.timeout_ms = (long)secs * 1000L;
            break;
        case 'm':
            o.mark_only = 1;
            break;
        case 'h':
            printf("Usage: scsctl [-d DIR] device unprovision UUID [--port P] [--http-port P]\n"
                   "                                       [--timeout S] [--mark-only]\n"
                   "\n"
                   "Unprovision device UUID: log in to it as admin with the recorded password\n"
                   "(HTTP Digest; over TLS, pinned to the certificate recorded at provisioning,\n"
                   "when the server configured TLS on it, else over HTTP), check that the device\n"
                   "at its last address is UUID (GetUuid), and call Unprovision(1), which returns\n"
                   "it to factory settings.  Then the registry marks it unprovisioned, and scsd\n"
                   "provisions it again, with a new admin password, when it next sends a Hello.\n"
                   "The stored admin password is kept until then.  Audited as\n"
                   "device-unprovisioned, or unprovision-failed with the reason.\n"
                   "\n"
                   "  --port P       the device's TLS port (default 16993)\n"
                   "  --http-port P  the device's HTTP port (default 16992)\n"
                   "  --timeout S    per request, in seconds (default 28)\n"
                   "  --mark-only    do not contact the device (it is gone or was unprovisioned\n"
                   "                 locally): only mark it, audited as unprovision-requested\n"
                   "\n"
                   "Exit codes: 0 success, 2 usage error, 3 the device refused (ReturnValue or\n"
                   "fault), refused the login or the TLS pin, or is another device, 4 store not\n"
                   "initialised, unknown device or no admin password stored, 5 the device could\n"
                   "not be reached, or an I/O, database or crypto failure.\n");
            return CLI_OK;
        default:
            return cli_usage("device unprovision", "unknown option");
        }
    }
    if (argc - optind != 1) {
        return cli_usage("device unprovision", "expected one device UUID");
    }
    if ((r = cli_parse_uuid("device unprovision", argv[optind], uuid)) != CLI_OK) {
        return r;
    }
    if ((r = cli_open_pool(ctx, &p)) != CLI_OK) {
        return r;
    }
    r = prov_unprovision_device(p, uuid, &o, &res, &d);
    scs_pool_close(p);
    if (r != 0) {
        cli_error("%s was not unprovisioned: %s", uuid, d.reason);
        return cli_exit_for(r);
    }
    if (o.mark_only && res.was == SCS_DEVICE_UNPROVISIONED) {
        printf("%s is already marked unprovisioned\n", uuid);
    } else if (o.mark_only) {
        printf("marked %s unprovisioned (was %s) without contacting it; scsd provisions it\n"
               "again when it next sends a Hello\n",
               uuid, scs_device_state_name(res.was));
    } else {
        printf("unprovisioned %s (was %s; over %s port %u); scsd provisions it again when it\n"
               "next sends a Hello\n",
               uuid, scs_device_state_name(res.was), res.over_tls ? "TLS" : "HTTP",
               (unsigned)res.port);
    }
    return CLI_OK;
}

static const struct cli_command device_commands[] = {
    {"list", device_list, "list devices (--state, --json)"},
    {"show", device_show, "show one device (--json)"},
    {"profile", device_profile, "choose the profile a device is provisioned with"},
    {"password", device_password, "print a device's stored admin password (audited)"},
    {"unprovision", device_unprovision, "unprovision a device (or --mark-only)"},
    {NULL, NULL, NULL},
};

int cmd_device(struct cli_ctx *ctx, int argc, char **argv)
{
    return cli_dispatch(ctx, "device", device_commands, argc - 1, argv + 1);
}
