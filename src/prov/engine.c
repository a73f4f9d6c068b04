/*
 * The provisioning engine: admission of Hellos and the device table.
 *
 * A Hello goes through, in order: de-duplication by UUID (a running session
 * or a recent failure means the Hello is ignored, protocol.md §3.3), the
 * registry (a device already provisioned by us is left alone), the session
 * cap, and the policy for its path (PSK: the PID must be an assigned pool
 * pair; PKI: a provisioning chain must fit the device).  Then session.c runs
 * the WS-Man state machine.  Everything happens on scsd's one libevent loop;
 * registry calls are synchronous (SQLite on local disk).
 */
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "common/err.h"
#include "common/log.h"
#include "common/secmem.h"
#include "event/event.h"
#include "formats/pidpps.h"
#include "hello/hello_listen.h"
#include "http/http.h"
#include "prov/prov_internal.h"

#define PROV_BUCKETS 65536u /* device table; chains stay short up to ~10^5 devices */
#define PROV_DONE_WARN_S                                                                           \
    600 /* per device: a provisioned device that keeps sending Hellos is named once per 10 min */

/* ---- device table --------------------------------------------------------- */

static size_t uuid_hash(const char *uuid, size_t nbuckets)
{
    /* FNV-1a: UUIDs are random enough that any mixing function will do. */
    uint64_t h = 1469598103934665603ull;
    for (const char *p = uuid; *p != '\0'; p++) {
        h ^= (uint8_t)*p;
        h *= 1099511628211ull;
    }
    return (size_t)(h % nbuckets);
}

static struct prov_dev *dev_find(struct prov_engine *e, const char *uuid, int create)
{
    size_t b = uuid_hash(uuid, e->nbuckets);
    struct prov_dev *d;

    for (d = e->buckets[b]; d != NULL; d = d->next) {
        if (strcmp(d->uuid, uuid) == 0) {
            return d;
        }
    }
    if (!create) {
        return NULL;
    }
    d = calloc(1, sizeof(*d));
    if (d == NULL) {
        return NULL;
    }
    (void)snprintf(d->uuid, sizeof(d->uuid), "%s", uuid);
    d->next = e->buckets[b];
    e->buckets[b] = d;
    e->ndevs++;
    return d;
}

/* ---- certificates and the CA ---------------------------------------------- */

struct name_list {
    char (*names)[64];
    size_t n, cap;
};

static int collect_cert_name(void *arg, const struct scs_cert_entry *ce)
{
    struct name_list *l = arg;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 8;
        char(*nn)[64] = realloc(l->names, cap * sizeof(*nn));
        if (nn == NULL) {
            return SCS_ERR_NOMEM;
        }
        l->names = nn;
        l->cap = cap;
    }
    (void)snprintf(l->names[l->n], sizeof(l->names[0]), "%s", ce->name);
    l->n++;
    return 0;
}

static void chains_free(struct prov_chain *c, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        tls_identity_free(c[i].id);
    }
    free(c);
}

/* Load every provisioning chain usable now; unusable ones are logged and skipped. */
static int load_chains(struct scs_pool *pool, struct prov_chain **out, size_t *nout)
{
    struct name_list l = {NULL, 0, 0};
    struct prov_chain *c = NULL;
    size_t n = 0;
    int r = scs_cert_list(pool, collect_cert_name, &l);

    *out = NULL;
    *nout = 0;
    if (r != 0 && r != SCS_ERR_NOT_FOUND) {
        free(l.names);
        return r;
    }
    if (l.n > 0 && (c = calloc(l.n, sizeof(*c))) == NULL) {
        free(l.names);
        return SCS_ERR_NOMEM;
    }
    for (size_t i = 0; i < l.n; i++) {
        struct prov_chain *ch = &c[n];
        char *pem = NULL;
        struct scs_secret *key = NULL;
        struct scs_diag d;
        struct tls_prov_check pc;

        scs_diag_clear(&d);
        r = scs_cert_get(pool, l.names[i], &ch->entry, &pem, &key);
        if (r != 0) {
            log_warn("provisioning certificate '%s': cannot read it: %s", l.names[i],
                     scs_strerror(r));
            continue;
        }
        r = tls_identity_from_pem(pem, strlen(pem), scs_secret_cdata(key), scs_secret_len(key),
                                  &ch->id, &d);
        free(pem);
        scs_secret_free(key);
        if (r != 0) {
            log_warn("provisioning certificate '%s': not usable: %s", l.names[i], d.reason);
            continue;
        }
        if (tls_identity_check_provisioning(ch->id, time(NULL), &pc, &d) != 0) {
            log_warn("provisioning certificate '%s': not usable: %s", l.names[i], d.reason);
            tls_identity_free(ch->id);
            ch->id = NULL;
            continue;
        }
        if (pc.days_to_expiry < 30) {
            log_warn("provisioning certificate '%s' expires in %ld days", l.names[i],
                     pc.days_to_expiry);
        }
        if (tls_identity_root_hashes(ch->id, &ch->root) != 0) {
            tls_identity_free(ch->id);
            ch->id = NULL;
            continue;
        }
        log_info("provisioning certificate '%s' loaded (domain %s%s%s)", ch->entry.name,
                 ch->entry.domain, ch->entry.subnets[0] ? ", subnets " : "", ch->entry.subnets);
        n++;
    }
    free(l.names);
    *out = c;
    *nout = n;
    return 0;
}

