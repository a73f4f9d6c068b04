/*
 * scsctl psk: the PID/PPS pool.  generate, list, stats, check, revoke, export,
 * import.  PPS values are printed only with --show-secrets and are never put
 * in an error message; passphrases come from a file or the terminal, never
 * from the command line.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "common/buf.h"
#include "common/err.h"
#include "common/json.h"
#include "common/secmem.h"
#include "formats/pidpps.h"
#include "psk/pool.h"

#define PSK_GENERATE_MAX 100000000ul
#define PSK_JSON_FLUSH   (64 * 1024)

static const char psk_exit_codes[] =
    "Exit codes: 0 success, 1 check failed, 2 usage error, 3 bad input data (malformed\n"
    "or tampered file, wrong passphrase), 4 store not initialised, object not found or in\n"
    "the wrong state, 5 I/O, database or crypto failure.\n";

static int psk_parse_state(const char *cmd, const char *name, int *out)
{
    enum scs_psk_state s;

    if (scs_psk_state_parse(name, &s) != 0) {
        return cli_usage(cmd,
                         "invalid state '%s' (one of available, assigned, used, replaced, "
                         "revoked)",
                         name);
    }
    *out = (int)s;
    return CLI_OK;
}

/* A JSON document streamed to stdout: the buffer is flushed and wiped as it fills, so a
 * million entries need no more memory than a few. */
static int json_flush(struct scs_json *j, int force)
{
    struct scs_buf *b = j->out;

    if (!force && scs_buf_len(b) < PSK_JSON_FLUSH) {
        return 0;
    }
    if (scs_buf_len(b) > 0 &&
        fwrite(scs_buf_data(b), 1, scs_buf_len(b), stdout) != scs_buf_len(b)) {
        return SCS_ERR_IO;
    }
    scs_buf_reset(b);
    return 0;
}

static void fmt_time(int64_t t, char out[static 32])
{
    time_t tt = (time_t)t;
    struct tm tm;

    if (gmtime_r(&tt, &tm) == NULL || strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
        snprintf(out, 32, "%" PRId64, t);
    }
}

/* ---- generate ---------------------------------------------------------- */

