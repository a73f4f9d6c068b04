/*
 * scsctl usb create | inspect: USB setup.bin files (protocol.md §7).
 *
 * `inspect` needs nothing but the formats module.  `create` takes PID/PPS
 * pairs from the PSK pool (src/psk/pool.h) and is the only code here that
 * touches it.
 *
 * Create is "take, build, write, or give back":
 *   1. every option is validated, and a file is built once with a dummy pair,
 *      so a spec that cannot work (bad hash, variables that do not fit in a
 *      record) fails before the pool is touched;
 *   2. scs_pool_take() moves N pairs from available to assigned("usb:<name>")
 *      in one transaction;
 *   3. the file is built in memory and written atomically with mode 0600;
 *   4. if building or writing fails, every pair goes back with
 *      scs_pool_transition(ASSIGNED -> AVAILABLE).  That is safe because the
 *      PPS values never left this process.  A pair that cannot be given back
 *      is named on stderr and stays assigned (revoke it by hand).  If the
 *      process dies between 2 and 4 the pairs stay assigned to usb:<name>
 *      with no file: the same manual revoke applies.
 *
 * Exit codes: 0 done, 2 bad command line (every flag is checked first),
 * 3 malformed file (inspect), 4 pool not initialised or exhausted,
 * 5 I/O, database or crypto failure.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/cli.h"
#include "common/buf.h"
#include "common/encoding.h"
#include "common/err.h"
#include "common/fileio.h"
#include "common/json.h"
#include "common/secmem.h"
#include "formats/hello.h"
#include "formats/pidpps.h"
#include "formats/setupbin.h"
#include "psk/pool.h"

#define USB_MAX_ROOT_HASHES 16
#define USB_DEFAULT_FORMAT  4

/* ------------------------------------------------------------------ inspect */

static void usb_inspect_usage(FILE *out)
{
    fprintf(out, "Usage: scsctl usb inspect FILE [--json] [--show-secrets]\n"
                 "\n"
                 "Decode a setup.bin (formats 1 to 4, scrambled or not) and name every variable.\n"
                 "Passwords and PPS values are masked unless --show-secrets is given.\n"
                 "\n"
                 "Options:\n"
                 "  --json          print one JSON object\n"
                 "  --show-secrets  print MEBx passwords and PPS values in clear\n"
                 "  -h, --help      this help\n"
                 "\n"
                 "Exit codes: 0 decoded, 2 usage error, 3 malformed file, 5 cannot read FILE.\n");
}

static void usb_inspect_text(const struct scs_setupbin *sb, struct scs_buf *val, int show)
{
    printf("format: %u.%u\n", sb->version, sb->minor);
    printf("flags: 0x%04x%s\n", sb->flags,
           (sb->flags & SCS_SETUPBIN_HDR_NO_CONSUME) ? " (do not consume records)" : "");
    printf("records: %zu (%lu consumed)\n", sb->record_count, (unsigned long)sb->records_consumed);
    printf("modules:");
    for (size_t m = 0; m < sb->module_count; m++) {
        printf(" %u", sb->modules[m]);
    }
    printf("%s\n", sb->module_count == 0 ? " (none listed)" : "");
    for (size_t i = 0; i < sb->record_count; i++) {
        const struct scs_setupbin_record *rec = &sb->records[i];
        printf("record %lu: %s%s%s\n", (unsigned long)rec->number,
               rec->type == 1 ? "data" : "invalid",
               (rec->flags & SCS_SETUPBIN_REC_VALID) ? ", valid" : ", not valid",
               (rec->flags & SCS_SETUPBIN_REC_SCRAMBLED) ? ", scrambled" : "");
        for (size_t k = 0; k < rec->var_count; k++) {
            const struct scs_setupbin_var *v = &rec->vars[k];
            const struct scs_setupbin_var_info *info = scs_setupbin_var_lookup(v->module, v->id);

            scs_buf_reset(val);
            if (scs_setupbin_var_render(v, show, val) != 0) {
                scs_buf_reset(val);
                scs_buf_put_str(val, "(too long to show)");
            }
            printf("  (%u,%u) %s: %s\n", v->module, v->id,
                   info != NULL ? info->name : "unknown variable", scs_buf_cstr(val));
        }
    }
    scs_buf_reset(val);
}