static int load_ca(struct scs_pool *pool, struct tls_ca **out)
{
    char *pem = NULL;
    struct scs_secret *key = NULL;
    struct scs_diag d;
    int r = scs_ca_get(pool, &pem, &key);

    *out = NULL;
    if (r == SCS_ERR_NOT_FOUND) {
        log_info("no server CA in the data directory; profiles with configure_tls will fail");
        return 0;
    }
    if (r != 0) {
        return r;
    }
    scs_diag_clear(&d);
    r = tls_ca_from_pem(pem, strlen(pem), scs_secret_cdata(key), scs_secret_len(key), out, &d);
    free(pem);
    scs_secret_free(key);
    if (r != 0) {
        log_warn("server CA not usable: %s", d.reason);
        *out = NULL;
    }
    return 0;
}

static int load_material(struct prov_engine *e)
{
    struct prov_chain *c = NULL;
    size_t n = 0;
    struct tls_ca *ca = NULL;
    int r = load_chains(e->pool, &c, &n);

    if (r != 0) {
        return r;
    }
    if ((r = load_ca(e->pool, &ca)) != 0) {
        chains_free(c, n);
        return r;
    }
    /* Running sessions keep pointers into the old chain array: swap only when
     * none runs, else keep the old set until the next reload. */
    if (e->stats.in_flight > 0 && e->chains != NULL) {
        log_warn("reload: %llu sessions running; certificates are swapped on the next reload",
                 (unsigned long long)e->stats.in_flight);
        chains_free(c, n);
        tls_ca_free(ca);
        return 0;
    }
    chains_free(e->chains, e->nchains);
    tls_ca_free(e->ca);
    e->chains = c;
    e->nchains = n;
    e->ca = ca;
    return 0;
}

/* ---- resume report -------------------------------------------------------- */

/* Devices whose session stopped with scsd; those cut short at CommitChanges
 * are kept (up to PROV_CONFIRM_MAX) for a confirm session. */
#define PROV_CONFIRM_MAX 4096

struct interrupted {
    unsigned n;
    struct scs_device *at_commit;
    size_t n_commit, cap;
};

static int collect_interrupted(void *arg, const struct scs_device *d)
{
    struct interrupted *in = arg;

    if (d->state != SCS_DEVICE_PROVISIONING) {
        return 0;
    }
    in->n++;
    if (strcmp(d->step, "commit") == 0 && d->address[0] != '\0' &&
        in->n_commit < PROV_CONFIRM_MAX) {
        if (in->n_commit == in->cap) {
            size_t cap = in->cap != 0 ? in->cap * 2 : 16;
            struct scs_device *p = realloc(in->at_commit, cap * sizeof(*p));
            if (p == NULL) {
                return 0; /* those left out are confirmed after the next restart */
            }
            in->at_commit = p;
            in->cap = cap;
        }
        in->at_commit[in->n_commit++] = *d;
    }
    return 0;
}

static int load_profile(struct prov_engine *e, const char *name, struct scs_profile *out);

/*
 * A device whose session was cut short after CommitChanges was sent may have
 * committed: it then sends no more Hellos, and nothing else would ever finish
 * its record.  A confirm session asks it, as admin with the recorded password
 * over HTTP Digest, whether it is post-provisioning, and records it
 * provisioned if so.  A device that did not commit still sends Hellos and is
 * provisioned again as usual.  Devices whose profile configures TLS no longer
 * answer on the HTTP port, so they are left for the administrator.
 */
