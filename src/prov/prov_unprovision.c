/*
 * scsctl device unprovision: the WS-Man and registry work (unprovision.h).
 *
 * Two blocking requests, each on its own Digest-authenticated connection:
 * GetUuid, so that a device that took over the recorded address (DHCP) is
 * never unprovisioned by mistake (a fixed profile password would open it),
 * then Unprovision(ProvisioningMode=1).  Only then is the registry changed.
 */
#include <stdio.h>
#include <string.h>

#include "common/buf.h"
#include "common/encoding.h"
#include "common/err.h"
#include "common/secmem.h"
#include "formats/hello.h"
#include "http/http.h"
#include "prov/unprovision.h"
#include "psk/pool.h"
#include "registry/registry.h"
#include "tls/tls.h"
#include "wsman/wsman.h"
#include "wsman/wsman_amt.h"

#define UNPROV_SETUP_CLASS "AMT_SetupAndConfigurationService"
#define UNPROV_MODE_FULL   1u /* ProvisioningMode 1: back to factory settings (AMT 6+) */

/* What one connection to the device needs; secrets stay in pw. */
struct unprov_link {
    const struct scs_device *d;
    struct http_options http;
    struct tls_session *tls;
    struct scs_secret *pw;
};

typedef int (*unprov_build_fn)(struct wsman_builder *b, struct scs_buf *out);

static int build_unprovision(struct wsman_builder *b, struct scs_buf *out)
{
    return wsman_amt_unprovision(b, UNPROV_MODE_FULL, out);
}

/* Transport errors in plain words; the device is named by address and port. */
static int describe_post_error(const struct unprov_link *l, int err, long status, const char *call,
                               struct scs_diag *diag)
{
    const char *host = l->http.host;
    unsigned port = l->http.port;

    switch (err) {
    case SCS_ERR_TIMEOUT:
        return scs_diag_failn(diag, err, "no answer from the device at %s:%u to %s", host, port,
                              call);
    case SCS_ERR_AUTH:
        if (status == 401) {
            return scs_diag_failn(diag, err,
                                  "the device at %s:%u refused Digest authentication as admin "
                                  "for %s (was it unprovisioned or re-provisioned elsewhere?)",
                                  host, port, call);
        }
        if (l->tls != NULL && tls_session_pin_mismatch(l->tls)) {
            return scs_diag_failn(diag, err,
                                  "the device at %s:%u presented a TLS certificate other than "
                                  "the one recorded at provisioning",
                                  host, port);
        }
        return scs_diag_failn(diag, err, "TLS handshake with the device at %s:%u failed", host,
                              port);
    case SCS_ERR_TOO_LARGE:
        return scs_diag_failn(diag, SCS_ERR_PROTOCOL, "the device's answer to %s was too large",
                              call);
    default:
        return scs_diag_failn(diag, err == SCS_ERR_NOMEM ? err : SCS_ERR_NETWORK,
                              "cannot reach the device at %s:%u for %s (%s)", host, port, call,
                              scs_strerror(err));
    }
}

/* One request; *rv gets the method's ReturnValue. */
static int unprov_call(struct unprov_link *l, struct wsman_builder *wb, unprov_build_fn build,
                       const char *method, uint32_t *rv, uint8_t *uuid_out /* GetUuid: 16 bytes */,
                       struct scs_diag *diag)
{
    struct scs_buf *req = scs_buf_new(WSMAN_REQUEST_MAX);
    struct scs_buf *resp = NULL;
    struct wsman_response *r = NULL;
    const struct wsman_fault *f;
    struct scs_diag pd;
    long status = 0;
    int e;

