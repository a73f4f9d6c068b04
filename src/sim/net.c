/*
 * The running fleet: one libevent loop; per device a listener on each of its
 * ports at its own loopback address; per connection an optional GnuTLS
 * session driven non-blocking from the loop.  TLS credentials are chosen per
 * device and per state:
 *
 *   in-provisioning, PSK mode   TLS-PSK, identity = PID, key = 32 PPS bytes (§4.3)
 *   in-provisioning, PKI mode   X.509, client certificate required and checked
 *                               by root hash and the §5.1 rules (empty CA list)
 *   post, MutualAuthentication  X.509, client certificate required: it must chain
 *                               to a root added with AddTrustedRootCertificate
 *                               and match TrustedCN when that is set
 *   otherwise                   X.509 with the device's TLS certificate
 *
 * A listener exists only while the device's state opens that interface
 * (sim_server_listener_open): a client of a closed interface is refused
 * (ECONNREFUSED), as by firmware that does not listen there.
 *
 * libmicrohttpd was the first choice, but one MHD daemon carries one set of
 * TLS credentials and one verification policy; per-device PSK keys,
 * per-device certificates and a hash-based client-certificate check with an
 * empty CertificateRequest CA list need the GnuTLS session itself, so the
 * simulator drives GnuTLS directly and keeps HTTP parsing in http.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gnutls/x509.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/fileio.h"
#include "common/log.h"
#include "common/secmem.h"
#include "event/event.h"
#include "sim/device.h"
#include "sim/fleet.h"
#include "sim/http.h"
#include "sim/rt.h"
#include "sim/server.h"
#include "sim/wsman.h"
#include "sim/x509.h"

#define SIM_CONN_IN_MAX    (SIM_HTTP_MAX_HEAD + 2 * SIM_HTTP_MAX_BODY)
#define SIM_CONN_OUT_MAX   (1024 * 1024)
#define SIM_CONN_IDLE_S    60
#define SIM_HANDSHAKE_S    20
#define SIM_MAX_CONNS      4096
#define SIM_LISTEN_BACKLOG 64

#define SIM_PRIO_PSK                                                                               \
    "NORMAL:-VERS-TLS1.3:+VERS-TLS1.2:+VERS-TLS1.1:+VERS-TLS1.0:+PSK:+ECDHE-PSK:+AES-128-CBC:"     \
    "+AES-256-CBC:+SHA1:+SHA256:%SERVER_PRECEDENCE"
#define SIM_PRIO_PSK_FALLBACK "NORMAL:-VERS-TLS1.3:+PSK:+ECDHE-PSK:+AES-128-CBC:+SHA1"
#define SIM_PRIO_X509                                                                              \
    "NORMAL:-VERS-TLS1.3:+VERS-TLS1.2:+VERS-TLS1.1:+VERS-TLS1.0:+RSA:+AES-128-CBC:+AES-256-CBC:"   \
    "+SHA1"
#define SIM_PRIO_X509_FALLBACK "NORMAL:-VERS-TLS1.3:+RSA"

enum sim_tls_mode {
    SIM_TLS_NONE = 0,
    SIM_TLS_PSK,
    SIM_TLS_PKI_PROV,
    SIM_TLS_SERVER,
    SIM_TLS_MUTUAL /* post-provisioning with MutualAuthentication=true */
};

struct sim_conn {
    struct sim_dev_rt *d;
    enum sim_listener kind;
    enum sim_tls_mode tls_mode;
    int fd;
    gnutls_session_t tls;
    struct sim_cred *cred;
    int hs_done;
    int prov; /* counted in d->prov_sessions */
    struct event *ev_read, *ev_write, *ev_timer, *ev_delay;
    struct scs_buf *in, *out, *held;
    size_t out_off;
    int close_after_write;
    int sent_continue;
};

static void conn_free(struct sim_conn *c);
static void conn_process(struct sim_conn *c);
static void conn_flush(struct sim_conn *c);
static int listeners_sync(struct sim_dev_rt *d);

/* ---------------- credentials ---------------- */

static void cred_put(struct sim_cred *cr)
{
    if (cr != NULL && --cr->refs == 0) {
        gnutls_certificate_free_credentials(cr->c);
        free(cr);
    }
}

static int verify_client_chain(gnutls_session_t s);

/* The certificate the device presents: the TLS credential context's, else its own. */
static struct sim_cred *cred_build(struct sim_dev_rt *d)
{
    const struct sim_device *dev = d->dev;
    const uint8_t *cert = dev->tls_cert_der, *key = dev->tls_key_der;
    size_t cl = dev->tls_cert_len, kl = dev->tls_key_len;
    struct sim_cred *cr;
    gnutls_datum_t cd, kd;