void prov_engine_confirm(struct prov_engine *e, const struct scs_device *rec)
{
    struct prov_session_args a;
    struct prov_dev *dev = dev_find(e, rec->uuid, 1);
    int r;

    memset(&a, 0, sizeof(a));
    if (dev == NULL || load_profile(e, rec->profile, &a.prof) != 0) {
        return;
    }
    if (a.prof.configure_tls) {
        log_warn("%s: its session stopped at CommitChanges and its profile configures TLS, so "
                 "whether it committed cannot be checked over HTTP; see 'scsctl device show %s'",
                 rec->uuid, rec->uuid);
        return;
    }
    a.rec = *rec;
    a.confirm = 1;
    (void)snprintf(a.peer, sizeof(a.peer), "%s", rec->address);
    dev->phase = PROV_DEV_RUNNING;
    e->stats.started++;
    e->stats.in_flight++;
    if ((r = prov_session_start(e, dev, &a)) != 0) {
        log_warn("%s: cannot check whether it committed: %s", rec->uuid, scs_strerror(r));
        dev->phase = PROV_DEV_IDLE;
        e->stats.started--;
        e->stats.in_flight--;
    }
}

/* ---- public interface ----------------------------------------------------- */

/*
 * Registry writes and the disk.  Syncing every write cost most of scsd's CPU
 * (about nine per device).  The engine defers them (scs_pool_set_deferred);
 * a session makes one write durable, the one that records every secret it
 * will send before the first is sent (session.c, prepare_secrets), and
 * everything else (steps, final states, audit records) reaches the disk
 * within PROV_SYNC_INTERVAL_MS, and at shutdown.
 */
#define PROV_SYNC_INTERVAL_MS 1000

/*
 * The deferred writes are also batched (scs_pool_set_batching): the writes
 * of every session over PROV_FLUSH_DELAY_MS share one transaction.  When
 * sessions wait to send secrets they have recorded (durable_head), the flush
 * also syncs the log, once for all of them.  The delay is a maximum, not a
 * debounce: a busy server still commits every PROV_FLUSH_DELAY_MS.  It bounds
 * what a crash of the process can take (deferred writes not yet committed,
 * never a secret that was sent), how long a session waits to send its first
 * secret, and how long scsctl waits for the write lock.
 */
#define PROV_FLUSH_DELAY_MS 10

void prov_engine_want_flush(struct prov_engine *e)
{
    if (!e->flush_armed && scs_event_timer_arm(e->flush_timer, PROV_FLUSH_DELAY_MS) == 0) {
        e->flush_armed = 1;
    }
}

static void on_batch_open(void *arg)
{
    prov_engine_want_flush(arg);
}

static void on_flush_timer(void *arg)
{
    struct prov_engine *e = arg;
    int durable = e->durable_head != NULL;
    int r;

    e->flush_armed = 0;
    r = scs_pool_flush(e->pool, durable);

    if (r != 0) {
        log_error("cannot commit registry writes: %s", scs_strerror(r));
    }
    if (durable) {
        prov_session_durable_done(e, r);
    }
}

static void on_sync_timer(void *arg)
{
    struct prov_engine *e = arg;
    int r = scs_pool_sync(e->pool);
    if (r != 0) {
        log_warn("cannot put registry writes on disk: %s", scs_strerror(r));
    }
    (void)scs_event_timer_arm(e->sync_timer, PROV_SYNC_INTERVAL_MS);
}

int prov_engine_new(struct event_base *base, struct scs_pool *pool, const struct scsd_config *cfg,
                    struct prov_engine **out)
{
    struct prov_engine *e;
    struct interrupted interrupted = {0};
    int r;

