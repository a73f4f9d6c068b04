/*
 * scsctl audit: the audit log, in order.  Every security-relevant event is a
 * row: init, PSK generate/take/transition/revoke, export and import of
 * bundles, certificates added and removed, profiles changed, OTPs set,
 * passwords revealed, devices unprovisioned, and what scsd records about
 * provisioning (provisioned, refused and why).  Rows never hold a secret.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "common/buf.h"
#include "common/err.h"
#include "common/json.h"
#include "psk/pool.h"
#include "registry/registry.h"

#define AUDIT_JSON_FLUSH (64 * 1024)

/* Unix seconds, YYYY-MM-DD, YYYY-MM-DDTHH:MM:SSZ (UTC), or an age: N followed by s, m,
 * h or d ("7d" = seven days ago). */
static int parse_since(const char *s, time_t now, int64_t *out)
{
    unsigned long v = 0;
    struct tm tm;
    const char *end;
    size_t n = strlen(s);

    if (n == 0) {
        return SCS_ERR_FORMAT;
    }
    if (cli_parse_ulong(s, 0, 4102444800ul, &v) == 0) {
        *out = (int64_t)v;
        return 0;
    }
    if (n >= 2 && strchr("smhd", s[n - 1]) != NULL) {
        char num[24];
        static const int64_t unit[] = {1, 60, 3600, 86400};
        if (n - 1 >= sizeof(num)) {
            return SCS_ERR_FORMAT;
        }
        memcpy(num, s, n - 1);
        num[n - 1] = 0;
        if (cli_parse_ulong(num, 0, 36500ul * 86400, &v) != 0) {
            return SCS_ERR_FORMAT;
        }
        *out = (int64_t)now - (int64_t)v * unit[strchr("smhd", s[n - 1]) - "smhd"];
        return 0;
    }
    memset(&tm, 0, sizeof(tm));
    end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm);
    if (end == NULL || *end != 0) {
        memset(&tm, 0, sizeof(tm));
        end = strptime(s, "%Y-%m-%d", &tm);
        if (end == NULL || *end != 0) {
            return SCS_ERR_FORMAT;
        }
    }
    *out = (int64_t)timegm(&tm);
    return 0;
}

struct audit_out {
    int json;
    int64_t since;
    const char *event;
    struct scs_json j;
    unsigned long n;
};

static int audit_flush(struct scs_json *j, int force)
{
    struct scs_buf *b = j->out;

    if (!force && scs_buf_len(b) < AUDIT_JSON_FLUSH) {
        return 0;
    }
    if (scs_buf_len(b) > 0 &&
        fwrite(scs_buf_data(b), 1, scs_buf_len(b), stdout) != scs_buf_len(b)) {
        return SCS_ERR_IO;
    }
    scs_buf_reset(b);
    return 0;
}

static int audit_one(void *arg, int64_t id, int64_t time, const char *event, const char *subject,
                     const char *detail)
{
    struct audit_out *o = arg;
    char when[32];

    if (time < o->since || (o->event != NULL && strcmp(event, o->event) != 0)) {
        return 0;
    }
    o->n++;
    cli_fmt_time(time, when);
    if (o->json) {
        scs_json_obj_begin(&o->j);
        scs_json_kv_int(&o->j, "id", id);
        scs_json_kv_int(&o->j, "time", time);
        scs_json_kv_str(&o->j, "when", when);
        scs_json_kv_str(&o->j, "event", event);
        scs_json_kv_str(&o->j, "subject", subject);
        scs_json_kv_str(&o->j, "detail", detail);
        scs_json_obj_end(&o->j);
        return audit_flush(&o->j, 0);
    }
    printf("%-6lld %s  %-22s %-38s %s\n", (long long)id, when, event, subject[0] ? subject : "-",
           detail);
    return 0;
}

int cmd_audit(struct cli_ctx *ctx, int argc, char **argv)
{
    static const struct option opts[] = {
        {"since", required_argument, NULL, 's'},
        {"event", required_argument, NULL, 'e'},
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct audit_out o;
    struct scs_pool *p = NULL;
    struct scs_buf *b = NULL;
    int c, r;

    memset(&o, 0, sizeof(o));
    opterr = 0;
    optind = 0;
    for (;;) {
        if ((r = cli_getopt("audit", argc, argv, "h", opts, &c)) != CLI_OK) {
            return r;
        }
        if (c == -1) {
            break;
        }
        switch (c) {
        case 's':
            if (parse_since(optarg, time(NULL), &o.since) != 0) {
                return cli_usage("audit",
                                 "--since takes Unix seconds, YYYY-MM-DD, "
                                 "YYYY-MM-DDTHH:MM:SSZ or an age like 30m, 12h, 7d; not '%s'",
                                 optarg);
            }
            break;
        case 'e':
            o.event = optarg;
            break;
        case 'j':
            o.json = 1;
            break;
        case 'h':
            printf("Usage: scsctl [-d DIR] audit [--since T] [--event E] [--json]\n"
                   "\n"
                   "Print the audit log in order: id, time (UTC), event, subject, detail.\n"
                   "Events include init, ca-created, generate, take, transition, revoke,\n"
                   "export, import, cert-added, cert-removed, profile-set, profile-removed,\n"
                   "otp-set, otp-cleared, password-revealed, unprovision-requested, and from\n"
                   "scsd device-provisioned, device-refused (with the reason) and\n"
                   "otp-mismatch.  No row holds a secret.\n"
                   "\n"
                   "  --since T  only rows at or after T: Unix seconds, YYYY-MM-DD,\n"
                   "             YYYY-MM-DDTHH:MM:SSZ, or an age such as 30m, 12h, 7d\n"
                   "  --event E  only rows of event E\n"
                   "  --json     an array of objects with id, time, when, event, subject,\n"
                   "             detail\n"
                   "\n"
                   "Exit codes: 0 success, 2 usage error, 4 store not initialised, 5 I/O or\n"
                   "database failure.\n");
            return CLI_OK;
        default:
            return cli_usage("audit", "unknown option");
        }
    }
    if (optind < argc) {
        return cli_usage("audit", "unexpected argument '%s'", argv[optind]);
    }
    if ((r = cli_open_pool(ctx, &p)) != CLI_OK) {
        return r;
    }
    if (o.json) {
        if ((b = scs_buf_new(AUDIT_JSON_FLUSH * 2)) == NULL) {
            scs_pool_close(p);
            return cli_fail(SCS_ERR_NOMEM, "audit");
        }
        scs_json_init(&o.j, b);
        scs_json_arr_begin(&o.j);
    }
    r = scs_audit_list(p, audit_one, &o);
    scs_pool_close(p);
    if (r != 0) {
        scs_buf_free(b);
        return cli_fail(r, "reading the audit log failed");
    }
    if (o.json) {
        scs_json_arr_end(&o.j);
        r = scs_json_finish(&o.j) == 0 && audit_flush(&o.j, 1) == 0
                ? CLI_OK
                : cli_fail(SCS_ERR_IO, "writing the audit log");
        scs_buf_free(b);
        fflush(stdout);
        return r;
    }
    return CLI_OK;
}