    if (dev->tls_credential_set) {
        const struct sim_cert_entry *e = sim_device_find_cert(dev, dev->tls_credential_cert);

        for (unsigned i = 0; e != NULL && i < dev->key_count; i++) {
            if (sim_x509_cert_matches_key(e->der, e->der_len, dev->keys[i].der,
                                          dev->keys[i].der_len)) {
                cert = e->der;
                cl = e->der_len;
                key = dev->keys[i].der;
                kl = dev->keys[i].der_len;
                break;
            }
        }
    }
    cr = calloc(1, sizeof(*cr));
    if (cr == NULL) {
        return NULL;
    }
    cd.data = (unsigned char *)(uintptr_t)cert;
    cd.size = (unsigned)cl;
    kd.data = (unsigned char *)(uintptr_t)key;
    kd.size = (unsigned)kl;
    if (gnutls_certificate_allocate_credentials(&cr->c) != 0) {
        free(cr);
        return NULL;
    }
    if (gnutls_certificate_set_x509_key_mem(cr->c, &cd, &kd, GNUTLS_X509_FMT_DER) < 0) {
        gnutls_certificate_free_credentials(cr->c);
        free(cr);
        return NULL;
    }
    /* The trusted roots verify mutual-TLS clients and name the acceptable CAs
     * in that CertificateRequest; provisioning TLS sends an empty list instead. */
    for (unsigned i = 0; i < dev->cert_count; i++) {
        gnutls_datum_t rd;

        if (!dev->certs[i].trusted_root) {
            continue;
        }
        rd.data = dev->certs[i].der;
        rd.size = (unsigned)dev->certs[i].der_len;
        if (gnutls_certificate_set_x509_trust_mem(cr->c, &rd, GNUTLS_X509_FMT_DER) < 0) {
            log_warn("device %u: trusted root %u unusable", dev->index, dev->certs[i].id);
        }
    }
    gnutls_certificate_set_verify_function(cr->c, verify_client_chain);
    cr->refs = 1;
    return cr;
}

static struct sim_cred *cred_get(struct sim_dev_rt *d)
{
    if (d->cred == NULL) {
        d->cred = cred_build(d);
    }
    if (d->cred != NULL) {
        d->cred->refs++;
    }
    return d->cred;
}

static void cred_invalidate(struct sim_dev_rt *d)
{
    cred_put(d->cred);
    d->cred = NULL;
}

/* gnutls_psk_server_credentials_function2 */
static int psk_lookup(gnutls_session_t s, const gnutls_datum_t *user, gnutls_datum_t *key)
{
    struct sim_conn *c = gnutls_session_get_ptr(s);
    const struct sim_device *dev;

    if (c == NULL || c->tls_mode != SIM_TLS_PSK) {
        return -1;
    }
    dev = c->d->dev;
    /* identity = the 8 raw PID characters (§4.3 PROP) */
    if (user->size != 8 || dev->pid[0] == '\0' || !scs_ct_eq(user->data, dev->pid, 8)) {
        log_info("device %u: TLS-PSK: unknown identity", dev->index);
        return -1;
    }
    key->data = gnutls_malloc(32);
    if (key->data == NULL) {
        return -1;
    }
    memcpy(key->data, dev->pps, 32);
    key->size = 32;
    return 0;
}

/* 1 if the leaf's subject CN is one of the device's TrustedCN entries (or none is set). */
static int trusted_cn_ok(const struct sim_device *dev, const gnutls_datum_t *leaf)
{
    gnutls_x509_crt_t crt;
    int ok = 0;

    if (dev->tls_trusted_cn_count == 0) {
        return 1;
    }
    if (gnutls_x509_crt_init(&crt) != 0) {
        return 0;
    }
    if (gnutls_x509_crt_import(crt, leaf, GNUTLS_X509_FMT_DER) == 0) {
        for (unsigned k = 0; !ok; k++) {
            char cn[SIM_CN_MAX + 1];
            size_t n = sizeof(cn);

            if (gnutls_x509_crt_get_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, k, 0, cn, &n) !=
                0) {
                break;
            }
            for (unsigned i = 0; i < dev->tls_trusted_cn_count; i++) {
                if (strcasecmp(cn, dev->tls_trusted_cn[i]) == 0) {
                    ok = 1;
                }
            }
        }
    }
    gnutls_x509_crt_deinit(crt);
    return ok;
}

