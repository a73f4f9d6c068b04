/*
 * scsctl cert: provisioning certificates (protocol.md §5.1).  add validates a
 * chain and its key the way the server will use them and stores the key
 * sealed; list shows what the server will offer; remove forgets one.  The
 * private key is never printed and never named in a message.
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "common/buf.h"
#include "common/encoding.h"
#include "common/err.h"
#include "common/fileio.h"
#include "common/json.h"
#include "common/secmem.h"
#include "psk/pool.h"
#include "registry/registry.h"
#include "tls/tls.h"

#define CERT_WARN_DAYS 30
#define CERT_KEY_MAX   (64 * 1024)

static const char cert_exit_codes[] =
    "Exit codes: 0 success, 2 usage error, 3 bad certificate or key (malformed, not a\n"
    "provisioning certificate, expired, key does not match), 4 store not initialised, name\n"
    "unknown or already taken, 5 I/O, database or crypto failure.\n";

/* "a.b.c.d/n" or an IPv6 prefix; the text is stored as given. */
static int cidr_ok(const char *s)
{
    char addr[64];
    const char *slash = strchr(s, '/');
    unsigned long bits = 0;
    unsigned char buf[16];
    size_t n;

    if (slash == NULL || (n = (size_t)(slash - s)) == 0 || n >= sizeof(addr)) {
        return 0;
    }
    memcpy(addr, s, n);
    addr[n] = 0;
    if (inet_pton(AF_INET, addr, buf) == 1) {
        return cli_parse_ulong(slash + 1, 0, 32, &bits) == 0;
    }
    if (inet_pton(AF_INET6, addr, buf) == 1) {
        return cli_parse_ulong(slash + 1, 0, 128, &bits) == 0;
    }
    return 0;
}

static long days_left(int64_t not_after, time_t now)
{
    int64_t d = not_after - (int64_t)now;
    /* Whole days, rounded toward minus infinity so an expired certificate is negative. */
    return (long)(d >= 0 ? d / 86400 : -((-d + 86399) / 86400));
}

static const char *expiry_warning(long days)
{
    if (days < 0) {
        return "expired";
    }
    if (days < CERT_WARN_DAYS) {
        return "expires soon";
    }
    return "";
}

/* ---- add --------------------------------------------------------------- */

static void cert_add_help(void)
{
    printf("Usage: scsctl [-d DIR] cert add --name N --chain FILE --key FILE\n"
           "                        [--subnet CIDR]... [--json]\n"
           "\n"
           "Store a provisioning certificate: FILE holds the PEM chain, leaf first, then the\n"
           "intermediates, then the root the devices trust; --key its unencrypted PEM key\n"
           "(sealed with the master key in the store).  It is checked as the server uses\n"
           "it (protocol.md 5.1): the key matches the leaf; the leaf has the Intel\n"
           "provisioning OID 2.16.840.1.113741.1.2.3 or the OU \"Intel(R) Client Setup\n"
           "Certificate\", the serverAuth EKU and an RSA key of at least 2048 bits, and is\n"
           "valid now (an expired one is refused; one expiring within %d days is stored\n"
           "with a warning).  The domain is the leaf's CN without a leading \"*.\".\n"
           "\n"
           "  --name N         a label (A-Z a-z 0-9 . _ -, up to 63 characters)\n"
           "  --subnet CIDR    use this chain only for devices in CIDR (repeatable)\n"
           "  --json           print the stored entry as JSON\n\n%s",
           CERT_WARN_DAYS, cert_exit_codes);
}

struct cert_add_args {
    const char *name, *chain, *key;
    char subnets[256];
    int json;
};

