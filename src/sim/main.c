/*
 * amtsim: a fleet of simulated Intel AMT devices (docs/amtsim.md).
 *
 *   amtsim -d DIR create -n N --mode psk --usb FILE
 *   amtsim -d DIR create -n N --mode pki --dns-suffix D [--root-hash HEX]... [--otp OTP]
 *   amtsim -d DIR status [--json]
 *   amtsim -d DIR run --server HOST[:PORT] [--time-scale K] [--tls-port P] [--http-port P]
 *   amtsim -d DIR fault DEVICE drop N | delay MS | soap CALL | reboot | clear
 *   amtsim -d DIR osadmin DEVICE
 */
#include <getopt.h>
#include <libxml/parser.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
        "usage: amtsim -d DIR [-v] COMMAND ...\n"
        "  create -n N --mode psk|pki|none [--usb FILE] [--dns-suffix D]\n"
        "         [--root-hash HEX]... [--otp OTP] [--base-address 127.x.y.z]\n"
        "         [--key-bits B] [--fw-version V]\n"
        "  status [--json]\n"
        "  run --server HOST[:PORT] [--time-scale K] [--tls-port P] [--http-port P]\n"
        "      [--local-port P] [--first-window H] [--restart-window H] [--duration S]\n"
        "  fault DEVICE drop N | delay MS | soap CALL | reboot | clear\n"
        "  osadmin DEVICE      print the local $$OsAdmin password (CFG_GetLocalSystemAccount)\n");
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

/* PID/PPS (and per-record settings) from a setup.bin, record i for device i. */
static int load_usb(const char *path, unsigned n, struct sim_psk_pair *pairs, char *mebx,
                    size_t mebx_cap, char *suffix, size_t suffix_cap)
{
    struct scs_buf *b = NULL;
    struct scs_setupbin *sb = NULL;
    struct scs_diag dg;
    int rc = scs_file_read(path, SCS_SETUPBIN_MAX_FILE_LEN, &b);

    if (rc != 0) {
        fprintf(stderr, "amtsim: cannot read %s: %s\n", path, scs_strerror(rc));
        return rc;
    }
    rc = scs_setupbin_parse(scs_buf_data(b), scs_buf_len(b), &sb, &dg);
    scs_buf_free(b);
    if (rc != 0) {
        fprintf(stderr, "amtsim: %s: %s (offset %zu)\n", path, dg.reason, dg.offset);
        return rc;
    }
    if (sb->record_count < n) {
        fprintf(stderr, "amtsim: %s has %zu records for %u devices\n", path, sb->record_count, n);
        scs_setupbin_free(sb);
        return SCS_ERR_INVALID_ARG;
    }
    for (unsigned i = 0; i < n; i++) {
        const struct scs_setupbin_record *r = &sb->records[i];
        int have_pid = 0, have_pps = 0;

        for (size_t k = 0; k < r->var_count; k++) {
            const struct scs_setupbin_var *v = &r->vars[k];

            if (v->module == 2 && v->id == 1 && v->len == SCS_PID_LEN) {
                memcpy(pairs[i].pid, v->value, SCS_PID_LEN);
                pairs[i].pid[SCS_PID_LEN] = '\0';
                have_pid = scs_pid_check(pairs[i].pid, SCS_PID_LEN, &dg) == 0;
            } else if (v->module == 2 && v->id == 2 && v->len == SCS_PPS_LEN) {
                memcpy(pairs[i].pps, v->value, SCS_PPS_LEN);
                pairs[i].pps[SCS_PPS_LEN] = '\0';
                have_pps = scs_pps_check(pairs[i].pps, SCS_PPS_LEN, &dg) == 0;
            } else if (i == 0 && v->module == 1 && v->id == 2 && v->len < mebx_cap) {
                memcpy(mebx, v->value, v->len);
                mebx[v->len] = '\0';
            } else if (i == 0 && v->module == 2 && v->id == 3 && v->len < suffix_cap) {
                memcpy(suffix, v->value, v->len);
                suffix[v->len] = '\0';
            }
        }
        if (!have_pid || !have_pps) {
            fprintf(stderr, "amtsim: %s record %u has no valid PID/PPS\n", path, i + 1);
            scs_setupbin_free(sb);
            return SCS_ERR_FORMAT;
        }
    }
    scs_setupbin_free(sb);
    return 0;
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
    const char *usb = NULL;
    char mebx[64] = "", suffix[SIM_DNS_SUFFIX_MAX + 1] = "";
    unsigned long v;
    int ch, rc;

    memset(&co, 0, sizeof(co));
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
            rc = load_usb(usb, co.n, pairs, mebx, sizeof(mebx), suffix, sizeof(suffix));
            if (rc != 0) {
                scs_freezero(pairs, co.n * sizeof(*pairs));
                return 1;
            }
            if (mebx[0] != '\0') {
                co.mebx_password = mebx;
            }
            if (co.dns_suffix == NULL && suffix[0] != '\0') {
                co.dns_suffix = suffix;
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
    if (pairs != NULL) {
        scs_freezero(pairs, co.n * sizeof(*pairs));
    }
    scs_wipe(mebx, sizeof(mebx));
    if (rc == 0) {
        printf("created %u devices in %s (%u total)\n", co.n, dir, f->count);
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