/* MutualAuthentication after provisioning: a chain to a trusted root, and TrustedCN. */
static int verify_mutual(struct sim_conn *c, gnutls_session_t s)
{
    const struct sim_device *dev = c->d->dev;
    const gnutls_datum_t *peers;
    unsigned n = 0, status = 0;

    peers = gnutls_certificate_get_peers(s, &n);
    if (peers == NULL || n == 0) {
        log_info("device %u: mutual TLS without a client certificate", dev->index);
        return -1;
    }
    if (gnutls_certificate_verify_peers2(s, &status) != 0 || status != 0) {
        gnutls_datum_t why = {NULL, 0};

        if (gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509, &why, 0) == 0) {
            log_info("device %u: client certificate rejected: %s", dev->index, why.data);
            gnutls_free(why.data);
        } else {
            log_info("device %u: client certificate rejected", dev->index);
        }
        return -1;
    }
    if (!trusted_cn_ok(dev, &peers[0])) {
        log_info("device %u: client certificate rejected: CN not in TrustedCN", dev->index);
        return -1;
    }
    return 0;
}

static int verify_client_chain(gnutls_session_t s)
{
    struct sim_conn *c = gnutls_session_get_ptr(s);
    const gnutls_datum_t *peers;
    const uint8_t *der[SIM_MAX_CHAIN + 2];
    size_t len[SIM_MAX_CHAIN + 2];
    unsigned n = 0;
    struct scs_diag dg;

    if (c != NULL && c->tls_mode == SIM_TLS_MUTUAL) {
        return verify_mutual(c, s);
    }
    if (c == NULL || c->tls_mode != SIM_TLS_PKI_PROV) {
        return 0;
    }
    peers = gnutls_certificate_get_peers(s, &n);
    if (peers == NULL || n == 0) {
        log_info("device %u: provisioning TLS without a client certificate", c->d->dev->index);
        return -1;
    }
    if (n > SIM_MAX_CHAIN + 2) {
        return -1;
    }
    for (unsigned i = 0; i < n; i++) {
        der[i] = peers[i].data;
        len[i] = peers[i].size;
    }
    scs_diag_clear(&dg);
    if (sim_x509_check_prov_chain(c->d->dev, der, len, n, &dg) != 0) {
        log_info("device %u: provisioning certificate rejected: %s", c->d->dev->index, dg.reason);
        return -1;
    }
    return 0;
}

/* ---------------- connections ---------------- */

static void conn_arm_timer(struct sim_conn *c, int seconds)
{
    struct timeval tv = {seconds, 0};

    evtimer_add(c->ev_timer, &tv);
}

static void conn_want_write(struct sim_conn *c)
{
    event_add(c->ev_write, NULL);
}

static void apply_events(struct sim_dev_rt *d, const struct sim_request_result *res)
{
    if (res->events & SIM_EV_TLS_CHANGED) {
        cred_invalidate(d);
    }
    if (res->events & SIM_EV_HELLO_STOP) {
        sim_hello_stop(d);
    }
    if (res->events & SIM_EV_HELLO_RESTART) {
        sim_hello_start(d);
    }
    if (res->events & SIM_EV_EXTEND) {
        sim_hello_extend(d, res->extend_hours);
    }
    /* Any request may have moved the device between pre, in and post, or
     * changed whether TLS allows plain HTTP: open and close listeners to match.
     * A listener that cannot be bound now is tried again after the next request. */
    (void)listeners_sync(d);
}

/* Drop the first n bytes of the input buffer. */
static int consume(struct sim_conn *c, size_t n)
{
    struct scs_buf *nb;
    size_t len = scs_buf_len(c->in);

    if (n >= len) {
        scs_buf_reset(c->in);
        return 0;
    }
    nb = scs_buf_new(SIM_CONN_IN_MAX);
    if (nb == NULL || scs_buf_put(nb, scs_buf_data(c->in) + n, len - n) != 0) {
        scs_buf_free(nb);
        return SCS_ERR_NOMEM;
    }
    scs_buf_free(c->in);
    c->in = nb;
    return 0;
}

static void delay_cb(evutil_socket_t fd, short what, void *arg)
{
    struct sim_conn *c = arg;

    (void)fd;
    (void)what;
    if (c->held != NULL) {
        (void)scs_buf_put(c->out, scs_buf_data(c->held), scs_buf_len(c->held));
        scs_buf_free(c->held);
        c->held = NULL;
    }
    conn_flush(c);
}

