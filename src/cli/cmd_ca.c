/*
 * scsctl ca: the CA that signs the TLS certificates scsd gives devices when a
 * profile turns TLS on (protocol.md §2.4 step 8).  `scsctl init` creates one;
 * an organisation that wants device certificates chained to its own PKI
 * imports its CA instead.  The key is sealed with the master key in the store
 * and never printed.  scsd reads the CA when it starts and on SIGHUP.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/buf.h"
#include "common/encoding.h"
#include "common/err.h"
#include "common/fileio.h"
#include "common/json.h"
#include "common/secmem.h"
#include "crypto/crypto.h"
#include "psk/pool.h"
#include "registry/registry.h"
#include "tls/tls.h"

#define CA_FILE_MAX (64 * 1024)

static const char ca_exit_codes[] =
    "Exit codes: 0 success, 2 usage error, 3 the certificate or key is not usable as a CA,\n"
    "4 store not initialised or no CA stored, 5 I/O or database failure.\n";

/* What an administrator wants to see of a CA: its name, expiry and fingerprint. */
struct ca_summary {
    char cn[256];
    int64_t not_after;
    char sha256[2 * SCS_SHA256_LEN + 1];
};

static int ca_summarise(const struct tls_ca *ca, struct ca_summary *out)
{
    struct scs_buf *der = scs_buf_new(CA_FILE_MAX);
    uint8_t md[SCS_SHA256_LEN];
    int r;

    if (der == NULL) {
        return SCS_ERR_NOMEM;
    }
    if ((r = tls_ca_info(ca, out->cn, sizeof(out->cn), &out->not_after)) == 0 &&
        (r = tls_ca_cert_der(ca, der)) == 0 &&
        (r = scs_sha256(scs_buf_data(der), scs_buf_len(der), md)) == 0) {
        scs_hex_encode(out->sha256, md, sizeof(md));
    }
    scs_buf_free(der);
    return r;
}