static int usb_inspect_json(const struct scs_setupbin *sb, struct scs_buf *val, int show)
{
    struct scs_buf *b = scs_buf_new(8 * SCS_SETUPBIN_MAX_FILE_LEN);
    struct scs_json j;
    int r;

    if (b == NULL) {
        return cli_fail(SCS_ERR_NOMEM, "usb inspect");
    }
    scs_json_init(&j, b);
    scs_json_obj_begin(&j);
    scs_json_kv_int(&j, "format", sb->version);
    scs_json_kv_int(&j, "minor", sb->minor);
    scs_json_kv_int(&j, "flags", sb->flags);
    scs_json_kv_bool(&j, "no_consume", (sb->flags & SCS_SETUPBIN_HDR_NO_CONSUME) != 0);
    scs_json_kv_int(&j, "records_consumed", sb->records_consumed);
    scs_json_key(&j, "modules");
    scs_json_arr_begin(&j);
    for (size_t m = 0; m < sb->module_count; m++) {
        scs_json_int(&j, sb->modules[m]);
    }
    scs_json_arr_end(&j);
    scs_json_key(&j, "records");
    scs_json_arr_begin(&j);
    for (size_t i = 0; i < sb->record_count; i++) {
        const struct scs_setupbin_record *rec = &sb->records[i];
        scs_json_obj_begin(&j);
        scs_json_kv_int(&j, "number", rec->number);
        scs_json_kv_int(&j, "type", rec->type);
        scs_json_kv_bool(&j, "valid", (rec->flags & SCS_SETUPBIN_REC_VALID) != 0);
        scs_json_kv_bool(&j, "scrambled", (rec->flags & SCS_SETUPBIN_REC_SCRAMBLED) != 0);
        scs_json_key(&j, "variables");
        scs_json_arr_begin(&j);
        for (size_t k = 0; k < rec->var_count; k++) {
            const struct scs_setupbin_var *v = &rec->vars[k];
            const struct scs_setupbin_var_info *info = scs_setupbin_var_lookup(v->module, v->id);

            scs_buf_reset(val);
            if (scs_setupbin_var_render(v, show, val) != 0) {
                scs_buf_reset(val);
            }
            scs_json_obj_begin(&j);
            scs_json_kv_int(&j, "module", v->module);
            scs_json_kv_int(&j, "id", v->id);
            scs_json_kv_str(&j, "name", info != NULL ? info->name : NULL);
            scs_json_kv_int(&j, "length", (long long)v->len);
            scs_json_kv_bool(&j, "secret", info != NULL && info->secret);
            scs_json_kv_str(&j, "value", scs_buf_cstr(val));
            scs_json_obj_end(&j);
        }
        scs_json_arr_end(&j);
        scs_json_obj_end(&j);
    }
    scs_json_arr_end(&j);
    scs_json_obj_end(&j);
    scs_buf_reset(val);
    if ((r = scs_json_finish(&j)) != 0) {
        scs_buf_free(b);
        return cli_fail(r, "usb inspect: JSON output");
    }
    fwrite(scs_buf_data(b), 1, scs_buf_len(b), stdout);
    /* The buffer may hold secrets (--show-secrets): scs_buf_free wipes it. */
    scs_buf_free(b);
    return CLI_OK;
}

