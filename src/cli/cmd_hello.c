/*
 * scsctl hello decode FILE|- [--json]
 *
 * Decodes a Hello captured from a device (protocol.md §2.2) with the same
 * parser the server uses, and names the root hashes it carries.
 *
 * Exit codes: 0 decoded, 2 bad command line, 3 malformed Hello, 5 the file
 * could not be read.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/buf.h"
#include "common/encoding.h"
#include "common/err.h"
#include "common/fileio.h"
#include "common/json.h"
#include "formats/hello.h"
#include "formats/pidpps.h"
#include "formats/roothashes.h"

/* Intel documents RetryCount as 0..14; a larger value is shown with a note. */
#define HELLO_RETRY_MAX 14

static void hello_decode_usage(FILE *out)
{
    fprintf(out, "Usage: scsctl hello decode FILE|- [--json]\n"
                 "\n"
                 "Decode a Hello message (the bytes a device sends to port 9971) read from FILE,\n"
                 "or from standard input for '-'.  Prints the admin-credentials flag, the\n"
                 "version (2 PSK, 3 PKI), the retry count, the device UUID, and the PID (PSK)\n"
                 "or each root-certificate hash with its algorithm and known CA name (PKI).\n"
                 "\n"
                 "Options:\n"
                 "  --json      print one JSON object with the keys admin_credentials_set,\n"
                 "              version, type, retry_count, uuid, pid (+ pid_check_ok) or\n"
                 "              hashes [{alg, hex, name, default}]\n"
                 "  -h, --help  this help\n"
                 "\n"
                 "Exit codes: 0 decoded, 2 usage error, 3 malformed Hello, 5 cannot read FILE.\n");
}

static void hello_print_text(const struct scs_hello *h)
{
    char uuid[SCS_UUID_TEXT_LEN + 1];

    scs_uuid_to_text(h->uuid, uuid);
    printf("admin_credentials_set: %s\n", h->admin_credentials_set ? "yes" : "no");
    printf("version: %u (%s)\n", h->version, h->version == SCS_HELLO_VERSION_PSK ? "PSK" : "PKI");
    printf("retry_count: %lu%s\n", (unsigned long)h->retry_count,
           h->retry_count > HELLO_RETRY_MAX ? " (over Intel's documented 0-14)" : "");
    printf("uuid: %s\n", uuid);
    if (h->version == SCS_HELLO_VERSION_PSK) {
        char pid[SCS_PID_TEXT_LEN + 1];
        scs_pid_format(h->pid, pid);
        printf("pid: %s%s\n", pid,
               scs_hello_pid_check_ok(h) ? "" : " (warning: wrong check character)");
        return;
    }
    printf("hashes: %u\n", h->hash_count);
    for (unsigned i = 0; i < h->hash_count; i++) {
        const struct scs_hello_hash *hh = &h->hashes[i];
        const struct scs_root_hash *known = scs_root_hash_lookup(hh->alg, hh->data, hh->len);
        char hex[2 * 48 + 1];

        scs_hex_encode(hex, hh->data, hh->len);
        printf("  %-6s %s %s%s\n", scs_hash_alg_name(hh->alg), hex,
               known == NULL         ? "(unknown root)"
               : known->name == NULL ? "(known root, name not confirmed)"
                                     : known->name,
               known != NULL && known->in_default_set ? " [default]" : "");
    }
}