    if (base == NULL || pool == NULL || cfg == NULL || out == NULL) {
        return SCS_ERR_INVALID_ARG;
    }
    e = calloc(1, sizeof(*e));
    if (e == NULL) {
        return SCS_ERR_NOMEM;
    }
    e->base = base;
    e->pool = pool;
    e->cfg = *cfg;
    e->nbuckets = PROV_BUCKETS;
    e->buckets = calloc(e->nbuckets, sizeof(*e->buckets));
    if (e->buckets == NULL) {
        free(e);
        return SCS_ERR_NOMEM;
    }
    if ((r = scs_event_loop_wrap(base, &e->loop)) != 0 ||
        (r = http_client_new(e->loop, &e->http)) != 0 || (r = load_material(e)) != 0 ||
        (r = scs_event_timer_new(e->loop, on_sync_timer, e, &e->sync_timer)) != 0 ||
        (r = scs_event_timer_arm(e->sync_timer, PROV_SYNC_INTERVAL_MS)) != 0 ||
        (r = scs_event_timer_new(e->loop, prov_session_admit_waiting, e, &e->admit_timer)) != 0 ||
        (r = scs_event_timer_new(e->loop, on_flush_timer, e, &e->flush_timer)) != 0 ||
        (r = scs_pool_set_deferred(pool, 1)) != 0 ||
        (r = scs_pool_set_batching(pool, on_batch_open, e)) != 0) {
        prov_engine_free(e);
        return r;
    }
    /* Sessions cut short by a crash or kill stay in state provisioning; the
     * device keeps sending Hellos and the next one retries it with the
     * password and PSK recorded before they were sent. */
    (void)scs_device_list(pool, collect_interrupted, &interrupted);
    if (interrupted.n > 0) {
        log_info("%u devices were being provisioned when scsd stopped; they are retried on "
                 "their next Hello, and the %zu cut short at CommitChanges are asked whether "
                 "they committed",
                 interrupted.n, interrupted.n_commit);
    }
    for (size_t i = 0; i < interrupted.n_commit; i++) {
        prov_engine_confirm(e, &interrupted.at_commit[i]);
    }
    free(interrupted.at_commit);
    log_info("provisioning engine ready: %zu provisioning certificates, server CA %s, "
             "max %u sessions",
             e->nchains, e->ca != NULL ? "loaded" : "absent", e->cfg.max_sessions);
    *out = e;
    return 0;
}

void prov_engine_free(struct prov_engine *e)
{
    if (e == NULL) {
        return;
    }
    if (e->buckets != NULL) {
        for (size_t i = 0; i < e->nbuckets; i++) {
            struct prov_dev *d = e->buckets[i];
            while (d != NULL) {
                struct prov_dev *next = d->next;
                if (d->session != NULL) {
                    prov_session_free(d->session);
                }
                free(d);
                d = next;
            }
        }
        free(e->buckets);
    }
    /* After the sessions, which may arm it as they go. */
    scs_event_timer_free(e->admit_timer);
    if (e->flush_timer != NULL) {
        if (scs_pool_set_batching(e->pool, NULL, NULL) != 0) {
            log_warn("cannot commit the last registry writes");
        }
        scs_event_timer_free(e->flush_timer);
    }
    if (e->sync_timer != NULL) {
        /* Everything written so far goes to disk before the store is closed. */
        scs_event_timer_free(e->sync_timer);
        if (scs_pool_sync(e->pool) != 0 || scs_pool_set_deferred(e->pool, 0) != 0) {
            log_warn("cannot put the last registry writes on disk");
        }
    }
    http_client_free(e->http);
    scs_event_loop_free(e->loop);
    chains_free(e->chains, e->nchains);
    tls_ca_free(e->ca);
    free(e);
}

int prov_engine_reload(struct prov_engine *e, const struct scsd_config *cfg)
{
    int r = load_material(e);
    if (r != 0) {
        return r;
    }
    e->cfg = *cfg;
    if (e->wait_head != NULL) {
        (void)scs_event_timer_arm(e->admit_timer, 0); /* max_connecting may have grown */
    }
    return 0;
}

void prov_engine_get_stats(const struct prov_engine *e, struct prov_engine_stats *out)
{
    *out = e->stats;
}

static void builtin_profile(struct scs_profile *p, const char *name)
{
    /* Used when the administrator has not stored a profile of that name: the
     * safe choices (random strong passwords recorded per device, clock set,
     * a fresh PSK replacing the one from the USB file). */
    memset(p, 0, sizeof(*p));
    (void)snprintf(p->name, sizeof(p->name), "%s", name);
    p->admin_password_random = 1;
    p->set_mebx_password = 1;
    p->mebx_password_random = 1;
    p->time_sync = 1;
    p->new_psk = 1;
    p->user_consent = 2; /* AMT's own default (scs_profile_defaults): nothing is sent */
}

/* The stored profile of that name, or the built-in one if there is none. */
static int load_profile(struct prov_engine *e, const char *name, struct scs_profile *out)
{
    const char *pname = name[0] != '\0' ? name : e->cfg.default_profile;
    int r = scs_profile_get(e->pool, pname, out);

    if (r == SCS_ERR_NOT_FOUND) {
        builtin_profile(out, pname);
        return 0;
    }
    if (r != 0) {
        log_error("profile '%s' cannot be read: %s", pname, scs_strerror(r));
    }
    return r;
}

