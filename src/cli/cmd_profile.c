/*
 * scsctl profile: what the server does to a device it provisions.  A fixed
 * admin or MEBx password is read from a file (never the command line), must
 * pass the AMT strength rule, is stored sealed as a profile secret and is
 * never printed; `show` only says whether one is stored.
 */
#include <getopt.h>
#include <string.h>
#include <strings.h>

#include "cli/cli.h"
#include "common/buf.h"
#include "common/err.h"
#include "common/json.h"
#include "common/secmem.h"
#include "formats/setupbin.h"
#include "psk/pool.h"
#include "registry/registry.h"

static const char profile_exit_codes[] =
    "Exit codes: 0 success, 2 usage error, 3 a password file does not meet the AMT\n"
    "strength rule, 4 store not initialised or no such profile, 5 I/O or database\n"
    "failure.\n";

static const char *const consent_names[] = {"none", "kvm", "all"};

static void redirection_text(int mask, char out[static 16])
{
    size_t n = 0;

    out[0] = 0;
    if (mask == 0) {
        snprintf(out, 16, "none");
        return;
    }
    if (mask & 1) {
        n += (size_t)snprintf(out + n, 16 - n, "SOL");
    }
    if (mask & 2) {
        n += (size_t)snprintf(out + n, 16 - n, "%sIDER", n > 0 ? "," : "");
    }
    if (mask & 4) {
        snprintf(out + n, 16 - n, "%sKVM", n > 0 ? "," : "");
    }
}

/* "SOL,IDER,KVM" in any order and case, or "none". */
static int redirection_parse(const char *s, int *mask)
{
    char buf[64];
    char *save = NULL;

    if (strlen(s) >= sizeof(buf)) {
        return SCS_ERR_FORMAT;
    }
    *mask = 0;
    if (strcasecmp(s, "none") == 0) {
        return 0;
    }
    snprintf(buf, sizeof(buf), "%s", s);
    for (char *t = strtok_r(buf, ",", &save); t != NULL; t = strtok_r(NULL, ",", &save)) {
        if (strcasecmp(t, "SOL") == 0) {
            *mask |= 1;
        } else if (strcasecmp(t, "IDER") == 0) {
            *mask |= 2;
        } else if (strcasecmp(t, "KVM") == 0) {
            *mask |= 4;
        } else {
            return SCS_ERR_FORMAT;
        }
    }
    return *mask != 0 ? 0 : SCS_ERR_FORMAT;
}

static int on_off(const char *cmd, const char *opt, const char *v, int *out)
{
    if (strcmp(v, "on") == 0) {
        *out = 1;
        return CLI_OK;
    }
    if (strcmp(v, "off") == 0) {
        *out = 0;
        return CLI_OK;
    }
    return cli_usage(cmd, "%s takes on or off, not '%s'", opt, v);
}

/* Hostname templates and domains end up in WS-Man bodies: DNS characters only (and the
 * template's %u). */
static int dns_text_ok(const char *s, int allow_percent)
{
    for (; *s != 0; s++) {
        char c = *s;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '.' || (allow_percent && c == '%'))) {
            return 0;
        }
    }
    return 1;
}

static void profile_json(struct scs_json *j, const struct scs_profile *pr, int has_admin,
                         int has_mebx)
{
    char redir[16];

    redirection_text(pr->redirection, redir);
    scs_json_kv_str(j, "name", pr->name);
    scs_json_kv_str(j, "admin_password", pr->admin_password_random ? "random" : "fixed");
    if (has_admin >= 0) {
        scs_json_kv_bool(j, "admin_password_stored", has_admin);
    }
    scs_json_kv_str(j, "mebx_password",
                    !pr->set_mebx_password ? "unchanged"
                                           : (pr->mebx_password_random ? "random" : "fixed"));
    if (has_mebx >= 0) {
        scs_json_kv_bool(j, "mebx_password_stored", has_mebx);
    }
    scs_json_kv_bool(j, "otp", pr->require_otp);
    scs_json_kv_bool(j, "time_sync", pr->time_sync);
    scs_json_kv_bool(j, "tls", pr->configure_tls);
    scs_json_kv_bool(j, "new_psk", pr->new_psk);
    scs_json_kv_str(j, "redirection", redir);
    scs_json_kv_str(j, "user_consent",
                    pr->user_consent >= 0 && pr->user_consent <= 2 ? consent_names[pr->user_consent]
                                                                   : "unknown");
    scs_json_kv_str(j, "hostname_template", pr->hostname_template);
    scs_json_kv_str(j, "domain", pr->domain);
}

