/*
 * Running a fleet: one libevent loop for every device's listeners, TLS
 * sessions and Hello timers (net.c, hello_engine.c).
 */
#ifndef SCS_SIM_RUN_H
#define SCS_SIM_RUN_H

#include <stdint.h>

struct sim_fleet;

struct sim_run_opts {
    uint32_t server_addr; /* Hello target, host order; 0: no Hellos */
    uint16_t server_port;
    double time_scale; /* K: device time runs K times faster */
    uint16_t tls_port;
    uint16_t http_port;
    uint16_t local_port;     /* the "local" (LMS) interface; 0: none */
    double first_window_h;   /* default 24 */
    double restart_window_h; /* default 6 */
    unsigned max_hellos_in_flight;
    double run_seconds; /* stop after this many real seconds; 0: until a signal */
};

/* Runs until SIGTERM/SIGINT (or run_seconds); saves every device on the way out. */
int sim_run(struct sim_fleet *f, const struct sim_run_opts *o);

/* Fault files, written by `amtsim fault` and read by the running process on SIGHUP. */
struct sim_faults {
    unsigned seq;        /* bumped by every `fault` command */
    unsigned drop_after; /* one-shot: answer this many more requests, then drop */
    int drop_set;
    unsigned delay_ms; /* every answer waits this long */
    char soap_call[128];
    int reboot; /* one-shot */
};

int sim_faults_read(const char *path, struct sim_faults *f);
int sim_faults_write(const char *path, const struct sim_faults *f);
void sim_faults_path(const char *state_path, char *out, size_t cap);

#endif
