/*
 * The provisioning engine: turns Hellos into provisioning sessions.
 *
 * One engine per scsd process, driven by the process's libevent loop.  It keeps
 * the registry of devices by UUID: a Hello for a device whose session is
 * running is ignored (protocol.md §3.3: the SCS must be idempotent), and a
 * device whose last session failed is left alone for retry_backoff_s.
 */
#ifndef SCS_PROV_ENGINE_H
#define SCS_PROV_ENGINE_H

#include <stdint.h>

struct event_base;
struct hello_event;
struct scs_pool;
struct scsd_config;
struct prov_engine;

struct prov_engine_stats {
    uint64_t hellos;           /* Hellos offered to the engine */
    uint64_t ignored_busy;     /* device already had a session running */
    uint64_t ignored_backoff;  /* device failed recently */
    uint64_t ignored_done;     /* device already provisioned by us */
    uint64_t refused_capacity; /* max_sessions reached */
    uint64_t started;
    uint64_t provisioned;
    uint64_t failed;
    uint64_t refused; /* policy said no: unknown PID, no chain, OTP mismatch ... */
    uint64_t in_flight;
};

int prov_engine_new(struct event_base *base, struct scs_pool *pool, const struct scsd_config *cfg,
                    struct prov_engine **out);
void prov_engine_free(struct prov_engine *e);
/* Offer a parsed Hello. */
void prov_engine_on_hello(struct prov_engine *e, const struct hello_event *ev);
/* Apply reloadable settings and re-read certificates and profiles (SIGHUP). */
int prov_engine_reload(struct prov_engine *e, const struct scsd_config *cfg);
void prov_engine_get_stats(const struct prov_engine *e, struct prov_engine_stats *out);

#endif