static int ca_show(struct cli_ctx *ctx, int argc, char **argv)
{
    static const struct option opts[] = {
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct scs_pool *p = NULL;
    struct scs_secret *key = NULL;
    struct tls_ca *ca = NULL;
    struct ca_summary sum;
    char *cert = NULL, when[32];
    int c, r, json = 0;

    for (;;) {
        if ((r = cli_getopt("ca show", argc, argv, "jh", opts, &c)) != CLI_OK) {
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
            printf("Usage: scsctl [-d DIR] ca show [--json]\n\n"
                   "Show the CA that signs device TLS certificates: subject CN, expiry and\n"
                   "the SHA-256 fingerprint of its certificate (never its key).\n"
                   "  --json  an object with cn, not_after (Unix seconds), expires, sha256\n\n%s",
                   ca_exit_codes);
            return CLI_OK;
        default:
            return cli_usage("ca show", "unknown option");
        }
    }
    if (optind < argc) {
        return cli_usage("ca show", "unexpected argument '%s'", argv[optind]);
    }
    if ((r = cli_open_pool(ctx, &p)) != CLI_OK) {
        return r;
    }
    r = scs_ca_get(p, &cert, &key);
    scs_pool_close(p);
    if (r == SCS_ERR_NOT_FOUND) {
        cli_error("no CA stored: run 'scsctl init' or 'scsctl ca import'");
        return CLI_STATE;
    }
    if (r != 0) {
        return cli_fail(r, "reading the CA failed");
    }
    r = tls_ca_from_pem(cert, strlen(cert), scs_secret_cdata(key), scs_secret_len(key), &ca, NULL);
    scs_secret_free(key);
    free(cert);
    if (r == 0) {
        r = ca_summarise(ca, &sum);
    }
    tls_ca_free(ca);
    if (r != 0) {
        return cli_fail(r, "the stored CA cannot be read");
    }
    cli_fmt_time(sum.not_after, when);
    if (json) {
        struct scs_buf *out = scs_buf_new(4096);
        struct scs_json j;
        scs_json_init(&j, out);
        scs_json_obj_begin(&j);
        scs_json_kv_str(&j, "cn", sum.cn);
        scs_json_kv_int(&j, "not_after", sum.not_after);
        scs_json_kv_str(&j, "expires", when);
        scs_json_kv_str(&j, "sha256", sum.sha256);
        scs_json_obj_end(&j);
        r = scs_json_finish(&j);
        if (r == 0) {
            fputs(scs_buf_cstr(out), stdout);
        }
        scs_buf_free(out);
        return r == 0 ? CLI_OK : cli_fail(r, "writing JSON");
    }
    printf("cn       %s\nexpires  %s\nsha256   %s\n", sum.cn, when, sum.sha256);
    return CLI_OK;
}

static int ca_import(struct cli_ctx *ctx, int argc, char **argv)
{
    static const struct option opts[] = {
        {"cert", required_argument, NULL, 'c'},
        {"key", required_argument, NULL, 'k'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *cert_path = NULL, *key_path = NULL;
    struct scs_buf *cert = NULL, *keybuf = NULL;
    struct scs_secret *key = NULL;
    struct scs_pool *p = NULL;
    struct tls_ca *ca = NULL;
    struct ca_summary sum;
    struct scs_diag d;
    int c, r, rc = CLI_OK;

    for (;;) {
        if ((r = cli_getopt("ca import", argc, argv, "c:k:h", opts, &c)) != CLI_OK) {
            return r;
        }
        if (c == -1) {
            break;
        }
        switch (c) {
        case 'c':
            cert_path = optarg;
            break;
        case 'k':
            key_path = optarg;
            break;
        case 'h':
            printf("Usage: scsctl [-d DIR] ca import --cert FILE --key FILE\n\n"
                   "Replace the CA that signs device TLS certificates with your own: FILE\n"
                   "holds its PEM certificate (a CA: basicConstraints CA:TRUE) and --key its\n"
                   "unencrypted PEM private key, which is sealed with the master key in the\n"
                   "store.  Devices provisioned later get certificates from this CA; send\n"
                   "scsd SIGHUP (or restart it) to use it now.  Audited as ca-imported.\n\n%s",
                   ca_exit_codes);
            return CLI_OK;
        default:
            return cli_usage("ca import", "unknown option");
        }
    }
    if (optind < argc) {
        return cli_usage("ca import", "unexpected argument '%s'", argv[optind]);
    }
    if (cert_path == NULL || key_path == NULL) {
        return cli_usage("ca import", "--cert FILE and --key FILE are both required");
    }
    if ((r = scs_file_read(cert_path, CA_FILE_MAX, &cert)) != 0) {
        return cli_fail(r, "cannot read %s", cert_path);
    }
    if ((r = scs_file_read(key_path, CA_FILE_MAX, &keybuf)) != 0) {
        scs_buf_free(cert);
        return cli_fail(r, "cannot read %s", key_path);
    }
    key = scs_secret_from(scs_buf_data(keybuf), scs_buf_len(keybuf));
    scs_buf_free(keybuf); /* wipes the key bytes read from the file */
    if (key == NULL) {
        scs_buf_free(cert);
        return cli_fail(SCS_ERR_NOMEM, "reading the key");
    }
    /* Checked exactly as scsd will load it: a CA certificate whose key matches. */
    scs_diag_clear(&d);
    r = tls_ca_from_pem(scs_buf_cstr(cert), scs_buf_len(cert), scs_secret_cdata(key),
                        scs_secret_len(key), &ca, &d);
    if (r != 0) {
        cli_error("%s, %s: %s", cert_path, key_path, d.reason[0] != 0 ? d.reason : scs_strerror(r));
        rc = CLI_DATA;
        goto out;
    }
    if ((r = ca_summarise(ca, &sum)) != 0) {
        rc = cli_fail(r, "%s: cannot read the certificate", cert_path);
        goto out;
    }
    if ((rc = cli_open_pool(ctx, &p)) != CLI_OK) {
        goto out;
    }
    r = scs_ca_put(p, scs_buf_cstr(cert), key);
    if (r == 0) {
        char detail[384];
        snprintf(detail, sizeof(detail), "cn=%s sha256=%s", sum.cn, sum.sha256);
        r = scs_pool_audit(p, "ca-imported", sum.cn, detail);
    }
    scs_pool_close(p);
    if (r != 0) {
        rc = cli_fail(r, "storing the CA failed");
        goto out;
    }
    printf("imported CA '%s' (sha256 %s); send scsd SIGHUP to use it\n", sum.cn, sum.sha256);
out:
    tls_ca_free(ca);
    scs_secret_free(key);
    scs_buf_free(cert);
    return rc;
}

static const struct cli_command ca_commands[] = {
    {"show", ca_show, "show the CA that signs device TLS certificates (--json)"},
    {"import", ca_import, "use your own CA for device TLS certificates"},
    {NULL, NULL, NULL},
};

int cmd_ca(struct cli_ctx *ctx, int argc, char **argv)
{
    return cli_dispatch(ctx, "ca", ca_commands, argc - 1, argv + 1);
}