static int usb_inspect(struct cli_ctx *ctx, int argc, char **argv)
{
    static const struct option opts[] = {
        {"json", no_argument, NULL, 'j'},
        {"show-secrets", no_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct scs_setupbin *sb = NULL;
    struct scs_buf *in = NULL, *val = NULL;
    struct scs_diag d;
    const char *file;
    int json = 0, show = 0, c, r, rc = CLI_OK;

    optind = 0;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'j':
            json = 1;
            break;
        case 's':
            show = 1;
            break;
        case 'h':
            usb_inspect_usage(stdout);
            return CLI_OK;
        default:
            return cli_usage("usb inspect", "bad option");
        }
    }
    if (optind + 1 != argc) {
        return cli_usage("usb inspect", optind >= argc ? "no FILE given" : "one FILE only");
    }
    file = argv[optind];
    r = scs_file_read(file, SCS_SETUPBIN_MAX_FILE_LEN, &in);
    if (r == SCS_ERR_TOO_LARGE) {
        cli_error("%s: malformed setup.bin at byte %d: larger than the %d-byte limit", file,
                  SCS_SETUPBIN_MAX_FILE_LEN, SCS_SETUPBIN_MAX_FILE_LEN);
        return CLI_DATA;
    }
    if (r != 0) {
        return cli_fail(r, "%s", file);
    }
    r = scs_setupbin_parse(scs_buf_data(in), scs_buf_len(in), &sb, &d);
    scs_buf_free(in);
    if (r != 0) {
        if (d.has_offset) {
            cli_error("%s: malformed setup.bin at byte %zu: %s", file, d.offset, d.reason);
        } else {
            cli_error("%s: malformed setup.bin: %s", file, d.reason);
        }
        return cli_exit_for(r);
    }
    if ((val = scs_buf_new(4096)) == NULL) {
        scs_setupbin_free(sb);
        return cli_fail(SCS_ERR_NOMEM, "usb inspect");
    }
    if (json) {
        rc = usb_inspect_json(sb, val, show);
    } else {
        usb_inspect_text(sb, val, show);
    }
    scs_buf_free(val);
    scs_setupbin_free(sb);
    return rc;
}

/* ------------------------------------------------------------------ create */

static void usb_create_usage(FILE *out)
{
    fprintf(out,
            "Usage: scsctl [-d DIR] usb create --out FILE --count N [OPTIONS]\n"
            "\n"
            "Take N available PID/PPS pairs from the pool and write a setup.bin with one\n"
            "record per pair (each machine consumes one record).  The pairs become\n"
            "'assigned' to usb:<file name>; if the file cannot be written they are\n"
            "returned to the pool.  The file is written atomically with mode 0600.\n"
            "\n"
            "Options:\n"
            "  --out FILE             the file to write (required)\n"
            "  --count N              number of records / pairs, 1 to %d (required)\n"
            "  --format V             setup.bin format 1 to 4 (default %d)\n"
            "  --scramble             scramble the records (+0x11), as Intel's ACU does\n"
            "  --mebx-current P       current MEBx password (factory: admin)\n"
            "  --mebx-current-file F  ... read from the first line of F\n"
            "  --mebx-new P           new MEBx password (needs --mebx-current); 8-32\n"
            "                         characters with upper, lower, digit and symbol.\n"
            "                         Visible to other users in the process list:\n"
            "  --mebx-new-file F      ... prefer reading it from the first line of F\n"
            "  --dns-suffix D         PKI DNS suffix (2,3)\n"
            "  --server IP[:PORT]     provisioning server IPv4 address (2,17) and port (2,18)\n"
            "  --root-hash ALG:HEX[:NAME]\n"
            "                         add a trusted root hash (2,8); ALG sha1|sha256|sha384\n"
            "                         (or 1|2|3; sha256/sha384 need format 3+), NAME <= 32\n"
            "                         characters; repeatable (up to %d)\n"
            "  -h, --help             this help\n"
            "\n"
            "With --dns-suffix, --server or --root-hash the file also sets (2,28) = 1\n"
            "(start provisioning).\n"
            "\n"
            "Exit codes: 0 written, 2 usage error, 4 pool not initialised or too few\n"
            "available pairs, 5 I/O, database or crypto failure.\n",
            SCS_SETUPBIN_MAX_RECORDS, USB_DEFAULT_FORMAT, USB_MAX_ROOT_HASHES);
}

struct usb_create_opts {
    const char *out;
    unsigned long count;
    unsigned long format;
    int scramble;
    const char *mebx_current, *mebx_current_file;
    const char *mebx_new, *mebx_new_file;
    const char *dns_suffix;
    const char *server;
    struct scs_setupbin_cert_hash hashes[USB_MAX_ROOT_HASHES];
    size_t hash_count;
};

