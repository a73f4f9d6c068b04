/*
 * Private to the running process (net.c, hello_engine.c): the event loop and
 * what each device keeps in RAM while it runs.
 */
#ifndef SCS_SIM_RT_H
#define SCS_SIM_RT_H

#include <event2/event.h>
#include <event2/listener.h>
#include <gnutls/gnutls.h>
#include <time.h>

#include "sim/run.h"

struct sim_fleet;
struct sim_device;

/* Reference-counted certificate credentials: a TLS change replaces them while
 * sessions that started with the old ones are still open. */
struct sim_cred {
    gnutls_certificate_credentials_t c;
    unsigned refs;
};

struct sim_rt {
    struct event_base *base;
    struct sim_fleet *fleet;
    struct sim_run_opts opts;
    struct sim_dev_rt *devs;
    unsigned ndev;
    gnutls_priority_t prio_psk;
    gnutls_priority_t prio_x509;
    gnutls_psk_server_credentials_t psk;
    struct timespec start;
    unsigned hellos_in_flight;
    unsigned long long hellos_sent;
    unsigned long long hellos_failed;
    unsigned long long conns;
    unsigned long long requests;
    unsigned open_conns;
    struct event *sig_term, *sig_int, *sig_hup, *stop_timer, *stats_timer;
    char pidfile[512];
};

struct sim_dev_rt {
    struct sim_rt *rt;
    struct sim_device *dev;
    struct evconnlistener *lis[3]; /* indexed by enum sim_listener */
    struct sim_cred *cred;
    unsigned prov_sessions; /* open authenticated provisioning sessions */
    int state_dirty;        /* save at exit (Hello bookkeeping) */

    /* Hello schedule (protocol.md §3.3), in device seconds */
    struct event *hello_timer;
    int hello_running;
    unsigned attempt;
    double window_end;
    double window_abs_end;
    double last_tick;

    /* Faults on demand */
    struct sim_faults faults;
    int faults_seen; /* a fault file has been read */
    unsigned fault_seq;
    int drop_armed;
    unsigned drop_remaining;
};

/* Device seconds since the run started (real seconds x time scale). */
double sim_rt_dev_now(const struct sim_rt *rt);

void sim_hello_init(struct sim_dev_rt *d);
void sim_hello_free(struct sim_dev_rt *d);
/* Start a window: the first one (24 h) if the device never sent a Hello, else a restart (6 h). */
void sim_hello_start(struct sim_dev_rt *d);
void sim_hello_stop(struct sim_dev_rt *d);
/* A provisioning session ended without leaving in-provisioning: carry on. */
void sim_hello_resume(struct sim_dev_rt *d);
void sim_hello_extend(struct sim_dev_rt *d, unsigned hours);
/* ME reset: RetryCount back to 0, window not extended past the absolute cap. */
void sim_hello_reboot(struct sim_dev_rt *d);
/* Fold elapsed device time into the persisted 255 h bookkeeping. */
void sim_hello_account(struct sim_dev_rt *d);

#endif
