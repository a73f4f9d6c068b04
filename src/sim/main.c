/*
 * amtsim: a fleet of simulated Intel AMT devices (docs/amtsim.md).
 *
 *   amtsim -d DIR [-v|-q] create -n N --mode psk --usb FILE
 *   amtsim -d DIR [-v|-q] create -n N --mode pki --dns-suffix D [--root-hash HEX]... [--otp OTP]
 *   amtsim -d DIR status [--json]
 *   amtsim -d DIR [-v|-q] run [--server HOST[:PORT]] [--time-scale K] [--max-in-flight N] ...
 *   amtsim -d DIR fault DEVICE drop N | delay MS | soap CALL | reboot | clear
 *   amtsim -d DIR osadmin DEVICE
 */
#include <errno.h>
#include <getopt.h>
#include <libxml/parser.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/encoding.h"
#include "common/err.h"
#include "common/fileio.h"
#include "common/log.h"
#include "common/secmem.h"
#include "formats/pidpps.h"
#include "formats/setupbin.h"
#include "sim/digest.h"
#include "sim/fleet.h"
#include "sim/run.h"
#include "sim/x509.h"

#define SIM_MAX_CREATE 65535
#define SIM_MAX_ROOTS  SIM_CUSTOM_HASH_SLOTS

static void usage(FILE *o)
{
    fprintf(
        o,
        "usage: amtsim -d DIR [-v|-q] COMMAND ...\n"
        "  -d DIR    the fleet directory (required)\n"
        "  -v        debug output;  -q  only warnings and errors\n"
        "  -h, --help (also after a command)  this text\n"
        "commands:\n"
        "  create -n N [--mode psk|pki|none] [--usb FILE] [--dns-suffix D]\n"
        "         [--root-hash HEX]... [--otp OTP] [--base-address 127.x.y.z]\n"
        "         [--key-bits B] [--fw-version V]\n"
        "      --usb takes the next unconsumed setup.bin records and writes the new\n"
        "      DataRecordsConsumed back (record 1 for every device if the file says\n"
        "      \"do not consume\"); --base-address places this call's devices from\n"
        "      that address, otherwise they follow the fleet's last one\n"
        "  status [--json]\n"
        "  run [--server HOST[:PORT]] [--time-scale K] [--tls-port P] [--http-port P]\n"
        "      [--local-port P] [--first-window H] [--restart-window H] [--duration S]\n"
        "      [--max-in-flight N]\n"
        "      without --server no Hellos are sent; --max-in-flight: Hello connections\n"
        "      open at once, 1..10000 (default 256)\n"
        "  fault DEVICE drop N | delay MS | soap CALL | reboot | clear\n"
        "  osadmin DEVICE      print the local $$OsAdmin password (CFG_GetLocalSystemAccount)\n");
}

/* -h or --help among a command's arguments: the usage, even without -d. */
static int wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            return 1;
        }
    }
    return 0;
}

static int parse_ulong(const char *s, unsigned long lo, unsigned long hi, unsigned long *out)
{
    char *end = NULL;
    unsigned long v;

    if (s == NULL || s[0] < '0' || s[0] > '9') {
        return -1;
    }
    v = strtoul(s, &end, 10);
    if (*end != '\0' || v < lo || v > hi) {
        return -1;
    }
    *out = v;
    return 0;
}

static int parse_double(const char *s, double lo, double hi, double *out)
{
    char *end = NULL;
    double v;

    if (s == NULL || s[0] == '\0') {
        return -1;
    }
    v = strtod(s, &end);
    if (*end != '\0' || !(v >= lo && v <= hi)) {
        return -1;
    }
    *out = v;
    return 0;
}

/*
 * A USB key with a setup.bin (protocol.md §7.1): the BIOS hands each machine
 * the next unconsumed record and writes the incremented DataRecordsConsumed
 * back to the file, unless header flag bit0 "do not consume records" is set,
 * in which case every machine takes record 1 and the file is left alone.
 */
struct sim_usb {
    char path[PATH_MAX];  /* the file itself (symlinks resolved): rewritten in place */
    struct scs_buf *raw;  /* the bytes read, to detect a concurrent change */
    mode_t mode;          /* kept when the file is rewritten */
    int no_consume;       /* header flag bit0 */
    uint32_t consumed;    /* DataRecordsConsumed as read */
    uint32_t consumed_to; /* ... after this create */
};

