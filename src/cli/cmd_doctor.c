/*
 * scsctl doctor: would this device provision, and if not, why?
 *
 * From a captured Hello it checks what scsd checks, against the same data
 * directory: a device already provisioned is ignored; a PSK Hello needs its
 * PID in the pool, assigned, and not to another device; a PKI Hello needs a
 * stored chain whose root hash the device carries, a domain that fits the
 * device's DNS suffix (given with --dns-suffix, since the Hello does not carry
 * it), and an OTP when the profile requires one.  For a known device it
 * explains the registry's record.  It reads only; it changes nothing.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cli/cli.h"
#include "common/buf.h"
#include "common/encoding.h"
#include "common/err.h"
#include "common/fileio.h"
#include "common/json.h"
#include "common/secmem.h"
#include "formats/hello.h"
#include "formats/pidpps.h"
#include "psk/pool.h"
#include "registry/registry.h"

#define DOCTOR_MAX_CERTS 64

enum doctor_level { DOC_OK, DOC_NOTE, DOC_FAIL };

struct doctor {
    struct scs_buf *text; /* the report, one line per finding */
    struct scs_json j;    /* or the findings as JSON */
    int json;
    unsigned fails;
};

static void finding(struct doctor *d, enum doctor_level lv, const char *check, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void finding(struct doctor *d, enum doctor_level lv, const char *check, const char *fmt, ...)
{
    static const char *const tag[] = {"ok", "note", "FAIL"};
    char msg[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (lv == DOC_FAIL) {
        d->fails++;
    }
    if (d->json) {
        scs_json_obj_begin(&d->j);
        scs_json_kv_str(&d->j, "check", check);
        scs_json_kv_str(&d->j, "result", tag[lv]);
        scs_json_kv_str(&d->j, "detail", msg);
        scs_json_obj_end(&d->j);
    } else {
        scs_buf_printf(d->text, "%-4s  %-12s %s\n", tag[lv], check, msg);
    }
}

/* The §5.1 domain rule on names (as tls_identity_domain_matches applies it to a leaf):
 * suffix == name, suffix ends with "." + name, or name ends with "." + suffix. */
static int ends_with_dot(const char *s, const char *tail)
{
    size_t ls = strlen(s), lt = strlen(tail);
    return ls > lt && s[ls - lt - 1] == '.' && strcasecmp(s + ls - lt, tail) == 0;
}

static int domain_fits(const char *name, const char *suffix)
{
    return strcasecmp(name, suffix) == 0 || ends_with_dot(suffix, name) ||
           ends_with_dot(name, suffix);
}

/* ---- the profile and device record -------------------------------------- */

static void check_profile(struct doctor *d, struct scs_pool *p, const struct scs_device *dev,
                          int known, struct scs_profile *prof)
{
    const char *name = known && dev->profile[0] ? dev->profile : SCS_PROFILE_DEFAULT;
    struct scs_secret *s = NULL;
    int r = scs_profile_get(p, name, prof);

    if (r == SCS_ERR_NOT_FOUND) {
        scs_profile_defaults(prof, name);
        finding(d, DOC_NOTE, "profile",
                "profile '%s' is not in the store; scsd uses its built-in settings", name);
        return;
    }
    if (r != 0) {
        finding(d, DOC_FAIL, "profile", "cannot read profile '%s': %s", name, scs_strerror(r));
        return;
    }
    finding(d, DOC_OK, "profile", "profile '%s' (otp %s, tls %s)", name,
            prof->require_otp ? "on" : "off", prof->configure_tls ? "on" : "off");
    if (!prof->admin_password_random) {
        if (scs_profile_secret_get(p, name, "admin_password", &s) != 0) {
            finding(d, DOC_FAIL, "profile",
                    "profile '%s' uses a fixed admin password but none is stored", name);
        }
        scs_secret_free(s);
        s = NULL;
    }
    if (prof->set_mebx_password && !prof->mebx_password_random) {
        if (scs_profile_secret_get(p, name, "mebx_password", &s) != 0) {
            finding(d, DOC_FAIL, "profile",
                    "profile '%s' sets a fixed MEBx password but none is stored", name);
        }
        scs_secret_free(s);
    }
    if (prof->configure_tls) {
        r = scs_ca_get(p, NULL, NULL);
        if (r != 0) {
            finding(d, DOC_FAIL, "ca",
                    "profile '%s' turns TLS on but the server has no CA (run 'scsctl init')", name);
        }
    }
}

/* Where the registry's record leaves the device; 1 when scsd would ignore it. */
static int check_record(struct doctor *d, const struct scs_device *dev, int known)
{
    char when[32];

    if (!known) {
        finding(d, DOC_NOTE, "device", "not in the registry yet (no Hello received)");
        return 0;
    }
    cli_fmt_time(dev->last_hello, when);
    switch (dev->state) {
    case SCS_DEVICE_PROVISIONED:
        finding(d, DOC_FAIL, "device",
                "already provisioned by this server; scsd ignores its Hellos (use 'scsctl "
                "device unprovision' to provision it again)");
        return 1;
    case SCS_DEVICE_FAILED:
    case SCS_DEVICE_REFUSED:
        finding(d, DOC_NOTE, "device", "%s after %u attempt(s), last Hello %s: %s",
                scs_device_state_name(dev->state), dev->attempts, when,
                dev->last_error[0] ? dev->last_error : "no reason recorded");
        return 0;
    case SCS_DEVICE_PROVISIONING:
        finding(d, DOC_NOTE, "device",
                "a session was running at step '%s' (resumed or retried on its next Hello)",
                dev->step[0] ? dev->step : "start");
        return 0;
    case SCS_DEVICE_UNPROVISIONED:
        finding(d, DOC_NOTE, "device",
                "marked unprovisioned; it is provisioned again on its next Hello");
        return 0;
    case SCS_DEVICE_SEEN:
        finding(d, DOC_OK, "device", "seen, nothing attempted yet");
        return 0;
    default:
        finding(d, DOC_NOTE, "device", "in an unknown state %d", (int)dev->state);
        return 0;
    }
}

/* ---- PSK Hello --------------------------------------------------------- */

static void check_psk(struct doctor *d, struct scs_pool *p, const struct scs_hello *h,
                      const char *uuid)
{
    char pid[SCS_PID_LEN + 1], text[SCS_PID_TEXT_LEN + 1], mine[128];
    struct scs_psk_entry e;
    int r;

    memcpy(pid, h->pid, SCS_PID_LEN);
    pid[SCS_PID_LEN] = 0;
    scs_pid_format(pid, text);
    if (!scs_hello_pid_check_ok(h)) {
        finding(d, DOC_FAIL, "pid", "PID %s has a wrong check character (damaged setup.bin?)",
                text);
        return;
    }
    r = scs_pool_lookup(p, pid, 0, &e);
    if (r == SCS_ERR_NOT_FOUND) {
        finding(d, DOC_FAIL, "pid", "unknown PID %s: it is not in this server's pool", text);
        return;
    }
    if (r != 0) {
        finding(d, DOC_FAIL, "pid", "cannot look up PID %s: %s", text, scs_strerror(r));
        return;
    }
    if (e.state != SCS_PSK_ASSIGNED) {
        finding(d, DOC_FAIL, "pid", "PID %s is %s, not assigned", text,
                scs_psk_state_name(e.state));
        scs_psk_entry_clear(&e);
        return;
    }
    snprintf(mine, sizeof(mine), "device:%s", uuid);
    if (strncmp(e.assignee, "device:", 7) == 0 && strcmp(e.assignee, mine) != 0) {
        finding(d, DOC_FAIL, "pid", "PID %s is assigned to another device (%s)", text, e.assignee);
    } else {
        finding(d, DOC_OK, "pid", "PID %s is assigned (%s)", text, e.assignee);
    }
    scs_psk_entry_clear(&e);
}

/* ---- PKI Hello --------------------------------------------------------- */

struct cert_set {
    struct scs_cert_entry e[DOCTOR_MAX_CERTS];
    size_t n;
};

static int collect_cert(void *arg, const struct scs_cert_entry *e)
{
    struct cert_set *s = arg;

    if (s->n < DOCTOR_MAX_CERTS) {
        s->e[s->n++] = *e;
    }
    return 0;
}

/* The name of the Hello hash that equals the entry's root hash, or NULL. */
static const char *root_match(const struct scs_hello *h, const struct scs_cert_entry *e)
{
    for (unsigned i = 0; i < h->hash_count; i++) {
        const struct scs_hello_hash *hh = &h->hashes[i];
        const char *want = hh->alg == SCS_HASH_SHA1     ? e->root_sha1
                           : hh->alg == SCS_HASH_SHA256 ? e->root_sha256
                           : hh->alg == SCS_HASH_SHA384 ? e->root_sha384
                                                        : NULL;
        char hex[2 * 48 + 1];

        if (want == NULL) {
            continue;
        }
        scs_hex_encode(hex, hh->data, hh->len);
        if (strcmp(hex, want) == 0) {
            return scs_hash_alg_name(hh->alg);
        }
    }
    return NULL;
}

static void check_pki(struct doctor *d, struct scs_pool *p, const struct scs_hello *h,
                      const char *uuid, const char *dns_suffix, const struct scs_profile *prof)
{
    struct cert_set *cs = calloc(1, sizeof(*cs));
    size_t matched = 0, usable = 0, domain_ok = 0;
    time_t now = time(NULL);
    struct scs_secret *otp = NULL;
    int r;

    if (cs == NULL) {
        finding(d, DOC_FAIL, "certs", "out of memory");
        return;
    }
    if ((r = scs_cert_list(p, collect_cert, cs)) != 0) {
        finding(d, DOC_FAIL, "certs", "cannot list the certificates: %s", scs_strerror(r));
        free(cs);
        return;
    }
    if (cs->n == 0) {
        finding(d, DOC_FAIL, "certs",
                "no provisioning certificates are stored (scsctl cert add); a PKI Hello "
                "cannot be answered");
        free(cs);
        return;
    }
    for (size_t i = 0; i < cs->n; i++) {
        const struct scs_cert_entry *e = &cs->e[i];
        const char *alg = root_match(h, e);
        if (alg == NULL) {
            continue;
        }
        matched++;
        if (e->not_after < (int64_t)now) {
            finding(d, DOC_NOTE, "root",
                    "'%s' (domain %s): root trusted by the device (%s), but "
                    "the certificate has expired",
                    e->name, e->domain, alg);
            continue;
        }
        usable++;
        finding(d, DOC_OK, "root", "'%s' (domain %s): root trusted by the device (%s)%s%s", e->name,
                e->domain, alg, e->subnets[0] ? ", only for subnets " : "", e->subnets);
        if (dns_suffix != NULL) {
            if (domain_fits(e->domain, dns_suffix)) {
                domain_ok++;
                finding(d, DOC_OK, "domain", "'%s' serves %s, which fits the DNS suffix %s",
                        e->name, e->domain, dns_suffix);
            } else {
                finding(d, DOC_NOTE, "domain",
                        "'%s' serves %s, which does not fit the DNS suffix %s", e->name, e->domain,
                        dns_suffix);
            }
        }
    }
    if (matched == 0) {
        finding(d, DOC_FAIL, "root",
                "none of the %zu stored certificates has a root among the %u hashes the device "
                "trusts (scsctl hello decode shows them)",
                cs->n, h->hash_count);
    } else if (usable == 0) {
        finding(d, DOC_FAIL, "root", "every certificate the device would trust has expired");
    } else if (dns_suffix == NULL) {
        finding(d, DOC_NOTE, "domain",
                "the Hello does not carry the device's DNS suffix (DHCP option 15); give "
                "--dns-suffix to check it against the certificate's domain");
    } else if (domain_ok == 0) {
        finding(d, DOC_FAIL, "domain",
                "no trusted certificate serves the DNS suffix %s; the device would reject the "
                "server's certificate",
                dns_suffix);
    }
    if (usable > 1) {
        finding(d, DOC_NOTE, "root",
                "%zu certificates fit; scsd tells them apart by subnet mapping or the device's "
                "DNS name and refuses the device if neither does",
                usable);
    }
    free(cs);
    if (prof->require_otp) {
        r = scs_device_secret_get(p, uuid, "otp", &otp);
        scs_secret_free(otp);
        if (r == SCS_ERR_NOT_FOUND) {
            finding(d, DOC_FAIL, "otp",
                    "profile '%s' requires an OTP but none is recorded (scsctl otp set %s)",
                    prof->name, uuid);
        } else if (r != 0) {
            finding(d, DOC_FAIL, "otp", "cannot read the recorded OTP: %s", scs_strerror(r));
        } else {
            finding(d, DOC_OK, "otp", "an OTP is recorded (the device must report the same one)");
        }
    }
}

/* ---- the command ------------------------------------------------------- */

static void doctor_help(void)
{
    printf("Usage: scsctl [-d DIR] doctor HELLOFILE [--dns-suffix S] [--json]\n"
           "       scsctl [-d DIR] doctor --device UUID [--json]\n"
           "\n"
           "Explain whether a device would be provisioned by this server, and why not.\n"
           "\n"
           "With a Hello captured from the device (the bytes sent to port 9971; '-' reads\n"
           "standard input): whether the device is already provisioned; for a PSK Hello,\n"
           "whether its PID is in the pool and assigned; for a PKI Hello, which stored\n"
           "certificate roots match the device's trusted hashes, whether their domain fits\n"
           "the device's DNS suffix (--dns-suffix S: the Hello does not carry it), and\n"
           "whether an OTP is recorded when the profile requires one.\n"
           "\n"
           "With --device UUID: the registry's record: state, path, last error, and what\n"
           "happens on the device's next Hello.\n"
           "\n"
           "Every finding is a line: ok, note or FAIL, the check, and plain words.\n"
           "--json prints {\"uuid\", \"would_provision\", \"findings\": [{check, result,\n"
           "detail}]}.\n"
           "\n"
           "Exit codes: 0 would provision, 1 would not (the FAIL lines say why), 2 usage\n"
           "error, 3 malformed Hello, 4 store not initialised or unknown device, 5 I/O or\n"
           "database failure.\n");
}

static int doctor_hello(struct doctor *d, struct scs_pool *p, const char *file,
                        const char *dns_suffix, char uuid[static SCS_UUID_TEXT_LEN + 1])
{
    struct scs_buf *raw = NULL;
    struct scs_hello *h = calloc(1, sizeof(*h));
    struct scs_device dev;
    struct scs_profile prof;
    struct scs_diag diag;
    int r, known;

    if (h == NULL) {
        return cli_fail(SCS_ERR_NOMEM, "doctor");
    }
    if ((r = scs_file_read(file, SCS_HELLO_MAX_LEN, &raw)) != 0) {
        free(h);
        if (r == SCS_ERR_TOO_LARGE) {
            cli_error("%s is not a Hello: longer than %d bytes", file, SCS_HELLO_MAX_LEN);
            return CLI_DATA;
        }
        return cli_fail(r, "cannot read %s", file);
    }
    scs_diag_clear(&diag);
    r = scs_hello_parse(scs_buf_data(raw), scs_buf_len(raw), h, &diag);
    scs_buf_free(raw);
    if (r != 0) {
        free(h);
        if (diag.has_offset) {
            cli_error("%s is not a valid Hello: at byte %zu: %s", file, diag.offset, diag.reason);
        } else {
            cli_error("%s is not a valid Hello: %s", file, diag.reason);
        }
        return CLI_DATA;
    }
    scs_uuid_to_text(h->uuid, uuid);
    finding(d, DOC_OK, "hello", "%s Hello from %s (retry %lu)",
            h->version == SCS_HELLO_VERSION_PSK ? "PSK" : "PKI", uuid,
            (unsigned long)h->retry_count);
    r = scs_device_get(p, uuid, &dev);
    known = r == 0;
    if (r != 0 && r != SCS_ERR_NOT_FOUND) {
        finding(d, DOC_FAIL, "device", "cannot read the registry: %s", scs_strerror(r));
    }
    if (check_record(d, &dev, known)) {
        free(h);
        return CLI_OK;
    }
    check_profile(d, p, &dev, known, &prof);
    if (h->version == SCS_HELLO_VERSION_PSK) {
        check_psk(d, p, h, uuid);
    } else {
        check_pki(d, p, h, uuid, dns_suffix, &prof);
    }
    free(h);
    return CLI_OK;
}

static int doctor_device(struct doctor *d, struct scs_pool *p, const char *uuid)
{
    struct scs_device dev;
    struct scs_profile prof;
    int r = scs_device_get(p, uuid, &dev);

    if (r == SCS_ERR_NOT_FOUND) {
        cli_error("no device %s in the registry (no Hello received; 'doctor HELLOFILE' checks a "
                  "captured Hello)",
                  uuid);
        return CLI_STATE;
    }
    if (r != 0) {
        return cli_fail(r, "cannot read device %s", uuid);
    }
    if (dev.path != SCS_PATH_NONE) {
        finding(d, DOC_NOTE, "path", "%s, from %s, firmware %s",
                dev.path == SCS_PATH_PSK ? "PSK (one-touch)" : "PKI (remote configuration)",
                dev.address[0] ? dev.address : "unknown address",
                dev.fw_version[0] ? dev.fw_version : "unknown");
    }
    if (check_record(d, &dev, 1)) {
        return CLI_OK;
    }
    check_profile(d, p, &dev, 1, &prof);
    if (dev.path == SCS_PATH_PKI && prof.require_otp) {
        struct scs_secret *otp = NULL;
        r = scs_device_secret_get(p, uuid, "otp", &otp);
        scs_secret_free(otp);
        if (r != 0) {
            finding(d, DOC_FAIL, "otp",
                    "profile '%s' requires an OTP but none is recorded (scsctl otp set %s)",
                    prof.name, uuid);
        }
    }
    finding(d, DOC_NOTE, "window",
            "the device answers only while its provisioning window is open (Hellos stop "
            "when it closes, 6 hours on many OEM systems); a local agent, a partial "
            "unprovision in the MEBx or a power cycle opens it again");
    if (dev.state == SCS_DEVICE_FAILED || dev.state == SCS_DEVICE_REFUSED) {
        finding(d, DOC_NOTE, "retry",
                "scsd retries on the device's next Hello; 'scsctl doctor HELLOFILE' on a "
                "captured Hello checks the PID or certificate roots");
    }
    return CLI_OK;
}

int cmd_doctor(struct cli_ctx *ctx, int argc, char **argv)
{
    static const struct option opts[] = {
        {"device", required_argument, NULL, 'D'},
        {"dns-suffix", required_argument, NULL, 's'},
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *device = NULL, *suffix = NULL, *file = NULL;
    char uuid[SCS_UUID_TEXT_LEN + 1];
    struct scs_pool *p = NULL;
    struct doctor d;
    int c, r;

    memset(&d, 0, sizeof(d));
    opterr = 0;
    optind = 0;
    for (;;) {
        if ((r = cli_getopt("doctor", argc, argv, "h", opts, &c)) != CLI_OK) {
            return r;
        }
        if (c == -1) {
            break;
        }
        switch (c) {
        case 'D':
            device = optarg;
            break;
        case 's':
            suffix = optarg;
            break;
        case 'j':
            d.json = 1;
            break;
        case 'h':
            doctor_help();
            return CLI_OK;
        default:
            return cli_usage("doctor", "unknown option");
        }
    }
    if (device != NULL) {
        if (optind < argc) {
            return cli_usage("doctor", "give a HELLOFILE or --device UUID, not both");
        }
        if (suffix != NULL) {
            return cli_usage("doctor", "--dns-suffix goes with a HELLOFILE");
        }
        if ((r = cli_parse_uuid("doctor", device, uuid)) != CLI_OK) {
            return r;
        }
    } else {
        if (argc - optind != 1) {
            return cli_usage("doctor", "expected a HELLOFILE or --device UUID");
        }
        file = argv[optind];
        uuid[0] = 0;
    }
    if ((d.text = scs_buf_new(256 * 1024)) == NULL) {
        return cli_fail(SCS_ERR_NOMEM, "doctor");
    }
    if (d.json) {
        scs_json_init(&d.j, d.text);
        scs_json_obj_begin(&d.j);
        scs_json_key(&d.j, "findings");
        scs_json_arr_begin(&d.j);
    }
    if ((r = cli_open_pool(ctx, &p)) != CLI_OK) {
        scs_buf_free(d.text);
        return r;
    }
    r = device != NULL ? doctor_device(&d, p, uuid) : doctor_hello(&d, p, file, suffix, uuid);
    scs_pool_close(p);
    if (r != CLI_OK) {
        scs_buf_free(d.text);
        return r;
    }
    if (d.json) {
        scs_json_arr_end(&d.j);
        scs_json_kv_str(&d.j, "uuid", uuid);
        scs_json_kv_bool(&d.j, "would_provision", d.fails == 0);
        scs_json_obj_end(&d.j);
        r = cli_json_emit(&d.j);
    } else {
        fwrite(scs_buf_data(d.text), 1, scs_buf_len(d.text), stdout);
        printf("%s %s\n", uuid, d.fails == 0 ? "would provision" : "would NOT provision");
        r = CLI_OK;
    }
    scs_buf_free(d.text);
    if (r != CLI_OK) {
        return r;
    }
    return d.fails == 0 ? CLI_OK : CLI_FAIL;
}