static void conn_process(struct sim_conn *c)
{
    struct sim_dev_rt *d = c->d;

    while (c->held == NULL && !c->close_after_write && scs_buf_len(c->in) > 0) {
        struct sim_http_req req;
        struct sim_request_result res;
        struct scs_diag dg;
        struct scs_buf *resp;
        struct timespec ts;
        int rc;

        memset(&req, 0, sizeof(req));
        rc = sim_http_parse(scs_buf_data(c->in), scs_buf_len(c->in), &req, &dg);
        if (rc == SIM_HTTP_NEED_MORE) {
            if (req.headers_done && req.expect_continue && !c->sent_continue) {
                (void)scs_buf_put_str(c->out, "HTTP/1.1 100 Continue\r\n\r\n");
                c->sent_continue = 1;
            }
            sim_http_req_clear(&req);
            break;
        }
        if (rc != 0) {
            log_info("device %u: bad HTTP request: %s", d->dev->index, dg.reason);
            sim_http_req_clear(&req);
            (void)sim_server_bad_request(d->dev, c->out);
            c->close_after_write = 1;
            break;
        }
        c->sent_continue = 0;
        d->rt->requests++;
        if (d->drop_armed) {
            if (d->drop_remaining == 0) {
                log_info("device %u: fault: dropping the connection", d->dev->index);
                d->drop_armed = 0;
                sim_http_req_clear(&req);
                conn_free(c);
                return;
            }
            d->drop_remaining--;
        }
        resp = scs_buf_new(SIM_CONN_OUT_MAX);
        if (resp == NULL) {
            sim_http_req_clear(&req);
            conn_free(c);
            return;
        }
        clock_gettime(CLOCK_REALTIME, &ts);
        rc = sim_server_handle(d->dev, c->kind, c->prov, &req, d->faults.soap_call,
                               (uint64_t)ts.tv_sec, resp, &res);
        if (consume(c, req.consumed) != 0) {
            rc = SCS_ERR_NOMEM;
        }
        sim_http_req_clear(&req);
        if (rc != 0) {
            scs_buf_free(resp);
            conn_free(c);
            return;
        }
        apply_events(d, &res);
        if (res.close) {
            c->close_after_write = 1;
        }
        if (d->faults.delay_ms > 0) {
            struct timeval tv = {(time_t)(d->faults.delay_ms / 1000),
                                 (suseconds_t)(d->faults.delay_ms % 1000) * 1000};

            c->held = resp;
            evtimer_add(c->ev_delay, &tv);
            break;
        }
        rc = scs_buf_put(c->out, scs_buf_data(resp), scs_buf_len(resp));
        scs_buf_free(resp);
        if (rc != 0) {
            conn_free(c);
            return;
        }
    }
    conn_flush(c);
}

static void conn_flush(struct sim_conn *c)
{
    while (c->out_off < scs_buf_len(c->out)) {
        const uint8_t *p = scs_buf_data(c->out) + c->out_off;
        size_t n = scs_buf_len(c->out) - c->out_off;
        ssize_t w;

        if (c->tls != NULL) {
            w = gnutls_record_send(c->tls, p, n);
            if (w == GNUTLS_E_AGAIN || w == GNUTLS_E_INTERRUPTED) {
                conn_want_write(c);
                return;
            }
        } else {
            w = send(c->fd, p, n, MSG_NOSIGNAL);
            if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
                conn_want_write(c);
                return;
            }
        }
        if (w <= 0) {
            conn_free(c);
            return;
        }
        c->out_off += (size_t)w;
    }
    scs_buf_reset(c->out);
    c->out_off = 0;
    if (c->close_after_write && c->held == NULL) {
        if (c->tls != NULL) {
            (void)gnutls_bye(c->tls, GNUTLS_SHUT_WR);
        }
        conn_free(c);
        return;
    }
    /* Pipelined requests waiting behind a delayed answer. */
    if (c->held == NULL && scs_buf_len(c->in) > 0 && !evtimer_pending(c->ev_delay, NULL)) {
        struct sim_http_req probe;
        struct scs_diag dg;

        memset(&probe, 0, sizeof(probe));
        if (sim_http_parse(scs_buf_data(c->in), scs_buf_len(c->in), &probe, &dg) == 0) {
            sim_http_req_clear(&probe);
            conn_process(c);
            return;
        }
        sim_http_req_clear(&probe);
    }
}