/* Strict dotted quad: 4 decimal octets 0..255 without leading zeros. */
static int usb_parse_ipv4(const char *s, size_t n, uint8_t out[4])
{
    size_t i = 0;

    for (int part = 0; part < 4; part++) {
        unsigned v = 0;
        size_t digits = 0;

        while (i < n && s[i] >= '0' && s[i] <= '9') {
            if (digits > 0 && v == 0) {
                return SCS_ERR_FORMAT; /* leading zero: octal to some tools */
            }
            v = v * 10 + (unsigned)(s[i] - '0');
            if (v > 255) {
                return SCS_ERR_FORMAT;
            }
            digits++;
            i++;
        }
        if (digits == 0) {
            return SCS_ERR_FORMAT;
        }
        out[part] = (uint8_t)v;
        if (part < 3) {
            if (i >= n || s[i] != '.') {
                return SCS_ERR_FORMAT;
            }
            i++;
        }
    }
    return i == n ? 0 : SCS_ERR_FORMAT;
}

static int usb_parse_root_hash(const char *arg, struct scs_setupbin_cert_hash *h)
{
    const char *c1 = strchr(arg, ':'), *c2, *hex, *name = "";
    char alg[8];
    size_t alen, hexlen;

    memset(h, 0, sizeof(*h));
    if (c1 == NULL || (alen = (size_t)(c1 - arg)) == 0 || alen >= sizeof(alg)) {
        return cli_usage("usb create", "--root-hash '%s': expected ALG:HEX[:NAME]", arg);
    }
    memcpy(alg, arg, alen);
    alg[alen] = 0;
    if (strcasecmp(alg, "1") == 0 || strcasecmp(alg, "sha1") == 0) {
        h->alg = SCS_HASH_SHA1;
    } else if (strcasecmp(alg, "2") == 0 || strcasecmp(alg, "sha256") == 0) {
        h->alg = SCS_HASH_SHA256;
    } else if (strcasecmp(alg, "3") == 0 || strcasecmp(alg, "sha384") == 0) {
        h->alg = SCS_HASH_SHA384;
    } else {
        return cli_usage("usb create", "--root-hash: unknown algorithm '%s' (sha1, sha256, sha384)",
                         alg);
    }
    hex = c1 + 1;
    c2 = strchr(hex, ':');
    hexlen = c2 != NULL ? (size_t)(c2 - hex) : strlen(hex);
    if (c2 != NULL) {
        name = c2 + 1;
    }
    h->len = (uint8_t)scs_hash_alg_len(h->alg);
    if (hexlen != 2u * h->len || scs_hex_decode(h->hash, h->len, hex, hexlen) != 0) {
        return cli_usage("usb create", "--root-hash: a %s hash is %u hex digits, got '%.*s'",
                         scs_hash_alg_name(h->alg), 2u * h->len, (int)hexlen, hex);
    }
    if (strlen(name) > SCS_SETUPBIN_HASH_NAME_MAX) {
        return cli_usage("usb create", "--root-hash: name is over %d characters",
                         SCS_SETUPBIN_HASH_NAME_MAX);
    }
    for (const char *p = name; *p != 0; p++) {
        if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e) {
            return cli_usage("usb create", "--root-hash: name must be printable ASCII");
        }
    }
    memcpy(h->name, name, strlen(name) + 1);
    return CLI_OK;
}

static int usb_dns_suffix_ok(const char *s)
{
    size_t n = strlen(s);

    if (n == 0 || n > 255 || s[0] == '.' || s[0] == '-') {
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '-')) {
            return 0;
        }
    }
    return 1;
}

static const char *usb_basename(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash != NULL ? slash + 1 : path;
}

/* Read a password from --X or --X-file into a secret; CLI_OK or an exit code. */
static int usb_get_password(const char *value, const char *file, const char *what,
                            struct scs_secret **out)
{
    *out = NULL;
    if (value != NULL && file != NULL) {
        return cli_usage("usb create", "give --%s or --%s-file, not both", what, what);
    }
    if (file != NULL) {
        return cli_read_passphrase(file, 0, out);
    }
    if (value == NULL) {
        return CLI_OK;
    }
    if ((*out = scs_secret_from(value, strlen(value))) == NULL) {
        return cli_fail(SCS_ERR_NOMEM, "usb create");
    }
    return CLI_OK;
}