    if (req == NULL) {
        return scs_diag_failn(diag, SCS_ERR_NOMEM, "out of memory");
    }
    if ((e = build(wb, req)) != 0) {
        scs_buf_free(req);
        return scs_diag_failn(diag, e, "cannot build %s (%s)", method, scs_strerror(e));
    }
    e = http_post_blocking(&l->http, scs_buf_data(req), scs_buf_len(req), &status, &resp);
    scs_buf_free(req);
    if (e != 0) {
        scs_buf_free(resp);
        return describe_post_error(l, e, status, method, diag);
    }
    scs_diag_clear(&pd);
    e = wsman_response_parse(scs_buf_data(resp), scs_buf_len(resp), &r, &pd);
    scs_buf_free(resp);
    if (e != 0) {
        if (status != 200) {
            return scs_diag_failn(diag, SCS_ERR_PROTOCOL,
                                  "the device answered %s with HTTP status %ld", method, status);
        }
        return scs_diag_failn(diag, SCS_ERR_PROTOCOL, "the device's answer to %s is not WS-Man: %s",
                              method, pd.reason);
    }
    if ((f = wsman_response_fault(r)) != NULL) {
        e = scs_diag_failn(diag, SCS_ERR_PROTOCOL, "the device answered %s with a fault (%s %s)",
                           method, f->subcode, f->reason);
        wsman_response_free(r);
        return e;
    }
    if (uuid_out != NULL) {
        e = wsman_amt_read_uuid(r, uuid_out, &pd);
        *rv = 0;
    } else {
        e = wsman_response_expect_output(r, UNPROV_SETUP_CLASS, method, rv, &pd);
    }
    wsman_response_free(r);
    if (e != 0) {
        return scs_diag_failn(diag, SCS_ERR_PROTOCOL, "unexpected answer to %s: %s", method,
                              pd.reason);
    }
    return 0;
}

/* TLS with the recorded pin when the server configured TLS on the device (its
 * certificate is then the one we issued); plain HTTP otherwise, as the device
 * was left accepting it. */
static int link_open(struct scs_pool *p, const struct scs_device *d,
                     const struct prov_unprovision_opts *o, struct unprov_link *l,
                     struct scs_diag *diag)
{
    struct scs_profile prof;
    uint8_t fp[TLS_FINGERPRINT_LEN];
    int tls_configured = 0, e;

    memset(l, 0, sizeof(*l));
    l->d = d;
    if (d->address[0] == '\0') {
        return scs_diag_failn(diag, SCS_ERR_NOT_FOUND,
                              "no address is recorded for %s (it never sent a Hello)", d->uuid);
    }
    e = scs_device_secret_get(p, d->uuid, "admin_password", &l->pw);
    if (e == SCS_ERR_NOT_FOUND) {
        return scs_diag_failn(diag, e,
                              "no admin password is recorded for %s, so it cannot be logged in "
                              "to (use --mark-only for a device that is gone)",
                              d->uuid);
    }
    if (e != 0) {
        return scs_diag_failn(diag, e, "cannot read the admin password of %s (%s)", d->uuid,
                              scs_strerror(e));
    }
    if (d->profile[0] != '\0' && scs_profile_get(p, d->profile, &prof) == 0) {
        tls_configured = prof.configure_tls;
    }
    if (tls_configured && strlen(d->tls_fingerprint) == 2 * TLS_FINGERPRINT_LEN &&
        scs_hex_decode(fp, sizeof(fp), d->tls_fingerprint, strlen(d->tls_fingerprint)) == 0) {
        if ((e = tls_session_new_pinned(fp, NULL, &l->tls)) != 0) {
            return scs_diag_failn(diag, e, "cannot set up TLS (%s)", scs_strerror(e));
        }
        l->http.port = o->tls_port != 0 ? o->tls_port : HTTP_PORT_TLS;
    } else {
        l->http.port = o->http_port != 0 ? o->http_port : HTTP_PORT_PLAIN;
    }
    l->http.host = d->address;
    l->http.tls = l->tls;
    l->http.auth = HTTP_AUTH_DIGEST;
    l->http.username = "admin";
    l->http.password = scs_secret_str(l->pw);
    l->http.timeout_ms = o->timeout_ms;
    /* A short timeout must bound the connect too (an address nobody answers). */
    if (o->timeout_ms > 0 && o->timeout_ms < HTTP_CONNECT_TIMEOUT) {
        l->http.connect_timeout_ms = o->timeout_ms;
    }
    return 0;
}

static void link_close(struct unprov_link *l)
{
    tls_session_free(l->tls);
    scs_secret_free(l->pw);
    l->tls = NULL;
    l->pw = NULL;
}

/* GetUuid, then Unprovision. */
static int contact(struct scs_pool *p, const struct scs_device *d,
                   const struct prov_unprovision_opts *o, struct prov_unprovision_result *res,
                   struct scs_diag *diag)
{
    struct unprov_link l;
    struct wsman_builder *wb = NULL;
    uint8_t raw[SCS_UUID_LEN];
    char seen[SCS_UUID_TEXT_LEN + 1];
    uint32_t rv = 0;
    int e;