static void conn_handshake(struct sim_conn *c)
{
    struct sim_dev_rt *d = c->d;
    int r = gnutls_handshake(c->tls);

    if (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED) {
        if (gnutls_record_get_direction(c->tls) == 1) {
            conn_want_write(c);
        }
        return;
    }
    if (r < 0) {
        log_info("device %u: TLS handshake failed: %s", d->dev->index, gnutls_strerror(r));
        conn_free(c);
        return;
    }
    c->hs_done = 1;
    conn_arm_timer(c, SIM_CONN_IDLE_S);
    if ((c->tls_mode == SIM_TLS_PSK || c->tls_mode == SIM_TLS_PKI_PROV) &&
        d->dev->prov_state == SIM_PROV_IN) {
        /* A successful provisioning handshake stops the Hello timer (§3.3). */
        c->prov = 1;
        d->prov_sessions++;
        log_info("device %u: provisioning session open (%s)", d->dev->index,
                 c->tls_mode == SIM_TLS_PSK ? "TLS-PSK" : "mutual TLS");
    }
    if (gnutls_record_check_pending(c->tls) > 0) {
        event_active(c->ev_read, EV_READ, 0);
    }
}

static void conn_read_cb(evutil_socket_t fd, short what, void *arg)
{
    struct sim_conn *c = arg;
    uint8_t tmp[16384];

    (void)what;
    if (c->tls != NULL && !c->hs_done) {
        conn_handshake(c);
        return;
    }
    conn_arm_timer(c, SIM_CONN_IDLE_S);
    for (;;) {
        ssize_t n;

        if (c->tls != NULL) {
            n = gnutls_record_recv(c->tls, tmp, sizeof(tmp));
            if (n == GNUTLS_E_AGAIN) {
                break;
            }
            if (n == GNUTLS_E_INTERRUPTED || n == GNUTLS_E_REHANDSHAKE) {
                continue;
            }
        } else {
            n = recv(fd, tmp, sizeof(tmp), 0);
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                break;
            }
            if (n < 0 && errno == EINTR) {
                continue;
            }
        }
        if (n <= 0) {
            conn_free(c);
            return;
        }
        if (scs_buf_put(c->in, tmp, (size_t)n) != 0) {
            log_info("device %u: request too large", c->d->dev->index);
            conn_free(c);
            return;
        }
        if (c->tls != NULL && gnutls_record_check_pending(c->tls) > 0) {
            continue;
        }
        if (c->tls == NULL) {
            continue;
        }
        break;
    }
    conn_process(c);
}

static void conn_write_cb(evutil_socket_t fd, short what, void *arg)
{
    struct sim_conn *c = arg;

    (void)fd;
    (void)what;
    if (c->tls != NULL && !c->hs_done) {
        conn_handshake(c);
        return;
    }
    conn_flush(c);
}

static void conn_timer_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    conn_free(arg);
}

static void conn_free(struct sim_conn *c)
{
    struct sim_dev_rt *d = c->d;

    if (c->prov) {
        d->prov_sessions--;
        /* An aborted or finished session that did not provision: Hellos go on. */
        if (d->prov_sessions == 0 && d->dev->prov_state == SIM_PROV_IN) {
            sim_hello_resume(d);
        }
    }
    if (c->ev_read != NULL) {
        event_free(c->ev_read);
    }
    if (c->ev_write != NULL) {
        event_free(c->ev_write);
    }
    if (c->ev_timer != NULL) {
        event_free(c->ev_timer);
    }
    if (c->ev_delay != NULL) {
        event_free(c->ev_delay);
    }
    if (c->tls != NULL) {
        gnutls_deinit(c->tls);
    }
    cred_put(c->cred);
    close(c->fd);
    scs_buf_free(c->in);
    scs_buf_free(c->out);
    scs_buf_free(c->held);
    d->rt->open_conns--;
    free(c);
}