/* Give taken pairs back after a failed write; name those that stay assigned. */
static void usb_give_back(struct scs_pool *pool, const struct scs_psk_entry *e, size_t n,
                          const char *assignee)
{
    size_t failed = 0;

    for (size_t i = 0; i < n; i++) {
        int r = scs_pool_transition(pool, e[i].pid, SCS_PSK_ASSIGNED, SCS_PSK_AVAILABLE, NULL);
        if (r != 0) {
            cli_error("could not return PID %s to the pool (%s); it stays assigned to %s: "
                      "revoke it with 'scsctl psk revoke %s'",
                      e[i].pid, scs_strerror(r), assignee, e[i].pid);
            failed++;
        }
    }
    if (failed == 0) {
        cli_error("the %zu pairs were returned to the pool", n);
    }
}

static int usb_create_run(struct cli_ctx *ctx, const struct usb_create_opts *o,
                          struct scs_setupbin_spec *spec)
{
    static const char dummy_pid[] = "0000037M"; /* Intel's example pair (§4.1) */
    static const char dummy_pps[] = "NKLDG5DCRRNQE9YZZIJL7LFLVJED69XJ";
    struct scs_secret *dummy = scs_secret_from(dummy_pps, SCS_PPS_LEN);
    struct scs_setupbin_pair one = {dummy_pid, dummy};
    struct scs_setupbin_pair *pairs = NULL;
    struct scs_psk_entry *entries = NULL;
    struct scs_pool *pool = NULL;
    struct scs_buf *file = NULL;
    struct scs_diag d;
    char assignee[128];
    int r, rc = CLI_OK;

    if (dummy == NULL || (file = scs_buf_new(SCS_SETUPBIN_MAX_FILE_LEN)) == NULL) {
        scs_secret_free(dummy);
        return cli_fail(SCS_ERR_NOMEM, "usb create");
    }
    /* Dry run with one dummy record: every record has the same size. */
    spec->pairs = &one;
    spec->pair_count = 1;
    r = scs_setupbin_write(spec, file, &d);
    scs_buf_reset(file);
    scs_secret_free(dummy);
    spec->pairs = NULL;
    if (r != 0) {
        scs_buf_free(file);
        return cli_usage("usb create", "%s", d.reason);
    }
    if (snprintf(assignee, sizeof(assignee), "usb:%s", usb_basename(o->out)) >=
        (int)sizeof(assignee)) {
        scs_buf_free(file);
        return cli_usage("usb create", "--out: file name too long for the pool's records");
    }

    if ((r = scs_pool_open(ctx->datadir, &pool)) != 0) {
        scs_buf_free(file);
        return cli_fail(r, "usb create: cannot open the PSK pool in %s", ctx->datadir);
    }
    if ((r = scs_pool_take(pool, (size_t)o->count, assignee, &entries)) != 0) {
        rc = r == SCS_ERR_EXHAUSTED
                 ? cli_fail(r, "usb create: the pool has fewer than %lu available pairs", o->count)
                 : cli_fail(r, "usb create: taking %lu pairs from the pool", o->count);
        goto out;
    }
    if ((pairs = calloc((size_t)o->count, sizeof(*pairs))) == NULL) {
        r = SCS_ERR_NOMEM;
        rc = cli_fail(r, "usb create");
        usb_give_back(pool, entries, (size_t)o->count, assignee);
        goto out;
    }
    for (size_t i = 0; i < o->count; i++) {
        pairs[i].pid = entries[i].pid;
        pairs[i].pps = entries[i].pps;
    }
    spec->pairs = pairs;
    spec->pair_count = (size_t)o->count;
    if ((r = scs_setupbin_write(spec, file, &d)) != 0) {
        rc = cli_fail(r, "usb create: building %s: %s", o->out, d.reason);
        usb_give_back(pool, entries, (size_t)o->count, assignee);
        goto out;
    }
    if ((r = scs_file_write_atomic(o->out, scs_buf_data(file), scs_buf_len(file), 0600)) != 0) {
        rc = cli_fail(r, "usb create: writing %s", o->out);
        usb_give_back(pool, entries, (size_t)o->count, assignee);
        goto out;
    }
    printf("wrote %s: %lu records, format %lu%s; pairs assigned to %s\n", o->out, o->count,
           o->format, o->scramble ? ", scrambled" : "", assignee);
out:
    spec->pairs = NULL;
    free(pairs);
    if (entries != NULL) {
        scs_pool_entries_free(entries, (size_t)o->count);
    }
    scs_buf_free(file); /* wipes the PPS values */
    scs_pool_close(pool);
    return rc;
}