/* ---- list -------------------------------------------------------------- */

struct profile_list_out {
    int json;
    struct scs_json j;
};

static int profile_list_one(void *arg, const struct scs_profile *pr)
{
    struct profile_list_out *o = arg;
    char redir[16];

    if (o->json) {
        scs_json_obj_begin(&o->j);
        profile_json(&o->j, pr, -1, -1);
        scs_json_obj_end(&o->j);
        return 0;
    }
    redirection_text(pr->redirection, redir);
    printf("%-16s admin=%s mebx=%s otp=%s time-sync=%s tls=%s new-psk=%s redirection=%s\n",
           pr->name, pr->admin_password_random ? "random" : "fixed",
           !pr->set_mebx_password ? "unchanged" : (pr->mebx_password_random ? "random" : "fixed"),
           pr->require_otp ? "on" : "off", pr->time_sync ? "on" : "off",
           pr->configure_tls ? "on" : "off", pr->new_psk ? "on" : "off", redir);
    return 0;
}

static int profile_list(struct cli_ctx *ctx, int argc, char **argv)
{
    static const struct option opts[] = {
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct profile_list_out o;
    struct scs_pool *p = NULL;
    struct scs_buf *b = NULL;
    int c, r;

    memset(&o, 0, sizeof(o));
    for (;;) {
        if ((r = cli_getopt("profile list", argc, argv, "h", opts, &c)) != CLI_OK) {
            return r;
        }
        if (c == -1) {
            break;
        }
        switch (c) {
        case 'j':
            o.json = 1;
            break;
        case 'h':
            printf("Usage: scsctl [-d DIR] profile list [--json]\n"
                   "\n"
                   "List the provisioning profiles and their settings.\n\n%s",
                   profile_exit_codes);
            return CLI_OK;
        default:
            return cli_usage("profile list", "unknown option");
        }
    }
    if (optind < argc) {
        return cli_usage("profile list", "unexpected argument '%s'", argv[optind]);
    }
    if ((r = cli_open_pool(ctx, &p)) != CLI_OK) {
        return r;
    }
    if (o.json) {
        if ((b = scs_buf_new(1024 * 1024)) == NULL) {
            scs_pool_close(p);
            return cli_fail(SCS_ERR_NOMEM, "listing");
        }
        scs_json_init(&o.j, b);
        scs_json_arr_begin(&o.j);
    }
    r = scs_profile_list(p, profile_list_one, &o);
    scs_pool_close(p);
    if (r != 0) {
        scs_buf_free(b);
        return cli_fail(r, "listing the profiles failed");
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

static int secret_stored(struct scs_pool *p, const char *profile, const char *name)
{
    struct scs_secret *s = NULL;
    int r = scs_profile_secret_get(p, profile, name, &s);

    scs_secret_free(s);
    return r == 0;
}

static int profile_show(struct cli_ctx *ctx, int argc, char **argv)
{
    static const struct option opts[] = {
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct scs_profile pr;
    struct scs_pool *p = NULL;
    const char *name;
    int c, r, json = 0, has_admin, has_mebx;

    for (;;) {
        if ((r = cli_getopt("profile show", argc, argv, "h", opts, &c)) != CLI_OK) {
            return r;
        }
        if (c == -1) {
            break;
        }
        switch (c) {
        case 'j':
            json = 1;
            break;
        case 'h':
            printf("Usage: scsctl [-d DIR] profile show NAME [--json]\n"
                   "\n"
                   "Show one profile.  Stored passwords are reported as stored or not, never\n"
                   "shown.\n\n%s",
                   profile_exit_codes);
            return CLI_OK;
        default:
            return cli_usage("profile show", "unknown option");
        }
    }
    if (argc - optind != 1) {
        return cli_usage("profile show", "expected one profile NAME");
    }
    name = argv[optind];
    if (scs_registry_name_check(name) != 0) {
        return cli_usage("profile show", "invalid profile name '%s'", name);
    }
    if ((r = cli_open_pool(ctx, &p)) != CLI_OK) {
        return r;
    }
    r = scs_profile_get(p, name, &pr);
    if (r != 0) {
        scs_pool_close(p);
        if (r == SCS_ERR_NOT_FOUND) {
            cli_error("no profile named '%s'", name);
            return CLI_STATE;
        }
        return cli_fail(r, "cannot read the profile '%s'", name);
    }
    has_admin = secret_stored(p, name, "admin_password");
    has_mebx = secret_stored(p, name, "mebx_password");
    scs_pool_close(p);
    if (json) {
        struct scs_buf *b = scs_buf_new(8192);
        struct scs_json j;
        if (b == NULL) {
            return cli_fail(SCS_ERR_NOMEM, "output");
        }
        scs_json_init(&j, b);
        scs_json_obj_begin(&j);
        profile_json(&j, &pr, has_admin, has_mebx);
        scs_json_obj_end(&j);
        r = cli_json_emit(&j);
        scs_buf_free(b);
        return r;
    }
    {
        char redir[16];
        redirection_text(pr.redirection, redir);
        printf("name               %s\n", pr.name);
        printf("admin password     %s%s\n",
               pr.admin_password_random ? "random per device" : "fixed",
               pr.admin_password_random ? "" : (has_admin ? " (stored)" : " (NOT stored)"));
        if (!pr.set_mebx_password) {
            printf("MEBx password      unchanged\n");
        } else {
            printf("MEBx password      %s%s\n",
                   pr.mebx_password_random ? "random per device" : "fixed",
                   pr.mebx_password_random ? "" : (has_mebx ? " (stored)" : " (NOT stored)"));
        }
        printf("OTP required       %s\n", pr.require_otp ? "on" : "off");
        printf("time sync          %s\n", pr.time_sync ? "on" : "off");
        printf("TLS                %s\n", pr.configure_tls ? "on" : "off");
        printf("new PSK            %s\n", pr.new_psk ? "on" : "off");
        printf("redirection        %s\n", redir);
        printf("user consent       %s\n", pr.user_consent >= 0 && pr.user_consent <= 2
                                              ? consent_names[pr.user_consent]
                                              : "unknown");
        printf("hostname template  %s\n", pr.hostname_template[0] ? pr.hostname_template : "-");
        printf("domain             %s\n", pr.domain[0] ? pr.domain : "-");
    }
    return CLI_OK;
}

/* ---- set --------------------------------------------------------------- */

/* Read a password file and check it against the AMT rule. */
static int read_password(const char *file, const char *what, const char *opt,
                         struct scs_secret **out)
{
    struct scs_diag d;
    int r;

    if ((r = cli_read_secret(file, what, opt, 0, out)) != CLI_OK) {
        return r;
    }
    scs_diag_clear(&d);
    if (scs_mebx_password_check(scs_secret_str(*out), scs_secret_len(*out), &d) != 0) {
        scs_secret_free(*out);
        *out = NULL;
        cli_error("the %s in %s does not meet the AMT strength rule: %s", what, file, d.reason);
        return CLI_DATA;
    }
    return CLI_OK;
}

struct profile_set_args {
    const char *name;
    int admin; /* 0 unchanged, 1 random, 2 file */
    int mebx;  /* 0 unchanged, 1 random, 2 file, 3 none */
    const char *admin_file, *mebx_file;
    int otp, time_sync, tls, new_psk, redirection, consent; /* -1 unchanged */
    const char *hostname_template, *domain;
};

static void profile_set_help(void)
{
    printf("Usage: scsctl [-d DIR] profile set NAME [OPTIONS]\n"
           "\n"
           "Create the profile NAME (starting from the built-in defaults) or change\n"
           "the given settings of an existing one.\n"
           "\n"
           "  --admin-password-random      a fresh strong admin password per device\n"
           "  --admin-password-file F      one admin password for every device (first line of F)\n"
           "  --mebx-password-random       set a fresh MEBx password per device\n"
           "  --mebx-password-file F       set this MEBx password (first line of F)\n"
           "  --no-mebx                    leave the MEBx password alone\n"
           "  --otp on|off                 require the device's OTP (scsctl otp set)\n"
           "  --time-sync on|off           set the device clock\n"
           "  --tls on|off                 key pair on the device, certificate from the\n"
           "                               server's CA\n"
           "  --new-psk on|off             PSK path: give the device a fresh PID/PPS\n"
           "  --redirection LIST           SOL,IDER,KVM (any of them) or none\n"
           "  --user-consent none|kvm|all  when the device asks its user for consent\n"
           "  --hostname-template T        e.g. amt-%%u (%%u: first 8 hex digits of the UUID)\n"
           "  --domain D                   DNS domain given to the device\n"
           "\n"
           "Passwords from files must have 8 to 32 characters with a digit, a lower-case\n"
           "and an upper-case letter and a symbol (not : , \" or space): the AMT rule.\n\n%s",
           profile_exit_codes);
}

static int profile_set_args(int argc, char **argv, struct profile_set_args *a)
{
    static const struct option opts[] = {
        {"admin-password-random", no_argument, NULL, 'A'},
        {"admin-password-file", required_argument, NULL, 'a'},
        {"mebx-password-random", no_argument, NULL, 'M'},
        {"mebx-password-file", required_argument, NULL, 'm'},
        {"no-mebx", no_argument, NULL, 'N'},
        {"otp", required_argument, NULL, 'o'},
        {"time-sync", required_argument, NULL, 't'},
        {"tls", required_argument, NULL, 'T'},
        {"new-psk", required_argument, NULL, 'p'},
        {"redirection", required_argument, NULL, 'r'},
        {"user-consent", required_argument, NULL, 'u'},
        {"hostname-template", required_argument, NULL, 'H'},
        {"domain", required_argument, NULL, 'D'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *cmd = "profile set";
    int c, r, i;

    memset(a, 0, sizeof(*a));
    a->otp = a->time_sync = a->tls = a->new_psk = a->redirection = a->consent = -1;
    for (;;) {
        if ((r = cli_getopt(cmd, argc, argv, "h", opts, &c)) != CLI_OK) {
            return r;
        }
        if (c == -1) {
            break;
        }
        switch (c) {
        case 'A':
        case 'a':
            if (a->admin != 0) {
                return cli_usage(cmd, "give the admin password once (random or a file)");
            }
            a->admin = c == 'A' ? 1 : 2;
            a->admin_file = c == 'a' ? optarg : NULL;
            break;
        case 'M':
        case 'm':
        case 'N':
            if (a->mebx != 0) {
                return cli_usage(cmd, "give the MEBx password once (random, a file or --no-mebx)");
            }
            a->mebx = c == 'M' ? 1 : (c == 'm' ? 2 : 3);
            a->mebx_file = c == 'm' ? optarg : NULL;
            break;
        case 'o':
            if ((r = on_off(cmd, "--otp", optarg, &a->otp)) != CLI_OK) {
                return r;
            }
            break;
        case 't':
            if ((r = on_off(cmd, "--time-sync", optarg, &a->time_sync)) != CLI_OK) {
                return r;
            }
            break;
        case 'T':
            if ((r = on_off(cmd, "--tls", optarg, &a->tls)) != CLI_OK) {
                return r;
            }
            break;
        case 'p':
            if ((r = on_off(cmd, "--new-psk", optarg, &a->new_psk)) != CLI_OK) {
                return r;
            }
            break;
        case 'r':
            if (redirection_parse(optarg, &a->redirection) != 0) {
                return cli_usage(cmd,
                                 "--redirection takes SOL,IDER,KVM (any of them) or none, "
                                 "not '%s'",
                                 optarg);
            }
            break;
        case 'u':
            for (i = 0; i < 3; i++) {
                if (strcmp(optarg, consent_names[i]) == 0) {
                    a->consent = i;
                }
            }
            if (a->consent < 0) {
                return cli_usage(cmd, "--user-consent takes none, kvm or all, not '%s'", optarg);
            }
            break;
        case 'H':
            if (strlen(optarg) > 63 || !dns_text_ok(optarg, 1)) {
                return cli_usage(cmd, "--hostname-template: up to 63 of A-Z a-z 0-9 - . %%");
            }
            a->hostname_template = optarg;
            break;
        case 'D':
            if (strlen(optarg) > 127 || !dns_text_ok(optarg, 0)) {
                return cli_usage(cmd, "--domain: up to 127 of A-Z a-z 0-9 - .");
            }
            a->domain = optarg;
            break;
        case 'h':
            profile_set_help();
            return -1;
        default:
            return cli_usage(cmd, "unknown option");
        }
    }
    if (argc - optind != 1) {
        return cli_usage(cmd, "expected one profile NAME");
    }
    a->name = argv[optind];
    if (scs_registry_name_check(a->name) != 0) {
        return cli_usage(cmd,
                         "invalid profile name '%s' (1 to 63 of A-Z a-z 0-9 . _ -, not starting "
                         "with . or -)",
                         a->name);
    }
    return CLI_OK;
}

/* Apply the options to pr; *detail lists what changed (never a secret). */
static void profile_apply(const struct profile_set_args *a, struct scs_profile *pr,
                          struct scs_buf *detail)
{
    if (a->admin == 1) {
        pr->admin_password_random = 1;
        scs_buf_printf(detail, "admin_password=random ");
    } else if (a->admin == 2) {
        pr->admin_password_random = 0;
        scs_buf_printf(detail, "admin_password=fixed ");
    }
    if (a->mebx == 1 || a->mebx == 2) {
        pr->set_mebx_password = 1;
        pr->mebx_password_random = a->mebx == 1;
        scs_buf_printf(detail, "mebx_password=%s ", a->mebx == 1 ? "random" : "fixed");
    } else if (a->mebx == 3) {
        pr->set_mebx_password = 0;
        pr->mebx_password_random = 0;
        scs_buf_printf(detail, "mebx_password=unchanged ");
    }
    if (a->otp >= 0) {
        pr->require_otp = a->otp;
        scs_buf_printf(detail, "otp=%s ", a->otp ? "on" : "off");
    }
    if (a->time_sync >= 0) {
        pr->time_sync = a->time_sync;
        scs_buf_printf(detail, "time_sync=%s ", a->time_sync ? "on" : "off");
    }
    if (a->tls >= 0) {
        pr->configure_tls = a->tls;
        scs_buf_printf(detail, "tls=%s ", a->tls ? "on" : "off");
    }
    if (a->new_psk >= 0) {
        pr->new_psk = a->new_psk;
        scs_buf_printf(detail, "new_psk=%s ", a->new_psk ? "on" : "off");
    }
    if (a->redirection >= 0) {
        char redir[16];
        pr->redirection = a->redirection;
        redirection_text(a->redirection, redir);
        scs_buf_printf(detail, "redirection=%s ", redir);
    }
    if (a->consent >= 0) {
        pr->user_consent = a->consent;
        scs_buf_printf(detail, "user_consent=%s ", consent_names[a->consent]);
    }
    if (a->hostname_template != NULL) {
        snprintf(pr->hostname_template, sizeof(pr->hostname_template), "%s", a->hostname_template);
        scs_buf_printf(detail, "hostname_template=%s ", a->hostname_template);
    }
    if (a->domain != NULL) {
        snprintf(pr->domain, sizeof(pr->domain), "%s", a->domain);
        scs_buf_printf(detail, "domain=%s ", a->domain);
    }
}

static int profile_set(struct cli_ctx *ctx, int argc, char **argv)
{
    struct profile_set_args a;
    struct scs_profile pr;
    struct scs_secret *admin = NULL, *mebx = NULL;
    struct scs_pool *p = NULL;
    struct scs_buf *detail = NULL;
    int r, created = 0;

    if ((r = profile_set_args(argc, argv, &a)) != CLI_OK) {
        return r < 0 ? CLI_OK : r;
    }
    /* Read and check every password before anything is written. */
    if (a.admin == 2 && (r = read_password(a.admin_file, "admin password", "--admin-password-file",
                                           &admin)) != CLI_OK) {
        return r;
    }
    if (a.mebx == 2 && (r = read_password(a.mebx_file, "MEBx password", "--mebx-password-file",
                                          &mebx)) != CLI_OK) {
        scs_secret_free(admin);
        return r;
    }
    if ((detail = scs_buf_new(1024)) == NULL) {
        r = cli_fail(SCS_ERR_NOMEM, "profile set");
        goto out;
    }
    if ((r = cli_open_pool(ctx, &p)) != CLI_OK) {
        goto out;
    }
    r = scs_profile_get(p, a.name, &pr);
    if (r == SCS_ERR_NOT_FOUND) {
        scs_profile_defaults(&pr, a.name);
        created = 1;
    } else if (r != 0) {
        r = cli_fail(r, "cannot read the profile '%s'", a.name);
        goto out;
    }
    profile_apply(&a, &pr, detail);
    if ((r = scs_profile_put(p, &pr)) != 0) {
        r = cli_fail(r, "cannot store the profile '%s'", a.name);
        goto out;
    }
    /* A password that is now random must not linger as a stored fixed one. */
    if (admin != NULL) {
        r = scs_profile_secret_set(p, a.name, "admin_password", admin);
    } else if (a.admin == 1) {
        r = scs_profile_secret_delete(p, a.name, "admin_password");
        r = r == SCS_ERR_NOT_FOUND ? 0 : r;
    }
    if (r == 0 && mebx != NULL) {
        r = scs_profile_secret_set(p, a.name, "mebx_password", mebx);
    } else if (r == 0 && (a.mebx == 1 || a.mebx == 3)) {
        r = scs_profile_secret_delete(p, a.name, "mebx_password");
        r = r == SCS_ERR_NOT_FOUND ? 0 : r;
    }
    if (r != 0) {
        r = cli_fail(r, "cannot store the passwords of profile '%s'", a.name);
        goto out;
    }
    if (!pr.admin_password_random && admin == NULL &&
        scs_profile_secret_get(p, a.name, "admin_password", &admin) != 0) {
        fprintf(stderr,
                "scsctl: warning: profile '%s' uses a fixed admin password but none is "
                "stored; give one with --admin-password-file\n",
                a.name);
    }
    if ((r = scs_pool_audit(p, "profile-set", a.name,
                            scs_buf_len(detail) > 0 ? scs_buf_cstr(detail)
                                                    : (created ? "created" : ""))) != 0) {
        r = cli_fail(r, "the profile was stored but the audit record failed");
        goto out;
    }
    printf("%s profile '%s'\n", created ? "created" : "updated", a.name);
    r = CLI_OK;
out:
    scs_pool_close(p);
    scs_buf_free(detail);
    scs_secret_free(admin);
    scs_secret_free(mebx);
    return r;
}

/* ---- remove ------------------------------------------------------------ */

static int profile_remove(struct cli_ctx *ctx, int argc, char **argv)
{
    static const struct option opts[] = {
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct scs_pool *p = NULL;
    const char *name;
    int c, r;

    for (;;) {
        if ((r = cli_getopt("profile remove", argc, argv, "h", opts, &c)) != CLI_OK) {
            return r;
        }
        if (c == -1) {
            break;
        }
        switch (c) {
        case 'h':
            printf("Usage: scsctl [-d DIR] profile remove NAME\n"
                   "\n"
                   "Remove a profile and its stored passwords.  The profile 'default' cannot\n"
                   "be removed (devices without a profile use it).\n\n%s",
                   profile_exit_codes);
            return CLI_OK;
        default:
            return cli_usage("profile remove", "unknown option");
        }
    }
    if (argc - optind != 1) {
        return cli_usage("profile remove", "expected one profile NAME");
    }
    name = argv[optind];
    if (scs_registry_name_check(name) != 0) {
        return cli_usage("profile remove", "invalid profile name '%s'", name);
    }
    if (strcmp(name, SCS_PROFILE_DEFAULT) == 0) {
        cli_error("the profile '%s' cannot be removed; change it with 'profile set'", name);
        return CLI_STATE;
    }
    if ((r = cli_open_pool(ctx, &p)) != CLI_OK) {
        return r;
    }
    r = scs_profile_delete(p, name);
    if (r == 0) {
        r = scs_pool_audit(p, "profile-removed", name, "");
    }
    scs_pool_close(p);
    if (r == SCS_ERR_NOT_FOUND) {
        cli_error("no profile named '%s'", name);
        return CLI_STATE;
    }
    if (r != 0) {
        return cli_fail(r, "removing the profile '%s' failed", name);
    }
    printf("removed profile '%s'\n", name);
    return CLI_OK;
}

static const struct cli_command profile_commands[] = {
    {"list", profile_list, "list the profiles (--json)"},
    {"show", profile_show, "show one profile (--json)"},
    {"set", profile_set, "create or change a profile"},
    {"remove", profile_remove, "remove a profile"},
    {NULL, NULL, NULL},
};

int cmd_profile(struct cli_ctx *ctx, int argc, char **argv)
{
    return cli_dispatch(ctx, "profile", profile_commands, argc - 1, argv + 1);
}