static void record_refusal(struct prov_engine *e, struct prov_dev *dev, struct scs_device *rec,
                           const char *why)
{
    rec->state = SCS_DEVICE_REFUSED;
    (void)snprintf(rec->last_error, sizeof(rec->last_error), "%s", why);
    (void)snprintf(rec->step, sizeof(rec->step), "refused");
    if (scs_device_put(e->pool, rec) != 0) {
        log_error("%s: cannot record the refusal in the registry", rec->uuid);
    }
    (void)scs_pool_audit(e->pool, "device-refused", rec->uuid, why);
    log_warn("%s refused: %s", rec->uuid, why);
    dev->backoff_until = time(NULL) + (time_t)e->cfg.retry_backoff_s;
    e->stats.refused++;
}

/* Reverse DNS of the peer, only when several chains could serve it.  Blocking,
 * bounded by the resolver's own timeout; the common single-chain case never
 * gets here. */
static int peer_name(const struct hello_event *ev, char *out, size_t cap)
{
    if (getnameinfo(ev->peer, ev->peer_len, out, (socklen_t)cap, NULL, 0, NI_NAMEREQD) != 0) {
        return -1;
    }
    return 0;
}

void prov_engine_on_hello(struct prov_engine *e, const struct hello_event *ev)
{
    const struct scs_hello *h = ev->hello;
    char uuid[SCS_UUID_TEXT_LEN + 1];
    struct prov_dev *dev;
    struct prov_session_args a;
    time_t now = time(NULL);
    int r;

    e->stats.hellos++;
    scs_uuid_to_text(h->uuid, uuid);
    dev = dev_find(e, uuid, 1);
    if (dev == NULL) {
        log_error("out of memory for device %s", uuid);
        return;
    }
    if (dev->phase == PROV_DEV_RUNNING) {
        e->stats.ignored_busy++;
        log_debug("%s: Hello ignored, session running", uuid);
        return;
    }
    if (dev->backoff_until > now) {
        e->stats.ignored_backoff++;
        log_debug("%s: Hello ignored, retry after backoff", uuid);
        return;
    }
    if (e->stats.in_flight >= e->cfg.max_sessions) {
        e->stats.refused_capacity++;
        log_debug("%s: Hello ignored, %u sessions running", uuid, e->cfg.max_sessions);
        return;
    }
    memset(&a, 0, sizeof(a));
    r = scs_device_get(e->pool, uuid, &a.rec);
    if (r == SCS_ERR_NOT_FOUND) {
        memset(&a.rec, 0, sizeof(a.rec));
        (void)snprintf(a.rec.uuid, sizeof(a.rec.uuid), "%s", uuid);
        a.rec.first_seen = (int64_t)now;
    } else if (r != 0) {
        log_error("%s: registry read failed: %s", uuid, scs_strerror(r));
        return;
    }
    /* The registry, not memory, says whether we are done with a device: an
     * administrator may have reset it since. */
    if (a.rec.state == SCS_DEVICE_PROVISIONED) {
        dev->phase = PROV_DEV_DONE;
        e->stats.ignored_done++;
        /* A provisioned device sends no Hellos: this one was unprovisioned behind
         * our back (MEBx, a local tool) or replaced.  Provisioning it again is the
         * administrator's decision, so say what to do; the logger's per-format
         * limit alone would still let every such device repeat it forever. */
        if (now - dev->warned_done >= PROV_DONE_WARN_S) {
            dev->warned_done = now;
            log_warn("%s is recorded as provisioned but sent a Hello from %s (unprovisioned "
                     "locally?); it is not provisioned again until an administrator runs "
                     "'scsctl device unprovision %s' (with --mark-only if it no longer accepts "
                     "its recorded password)",
                     uuid, ev->peer_text, uuid);
        }
        return;
    }
    (void)snprintf(a.rec.address, sizeof(a.rec.address), "%s", ev->peer_text);
    (void)snprintf(a.peer, sizeof(a.peer), "%s", ev->peer_text);
    a.rec.last_hello = (int64_t)now;
    if (load_profile(e, a.rec.profile, &a.prof) != 0) {
        return;
    }

    if (h->version == SCS_HELLO_VERSION_PSK) {
        struct scs_psk_entry pe;
        char pid_text[SCS_PID_TEXT_LEN + 1];
        char why[200];
        int found;

        a.rec.path = SCS_PATH_PSK;
        memcpy(a.pid, h->pid, SCS_PID_LEN);
        a.pid[SCS_PID_LEN] = '\0';
        scs_pid_format(a.pid, pid_text);
        /* The PID the device came with; a retry after SetTLSPSK arrives with the new
         * PID, and the original one (still to be marked used) stays recorded. */
        if (strcmp(a.pid, a.rec.new_pid) != 0) {
            (void)snprintf(a.rec.pid, sizeof(a.rec.pid), "%s", a.pid);
        }
        memset(&pe, 0, sizeof(pe));
        r = scs_pool_lookup(e->pool, a.pid, 1, &pe);
        if (r != 0 && r != SCS_ERR_NOT_FOUND) {
            log_error("%s: pool lookup failed: %s", uuid, scs_strerror(r));
            scs_psk_entry_clear(&pe);
            return;
        }
        found = r == 0;
        if (!prov_pid_acceptable(found, &pe, uuid, pid_text, a.rec.provisioned_at != 0, why,
                                 sizeof(why))) {
            scs_psk_entry_clear(&pe);
            record_refusal(e, dev, &a.rec, why);
            return;
        }
        a.pps = pe.pps;
        pe.pps = NULL;
        scs_psk_entry_clear(&pe);
    } else {
        char why[256];
        char host[256];
        size_t idx = 0;
        enum prov_chain_pick pk;

        a.rec.path = SCS_PATH_PKI;
        pk = prov_chain_select(e->chains, e->nchains, h, ev->peer_text, NULL, &idx, why,
                               sizeof(why));
        if (pk == PROV_PICK_AMBIGUOUS && peer_name(ev, host, sizeof(host)) == 0) {
            pk = prov_chain_select(e->chains, e->nchains, h, ev->peer_text, host, &idx, why,
                                   sizeof(why));
        }
        if (pk != PROV_PICK_OK) {
            record_refusal(e, dev, &a.rec, why);
            return;
        }
        a.chain = &e->chains[idx];
    }

    if (a.rec.state == SCS_DEVICE_UNPROVISIONED) {
        /* A new provisioning of a device an administrator unprovisioned: it gets a
         * new admin password (whoever knew the old one keeps no access), so the
         * recorded one goes now and the admin step records a fresh one before
         * sending it.  The MEBx password is kept and set again: the device may
         * still have it.  Once the row says provisioning, retries reuse as usual. */
        r = scs_device_secret_delete(e->pool, uuid, "admin_password");
        if (r != 0 && r != SCS_ERR_NOT_FOUND) {
            log_error("%s: cannot drop the old admin password: %s", uuid, scs_strerror(r));
            scs_secret_free(a.pps);
            return;
        }
        log_info("%s was unprovisioned by an administrator: provisioning it again (attempt %u) "
                 "with a new admin password",
                 uuid, (unsigned)a.rec.attempts + 1);
    }
    (void)snprintf(a.rec.profile, sizeof(a.rec.profile), "%s", a.prof.name);
    a.rec.state = SCS_DEVICE_PROVISIONING;
    a.rec.attempts++;
    a.rec.last_error[0] = '\0';
    (void)snprintf(a.rec.step, sizeof(a.rec.step), "start");
    if ((r = scs_device_put(e->pool, &a.rec)) != 0) {
        log_error("%s: cannot record the session start: %s", uuid, scs_strerror(r));
        scs_secret_free(a.pps);
        return;
    }
    /* Counted before the start: a session whose first request cannot even be
     * sent ends inside prov_session_start() and is counted out there. */
    dev->phase = PROV_DEV_RUNNING;
    e->stats.started++;
    e->stats.in_flight++;
    r = prov_session_start(e, dev, &a);
    scs_secret_free(a.pps);
    if (r != 0) {
        log_error("%s: cannot start a session: %s", uuid, scs_strerror(r));
        dev->phase = PROV_DEV_IDLE;
        e->stats.started--;
        e->stats.in_flight--;
    }
}

void prov_engine_session_ended(struct prov_engine *e, struct prov_dev *dev, int ok)
{
    dev->session = NULL;
    e->stats.in_flight--;
    if (ok > 0) {
        dev->phase = PROV_DEV_DONE;
        e->stats.provisioned++;
    } else {
        dev->phase = PROV_DEV_IDLE;
        dev->backoff_until = time(NULL) + (time_t)e->cfg.retry_backoff_s;
        if (ok < 0) {
            e->stats.refused++;
        } else {
            e->stats.failed++;
        }
    }
}