static int usb_create(struct cli_ctx *ctx, int argc, char **argv)
{
    enum {
        OPT_OUT = 256,
        OPT_COUNT,
        OPT_FORMAT,
        OPT_SCRAMBLE,
        OPT_MEBX_CURRENT,
        OPT_MEBX_CURRENT_FILE,
        OPT_MEBX_NEW,
        OPT_MEBX_NEW_FILE,
        OPT_DNS,
        OPT_SERVER,
        OPT_ROOT_HASH,
    };
    static const struct option opts[] = {
        {"out", required_argument, NULL, OPT_OUT},
        {"count", required_argument, NULL, OPT_COUNT},
        {"format", required_argument, NULL, OPT_FORMAT},
        {"scramble", no_argument, NULL, OPT_SCRAMBLE},
        {"mebx-current", required_argument, NULL, OPT_MEBX_CURRENT},
        {"mebx-current-file", required_argument, NULL, OPT_MEBX_CURRENT_FILE},
        {"mebx-new", required_argument, NULL, OPT_MEBX_NEW},
        {"mebx-new-file", required_argument, NULL, OPT_MEBX_NEW_FILE},
        {"dns-suffix", required_argument, NULL, OPT_DNS},
        {"server", required_argument, NULL, OPT_SERVER},
        {"root-hash", required_argument, NULL, OPT_ROOT_HASH},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct usb_create_opts o;
    struct scs_setupbin_spec spec;
    struct scs_secret *cur = NULL, *new = NULL;
    struct scs_diag d;
    int c, rc;

    memset(&o, 0, sizeof(o));
    memset(&spec, 0, sizeof(spec));
    o.format = USB_DEFAULT_FORMAT;
    optind = 0;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case OPT_OUT:
            o.out = optarg;
            break;
        case OPT_COUNT:
            if (cli_parse_ulong(optarg, 1, SCS_SETUPBIN_MAX_RECORDS, &o.count) != 0) {
                return cli_usage("usb create", "--count must be 1 to %d, not '%s'",
                                 SCS_SETUPBIN_MAX_RECORDS, optarg);
            }
            break;
        case OPT_FORMAT:
            if (cli_parse_ulong(optarg, 1, 4, &o.format) != 0) {
                return cli_usage("usb create", "--format must be 1, 2, 3 or 4, not '%s'", optarg);
            }
            break;
        case OPT_SCRAMBLE:
            o.scramble = 1;
            break;
        case OPT_MEBX_CURRENT:
            o.mebx_current = optarg;
            break;
        case OPT_MEBX_CURRENT_FILE:
            o.mebx_current_file = optarg;
            break;
        case OPT_MEBX_NEW:
            o.mebx_new = optarg;
            break;
        case OPT_MEBX_NEW_FILE:
            o.mebx_new_file = optarg;
            break;
        case OPT_DNS:
            if (!usb_dns_suffix_ok(optarg)) {
                return cli_usage("usb create",
                                 "--dns-suffix '%s': 1 to 255 characters of letters, digits, "
                                 "'.' and '-'",
                                 optarg);
            }
            o.dns_suffix = optarg;
            break;
        case OPT_SERVER:
            o.server = optarg;
            break;
        case OPT_ROOT_HASH:
            if (o.hash_count == USB_MAX_ROOT_HASHES) {
                return cli_usage("usb create", "at most %d --root-hash options",
                                 USB_MAX_ROOT_HASHES);
            }
            if ((rc = usb_parse_root_hash(optarg, &o.hashes[o.hash_count])) != CLI_OK) {
                return rc;
            }
            o.hash_count++;
            break;
        case 'h':
            usb_create_usage(stdout);
            return CLI_OK;
        default:
            return cli_usage("usb create", "bad option");
        }
    }
    if (optind != argc) {
        return cli_usage("usb create", "unexpected argument '%s'", argv[optind]);
    }
    if (o.out == NULL) {
        return cli_usage("usb create", "--out FILE is required");
    }
    if (o.count == 0) {
        return cli_usage("usb create", "--count N is required");
    }
    if ((o.mebx_new != NULL || o.mebx_new_file != NULL) &&
        (o.mebx_current == NULL && o.mebx_current_file == NULL)) {
        return cli_usage("usb create", "--mebx-new needs --mebx-current (the password it "
                                       "replaces, 'admin' on a new machine)");
    }
    if ((o.mebx_current != NULL || o.mebx_current_file != NULL) &&
        (o.mebx_new == NULL && o.mebx_new_file == NULL)) {
        return cli_usage("usb create", "--mebx-current needs --mebx-new (AMT requires the "
                                       "factory password to be replaced)");
    }
    for (size_t i = 0; i < o.hash_count; i++) {
        if (o.hashes[i].alg != SCS_HASH_SHA1 && o.format < 3) {
            return cli_usage("usb create",
                             "--root-hash %s needs --format 3 or 4 (format %lu files only "
                             "carry SHA1 hashes)",
                             scs_hash_alg_name(o.hashes[i].alg), o.format);
        }
    }
    if (o.server != NULL) {
        const char *colon = strchr(o.server, ':');
        size_t iplen = colon != NULL ? (size_t)(colon - o.server) : strlen(o.server);
        unsigned long port;

        if (usb_parse_ipv4(o.server, iplen, spec.server_ip) != 0) {
            return cli_usage("usb create",
                             "--server '%s': expected an IPv4 address like "
                             "192.168.1.10, optionally with :PORT",
                             o.server);
        }
        spec.has_server = 1;
        if (colon != NULL) {
            if (cli_parse_ulong(colon + 1, 1, 65535, &port) != 0) {
                return cli_usage("usb create", "--server '%s': port must be 1 to 65535", o.server);
            }
            spec.has_port = 1;
            spec.server_port = (uint16_t)port;
        }
    }
    if ((rc = usb_get_password(o.mebx_current, o.mebx_current_file, "mebx-current", &cur)) !=
        CLI_OK) {
        return rc;
    }
    if ((rc = usb_get_password(o.mebx_new, o.mebx_new_file, "mebx-new", &new)) != CLI_OK) {
        scs_secret_free(cur);
        return rc;
    }
    if (new != NULL) {
        if (scs_mebx_password_check(scs_secret_str(new), scs_secret_len(new), &d) != 0) {
            scs_secret_free(cur);
            scs_secret_free(new);
            return cli_usage("usb create", "--mebx-new: %s", d.reason);
        }
        if (o.mebx_new != NULL) {
            cli_error("warning: a password on the command line is visible to other users; "
                      "prefer --mebx-new-file");
        }
    }
    spec.version = (unsigned)o.format;
    spec.scramble = o.scramble;
    spec.mebx_current = cur;
    spec.mebx_new = new;
    spec.dns_suffix = o.dns_suffix;
    spec.hashes = o.hashes;
    spec.hash_count = o.hash_count;
    /* Remote-configuration settings only take effect once provisioning is started. */
    spec.provision_start = o.dns_suffix != NULL || o.server != NULL || o.hash_count > 0;
    rc = usb_create_run(ctx, &o, &spec);
    scs_secret_free(cur);
    scs_secret_free(new);
    return rc;
}

static const struct cli_command usb_commands[] = {
    {"create", usb_create, "write a setup.bin with PID/PPS pairs from the pool"},
    {"inspect", usb_inspect, "decode a setup.bin and name every variable"},
    {NULL, NULL, NULL},
};

int cmd_usb(struct cli_ctx *ctx, int argc, char **argv)
{
    return cli_dispatch(ctx, "usb", usb_commands, argc - 1, argv + 1);
}
