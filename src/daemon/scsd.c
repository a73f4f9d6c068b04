/*
 * scsd: the Setup and Configuration Server.  Composition root: reads the
 * configuration, opens the data directory, starts the Hello listeners and the
 * provisioning engine on one libevent loop, and handles signals (TERM/INT stop
 * cleanly, HUP reloads certificates, profiles and reloadable settings).
 */
#include <errno.h>
#include <event2/event.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/log.h"
#include "daemon/config.h"
#include "event/event.h"
#include "hello/hello_listen.h"
#include "prov/engine.h"
#include "psk/pool.h"

#ifndef SCS_VERSION
#define SCS_VERSION "0.0.0"
#endif

#define SCSD_DEFAULT_DATADIR "/var/lib/scs"

#define SCSD_MAX_OVERRIDES 64

struct scsd {
    struct event_base *base;
    struct scsd_config cfg;
    const char *config_path;
    /* Command-line settings (KEY, VALUE), applied over the file at start and on every reload. */
    const char *overrides[SCSD_MAX_OVERRIDES][2];
    unsigned noverrides;
    struct scs_pool *pool;
    struct prov_engine *engine;
    struct hello_listener *listeners[SCSD_MAX_LISTEN];
    unsigned nlisteners;
};

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: scsd [-d DIR] [--listen ADDR:PORT]... [--config FILE] [-n | -T]\n"
            "\n"
            "Receive Hellos from Intel AMT devices and provision them.\n"
            "\n"
            "  -d, --data-dir DIR     data directory (default: $SCS_HOME, else %s)\n"
            "  -l, --listen ADDR:PORT Hello listener, repeatable (default [::]:9971,\n"
            "                         IPv6 and IPv4)\n"
            "  -c, --config FILE      configuration file (keyword = value lines)\n"
            "  -p, --device-port PORT device TLS port to connect back to (default 16993)\n"
            "  -o, --option KEY=VALUE set any configuration keyword\n"
            "  -n, --check            check the configuration and the data directory, then exit\n"
            "  -T, --dump-config      print the effective configuration, then exit\n"
            "      --log-level LEVEL  error, warn, info (default) or debug\n"
            "  -h, --help             this help\n"
            "      --version          print the version\n"
            "\n"
            "Signals: TERM/INT stop cleanly; HUP reloads certificates, profiles and settings.\n"
            "Exit codes: 0 stopped cleanly, 2 usage or configuration error, 4 data directory\n"
            "not usable, 5 system error.\n",
            SCSD_DEFAULT_DATADIR);
}

static void on_hello(void *arg, const struct hello_event *ev)
{
    struct scsd *s = arg;
    prov_engine_on_hello(s->engine, ev);
}

static void on_stop(evutil_socket_t sig, short what, void *arg)
{
    struct scsd *s = arg;
    log_info("received signal %d; stopping", (int)sig);
    event_base_loopexit(s->base, NULL);
}

/* Defaults, then the file, then the command line: the same order at start and on reload. */
static int build_config(const struct scsd *s, struct scsd_config *out, struct scs_diag *d)
{
    int cli_listen = 0;

    scsd_config_defaults(out);
    if (s->config_path != NULL && scsd_config_load(out, s->config_path, d) != 0) {
        return SCS_ERR_FORMAT;
    }
    for (unsigned i = 0; i < s->noverrides; i++) {
        if (strcmp(s->overrides[i][0], "listen") == 0 && !cli_listen) {
            out->nlisten = 0; /* command-line listeners replace the file's */
            cli_listen = 1;
        }
        if (scsd_config_set(out, s->overrides[i][0], s->overrides[i][1], d) != 0) {
            return SCS_ERR_FORMAT;
        }
    }
    if (out->nlisten == 0) {
        (void)scsd_config_set(out, "listen", "[::]:9971", NULL);
    }
    return 0;
}

static void report_fixed(const char *key)
{
    log_warn("reload: '%s' changes only on restart; keeping the running value", key);
}

static void on_reload(evutil_socket_t sig, short what, void *arg)
{
    struct scsd *s = arg;
    struct scsd_config next;
    struct scs_diag d;

    scs_diag_clear(&d);
    if (build_config(s, &next, &d) != 0) {
        log_error("reload refused: %s", d.reason);
        return;
    }
    (void)scsd_config_keep_fixed(&next, &s->cfg, report_fixed);
    if (prov_engine_reload(s->engine, &next) != 0) {
        log_error("reload of certificates or profiles failed; keeping the previous ones");
        return;
    }
    s->cfg = next;
    scs_log_set_level((enum scs_log_level)scs_log_level_parse(s->cfg.log_level));
    log_info("reloaded configuration, certificates and profiles");
}