    e = link_open(p, d, o, &l, diag);
    res->over_tls = l.tls != NULL;
    res->port = l.http.port;
    if (e == 0 && (wb = wsman_builder_new()) == NULL) {
        e = scs_diag_failn(diag, SCS_ERR_NOMEM, "out of memory");
    }
    if (e == 0) {
        res->contacted = 1;
        e = unprov_call(&l, wb, wsman_amt_get_uuid, "GetUuid", &rv, raw, diag);
    }
    if (e == 0) {
        scs_uuid_to_text(raw, seen);
        if (strcmp(seen, d->uuid) != 0) {
            e = scs_diag_failn(diag, SCS_ERR_PROTOCOL,
                               "the device at %s is %s, not %s; nothing was changed (its address "
                               "is from its last Hello)",
                               d->address, seen, d->uuid);
        }
    }
    if (e == 0) {
        e = unprov_call(&l, wb, build_unprovision, "Unprovision", &rv, NULL, diag);
    }
    if (e == 0 && rv != 0) {
        e = scs_diag_failn(diag, SCS_ERR_PROTOCOL,
                           "the device refused Unprovision (ReturnValue %u)", (unsigned)rv);
    }
    wsman_builder_free(wb);
    link_close(&l);
    return e;
}

/* The registry side, the same for a real unprovision and --mark-only. */
static int mark(struct scs_pool *p, struct scs_device *d, const char *event, const char *detail,
                struct scs_diag *diag)
{
    int e;

    /* A provisioned PSK device holds the pair SetTLSPSK gave it and comes back
     * with it: that pair becomes "the one it came with" (marked used when it is
     * provisioned again, and a fresh pair is given). */
    if (d->state == SCS_DEVICE_PROVISIONED && d->new_pid[0] != '\0') {
        (void)snprintf(d->pid, sizeof(d->pid), "%s", d->new_pid);
        d->new_pid[0] = '\0';
    }
    d->state = SCS_DEVICE_UNPROVISIONED;
    d->step[0] = '\0';
    d->last_error[0] = '\0';
    /* The device no longer serves that certificate; provisioned_at is kept: it
     * tells the engine this device is coming back (see prov_pid_acceptable). */
    d->tls_fingerprint[0] = '\0';
    if ((e = scs_device_put(p, d)) != 0) {
        return scs_diag_failn(diag, e, "cannot record the unprovisioning of %s (%s)", d->uuid,
                              scs_strerror(e));
    }
    if ((e = scs_pool_audit(p, event, d->uuid, detail)) != 0) {
        return scs_diag_failn(diag, e, "cannot write the audit record (%s)", scs_strerror(e));
    }
    return 0;
}

int prov_unprovision_device(struct scs_pool *p, const char *uuid,
                            const struct prov_unprovision_opts *o,
                            struct prov_unprovision_result *res, struct scs_diag *diag)
{
    struct prov_unprovision_result local;
    struct scs_diag dlocal;
    struct scs_device d;
    char detail[256];
    int e;

    if (res == NULL) {
        res = &local;
    }
    if (diag == NULL) {
        diag = &dlocal;
    }
    memset(res, 0, sizeof(*res));
    scs_diag_clear(diag);
    if (p == NULL || uuid == NULL || o == NULL) {
        return scs_diag_failn(diag, SCS_ERR_INVALID_ARG, "missing argument");
    }
    if ((e = scs_device_get(p, uuid, &d)) != 0) {
        if (e == SCS_ERR_NOT_FOUND) {
            return scs_diag_failn(diag, e, "no device %s in the registry", uuid);
        }
        return scs_diag_failn(diag, e, "cannot read device %s (%s)", uuid, scs_strerror(e));
    }
    res->was = d.state;
    if (o->mark_only) {
        if (d.state == SCS_DEVICE_UNPROVISIONED) {
            return 0;
        }
        (void)snprintf(detail, sizeof(detail), "was %s; marked only, the device was not contacted",
                       scs_device_state_name(d.state));
        return mark(p, &d, "unprovision-requested", detail, diag);
    }
    e = contact(p, &d, o, res, diag);
    if (e != 0) {
        /* Best effort: the failure itself is what the administrator must see. */
        (void)snprintf(detail, sizeof(detail), "%s", diag->reason);
        (void)scs_pool_audit(p, "unprovision-failed", uuid, detail);
        return e;
    }
    (void)snprintf(detail, sizeof(detail), "was %s; Unprovision(1) over %s to %s port %u%s",
                   scs_device_state_name(d.state), res->over_tls ? "TLS" : "HTTP", d.address,
                   (unsigned)res->port, res->over_tls ? " (certificate pinned)" : "");
    return mark(p, &d, "device-unprovisioned", detail, diag);
}