static int conn_tls_setup(struct sim_conn *c)
{
    struct sim_dev_rt *d = c->d;
    const struct sim_device *dev = d->dev;
    int r;

    if (gnutls_init(&c->tls, GNUTLS_SERVER | GNUTLS_NONBLOCK) != 0) {
        return SCS_ERR_CRYPTO;
    }
    gnutls_session_set_ptr(c->tls, c);
    gnutls_transport_set_int(c->tls, c->fd);
    if (dev->prov_state == SIM_PROV_IN && dev->mode == SIM_MODE_PSK && dev->pid[0] != '\0') {
        c->tls_mode = SIM_TLS_PSK;
        r = gnutls_credentials_set(c->tls, GNUTLS_CRD_PSK, d->rt->psk);
        if (r == 0) {
            r = gnutls_priority_set(c->tls, d->rt->prio_psk);
        }
        return r == 0 ? 0 : SCS_ERR_CRYPTO;
    }
    c->cred = cred_get(d);
    if (c->cred == NULL) {
        return SCS_ERR_CRYPTO;
    }
    r = gnutls_credentials_set(c->tls, GNUTLS_CRD_CERTIFICATE, c->cred->c);
    if (r == 0) {
        r = gnutls_priority_set(c->tls, d->rt->prio_x509);
    }
    if (r != 0) {
        return SCS_ERR_CRYPTO;
    }
    if (dev->prov_state == SIM_PROV_IN && dev->mode == SIM_MODE_PKI) {
        c->tls_mode = SIM_TLS_PKI_PROV;
        gnutls_certificate_server_set_request(c->tls, GNUTLS_CERT_REQUIRE);
        /* The device knows only hashes: CertificateRequest with an empty CA list (§5.4). */
        gnutls_certificate_send_x509_rdn_sequence(c->tls, 1);
    } else if (dev->prov_state == SIM_PROV_POST && dev->tls_remote_enabled &&
               dev->tls_remote_mutual) {
        /* AMT_TLSSettingData MutualAuthentication: no session without a client
         * certificate the device trusts (checked in verify_mutual). */
        c->tls_mode = SIM_TLS_MUTUAL;
        gnutls_certificate_server_set_request(c->tls, GNUTLS_CERT_REQUIRE);
    } else {
        c->tls_mode = SIM_TLS_SERVER;
    }
    return 0;
}

static void accept_cb(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int sl,
                      void *arg)
{
    struct sim_dev_rt *d = arg;
    struct sim_conn *c;
    enum sim_listener kind = SIM_LISTEN_TLS;

    (void)sa;
    (void)sl;
    for (int k = 0; k < 3; k++) {
        if (d->lis[k] == l) {
            kind = (enum sim_listener)k;
        }
    }
    /* listeners_sync keeps only open interfaces listening, so the first test
     * is a safety net; the second sheds load. */
    if (!sim_server_listener_open(d->dev, kind) || d->rt->open_conns >= SIM_MAX_CONNS) {
        close(fd);
        return;
    }
    c = calloc(1, sizeof(*c));
    if (c == NULL) {
        close(fd);
        return;
    }
    c->d = d;
    c->fd = fd;
    c->kind = kind;
    d->rt->open_conns++;
    d->rt->conns++;
    c->in = scs_buf_new(SIM_CONN_IN_MAX);
    c->out = scs_buf_new(SIM_CONN_OUT_MAX);
    c->ev_read = event_new(d->rt->base, fd, EV_READ | EV_PERSIST, conn_read_cb, c);
    c->ev_write = event_new(d->rt->base, fd, EV_WRITE, conn_write_cb, c);
    c->ev_timer = evtimer_new(d->rt->base, conn_timer_cb, c);
    c->ev_delay = evtimer_new(d->rt->base, delay_cb, c);
    if (c->in == NULL || c->out == NULL || c->ev_read == NULL || c->ev_write == NULL ||
        c->ev_timer == NULL || c->ev_delay == NULL) {
        conn_free(c);
        return;
    }
    if (kind == SIM_LISTEN_TLS && conn_tls_setup(c) != 0) {
        log_error("device %u: TLS setup failed", d->dev->index);
        conn_free(c);
        return;
    }
    event_add(c->ev_read, NULL);
    conn_arm_timer(c, c->tls != NULL ? SIM_HANDSHAKE_S : SIM_CONN_IDLE_S);
}

/* ---------------- faults, signals, life cycle ---------------- */

static void faults_reload(struct sim_rt *rt, int at_start)
{
    for (unsigned i = 0; i < rt->ndev; i++) {
        struct sim_dev_rt *d = &rt->devs[i];
        struct sim_faults f;
        char path[600];

        sim_faults_path(d->dev->path, path, sizeof(path));
        if (sim_faults_read(path, &f) != 0) {
            continue;
        }
        if (d->faults_seen && f.seq == d->fault_seq) {
            continue;
        }
        d->faults = f;
        d->fault_seq = f.seq;
        /* One-shot faults fire only for a command given after this run started
         * reading the file, never for a stale file at start-up. */
        if (!at_start) {
            if (f.drop_set) {
                d->drop_armed = 1;
                d->drop_remaining = f.drop_after;
            }
            if (f.reboot) {
                sim_hello_reboot(d);
            }
        }
        d->faults_seen = 1;
        log_info("device %u: faults: drop %s%u delay %u ms soap '%s'%s", d->dev->index,
                 d->drop_armed ? "" : "off/", f.drop_after, f.delay_ms, f.soap_call,
                 f.reboot ? " reboot" : "");
    }
}