static int cert_add_args(int argc, char **argv, struct cert_add_args *a)
{
    static const struct option opts[] = {
        {"name", required_argument, NULL, 'n'},
        {"chain", required_argument, NULL, 'c'},
        {"key", required_argument, NULL, 'k'},
        {"subnet", required_argument, NULL, 's'},
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    size_t used = 0;
    int c, r;

    memset(a, 0, sizeof(*a));
    for (;;) {
        if ((r = cli_getopt("cert add", argc, argv, "h", opts, &c)) != CLI_OK) {
            return r;
        }
        if (c == -1) {
            break;
        }
        switch (c) {
        case 'n':
            a->name = optarg;
            break;
        case 'c':
            a->chain = optarg;
            break;
        case 'k':
            a->key = optarg;
            break;
        case 's': {
            int n;
            if (!cidr_ok(optarg)) {
                return cli_usage("cert add", "'%s' is not a subnet (a.b.c.d/n or an IPv6 prefix)",
                                 optarg);
            }
            n = snprintf(a->subnets + used, sizeof(a->subnets) - used, "%s%s", used > 0 ? "," : "",
                         optarg);
            if (n < 0 || (size_t)n >= sizeof(a->subnets) - used) {
                return cli_usage("cert add", "too many subnets (255 characters in all)");
            }
            used += (size_t)n;
            break;
        }
        case 'j':
            a->json = 1;
            break;
        case 'h':
            cert_add_help();
            return -1;
        default:
            return cli_usage("cert add", "unknown option");
        }
    }
    if (a->name == NULL || a->chain == NULL || a->key == NULL) {
        return cli_usage("cert add", "--name, --chain and --key are all needed");
    }
    if (optind < argc) {
        return cli_usage("cert add", "unexpected argument '%s'", argv[optind]);
    }
    if (scs_registry_name_check(a->name) != 0) {
        return cli_usage("cert add",
                         "invalid name '%s' (1 to 63 of A-Z a-z 0-9 . _ -, not starting with "
                         ". or -)",
                         a->name);
    }
    return CLI_OK;
}

/* Check the chain and key and fill the entry from them. */
static int cert_validate(const struct cert_add_args *a, struct scs_cert_entry *e, long *days)
{
    struct tls_identity *id = NULL;
    struct tls_prov_check pc;
    struct tls_cert_hashes h;
    struct scs_diag d;
    char cn[256];
    int64_t not_after = 0;
    int r;

    scs_diag_clear(&d);
    if ((r = tls_identity_load_pem(a->chain, a->key, &id, &d)) != 0) {
        if (d.reason[0] != 0) {
            cli_error("cannot use %s with %s: %s", a->chain, a->key, d.reason);
            return cli_exit_for(r);
        }
        return cli_fail(r, "cannot use %s with %s", a->chain, a->key);
    }
    memset(&pc, 0, sizeof(pc));
    r = tls_identity_check_provisioning(id, time(NULL), &pc, &d);
    if (r != 0) {
        cli_error("%s is not usable for provisioning: %s", a->chain,
                  d.reason[0] != 0 ? d.reason : scs_strerror(r));
        tls_identity_free(id);
        return CLI_DATA;
    }
    if ((r = tls_identity_root_hashes(id, &h)) != 0 ||
        (r = tls_identity_leaf_info(id, cn, sizeof(cn), &not_after)) != 0) {
        tls_identity_free(id);
        return cli_fail(r, "cannot read the chain %s", a->chain);
    }
    tls_identity_free(id);
    if (cn[0] == 0) {
        cli_error("the leaf of %s has no common name, so it serves no domain", a->chain);
        return CLI_DATA;
    }
    memset(e, 0, sizeof(*e));
    snprintf(e->name, sizeof(e->name), "%s", a->name);
    snprintf(e->domain, sizeof(e->domain), "%s", strncmp(cn, "*.", 2) == 0 ? cn + 2 : cn);
    scs_hex_encode(e->root_sha1, h.sha1, sizeof(h.sha1));
    scs_hex_encode(e->root_sha256, h.sha256, sizeof(h.sha256));
    scs_hex_encode(e->root_sha384, h.sha384, sizeof(h.sha384));
    e->not_after = not_after;
    snprintf(e->subnets, sizeof(e->subnets), "%s", a->subnets);
    *days = pc.days_to_expiry;
    return CLI_OK;
}

static void cert_json_fields(struct scs_json *j, const struct scs_cert_entry *e, time_t now)
{
    char when[32];
    long days = days_left(e->not_after, now);

    cli_fmt_time(e->not_after, when);
    scs_json_kv_str(j, "name", e->name);
    scs_json_kv_str(j, "domain", e->domain);
    scs_json_kv_str(j, "root_sha256", e->root_sha256);
    scs_json_kv_str(j, "root_sha1", e->root_sha1);
    scs_json_kv_str(j, "root_sha384", e->root_sha384);
    scs_json_kv_str(j, "expires", when);
    scs_json_kv_int(j, "not_after", e->not_after);
    scs_json_kv_int(j, "days_left", days);
    scs_json_kv_str(j, "warning", expiry_warning(days));
    scs_json_kv_str(j, "subnets", e->subnets);
}

static int cert_add(struct cli_ctx *ctx, int argc, char **argv)
{
    struct cert_add_args a;
    struct scs_cert_entry e;
    struct scs_buf *chain = NULL, *keybuf = NULL;
    struct scs_secret *key = NULL;
    struct scs_pool *p = NULL;
    char detail[640], when[32];
    long days = 0;
    int r;

    if ((r = cert_add_args(argc, argv, &a)) != CLI_OK) {
        return r < 0 ? CLI_OK : r;
    }
    if ((r = cert_validate(&a, &e, &days)) != CLI_OK) {
        return r;
    }
    if ((r = scs_file_read(a.chain, TLS_PEM_MAX, &chain)) != 0) {
        return cli_fail(r, "cannot read %s", a.chain);
    }
    if ((r = scs_file_read(a.key, CERT_KEY_MAX, &keybuf)) != 0) {
        scs_buf_free(chain);
        return cli_fail(r, "cannot read %s", a.key);
    }
    key = scs_secret_from(scs_buf_data(keybuf), scs_buf_len(keybuf));
    scs_buf_free(keybuf); /* wiped */
    if (key == NULL) {
        scs_buf_free(chain);
        return cli_fail(SCS_ERR_NOMEM, "reading %s", a.key);
    }
    if ((r = cli_open_pool(ctx, &p)) != CLI_OK) {
        goto out;
    }
    r = scs_cert_get(p, e.name, NULL, NULL, NULL);
    if (r == 0) {
        cli_error("a certificate named '%s' exists; remove it first", e.name);
        r = CLI_STATE;
        goto out;
    }
    if (r != SCS_ERR_NOT_FOUND) {
        r = cli_fail(r, "cannot read the certificates");
        goto out;
    }
    if ((r = scs_cert_put(p, &e, scs_buf_cstr(chain), scs_buf_len(chain), key)) != 0) {
        r = cli_fail(r, "cannot store the certificate '%s'", e.name);
        goto out;
    }
    cli_fmt_time(e.not_after, when);
    snprintf(detail, sizeof(detail), "domain=%s root_sha256=%.16s... expires=%s%s%s", e.domain,
             e.root_sha256, when, e.subnets[0] != 0 ? " subnets=" : "", e.subnets);
    if ((r = scs_pool_audit(p, "cert-added", e.name, detail)) != 0) {
        r = cli_fail(r, "the certificate was stored but the audit record failed");
        goto out;
    }
    if (days < CERT_WARN_DAYS) {
        fprintf(stderr, "scsctl: warning: certificate '%s' expires in %ld days (%s)\n", e.name,
                days, when);
    }
    if (a.json) {
        struct scs_buf *b = scs_buf_new(4096);
        struct scs_json j;
        if (b == NULL) {
            r = cli_fail(SCS_ERR_NOMEM, "output");
            goto out;
        }
        scs_json_init(&j, b);
        scs_json_obj_begin(&j);
        cert_json_fields(&j, &e, time(NULL));
        scs_json_obj_end(&j);
        r = cli_json_emit(&j);
        scs_buf_free(b);
    } else {
        printf("added certificate '%s' for domain %s (root SHA-256 %s, expires %s, %ld days)\n",
               e.name, e.domain, e.root_sha256, when, days);
        r = CLI_OK;
    }
out:
    scs_pool_close(p);
    scs_secret_free(key);
    scs_buf_free(chain);
    return r;
}

/* ---- list -------------------------------------------------------------- */

struct cert_list_out {
    int json;
    struct scs_json j;
    time_t now;
    unsigned n;
};

static int cert_list_one(void *arg, const struct scs_cert_entry *e)
{
    struct cert_list_out *o = arg;
    long days = days_left(e->not_after, o->now);
    char when[32];

    o->n++;
    if (o->json) {
        scs_json_obj_begin(&o->j);
        cert_json_fields(&o->j, e, o->now);
        scs_json_obj_end(&o->j);
        return 0;
    }
    cli_fmt_time(e->not_after, when);
    printf("%-16s %-24s %s  %s %5ld  %s%s%s\n", e->name, e->domain, e->root_sha256, when, days,
           expiry_warning(days), e->subnets[0] != 0 ? " subnets=" : "", e->subnets);
    return 0;
}

static int cert_list(struct cli_ctx *ctx, int argc, char **argv)
{
    static const struct option opts[] = {
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct cert_list_out o;
    struct scs_pool *p = NULL;
    struct scs_buf *b = NULL;
    int c, r;

    memset(&o, 0, sizeof(o));
    for (;;) {
        if ((r = cli_getopt("cert list", argc, argv, "h", opts, &c)) != CLI_OK) {
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
            printf("Usage: scsctl [-d DIR] cert list [--json]\n"
                   "\n"
                   "List the provisioning certificates: name, domain, root SHA-256, expiry,\n"
                   "days left and a warning (\"expires soon\" within %d days, \"expired\").\n"
                   "--json: an array of objects with name, domain, root_sha256, root_sha1,\n"
                   "root_sha384, expires, not_after, days_left, warning, subnets.\n\n%s",
                   CERT_WARN_DAYS, cert_exit_codes);
            return CLI_OK;
        default:
            return cli_usage("cert list", "unknown option");
        }
    }
    if (optind < argc) {
        return cli_usage("cert list", "unexpected argument '%s'", argv[optind]);
    }
    if ((r = cli_open_pool(ctx, &p)) != CLI_OK) {
        return r;
    }
    o.now = time(NULL);
    if (o.json) {
        if ((b = scs_buf_new(4 * 1024 * 1024)) == NULL) {
            scs_pool_close(p);
            return cli_fail(SCS_ERR_NOMEM, "listing");
        }
        scs_json_init(&o.j, b);
        scs_json_arr_begin(&o.j);
    } else {
        printf("%-16s %-24s %-64s  %-20s %5s  %s\n", "NAME", "DOMAIN", "ROOT SHA-256", "EXPIRES",
               "DAYS", "WARNING");
    }
    r = scs_cert_list(p, cert_list_one, &o);
    scs_pool_close(p);
    if (r != 0) {
        scs_buf_free(b);
        return cli_fail(r, "listing the certificates failed");
    }
    if (o.json) {
        scs_json_arr_end(&o.j);
        r = cli_json_emit(&o.j);
        scs_buf_free(b);
        return r;
    }
    return CLI_OK;
}

/* ---- remove ------------------------------------------------------------ */

static int cert_remove(struct cli_ctx *ctx, int argc, char **argv)
{
    static const struct option opts[] = {
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct scs_pool *p = NULL;
    const char *name;
    int c, r;

    for (;;) {
        if ((r = cli_getopt("cert remove", argc, argv, "h", opts, &c)) != CLI_OK) {
            return r;
        }
        if (c == -1) {
            break;
        }
        switch (c) {
        case 'h':
            printf("Usage: scsctl [-d DIR] cert remove NAME\n"
                   "\n"
                   "Forget a provisioning certificate and its key.  A running scsd stops\n"
                   "offering it when it reloads (SIGHUP) or restarts.\n\n%s",
                   cert_exit_codes);
            return CLI_OK;
        default:
            return cli_usage("cert remove", "unknown option");
        }
    }
    if (argc - optind != 1) {
        return cli_usage("cert remove", "expected one certificate NAME");
    }
    name = argv[optind];
    if (scs_registry_name_check(name) != 0) {
        return cli_usage("cert remove", "invalid name '%s'", name);
    }
    if ((r = cli_open_pool(ctx, &p)) != CLI_OK) {
        return r;
    }
    r = scs_cert_delete(p, name);
    if (r == 0) {
        r = scs_pool_audit(p, "cert-removed", name, "");
    }
    scs_pool_close(p);
    if (r == SCS_ERR_NOT_FOUND) {
        cli_error("no certificate named '%s'", name);
        return CLI_STATE;
    }
    if (r != 0) {
        return cli_fail(r, "removing the certificate '%s' failed", name);
    }
    printf("removed certificate '%s'\n", name);
    return CLI_OK;
}

static const struct cli_command cert_commands[] = {
    {"add", cert_add, "validate and store a provisioning certificate chain and key"},
    {"list", cert_list, "list the provisioning certificates (--json)"},
    {"remove", cert_remove, "forget a provisioning certificate"},
    {NULL, NULL, NULL},
};

int cmd_cert(struct cli_ctx *ctx, int argc, char **argv)
{
    return cli_dispatch(ctx, "cert", cert_commands, argc - 1, argv + 1);
}