static int psk_generate(struct cli_ctx *ctx, int argc, char **argv)
{
    static const struct option opts[] = {
        {"count", required_argument, NULL, 'n'},
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    unsigned long n = 0;
    uint64_t made = 0;
    struct scs_pool *p = NULL;
    int c, r, json = 0, have_n = 0;

    for (;;) {
        if ((r = cli_getopt("psk generate", argc, argv, "n:h", opts, &c)) != CLI_OK) {
            return r;
        }
        if (c == -1) {
            break;
        }
        switch (c) {
        case 'n':
            if (cli_parse_ulong(optarg, 1, PSK_GENERATE_MAX, &n) != 0) {
                return cli_usage("psk generate", "-n needs a count from 1 to %lu, not '%s'",
                                 PSK_GENERATE_MAX, optarg);
            }
            have_n = 1;
            break;
        case 'j':
            json = 1;
            break;
        case 'h':
            printf("Usage: scsctl [-d DIR] psk generate -n N [--json]\n"
                   "\n"
                   "Add N fresh PID/PPS pairs (state available) to the pool.\n"
                   "\n"
                   "  -n, --count N  how many pairs (1 to %lu)\n"
                   "  --json         print {\"generated\": N}\n\n%s",
                   PSK_GENERATE_MAX, psk_exit_codes);
            return CLI_OK;
        default:
            return cli_usage("psk generate", "unknown option");
        }
    }
    if (!have_n) {
        return cli_usage("psk generate", "missing -n N");
    }
    if (optind < argc) {
        return cli_usage("psk generate", "unexpected argument '%s'", argv[optind]);
    }
    if ((r = cli_open_pool(ctx, &p)) != CLI_OK) {
        return r;
    }
    r = scs_pool_generate(p, n, &made);
    scs_pool_close(p);
    if (r != 0) {
        return cli_fail(r, "generated %" PRIu64 " of %lu pairs", made, n);
    }
    if (json) {
        printf("{\"generated\":%" PRIu64 "}\n", made);
    } else {
        printf("generated %" PRIu64 " pairs\n", made);
    }
    return CLI_OK;
}

/* ---- list -------------------------------------------------------------- */

struct list_out {
    int json;
    int show;
    struct scs_json j;
    struct scs_secret *text; /* the PPS in display form */
    uint64_t n;
};

static int list_one(void *arg, const struct scs_psk_entry *e)
{
    struct list_out *o = arg;
    char pid[SCS_PID_TEXT_LEN + 1];
    char *pps = NULL;

    scs_pid_format(e->pid, pid);
    if (o->show && e->pps != NULL) {
        pps = (char *)scs_secret_data(o->text);
        scs_pps_format(scs_secret_str(e->pps), pps);
    }
    o->n++;
    if (o->json) {
        scs_json_obj_begin(&o->j);
        scs_json_kv_str(&o->j, "pid", pid);
        if (pps != NULL) {
            scs_json_kv_str(&o->j, "pps", pps);
        }
        scs_json_kv_str(&o->j, "state", scs_psk_state_name(e->state));
        scs_json_kv_str(&o->j, "assignee", e->assignee);
        scs_json_kv_int(&o->j, "created", e->created);
        scs_json_kv_int(&o->j, "updated", e->updated);
        scs_json_obj_end(&o->j);
        if (pps != NULL) {
            scs_wipe(pps, SCS_PPS_TEXT_LEN);
        }
        return json_flush(&o->j, 0);
    }
    {
        char created[32], updated[32];
        fmt_time(e->created, created);
        fmt_time(e->updated, updated);
        if (pps != NULL) {
            printf("%s  %s  %-9s  %s  %s  %s\n", pid, pps, scs_psk_state_name(e->state), created,
                   updated, e->assignee[0] != 0 ? e->assignee : "-");
            scs_wipe(pps, SCS_PPS_TEXT_LEN);
        } else {
            printf("%s  %-9s  %s  %s  %s\n", pid, scs_psk_state_name(e->state), created, updated,
                   e->assignee[0] != 0 ? e->assignee : "-");
        }
    }
    return 0;
}

static int psk_list(struct cli_ctx *ctx, int argc, char **argv)
{
    static const struct option opts[] = {
        {"state", required_argument, NULL, 's'},
        {"show-secrets", no_argument, NULL, 'S'},
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct list_out o = {0};
    struct scs_pool *p = NULL;
    struct scs_buf *buf = NULL;
    int c, r, state = -1;

    for (;;) {
        if ((r = cli_getopt("psk list", argc, argv, "h", opts, &c)) != CLI_OK) {
            return r;
        }
        if (c == -1) {
            break;
        }
        switch (c) {
        case 's':
            if ((r = psk_parse_state("psk list", optarg, &state)) != CLI_OK) {
                return r;
            }
            break;
        case 'S':
            o.show = 1;
            break;
        case 'j':
            o.json = 1;
            break;
        case 'h':
            printf("Usage: scsctl [-d DIR] psk list [--state S] [--show-secrets] [--json]\n"
                   "\n"
                   "List the pairs in PID order: PID, [PPS,] state, created, updated, assignee.\n"
                   "\n"
                   "  --state S       only pairs in state S (available, assigned, used,\n"
                   "                  replaced, revoked)\n"
                   "  --show-secrets  include the PPS of each pair\n"
                   "  --json          an array of objects with pid, pps (only with\n"
                   "                  --show-secrets), state, assignee, created, updated\n"
                   "                  (Unix seconds)\n\n%s",
                   psk_exit_codes);
            return CLI_OK;
        default:
            return cli_usage("psk list", "unknown option");
        }
    }
    if (optind < argc) {
        return cli_usage("psk list", "unexpected argument '%s'", argv[optind]);
    }
    if ((r = cli_open_pool(ctx, &p)) != CLI_OK) {
        return r;
    }
    if ((o.text = scs_secret_new(SCS_PPS_TEXT_LEN)) == NULL ||
        (buf = scs_buf_new(PSK_JSON_FLUSH * 2)) == NULL) {
        r = cli_fail(SCS_ERR_NOMEM, "listing");
        goto out;
    }
    if (o.json) {
        scs_json_init(&o.j, buf);
        scs_json_arr_begin(&o.j);
    }
    r = scs_pool_list(p, state, o.show, list_one, &o);
    if (r != 0) {
        r = cli_fail(r, "listing the pool failed");
        goto out;
    }
    if (o.json) {
        scs_json_arr_end(&o.j);
        if (scs_json_finish(&o.j) != 0 || json_flush(&o.j, 1) != 0) {
            r = cli_fail(SCS_ERR_IO, "writing the listing");
            goto out;
        }
    }
    r = CLI_OK;
out:
    fflush(stdout);
    scs_buf_free(buf);
    scs_secret_free(o.text);
    scs_pool_close(p);
    return r;
}

/* ---- stats ------------------------------------------------------------- */

static int psk_stats(struct cli_ctx *ctx, int argc, char **argv)
{
    static const struct option opts[] = {
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    uint64_t counts[SCS_PSK_STATE_COUNT], total = 0;
    struct scs_pool *p = NULL;
    int c, r, json = 0;

    for (;;) {
        if ((r = cli_getopt("psk stats", argc, argv, "h", opts, &c)) != CLI_OK) {
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
            printf("Usage: scsctl [-d DIR] psk stats [--json]\n"
                   "\n"
                   "Count the pairs in each state, and in total.\n\n%s",
                   psk_exit_codes);
            return CLI_OK;
        default:
            return cli_usage("psk stats", "unknown option");
        }
    }
    if (optind < argc) {
        return cli_usage("psk stats", "unexpected argument '%s'", argv[optind]);
    }
    if ((r = cli_open_pool(ctx, &p)) != CLI_OK) {
        return r;
    }
    r = scs_pool_stats(p, counts);
    scs_pool_close(p);
    if (r != 0) {
        return cli_fail(r, "counting the pool failed");
    }
    for (int i = 0; i < SCS_PSK_STATE_COUNT; i++) {
        total += counts[i];
    }
    if (json) {
        printf("{");
        for (int i = 0; i < SCS_PSK_STATE_COUNT; i++) {
            printf("\"%s\":%" PRIu64 ",", scs_psk_state_name((enum scs_psk_state)i), counts[i]);
        }
        printf("\"total\":%" PRIu64 "}\n", total);
    } else {
        for (int i = 0; i < SCS_PSK_STATE_COUNT; i++) {
            printf("%-10s %" PRIu64 "\n", scs_psk_state_name((enum scs_psk_state)i), counts[i]);
        }
        printf("%-10s %" PRIu64 "\n", "total", total);
    }
    return CLI_OK;
}

/* ---- check ------------------------------------------------------------- */

static int psk_check(struct cli_ctx *ctx, int argc, char **argv)
{
    static const struct option opts[] = {
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    char pid[SCS_PID_LEN + 1];
    struct scs_secret *pps = NULL;
    struct scs_diag dpid, dpps;
    int c, r, json = 0, rpid, rpps;

    for (;;) {
        if ((r = cli_getopt("psk check", argc, argv, "h", opts, &c)) != CLI_OK) {
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
            printf("Usage: scsctl psk check [--json] PID PPS\n"
                   "\n"
                   "Validate a PID and PPS as typed (dashes optional, any case): length,\n"
                   "alphabet and check characters.  Needs no store.  The message names the\n"
                   "wrong character (PID) or group (PPS), never the PPS itself.\n"
                   "\n"
                   "Exit codes: 0 both valid, 1 one or both invalid, 2 usage error.\n");
            return CLI_OK;
        default:
            return cli_usage("psk check", "unknown option");
        }
    }
    if (argc - optind != 2) {
        return cli_usage("psk check", "expected PID and PPS");
    }
    scs_diag_clear(&dpid);
    scs_diag_clear(&dpps);
    rpid = scs_pid_parse(argv[optind], pid, &dpid);
    rpps = scs_pps_parse(argv[optind + 1], &pps, &dpps);
    scs_secret_free(pps);
    if (json) {
        struct scs_buf *b = scs_buf_new(4096);
        struct scs_json j;
        if (b == NULL) {
            return cli_fail(SCS_ERR_NOMEM, "check");
        }
        scs_json_init(&j, b);
        scs_json_obj_begin(&j);
        scs_json_kv_bool(&j, "valid", rpid == 0 && rpps == 0);
        scs_json_kv_bool(&j, "pid_valid", rpid == 0);
        if (rpid != 0) {
            scs_json_kv_str(&j, "pid_error", dpid.reason);
        }
        scs_json_kv_bool(&j, "pps_valid", rpps == 0);
        if (rpps != 0) {
            scs_json_kv_str(&j, "pps_error", dpps.reason);
        }
        scs_json_obj_end(&j);
        if (scs_json_finish(&j) == 0) {
            fwrite(scs_buf_data(b), 1, scs_buf_len(b), stdout);
        }
        scs_buf_free(b);
    } else {
        if (rpid != 0) {
            printf("PID is invalid: %s\n", dpid.reason);
        }
        if (rpps != 0) {
            printf("PPS is invalid: %s\n", dpps.reason);
        }
        if (rpid == 0 && rpps == 0) {
            printf("PID and PPS are valid\n");
        }
    }
    return rpid == 0 && rpps == 0 ? CLI_OK : CLI_FAIL;
}

/* ---- revoke ------------------------------------------------------------ */

static int psk_revoke(struct cli_ctx *ctx, int argc, char **argv)
{
    static const struct option opts[] = {
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    char pid[SCS_PID_LEN + 1], text[SCS_PID_TEXT_LEN + 1];
    struct scs_pool *p = NULL;
    struct scs_diag d;
    int c, r;

    for (;;) {
        if ((r = cli_getopt("psk revoke", argc, argv, "h", opts, &c)) != CLI_OK) {
            return r;
        }
        if (c == -1) {
            break;
        }
        switch (c) {
        case 'h':
            printf("Usage: scsctl [-d DIR] psk revoke PID\n"
                   "\n"
                   "Revoke a pair (available, assigned or used) so it is never handed out or\n"
                   "accepted again.\n\n%s",
                   psk_exit_codes);
            return CLI_OK;
        default:
            return cli_usage("psk revoke", "unknown option");
        }
    }
    if (argc - optind != 1) {
        return cli_usage("psk revoke", "expected one PID");
    }
    scs_diag_clear(&d);
    if ((r = scs_pid_parse(argv[optind], pid, &d)) != 0) {
        return cli_usage("psk revoke", "'%s' is not a valid PID: %s", argv[optind], d.reason);
    }
    scs_pid_format(pid, text);
    if ((r = cli_open_pool(ctx, &p)) != CLI_OK) {
        return r;
    }
    r = scs_pool_revoke(p, pid);
    scs_pool_close(p);
    switch (r) {
    case 0:
        printf("revoked %s\n", text);
        return CLI_OK;
    case SCS_ERR_NOT_FOUND:
        cli_error("PID %s is not in the pool", text);
        return CLI_STATE;
    case SCS_ERR_STATE:
        cli_error("PID %s is already revoked or replaced", text);
        return CLI_STATE;
    default:
        return cli_fail(r, "revoking %s failed", text);
    }
}

/* ---- export / import --------------------------------------------------- */

static int psk_export(struct cli_ctx *ctx, int argc, char **argv)
{
    static const struct option opts[] = {
        {"out", required_argument, NULL, 'o'},   {"passphrase-file", required_argument, NULL, 'P'},
        {"state", required_argument, NULL, 's'}, {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},        {NULL, 0, NULL, 0},
    };
    const char *out = NULL, *passfile = NULL;
    struct scs_secret *pass = NULL;
    struct scs_pool *p = NULL;
    uint64_t count = 0;
    int c, r, state = -1, json = 0;

    for (;;) {
        if ((r = cli_getopt("psk export", argc, argv, "o:h", opts, &c)) != CLI_OK) {
            return r;
        }
        if (c == -1) {
            break;
        }
        switch (c) {
        case 'o':
            out = optarg;
            break;
        case 'P':
            passfile = optarg;
            break;
        case 's':
            if ((r = psk_parse_state("psk export", optarg, &state)) != CLI_OK) {
                return r;
            }
            break;
        case 'j':
            json = 1;
            break;
        case 'h':
            printf("Usage: scsctl [-d DIR] psk export --out FILE [--passphrase-file F]\n"
                   "                          [--state S] [--json]\n"
                   "\n"
                   "Write the pairs (all, or those in state S) with their PPS, state, assignee\n"
                   "and times to an encrypted bundle (docs/bundle.md), mode 0600, atomically.\n"
                   "The passphrase is the first line of F, or is asked for twice on the\n"
                   "terminal; it is never taken from the command line.\n\n%s",
                   psk_exit_codes);
            return CLI_OK;
        default:
            return cli_usage("psk export", "unknown option");
        }
    }
    if (out == NULL) {
        return cli_usage("psk export", "missing --out FILE");
    }
    if (optind < argc) {
        return cli_usage("psk export", "unexpected argument '%s'", argv[optind]);
    }
    if ((r = cli_open_pool(ctx, &p)) != CLI_OK) {
        return r;
    }
    if ((r = cli_read_passphrase(passfile, 1, &pass)) != CLI_OK) {
        scs_pool_close(p);
        return r;
    }
    r = scs_pool_export(p, out, pass, state, &count);
    scs_secret_free(pass);
    scs_pool_close(p);
    if (r != 0) {
        return cli_fail(r, "export to %s failed", out);
    }
    if (json) {
        printf("{\"exported\":%" PRIu64 "}\n", count);
    } else {
        printf("exported %" PRIu64 " pairs to %s\n", count, out);
    }
    return CLI_OK;
}

static int psk_import(struct cli_ctx *ctx, int argc, char **argv)
{
    static const struct option opts[] = {
        {"passphrase-file", required_argument, NULL, 'P'},
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *passfile = NULL, *file;
    struct scs_secret *pass = NULL;
    struct scs_import_result res;
    struct scs_pool *p = NULL;
    struct scs_diag d;
    int c, r, json = 0;

    for (;;) {
        if ((r = cli_getopt("psk import", argc, argv, "h", opts, &c)) != CLI_OK) {
            return r;
        }
        if (c == -1) {
            break;
        }
        switch (c) {
        case 'P':
            passfile = optarg;
            break;
        case 'j':
            json = 1;
            break;
        case 'h':
            printf("Usage: scsctl [-d DIR] psk import FILE [--passphrase-file F] [--json]\n"
                   "\n"
                   "Import a bundle written by 'psk export'.  All or nothing: a wrong\n"
                   "passphrase, a damaged file or one bad record imports nothing.  Pairs\n"
                   "already in the store are skipped; a PID present with a different PPS\n"
                   "stops the import.\n\n%s",
                   psk_exit_codes);
            return CLI_OK;
        default:
            return cli_usage("psk import", "unknown option");
        }
    }
    if (argc - optind != 1) {
        return cli_usage("psk import", "expected one bundle FILE");
    }
    file = argv[optind];
    if ((r = cli_open_pool(ctx, &p)) != CLI_OK) {
        return r;
    }
    if ((r = cli_read_passphrase(passfile, 0, &pass)) != CLI_OK) {
        scs_pool_close(p);
        return r;
    }
    scs_diag_clear(&d);
    r = scs_pool_import(p, file, pass, &res, &d);
    scs_secret_free(pass);
    scs_pool_close(p);
    if (r != 0) {
        if (d.reason[0] != 0) {
            cli_error("import of %s failed, nothing was imported: %s", file, d.reason);
            return cli_exit_for(r);
        }
        return cli_fail(r, "import of %s failed, nothing was imported", file);
    }
    if (json) {
        printf("{\"imported\":%" PRIu64 ",\"skipped\":%" PRIu64 "}\n", res.imported, res.skipped);
    } else {
        printf("imported %" PRIu64 ", skipped %" PRIu64 "\n", res.imported, res.skipped);
    }
    return CLI_OK;
}

static const struct cli_command psk_commands[] = {
    {"generate", psk_generate, "add N fresh pairs to the pool"},
    {"list", psk_list, "list pairs (--state, --show-secrets, --json)"},
    {"stats", psk_stats, "count pairs by state"},
    {"check", psk_check, "validate a PID and PPS (no store needed)"},
    {"revoke", psk_revoke, "revoke a pair"},
    {"export", psk_export, "write pairs to an encrypted bundle"},
    {"import", psk_import, "read pairs from an encrypted bundle"},
    {NULL, NULL, NULL},
};

int cmd_psk(struct cli_ctx *ctx, int argc, char **argv)
{
    return cli_dispatch(ctx, "psk", psk_commands, argc - 1, argv + 1);
}