static void sig_cb(evutil_socket_t sig, short what, void *arg)
{
    struct sim_rt *rt = arg;

    (void)what;
    if (sig == SIGHUP) {
        faults_reload(rt, 0);
        return;
    }
    log_info("signal %d: shutting down", (int)sig);
    event_base_loopexit(rt->base, NULL);
}

static void stop_cb(evutil_socket_t fd, short what, void *arg)
{
    struct sim_rt *rt = arg;

    (void)fd;
    (void)what;
    event_base_loopexit(rt->base, NULL);
}

static void stats_cb(evutil_socket_t fd, short what, void *arg)
{
    struct sim_rt *rt = arg;

    (void)fd;
    (void)what;
    log_info("hellos sent %llu failed %llu, connections %llu, requests %llu", rt->hellos_sent,
             rt->hellos_failed, rt->conns, rt->requests);
}

static void raise_fd_limit(void)
{
    struct rlimit rl;

    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        (void)setrlimit(RLIMIT_NOFILE, &rl);
    }
}

static struct evconnlistener *listen_on(struct sim_dev_rt *d, uint16_t port)
{
    struct sockaddr_in sa;

    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(d->dev->addr);
    sa.sin_port = htons(port);
    return evconnlistener_new_bind(d->rt->base, accept_cb, d,
                                   LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE |
                                       LEV_OPT_CLOSE_ON_EXEC,
                                   SIM_LISTEN_BACKLOG, (struct sockaddr *)&sa, sizeof(sa));
}

static uint16_t listener_port(const struct sim_rt *rt, int kind)
{
    switch (kind) {
    case SIM_LISTEN_TLS:
        return rt->opts.tls_port;
    case SIM_LISTEN_HTTP:
        return rt->opts.http_port;
    case SIM_LISTEN_LOCAL:
        return rt->opts.local_port;
    default:
        return 0;
    }
}

/*
 * Listen on exactly the interfaces the device's state opens.  A closed
 * interface has no listening socket at all, so a client gets ECONNREFUSED,
 * as from firmware, instead of a connection that is accepted and dropped.
 * Connections already accepted live on; they are not tied to the listener.
 */
static int listeners_sync(struct sim_dev_rt *d)
{
    int rc = 0;

    for (int k = 0; k < 3; k++) {
        uint16_t port = listener_port(d->rt, k);
        int want = port != 0 && sim_server_listener_open(d->dev, (enum sim_listener)k);

        if (!want && d->lis[k] != NULL) {
            evconnlistener_free(d->lis[k]);
            d->lis[k] = NULL;
            log_debug("device %u: port %u closed", d->dev->index, port);
        } else if (want && d->lis[k] == NULL) {
            d->lis[k] = listen_on(d, port);
            if (d->lis[k] == NULL) {
                char addr[16];

                sim_addr_text(d->dev->addr, addr);
                log_error("device %u: cannot listen on %s:%u: %s", d->dev->index, addr, port,
                          strerror(errno));
                rc = SCS_ERR_NETWORK;
            } else {
                log_debug("device %u: port %u open", d->dev->index, port);
            }
        }
    }
    return rc;
}

static int prio_init(gnutls_priority_t *p, const char *want, const char *fallback)
{
    const char *err = NULL;

    if (gnutls_priority_init(p, want, &err) == 0) {
        return 0;
    }
    log_warn("GnuTLS priority \"%s\" refused near \"%s\"; using \"%s\"", want,
             err != NULL ? err : "?", fallback);
    return gnutls_priority_init(p, fallback, NULL) == 0 ? 0 : SCS_ERR_CRYPTO;
}

static int write_pidfile(struct sim_rt *rt)
{
    char text[32];
    int n = snprintf(text, sizeof(text), "%ld\n", (long)getpid());

    snprintf(rt->pidfile, sizeof(rt->pidfile), "%s/amtsim.pid", rt->fleet->dir);
    return scs_file_write_atomic(rt->pidfile, text, (size_t)n, 0600);
}