#define SIM_SETUPBIN_CONSUMED_OFF 32 /* header offset of DataRecordsConsumed (u32 LE) */

static void usb_free(struct sim_usb *u)
{
    scs_buf_free(u->raw); /* wiped: the file holds PPS values and passwords */
    u->raw = NULL;
}

/* Copy a record's (2,1)/(2,2) pair, (1,2) new MEBx password and (2,3) suffix. */
static int usb_record(const struct scs_setupbin_record *r, struct sim_psk_pair *p)
{
    struct scs_diag dg;
    int have_pid = 0, have_pps = 0;

    for (size_t k = 0; k < r->var_count; k++) {
        const struct scs_setupbin_var *v = &r->vars[k];

        if (v->module == 2 && v->id == 1 && v->len == SCS_PID_LEN) {
            memcpy(p->pid, v->value, SCS_PID_LEN);
            p->pid[SCS_PID_LEN] = '\0';
            have_pid = scs_pid_check(p->pid, SCS_PID_LEN, &dg) == 0;
        } else if (v->module == 2 && v->id == 2 && v->len == SCS_PPS_LEN) {
            memcpy(p->pps, v->value, SCS_PPS_LEN);
            p->pps[SCS_PPS_LEN] = '\0';
            have_pps = scs_pps_check(p->pps, SCS_PPS_LEN, &dg) == 0;
        } else if (v->module == 1 && v->id == 2 && v->len < sizeof(p->mebx_new)) {
            memcpy(p->mebx_new, v->value, v->len);
            p->mebx_new[v->len] = '\0';
        } else if (v->module == 2 && v->id == 3 && v->len < sizeof(p->dns_suffix)) {
            memcpy(p->dns_suffix, v->value, v->len);
            p->dns_suffix[v->len] = '\0';
        }
    }
    return have_pid && have_pps ? 0 : SCS_ERR_FORMAT;
}

/* Take the records for n devices from the setup.bin at path; nothing is written yet. */
static int usb_take(const char *path, unsigned n, struct sim_psk_pair *pairs, struct sim_usb *u)
{
    struct scs_setupbin *sb = NULL;
    struct scs_diag dg;
    struct stat st;
    char dir[PATH_MAX];
    char *slash;
    int rc;

    memset(u, 0, sizeof(*u));
    if (realpath(path, u->path) == NULL || stat(u->path, &st) != 0 || !S_ISREG(st.st_mode)) {
        fprintf(stderr, "amtsim: cannot read %s: %s\n", path, strerror(errno));
        return SCS_ERR_IO;
    }
    u->mode = st.st_mode & 07777;
    rc = scs_file_read(u->path, SCS_SETUPBIN_MAX_FILE_LEN, &u->raw);
    if (rc != 0) {
        fprintf(stderr, "amtsim: cannot read %s: %s\n", path, scs_strerror(rc));
        return rc;
    }
    rc = scs_setupbin_parse(scs_buf_data(u->raw), scs_buf_len(u->raw), &sb, &dg);
    if (rc != 0) {
        fprintf(stderr, "amtsim: %s: %s (offset %zu)\n", path, dg.reason, dg.offset);
        usb_free(u);
        return rc;
    }
    u->no_consume = (sb->flags & SCS_SETUPBIN_HDR_NO_CONSUME) != 0;
    u->consumed = sb->records_consumed;
    if (u->no_consume) {
        /* Firmware with "do not consume records" reuses record 1 on every machine. */
        if (sb->record_count == 0) {
            fprintf(stderr, "amtsim: %s has no records\n", path);
            rc = SCS_ERR_EXHAUSTED;
        }
        for (unsigned i = 0; rc == 0 && i < n; i++) {
            if (usb_record(&sb->records[0], &pairs[i]) != 0) {
                fprintf(stderr, "amtsim: %s record 1 has no valid PID/PPS\n", path);
                rc = SCS_ERR_FORMAT;
            }
        }
        u->consumed_to = u->consumed;
    } else if (u->consumed >= sb->record_count) {
        fprintf(stderr, "amtsim: %s: no records left (all %zu consumed)\n", path, sb->record_count);
        rc = SCS_ERR_EXHAUSTED;
    } else if (sb->record_count - u->consumed < n) {
        fprintf(stderr, "amtsim: %s: %zu unconsumed records for %u devices\n", path,
                sb->record_count - u->consumed, n);
        rc = SCS_ERR_EXHAUSTED;
    } else {
        for (unsigned i = 0; rc == 0 && i < n; i++) {
            if (usb_record(&sb->records[u->consumed + i], &pairs[i]) != 0) {
                fprintf(stderr, "amtsim: %s record %u has no valid PID/PPS\n", path,
                        u->consumed + i + 1);
                rc = SCS_ERR_FORMAT;
            }
        }
        u->consumed_to = u->consumed + n;
    }
    scs_setupbin_free(sb);
    /* The file is replaced by rename, so its directory must be writable: find
     * out now rather than after the devices exist. */
    snprintf(dir, sizeof(dir), "%s", u->path);
    slash = strrchr(dir, '/'); /* u->path came from realpath(): absolute */
    if (slash != NULL) {
        slash[slash == dir ? 1 : 0] = '\0';
    }
    if (rc == 0 && !u->no_consume && access(dir, W_OK) != 0) {
        fprintf(stderr, "amtsim: cannot update %s (directory not writable)\n", path);
        rc = SCS_ERR_IO;
    }
    if (rc != 0) {
        usb_free(u);
    }
    return rc;
}