static int hello_print_json(const struct scs_hello *h)
{
    struct scs_buf *b = scs_buf_new(SCS_HELLO_MAX_HASHES * 256 + 4096);
    struct scs_json j;
    char uuid[SCS_UUID_TEXT_LEN + 1];
    int r;

    if (b == NULL) {
        return cli_fail(SCS_ERR_NOMEM, "hello decode");
    }
    scs_uuid_to_text(h->uuid, uuid);
    scs_json_init(&j, b);
    scs_json_obj_begin(&j);
    scs_json_kv_bool(&j, "admin_credentials_set", h->admin_credentials_set != 0);
    scs_json_kv_int(&j, "version", h->version);
    scs_json_kv_str(&j, "type", h->version == SCS_HELLO_VERSION_PSK ? "psk" : "pki");
    scs_json_kv_int(&j, "retry_count", h->retry_count);
    scs_json_kv_str(&j, "uuid", uuid);
    if (h->version == SCS_HELLO_VERSION_PSK) {
        char pid[SCS_PID_TEXT_LEN + 1];
        scs_pid_format(h->pid, pid);
        scs_json_kv_str(&j, "pid", pid);
        scs_json_kv_bool(&j, "pid_check_ok", scs_hello_pid_check_ok(h));
    } else {
        scs_json_key(&j, "hashes");
        scs_json_arr_begin(&j);
        for (unsigned i = 0; i < h->hash_count; i++) {
            const struct scs_hello_hash *hh = &h->hashes[i];
            const struct scs_root_hash *known = scs_root_hash_lookup(hh->alg, hh->data, hh->len);
            char hex[2 * 48 + 1];

            scs_hex_encode(hex, hh->data, hh->len);
            scs_json_obj_begin(&j);
            scs_json_kv_str(&j, "alg", scs_hash_alg_name(hh->alg));
            scs_json_kv_str(&j, "hex", hex);
            scs_json_kv_str(&j, "name", known != NULL ? known->name : NULL);
            scs_json_kv_bool(&j, "default", known != NULL && known->in_default_set);
            scs_json_obj_end(&j);
        }
        scs_json_arr_end(&j);
    }
    scs_json_obj_end(&j);
    if ((r = scs_json_finish(&j)) != 0) {
        scs_buf_free(b);
        return cli_fail(r, "hello decode: JSON output");
    }
    fwrite(scs_buf_data(b), 1, scs_buf_len(b), stdout);
    scs_buf_free(b);
    return CLI_OK;
}

static int hello_decode(struct cli_ctx *ctx, int argc, char **argv)
{
    static const struct option opts[] = {
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct scs_hello *h = NULL;
    struct scs_buf *in = NULL;
    struct scs_diag d;
    const char *file;
    int json = 0, c, r, rc;

    optind = 0;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'j':
            json = 1;
            break;
        case 'h':
            hello_decode_usage(stdout);
            return CLI_OK;
        default:
            return cli_usage("hello decode", "bad option");
        }
    }
    if (optind + 1 != argc) {
        return cli_usage("hello decode", optind >= argc ? "no FILE given" : "one FILE only");
    }
    file = argv[optind];
    r = scs_file_read(file, SCS_HELLO_MAX_LEN, &in);
    if (r == SCS_ERR_TOO_LARGE) {
        cli_error("%s: malformed Hello at byte %d: longer than the largest possible Hello (%d "
                  "bytes)",
                  file, SCS_HELLO_MAX_LEN, SCS_HELLO_MAX_LEN);
        return CLI_DATA;
    }
    if (r != 0) {
        return cli_fail(r, "%s", file);
    }
    /* struct scs_hello holds 255 hash slots: keep it off the stack. */
    if ((h = calloc(1, sizeof(*h))) == NULL) {
        scs_buf_free(in);
        return cli_fail(SCS_ERR_NOMEM, "hello decode");
    }
    r = scs_hello_parse(scs_buf_data(in), scs_buf_len(in), h, &d);
    scs_buf_free(in);
    if (r != 0) {
        if (d.has_offset) {
            cli_error("%s: malformed Hello at byte %zu: %s", file, d.offset, d.reason);
        } else {
            cli_error("%s: malformed Hello: %s", file, d.reason);
        }
        free(h);
        return cli_exit_for(r);
    }
    if (json) {
        rc = hello_print_json(h);
    } else {
        hello_print_text(h);
        rc = CLI_OK;
    }
    free(h);
    return rc;
}

static const struct cli_command hello_commands[] = {
    {"decode", hello_decode, "decode a captured Hello message"},
    {NULL, NULL, NULL},
};

int cmd_hello(struct cli_ctx *ctx, int argc, char **argv)
{
    return cli_dispatch(ctx, "hello", hello_commands, argc - 1, argv + 1);
}