int sim_run(struct sim_fleet *f, const struct sim_run_opts *o)
{
    struct sim_rt rt;
    int rc = 0;

    memset(&rt, 0, sizeof(rt));
    rt.fleet = f;
    rt.opts = *o;
    if (rt.opts.time_scale <= 0) {
        rt.opts.time_scale = 1;
    }
    if (rt.opts.max_hellos_in_flight == 0) {
        rt.opts.max_hellos_in_flight = 256;
    }
    raise_fd_limit();
    signal(SIGPIPE, SIG_IGN);
    clock_gettime(CLOCK_MONOTONIC, &rt.start);
    rt.base = scs_event_base_new();
    if (rt.base == NULL) {
        return SCS_ERR_NOMEM;
    }
    if (prio_init(&rt.prio_psk, SIM_PRIO_PSK, SIM_PRIO_PSK_FALLBACK) != 0 ||
        prio_init(&rt.prio_x509, SIM_PRIO_X509, SIM_PRIO_X509_FALLBACK) != 0 ||
        gnutls_psk_allocate_server_credentials(&rt.psk) != 0) {
        event_base_free(rt.base);
        return SCS_ERR_CRYPTO;
    }
    gnutls_psk_set_server_credentials_function2(rt.psk, psk_lookup);
    rt.ndev = f->count;
    rt.devs = calloc(f->count > 0 ? f->count : 1, sizeof(*rt.devs));
    if (rt.devs == NULL) {
        rc = SCS_ERR_NOMEM;
        goto out;
    }
    for (unsigned i = 0; i < f->count; i++) {
        struct sim_dev_rt *d = &rt.devs[i];

        d->rt = &rt;
        d->dev = f->dev[i];
        sim_hello_init(d);
        rc = listeners_sync(d);
        if (rc != 0) {
            goto out;
        }
    }
    faults_reload(&rt, 1);
    rt.sig_term = evsignal_new(rt.base, SIGTERM, sig_cb, &rt);
    rt.sig_int = evsignal_new(rt.base, SIGINT, sig_cb, &rt);
    rt.sig_hup = evsignal_new(rt.base, SIGHUP, sig_cb, &rt);
    rt.stats_timer = event_new(rt.base, -1, EV_PERSIST, stats_cb, &rt);
    if (rt.sig_term == NULL || rt.sig_int == NULL || rt.sig_hup == NULL || rt.stats_timer == NULL) {
        rc = SCS_ERR_NOMEM;
        goto out;
    }
    event_add(rt.sig_term, NULL);
    event_add(rt.sig_int, NULL);
    event_add(rt.sig_hup, NULL);
    {
        struct timeval tv = {60, 0};

        event_add(rt.stats_timer, &tv);
    }
    if (o->run_seconds > 0) {
        struct timeval tv = {
            (time_t)o->run_seconds,
            (suseconds_t)((o->run_seconds - (double)(time_t)o->run_seconds) * 1e6)};

        rt.stop_timer = evtimer_new(rt.base, stop_cb, &rt);
        if (rt.stop_timer != NULL) {
            evtimer_add(rt.stop_timer, &tv);
        }
    }
    for (unsigned i = 0; i < rt.ndev; i++) {
        sim_hello_start(&rt.devs[i]);
    }
    if (write_pidfile(&rt) != 0) {
        log_warn("cannot write %s", rt.pidfile);
    }
    log_info("running %u devices (tls %u, http %u, local %u, time scale %g)", rt.ndev, o->tls_port,
             o->http_port, o->local_port, rt.opts.time_scale);
    event_base_dispatch(rt.base);
    log_info("hellos sent %llu failed %llu, connections %llu, requests %llu", rt.hellos_sent,
             rt.hellos_failed, rt.conns, rt.requests);
out:
    for (unsigned i = 0; rt.devs != NULL && i < rt.ndev; i++) {
        struct sim_dev_rt *d = &rt.devs[i];

        if (d->dev == NULL) {
            continue;
        }
        sim_hello_account(d);
        if (d->state_dirty && sim_device_save(d->dev) != 0) {
            log_error("device %u: cannot save state", d->dev->index);
        }
        for (int k = 0; k < 3; k++) {
            if (d->lis[k] != NULL) {
                evconnlistener_free(d->lis[k]);
            }
        }
        sim_hello_free(d);
        cred_put(d->cred);
    }
    if (rt.pidfile[0] != '\0') {
        (void)unlink(rt.pidfile);
    }
    if (rt.sig_term != NULL) {
        event_free(rt.sig_term);
    }
    if (rt.sig_int != NULL) {
        event_free(rt.sig_int);
    }
    if (rt.sig_hup != NULL) {
        event_free(rt.sig_hup);
    }
    if (rt.stop_timer != NULL) {
        event_free(rt.stop_timer);
    }
    if (rt.stats_timer != NULL) {
        event_free(rt.stats_timer);
    }
    free(rt.devs);
    gnutls_psk_free_server_credentials(rt.psk);
    gnutls_priority_deinit(rt.prio_psk);
    gnutls_priority_deinit(rt.prio_x509);
    event_base_free(rt.base);
    return rc;
}