/* Write the new DataRecordsConsumed back, atomically and with the file's mode. */
static int usb_commit(struct sim_usb *u)
{
    struct scs_buf *now = NULL;
    uint8_t *copy;
    size_t len = scs_buf_len(u->raw);
    int rc;

    if (u->no_consume || u->consumed_to == u->consumed) {
        return 0;
    }
    /* Another create from the same file in the meantime would hand out the
     * same records twice: refuse rather than overwrite its count. */
    rc = scs_file_read(u->path, SCS_SETUPBIN_MAX_FILE_LEN, &now);
    if (rc != 0 || scs_buf_len(now) != len ||
        memcmp(scs_buf_data(now), scs_buf_data(u->raw), len) != 0) {
        scs_buf_free(now);
        return rc != 0 ? rc : SCS_ERR_EXISTS;
    }
    scs_buf_free(now);
    copy = malloc(len);
    if (copy == NULL) {
        return SCS_ERR_NOMEM;
    }
    memcpy(copy, scs_buf_data(u->raw), len);
    copy[SIM_SETUPBIN_CONSUMED_OFF] = (uint8_t)(u->consumed_to & 0xFF);
    copy[SIM_SETUPBIN_CONSUMED_OFF + 1] = (uint8_t)((u->consumed_to >> 8) & 0xFF);
    copy[SIM_SETUPBIN_CONSUMED_OFF + 2] = (uint8_t)((u->consumed_to >> 16) & 0xFF);
    copy[SIM_SETUPBIN_CONSUMED_OFF + 3] = (uint8_t)((u->consumed_to >> 24) & 0xFF);
    rc = scs_file_write_atomic(u->path, copy, len, u->mode);
    scs_freezero(copy, len);
    return rc;
}