static int config_error(const struct scs_diag *d)
{
    fprintf(stderr, "scsd: %s\n", d->reason);
    return 2;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"data-dir", required_argument, NULL, 'd'},
        {"listen", required_argument, NULL, 'l'},
        {"config", required_argument, NULL, 'c'},
        {"device-port", required_argument, NULL, 'p'},
        {"option", required_argument, NULL, 'o'},
        {"check", no_argument, NULL, 'n'},
        {"dump-config", no_argument, NULL, 'T'},
        {"log-level", required_argument, NULL, 'L'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    struct scsd s;
    const char *datadir = NULL;
    int check = 0, dump = 0, c, r, rc = 0;
    struct scs_diag d;
    struct event *sig_term = NULL, *sig_int = NULL, *sig_hup = NULL;
    struct hello_listener_config hcfg;

    memset(&s, 0, sizeof(s));
    scsd_config_defaults(&s.cfg);
    scs_log_init("scsd", SCS_LOG_INFO);
    scs_diag_clear(&d);
    while ((c = getopt_long(argc, argv, "d:l:c:p:o:nTh", opts, NULL)) != -1) {
        switch (c) {
        case 'd':
            datadir = optarg;
            break;
        case 'c':
            s.config_path = optarg;
            break;
        case 'l':
        case 'p':
        case 'L':
        case 'o':
            if (s.noverrides >= SCSD_MAX_OVERRIDES) {
                fprintf(stderr, "scsd: too many options\n");
                return 2;
            }
            if (c == 'o') {
                char *eq = strchr(optarg, '=');
                if (eq == NULL) {
                    fprintf(stderr, "scsd: --option needs KEY=VALUE, got '%s'\n", optarg);
                    return 2;
                }
                *eq = 0;
                s.overrides[s.noverrides][0] = optarg;
                s.overrides[s.noverrides][1] = eq + 1;
            } else {
                s.overrides[s.noverrides][0] = c == 'l'   ? "listen"
                                               : c == 'p' ? "device_port"
                                                          : "log_level";
                s.overrides[s.noverrides][1] = optarg;
            }
            s.noverrides++;
            break;
        case 'n':
            check = 1;
            break;
        case 'T':
            dump = 1;
            break;
        case 'h':
            usage(stdout);
            return 0;
        case 'V':
            printf("scsd %s\n", SCS_VERSION);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "scsd: unexpected argument '%s'\n", argv[optind]);
        usage(stderr);
        return 2;
    }
    if (build_config(&s, &s.cfg, &d) != 0) {
        return config_error(&d);
    }
    for (unsigned i = 0; i < s.cfg.nlisten; i++) {
        struct sockaddr_storage ss;
        socklen_t len;
        if (hello_parse_listen_spec(s.cfg.listen[i], 9971, &ss, &len) != 0) {
            fprintf(stderr, "scsd: listen: '%s' is not ADDR:PORT, [ADDR]:PORT or PORT\n",
                    s.cfg.listen[i]);
            return 2;
        }
    }
    scs_log_set_level((enum scs_log_level)scs_log_level_parse(s.cfg.log_level));
    if (dump) {
        scsd_config_dump(&s.cfg, stdout);
        return 0;
    }
    if (datadir == NULL) {
        const char *env = getenv("SCS_HOME");
        datadir = (env != NULL && *env != 0) ? env : SCSD_DEFAULT_DATADIR;
    }
    if ((r = scs_pool_open(datadir, &s.pool)) != 0) {
        fprintf(stderr, "scsd: data directory %s: %s\n", datadir, scs_strerror(r));
        return r == SCS_ERR_NOT_INITIALISED || r == SCS_ERR_PERMISSION ? 4 : 5;
    }
    if (check) {
        printf("scsd: configuration and data directory %s are usable\n", datadir);
        scs_pool_close(s.pool);
        return 0;
    }
    signal(SIGPIPE, SIG_IGN);
    if ((s.base = scs_event_base_new()) == NULL) {
        fprintf(stderr, "scsd: cannot create the event loop\n");
        rc = 5;
        goto out;
    }
    if ((r = prov_engine_new(s.base, s.pool, &s.cfg, &s.engine)) != 0) {
        fprintf(stderr, "scsd: provisioning engine: %s\n", scs_strerror(r));
        rc = r == SCS_ERR_FORMAT ? 2 : 5;
        goto out;
    }
    hello_listener_config_default(&hcfg);
    hcfg.max_conns = s.cfg.hello_max_conns;
    hcfg.max_conns_per_source = s.cfg.hello_max_conns_per_source;
    hcfg.read_timeout_ms = s.cfg.hello_timeout_ms;
    hcfg.rate_per_source = s.cfg.hello_rate_per_source;
    hcfg.burst_per_source = s.cfg.hello_burst_per_source;
    for (unsigned i = 0; i < s.cfg.nlisten; i++) {
        r = hello_listener_new(s.base, s.cfg.listen[i], &hcfg, on_hello, &s,
                               &s.listeners[s.nlisteners]);
        if (r != 0) {
            fprintf(stderr, "scsd: cannot listen on %s: %s\n", s.cfg.listen[i], strerror(errno));
            rc = 5;
            goto out;
        }
        log_info("listening for Hellos on %s (port %u)", s.cfg.listen[i],
                 (unsigned)hello_listener_port(s.listeners[s.nlisteners]));
        s.nlisteners++;
    }
    sig_term = evsignal_new(s.base, SIGTERM, on_stop, &s);
    sig_int = evsignal_new(s.base, SIGINT, on_stop, &s);
    sig_hup = evsignal_new(s.base, SIGHUP, on_reload, &s);
    event_add(sig_term, NULL);
    event_add(sig_int, NULL);
    event_add(sig_hup, NULL);
    log_info("scsd %s started; data directory %s", SCS_VERSION, datadir);
    event_base_dispatch(s.base);
    {
        struct prov_engine_stats st;
        prov_engine_get_stats(s.engine, &st);
        log_info("stopped: %llu Hellos, %llu sessions, %llu provisioned, %llu failed, "
                 "%llu refused",
                 (unsigned long long)st.hellos, (unsigned long long)st.started,
                 (unsigned long long)st.provisioned, (unsigned long long)st.failed,
                 (unsigned long long)st.refused);
    }
out:
    if (sig_term != NULL) {
        event_free(sig_term);
        event_free(sig_int);
        event_free(sig_hup);
    }
    for (unsigned i = 0; i < s.nlisteners; i++) {
        hello_listener_free(s.listeners[i]);
    }
    prov_engine_free(s.engine);
    if (s.base != NULL) {
        event_base_free(s.base);
    }
    scs_pool_close(s.pool);
    return rc;
}
