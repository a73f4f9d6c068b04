/*
 * scsd configuration: one declarative table of keywords (name, type, bounds,
 * default, whether SIGHUP may change it), read from `key = value` lines.  The
 * same table drives parsing, `scsd -n` (check and exit) and `scsd -T` (print
 * the effective configuration), so they cannot disagree.
 */
#ifndef SCS_DAEMON_CONFIG_H
#define SCS_DAEMON_CONFIG_H

#include <stdint.h>
#include <stdio.h>

struct scs_diag;

#define SCSD_MAX_LISTEN 8

struct scsd_config {
    char listen[SCSD_MAX_LISTEN][128]; /* Hello listeners */
    unsigned nlisten;
    unsigned device_port;       /* TLS port the server connects back to (16993) */
    unsigned device_http_port;  /* HTTP port of a provisioned device (16992, confirm sessions) */
    unsigned max_sessions;      /* provisioning sessions in flight */
    unsigned max_connecting;    /* of those, opening their connection (TLS handshake) */
    unsigned session_timeout_s; /* a whole session */
    unsigned request_timeout_s; /* one WS-Man request */
    unsigned retry_backoff_s;   /* ignore Hellos from a device this long after a failed session */
    unsigned hello_max_conns;
    unsigned hello_max_conns_per_source;
    unsigned hello_timeout_ms;
    unsigned hello_rate_per_source;
    unsigned hello_burst_per_source;
    char log_level[16];
    char default_profile[64];
};

/* Fill with the built-in defaults. */
void scsd_config_defaults(struct scsd_config *c);
/* Read a file over the current values; errors name the file, line and keyword. */
int scsd_config_load(struct scsd_config *c, const char *path, struct scs_diag *d);
/* Set one keyword from text (used by the file reader and by command-line flags). */
int scsd_config_set(struct scsd_config *c, const char *key, const char *value, struct scs_diag *d);
/* Print every keyword with its effective value, in file syntax. */
void scsd_config_dump(const struct scsd_config *c, FILE *out);
/* For a reload: put back into next the running value of every keyword that changes only on
 * restart (listen included), calling report(key) for each one that differed, so the
 * reloadable changes still apply.  Returns how many keywords were put back. */
unsigned scsd_config_keep_fixed(struct scsd_config *next, const struct scsd_config *running,
                                void (*report)(const char *key));

#endif