static int cmd_create(const char *dir, int argc, char **argv)
{
    static const struct option opts[] = {{"count", required_argument, NULL, 'n'},
                                         {"mode", required_argument, NULL, 'm'},
                                         {"usb", required_argument, NULL, 'u'},
                                         {"dns-suffix", required_argument, NULL, 's'},
                                         {"root-hash", required_argument, NULL, 'r'},
                                         {"otp", required_argument, NULL, 'o'},
                                         {"base-address", required_argument, NULL, 'b'},
                                         {"key-bits", required_argument, NULL, 'k'},
                                         {"fw-version", required_argument, NULL, 'f'},
                                         {NULL, 0, NULL, 0}};
    struct sim_create_opts co;
    struct sim_hash_entry roots[SIM_MAX_ROOTS];
    struct sim_psk_pair *pairs = NULL;
    struct sim_fleet *f = NULL;
    struct scs_diag dg;
    struct sim_usb u;
    const char *usb = NULL;
    unsigned long v;
    int ch, rc;

    memset(&co, 0, sizeof(co));
    memset(&u, 0, sizeof(u));
    co.key_bits = 2048;
    co.mode = SIM_MODE_NONE;
    (void)sim_addr_parse("127.1.0.1", &co.base_addr);
    co.extra_hashes = roots;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "n:", opts, NULL)) != -1) {
        switch (ch) {
        case 'n':
            if (parse_ulong(optarg, 1, SIM_MAX_CREATE, &v) != 0) {
                fprintf(stderr, "amtsim: -n wants 1..%d\n", SIM_MAX_CREATE);
                return 2;
            }
            co.n = (unsigned)v;
            break;
        case 'm':
            if (strcmp(optarg, "psk") == 0) {
                co.mode = SIM_MODE_PSK;
            } else if (strcmp(optarg, "pki") == 0) {
                co.mode = SIM_MODE_PKI;
            } else if (strcmp(optarg, "none") == 0) {
                co.mode = SIM_MODE_NONE;
            } else {
                fprintf(stderr, "amtsim: --mode is psk, pki or none\n");
                return 2;
            }
            break;
        case 'u':
            usb = optarg;
            break;
        case 's':
            if (strlen(optarg) > SIM_DNS_SUFFIX_MAX) {
                fprintf(stderr, "amtsim: --dns-suffix too long\n");
                return 2;
            }
            co.dns_suffix = optarg;
            break;
        case 'r': {
            size_t hl = strlen(optarg) / 2;
            struct sim_hash_entry *e = &roots[co.extra_hash_count];

            if (co.extra_hash_count >= SIM_MAX_ROOTS || (hl != 20 && hl != 32 && hl != 48) ||
                scs_hex_decode(e->data, hl, optarg, strlen(optarg)) != 0) {
                fprintf(stderr, "amtsim: --root-hash wants SHA-1/256/384 hex (at most %d)\n",
                        SIM_MAX_ROOTS);
                return 2;
            }
            e->alg = hl == 20 ? 1 : hl == 32 ? 2 : 3;
            e->len = (uint8_t)hl;
            co.extra_hash_count++;
            break;
        }
        case 'o':
            if (strlen(optarg) < 8 || strlen(optarg) > SIM_OTP_MAX) {
                fprintf(stderr, "amtsim: --otp wants 8..32 characters\n");
                return 2;
            }
            co.otp = optarg;
            break;
        case 'b':
            if (sim_addr_parse(optarg, &co.base_addr) != 0 || (co.base_addr >> 24) != 127) {
                fprintf(stderr, "amtsim: --base-address must be in 127.0.0.0/8\n");
                return 2;
            }
            co.base_given = 1;
            break;
        case 'k':
            if (parse_ulong(optarg, 1024, 4096, &v) != 0) {
                fprintf(stderr, "amtsim: --key-bits wants 1024..4096\n");
                return 2;
            }
            co.key_bits = (unsigned)v;
            break;
        case 'f':
            if (strlen(optarg) > SIM_FW_VERSION_MAX || strchr(optarg, ' ') != NULL) {
                fprintf(stderr, "amtsim: bad --fw-version\n");
                return 2;
            }
            co.fw_version = optarg;
            break;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (co.n == 0 || optind != argc) {
        usage(stderr);
        return 2;
    }
    if (co.mode == SIM_MODE_PKI && co.dns_suffix == NULL) {
        fprintf(stderr, "amtsim: --mode pki needs --dns-suffix\n");
        return 2;
    }
    if (usb != NULL && co.mode != SIM_MODE_PSK) {
        fprintf(stderr, "amtsim: --usb goes with --mode psk\n");
        return 2;
    }
    if (co.mode == SIM_MODE_PSK) {
        pairs = calloc(co.n, sizeof(*pairs));
        if (pairs == NULL) {
            return 1;
        }
        if (usb != NULL) {
            rc = usb_take(usb, co.n, pairs, &u);
            if (rc != 0) {
                scs_freezero(pairs, co.n * sizeof(*pairs));
                return 1;
            }
        } else {
            /* No USB key: a fresh pair per device, as if typed into MEBx. */
            for (unsigned i = 0; i < co.n; i++) {
                struct scs_secret *pps = NULL;

                if (scs_pid_generate(pairs[i].pid) != 0 || scs_pps_generate(&pps) != 0) {
                    scs_freezero(pairs, co.n * sizeof(*pairs));
                    return 1;
                }
                memcpy(pairs[i].pps, scs_secret_str(pps), SCS_PPS_LEN + 1);
                scs_secret_free(pps);
            }
        }
        co.pairs = pairs;
        co.pair_count = co.n;
    }
    rc = sim_fleet_load(dir, &f);
    if (rc == 0) {
        rc = sim_fleet_create(f, &co, &dg);
        if (rc != 0) {
            fprintf(stderr, "amtsim: create: %s\n", dg.reason);
        }
    } else {
        fprintf(stderr, "amtsim: cannot load %s: %s\n", dir, scs_strerror(rc));
    }
    if (rc == 0 && usb != NULL) {
        /* Only now are the records used: a failed create consumes nothing. */
        rc = usb_commit(&u);
        if (rc != 0) {
            fprintf(stderr,
                    "amtsim: devices created, but %s could not be updated (%s): "
                    "its records would be handed out again\n",
                    usb, rc == SCS_ERR_EXISTS ? "changed meanwhile" : scs_strerror(rc));
        }
    }
    usb_free(&u);
    if (pairs != NULL) {
        scs_freezero(pairs, co.n * sizeof(*pairs));
    }
    if (rc == 0) {
        printf("created %u devices in %s (%u total)\n", co.n, dir, f->count);
        if (usb != NULL) {
            if (u.no_consume) {
                printf("%s: records not consumed (header flag); record 1 used\n", usb);
            } else {
                printf("%s: records %u-%u consumed\n", usb, u.consumed + 1, u.consumed_to);
            }
        }
    }
    sim_fleet_free(f);
    return rc == 0 ? 0 : 1;
}

static int cmd_status(const char *dir, int argc, char **argv)
{
    struct sim_fleet *f = NULL;
    struct scs_buf *b;
    int json = 0, rc;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0) {
            json = 1;
        } else {
            usage(stderr);
            return 2;
        }
    }
    rc = sim_fleet_load(dir, &f);
    if (rc != 0) {
        fprintf(stderr, "amtsim: cannot load %s: %s\n", dir, scs_strerror(rc));
        return 1;
    }
    b = scs_buf_new(64u * 1024 * 1024);
    if (b == NULL) {
        sim_fleet_free(f);
        return 1;
    }
    rc = json ? sim_fleet_status_json(f, b) : sim_fleet_status_text(f, b);
    if (rc == 0) {
        fwrite(scs_buf_data(b), 1, scs_buf_len(b), stdout);
    }
    scs_buf_free(b);
    sim_fleet_free(f);
    return rc == 0 ? 0 : 1;
}

