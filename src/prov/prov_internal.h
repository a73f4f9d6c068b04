/*
 * Internals of the provisioning engine, shared by engine.c (device table,
 * Hello admission, policy), session.c (the per-device state machine) and
 * policy.c (pure decisions, unit-tested on their own).
 */
#ifndef SCS_PROV_INTERNAL_H
#define SCS_PROV_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "daemon/config.h"
#include "formats/hello.h"
#include "prov/engine.h"
#include "psk/pool.h"
#include "registry/registry.h"
#include "tls/tls.h"

struct http_client;
struct http_session;
struct scs_event_loop;
struct scs_event_timer;
struct scs_secret;
struct wsman_builder;

/* ---- policy (policy.c): no I/O, no registry ------------------------------ */

#define PROV_PASSWORD_LEN 16 /* generated admin and MEBx passwords */

/* A fresh password meeting AMT's strength rule (≥ 8 characters, upper, lower,
 * digit and a symbol AMT accepts in Digest passwords); NUL-terminated. */
int prov_password_generate(struct scs_secret **out);
/* 1 when pw meets the strength rule. */
int prov_password_strong(const char *pw);
/* The firmware version from an AMT Server header, "Intel(R) Active Management
 * Technology X.Y.Z[.B]" (digits and dots, at least three parts): 1 and the
 * version in out (cap bytes with the NUL), or 0 when hdr is not that. */
int prov_server_header_version(const char *hdr, char *out, size_t cap);
/* 1 when addr (numeric IPv4 or IPv6) is inside one of the comma-separated CIDRs. */
int prov_cidr_list_contains(const char *list, const char *addr);

#define PROV_HOSTNAME_MAX 63 /* one DNS label */
/* The AMT host name from a profile's hostname_template: "%u" is the first 8 hex
 * digits of uuid, "%%" a percent sign.  SCS_ERR_FORMAT for another "%" sequence
 * or a result that is not one DNS label, SCS_ERR_TOO_LARGE over 63 characters. */
int prov_hostname_expand(const char *tmpl, const char *uuid, char *out, size_t cap);

/* A provisioning certificate chain loaded from the registry. */
struct prov_chain {
    struct scs_cert_entry entry;
    struct tls_identity *id;
    struct tls_cert_hashes root; /* of the root the chain ends in */
};

/* Outcome of chain selection. */
enum prov_chain_pick {
    PROV_PICK_OK = 0,
    PROV_PICK_NO_ROOT,   /* no chain's root is among the Hello's hashes */
    PROV_PICK_NO_SUBNET, /* root matches, but every such chain is mapped to other subnets */
    PROV_PICK_AMBIGUOUS, /* several chains fit and nothing tells them apart */
};
/* Pick a chain for a PKI Hello from peer.  host_name is the device's reverse-DNS
 * name or NULL; *why gets plain words when the result is not PROV_PICK_OK. */
enum prov_chain_pick prov_chain_select(const struct prov_chain *chains, size_t n,
                                       const struct scs_hello *h, const char *peer,
                                       const char *host_name, size_t *idx, char *why,
                                       size_t why_len);

/* Whether a pool entry may open a PSK session for device uuid; pid_text is the
 * dashed form for messages.  found = 0 when the pool does not know the PID.
 * returning = 1 for a device we provisioned before and an administrator
 * unprovisioned (registry provisioned_at set): its pair may then also be "used"
 * by this same device. */
int prov_pid_acceptable(int found, const struct scs_psk_entry *e, const char *uuid,
                        const char *pid_text, int returning, char *why, size_t why_len);

/* ---- engine internals ---------------------------------------------------- */

enum prov_dev_phase {
    PROV_DEV_IDLE = 0, /* nothing running; Hellos start a session */
    PROV_DEV_RUNNING,  /* a session is in flight */
    PROV_DEV_DONE,     /* provisioned: later Hellos are ignored */
};

struct prov_session;

/* One device the engine has heard from (in memory; the registry has the rest). */
struct prov_dev {
    char uuid[SCS_UUID_TEXT_LEN + 1];
    enum prov_dev_phase phase;
    time_t backoff_until; /* ignore Hellos until then (after a failure or refusal) */
    time_t warned_done;   /* last "provisioned, but it sends Hellos" warning */
    struct prov_session *session;
    struct prov_dev *next; /* hash chain */
};

struct prov_engine {
    struct event_base *base;
    struct scs_event_loop *loop;
    struct http_client *http;
    struct scs_pool *pool;
    struct scsd_config cfg;
    struct prov_dev **buckets;
    size_t nbuckets;
    size_t ndevs;
    struct prov_chain *chains;
    size_t nchains;
    struct tls_ca *ca; /* the server's CA for device TLS certificates, NULL if none */
    struct prov_engine_stats stats;
    struct scs_event_timer *sync_timer;  /* puts deferred registry writes on disk */
    struct scs_event_timer *flush_timer; /* commits the batch of registry writes */
    int flush_armed;
    /* Sessions whose first request (TCP connect, TLS handshake) is under way,
     * and the sessions waiting for a turn (session.c, cfg.max_connecting). */
    unsigned connecting;
    struct prov_session *wait_head, *wait_tail;
    struct scs_event_timer *admit_timer; /* starts waiting sessions from the loop */
    /* Sessions waiting until their recorded secrets are on disk (session.c). */
    struct prov_session *durable_head;
};

/* Start a session for dev (engine.c has filled rec, prof and the secrets). */
struct prov_session_args {
    struct scs_device rec;
    struct scs_profile prof;
    char peer[64];
    /* PSK path */
    char pid[SCS_PID_LEN + 1];
    struct scs_secret *pps; /* taken over */
    /* PKI path */
    const struct prov_chain *chain;
    /* Only ask the device, as admin over HTTP Digest, whether it committed
     * (a session cut short at step commit); no secret is sent. */
    int confirm;
};
int prov_session_start(struct prov_engine *e, struct prov_dev *dev, struct prov_session_args *a);
/* Start waiting sessions while connection slots are free (the admit timer). */
void prov_session_admit_waiting(void *engine);
/* The engine flushed the registry batch for the sessions in durable_head
 * (err 0: their secrets are on disk): each sends its step, or fails. */
void prov_session_durable_done(struct prov_engine *e, int err);
/* Start a confirm session for a device cut short at CommitChanges (engine.c). */
void prov_engine_confirm(struct prov_engine *e, const struct scs_device *rec);
/* Ask for a flush of the registry batch on the next turn of the loop. */
void prov_engine_want_flush(struct prov_engine *e);
/* Abort a running session without recording anything (engine shutdown). */
void prov_session_free(struct prov_session *s);
/* Called by session.c when a session has ended and been freed. */
void prov_engine_session_ended(struct prov_engine *e, struct prov_dev *dev, int ok);

#endif