static int parse_server(const char *s, uint32_t *addr, uint16_t *port)
{
    char host[64];
    const char *colon = strrchr(s, ':');
    unsigned long p = 9971;
    size_t hl = colon != NULL ? (size_t)(colon - s) : strlen(s);

    if (hl == 0 || hl >= sizeof(host)) {
        return -1;
    }
    memcpy(host, s, hl);
    host[hl] = '\0';
    if (colon != NULL && parse_ulong(colon + 1, 1, 65535, &p) != 0) {
        return -1;
    }
    if (strcmp(host, "localhost") == 0) {
        memcpy(host, "127.0.0.1", 10);
    }
    /* The simulator only ever talks to loopback addresses. */
    if (sim_addr_parse(host, addr) != 0 || (*addr >> 24) != 127) {
        return -1;
    }
    *port = (uint16_t)p;
    return 0;
}

static int cmd_run(const char *dir, int argc, char **argv)
{
    static const struct option opts[] = {{"server", required_argument, NULL, 's'},
                                         {"time-scale", required_argument, NULL, 'k'},
                                         {"tls-port", required_argument, NULL, 't'},
                                         {"http-port", required_argument, NULL, 'h'},
                                         {"local-port", required_argument, NULL, 'l'},
                                         {"first-window", required_argument, NULL, 'F'},
                                         {"restart-window", required_argument, NULL, 'R'},
                                         {"duration", required_argument, NULL, 'D'},
                                         {"max-in-flight", required_argument, NULL, 'M'},
                                         {NULL, 0, NULL, 0}};
    struct sim_run_opts ro;
    struct sim_fleet *f = NULL;
    unsigned long v;
    int ch, rc;

    memset(&ro, 0, sizeof(ro));
    ro.time_scale = 1;
    ro.tls_port = 16993;
    ro.http_port = 16992;
    ro.first_window_h = 24;
    ro.restart_window_h = 6;
    ro.max_hellos_in_flight = 256;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (ch) {
        case 's':
            if (parse_server(optarg, &ro.server_addr, &ro.server_port) != 0) {
                fprintf(stderr, "amtsim: --server wants a 127.x.y.z address[:port]\n");
                return 2;
            }
            break;
        case 'k':
            if (parse_double(optarg, 0.001, 1e9, &ro.time_scale) != 0) {
                fprintf(stderr, "amtsim: bad --time-scale\n");
                return 2;
            }
            break;
        case 't':
        case 'h':
        case 'l':
            if (parse_ulong(optarg, 0, 65535, &v) != 0) {
                fprintf(stderr, "amtsim: bad port\n");
                return 2;
            }
            if (ch == 't') {
                ro.tls_port = (uint16_t)v;
            } else if (ch == 'h') {
                ro.http_port = (uint16_t)v;
            } else {
                ro.local_port = (uint16_t)v;
            }
            break;
        case 'F':
            if (parse_double(optarg, 0, 255, &ro.first_window_h) != 0) {
                fprintf(stderr, "amtsim: bad --first-window\n");
                return 2;
            }
            break;
        case 'R':
            if (parse_double(optarg, 0, 255, &ro.restart_window_h) != 0) {
                fprintf(stderr, "amtsim: bad --restart-window\n");
                return 2;
            }
            break;
        case 'D':
            if (parse_double(optarg, 0, 1e7, &ro.run_seconds) != 0) {
                fprintf(stderr, "amtsim: bad --duration\n");
                return 2;
            }
            break;
        case 'M':
            if (parse_ulong(optarg, 1, 10000, &v) != 0) {
                fprintf(stderr, "amtsim: bad --max-in-flight\n");
                return 2;
            }
            ro.max_hellos_in_flight = (unsigned)v;
            break;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind != argc) {
        usage(stderr);
        return 2;
    }
    rc = sim_fleet_load(dir, &f);
    if (rc != 0) {
        fprintf(stderr, "amtsim: cannot load %s: %s\n", dir, scs_strerror(rc));
        return 1;
    }
    if (f->count == 0) {
        fprintf(stderr, "amtsim: no devices in %s (use create)\n", dir);
        sim_fleet_free(f);
        return 1;
    }
    rc = sim_run(f, &ro);
    sim_fleet_free(f);
    if (rc != 0) {
        fprintf(stderr, "amtsim: run: %s\n", scs_strerror(rc));
    }
    return rc == 0 ? 0 : 1;
}

static int cmd_fault(const char *dir, int argc, char **argv)
{
    struct sim_fleet *f = NULL;
    struct sim_device *d;
    struct sim_faults fl;
    char path[600], pidpath[512];
    struct scs_buf *pb = NULL;
    unsigned long v = 0;
    int rc;

    if (argc < 3) {
        usage(stderr);
        return 2;
    }
    rc = sim_fleet_load(dir, &f);
    if (rc != 0 || (d = sim_fleet_find(f, argv[1])) == NULL) {
        fprintf(stderr, "amtsim: no device %s in %s\n", argv[1], dir);
        sim_fleet_free(f);
        return 1;
    }
    sim_faults_path(d->path, path, sizeof(path));
    if (sim_faults_read(path, &fl) != 0) {
        memset(&fl, 0, sizeof(fl));
    }
    fl.seq++;
    fl.drop_set = 0;
    fl.reboot = 0;
    if (strcmp(argv[2], "drop") == 0 && argc == 4 && parse_ulong(argv[3], 0, 1000000, &v) == 0) {
        fl.drop_set = 1;
        fl.drop_after = (unsigned)v;
    } else if (strcmp(argv[2], "delay") == 0 && argc == 4 &&
               parse_ulong(argv[3], 0, 600000, &v) == 0) {
        fl.delay_ms = (unsigned)v;
    } else if (strcmp(argv[2], "soap") == 0 && argc == 4 &&
               strlen(argv[3]) < sizeof(fl.soap_call) && strchr(argv[3], '\n') == NULL) {
        snprintf(fl.soap_call, sizeof(fl.soap_call), "%s", argv[3]);
    } else if (strcmp(argv[2], "reboot") == 0 && argc == 3) {
        fl.reboot = 1;
    } else if (strcmp(argv[2], "clear") == 0 && argc == 3) {
        fl.delay_ms = 0;
        fl.soap_call[0] = '\0';
    } else {
        usage(stderr);
        sim_fleet_free(f);
        return 2;
    }
    rc = sim_faults_write(path, &fl);
    sim_fleet_free(f);
    if (rc != 0) {
        fprintf(stderr, "amtsim: cannot write %s\n", path);
        return 1;
    }
    /* Tell a running amtsim to read the fault files again. */
    snprintf(pidpath, sizeof(pidpath), "%s/amtsim.pid", dir);
    if (scs_file_read(pidpath, 32, &pb) == 0) {
        char t[33];
        unsigned long pid = 0;
        size_t n = scs_buf_len(pb);

        memcpy(t, scs_buf_data(pb), n);
        t[n] = '\0';
        if (n > 0 && t[n - 1] == '\n') {
            t[n - 1] = '\0';
        }
        if (parse_ulong(t, 2, 4194304, &pid) == 0 && kill((pid_t)pid, SIGHUP) == 0) {
            printf("fault set; amtsim (pid %lu) notified\n", pid);
        } else {
            printf("fault set; no running amtsim notified\n");
        }
        scs_buf_free(pb);
    } else {
        printf("fault set; it applies when amtsim runs\n");
    }
    return 0;
}

static int cmd_osadmin(const char *dir, int argc, char **argv)
{
    struct sim_fleet *f = NULL;
    struct sim_device *d;

    if (argc != 2) {
        usage(stderr);
        return 2;
    }
    if (sim_fleet_load(dir, &f) != 0 || (d = sim_fleet_find(f, argv[1])) == NULL) {
        fprintf(stderr, "amtsim: no device %s in %s\n", argv[1], dir);
        sim_fleet_free(f);
        return 1;
    }
    /* What a local agent gets from PTHI CFG_GetLocalSystemAccount (§6.3). */
    printf("$$OsAdmin %s\n", d->osadmin_pw);
    sim_fleet_free(f);
    return 0;
}

int main(int argc, char **argv)
{
    const char *dir = NULL;
    enum scs_log_level lvl = SCS_LOG_INFO;
    int i = 1, rc;

    while (i < argc && argv[i][0] == '-') {
        if (strcmp(argv[i], "-d") == 0 && i + 1 < argc) {
            dir = argv[i + 1];
            i += 2;
        } else if (strcmp(argv[i], "-v") == 0) {
            lvl = SCS_LOG_DEBUG;
            i++;
        } else if (strcmp(argv[i], "-q") == 0) {
            lvl = SCS_LOG_WARN;
            i++;
        } else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            usage(stdout);
            return 0;
        } else {
            usage(stderr);
            return 2;
        }
    }
    if (i < argc && wants_help(argc - i, argv + i)) {
        usage(stdout);
        return 0;
    }
    if (dir == NULL || i >= argc) {
        usage(stderr);
        return 2;
    }
    scs_log_init("amtsim", lvl);
    xmlInitParser();
    if (sim_x509_init() != 0 || sim_digest_init() != 0) {
        fprintf(stderr, "amtsim: crypto initialisation failed\n");
        return 1;
    }
    argc -= i;
    argv += i;
    if (strcmp(argv[0], "create") == 0) {
        rc = cmd_create(dir, argc, argv);
    } else if (strcmp(argv[0], "status") == 0) {
        rc = cmd_status(dir, argc, argv);
    } else if (strcmp(argv[0], "run") == 0) {
        rc = cmd_run(dir, argc, argv);
    } else if (strcmp(argv[0], "fault") == 0) {
        rc = cmd_fault(dir, argc, argv);
    } else if (strcmp(argv[0], "osadmin") == 0) {
        rc = cmd_osadmin(dir, argc, argv);
    } else {
        usage(stderr);
        rc = 2;
    }
    xmlCleanupParser();
    return rc;
}
