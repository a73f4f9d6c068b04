/*
 * Request handling for a simulated device (see server.h).
 */
#include "sim/server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/log.h"
#include "common/secmem.h"
#include "sim/device.h"
#include "sim/digest.h"
#include "sim/http.h"
#include "sim/wsman.h"
#include "sim/wsman_parse.h"

#define SIM_SOAP_CTYPE "application/soap+xml; charset=UTF-8"
#define SIM_REPLY_MAX  (512 * 1024)

int sim_server_listener_open(const struct sim_device *d, enum sim_listener kind)
{
    switch (kind) {
    case SIM_LISTEN_TLS:
        /* Provisioning TLS while in-provisioning; configured TLS afterwards.
         * A factory device has its network interface closed. */
        return d->prov_state != SIM_PROV_PRE;
    case SIM_LISTEN_HTTP:
        /* Plain HTTP only once provisioned, and only if TLS does not forbid it. */
        return d->prov_state == SIM_PROV_POST &&
               (!d->tls_remote_enabled || d->tls_remote_accept_non_secure);
    case SIM_LISTEN_LOCAL:
        return 1;
    default:
        return 0;
    }
}

static int html_reply(const struct sim_device *d, int status, const char *extra, int close,
                      struct scs_buf *out)
{
    char body[256];
    int n = snprintf(body, sizeof(body),
                     "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 4.01 Transitional//EN\">\n"
                     "<html><head><title>Intel&reg; Active Management Technology</title></head>"
                     "<body>%d %s</body></html>\n",
                     status, sim_http_reason(status));

    if (n < 0 || (size_t)n >= sizeof(body)) {
        return SCS_ERR_INTERNAL;
    }
    return sim_http_response(out, status, d->fw_version, extra, "text/html", (const uint8_t *)body,
                             (size_t)n, 0, close);
}

static int challenge(const struct sim_device *d, uint64_t now, int stale, struct scs_buf *out)
{
    char nonce[SIM_DIGEST_NONCE_LEN + 1];
    char hdr[256];

    sim_digest_nonce_make(d->index, now, nonce);
    snprintf(hdr, sizeof(hdr),
             "WWW-Authenticate: Digest realm=\"%s\", nonce=\"%s\",stale=\"%s\",qop=\"auth\"\r\n",
             d->realm, nonce, stale ? "true" : "false");
    return html_reply(d, 401, hdr, 1, out);
}

int sim_server_bad_request(const struct sim_device *d, struct scs_buf *out)
{
    return html_reply(d, 400, NULL, 1, out);
}

/*
 * RFC 2617 §3.2.2: a nonce-count must grow for each request with the same nonce.
 * 0 fresh (and recorded), -1 a replay.  Requests without qop carry no count.
 */
static int nc_fresh(struct sim_device *d, const struct sim_digest_cred *cr)
{
    unsigned long nc;
    char *end = NULL;

    if (cr->qop[0] == '\0') {
        return 0;
    }
    if (strlen(cr->nc) != 8) {
        return -1;
    }
    nc = strtoul(cr->nc, &end, 16);
    if (end == NULL || *end != '\0' || nc == 0) {
        return -1;
    }
    for (unsigned i = 0; i < SIM_NC_CACHE; i++) {
        if (strcmp(d->nc_cache[i].nonce, cr->nonce) == 0) {
            if (nc <= d->nc_cache[i].nc) {
                return -1;
            }
            d->nc_cache[i].nc = (uint32_t)nc;
            return 0;
        }
    }
    if (strlen(cr->nonce) >= sizeof(d->nc_cache[0].nonce)) {
        return -1;
    }
    memcpy(d->nc_cache[d->nc_next].nonce, cr->nonce, strlen(cr->nonce) + 1);
    d->nc_cache[d->nc_next].nc = (uint32_t)nc;
    d->nc_next = (d->nc_next + 1) % SIM_NC_CACHE;
    return 0;
}

/* 0 admin, 1 local OS admin, -1 no (with *stale when only the nonce was old). */
static int authenticate(struct sim_device *d, enum sim_listener kind,
                        const struct sim_http_req *req, uint64_t now, int *stale)
{
    struct sim_digest_cred cr;
    uint8_t ha1[16];
    int who, nc, rc;

    *stale = 0;
    if (req->authorization[0] == '\0' || sim_digest_parse(req->authorization, &cr) != 0) {
        return -1;
    }
    if (strcmp(cr.realm, d->realm) != 0 || strcmp(cr.uri, req->uri) != 0) {
        return -1;
    }
    nc = sim_digest_nonce_check(d->index, cr.nonce, now);
    if (nc < 0) {
        return -1;
    }
    if (d->admin_set && d->prov_state == SIM_PROV_POST && strcmp(cr.username, d->admin_user) == 0) {
        memcpy(ha1, d->admin_ha1, sizeof(ha1));
        who = 0;
    } else if (kind == SIM_LISTEN_LOCAL && strcmp(cr.username, SIM_OSADMIN_USER) == 0) {
        if (sim_device_ha1(d, SIM_OSADMIN_USER, d->osadmin_pw, ha1) != 0) {
            return -1;
        }
        who = 1;
    } else {
        return -1;
    }
    rc = sim_digest_verify(&cr, ha1, req->method, scs_buf_data(req->body), scs_buf_len(req->body));
    scs_wipe(ha1, sizeof(ha1));
    if (rc != 0) {
        return -1;
    }
    if (nc == 1 || nc_fresh(d, &cr) != 0) {
        /* Right password but an old nonce or a reused count: ask again with
         * stale=true, so the client retries with a new nonce (RFC 2617 §3.2.1). */
        *stale = 1;
        return -1;
    }
    return who;
}

int sim_server_handle(struct sim_device *d, enum sim_listener kind, int prov_session,
                      const struct sim_http_req *req, const char *fault_call, uint64_t now,
                      struct scs_buf *out, struct sim_request_result *res)
{
    struct sim_ctx ctx;
    struct sim_wsman_req wr;
    struct scs_diag dg;
    struct scs_buf *body;
    int status = 200;
    int rc;

    memset(res, 0, sizeof(*res));
    memset(&ctx, 0, sizeof(ctx));
    res->close = !req->keep_alive;
    if (strcmp(req->method, "POST") != 0) {
        res->status = 405;
        res->close = 1;
        return html_reply(d, 405, "Allow: POST\r\n", 1, out);
    }
    if (strcmp(req->uri, "/wsman") != 0 && strcmp(req->uri, "/wsman/") != 0) {
        res->status = 404;
        res->close = 1;
        return html_reply(d, 404, NULL, 1, out);
    }
    ctx.dev = d;
    ctx.now = now;
    ctx.secure = kind == SIM_LISTEN_TLS;
    ctx.fault_call = fault_call;
    if (prov_session && d->prov_state == SIM_PROV_IN) {
        /* Inside an authenticated provisioning session WS-Man needs no Digest (§5.4). */
        ctx.prov_session = 1;
    } else {
        int stale = 0;
        int who = authenticate(d, kind, req, now, &stale);

        if (who < 0) {
            res->status = 401;
            res->close = 1;
            return challenge(d, now, stale, out);
        }
        ctx.admin = who == 0;
        ctx.local = who == 1;
    }
    body = scs_buf_new(SIM_REPLY_MAX);
    if (body == NULL) {
        return SCS_ERR_NOMEM;
    }
    rc = sim_wsman_parse(scs_buf_data(req->body), scs_buf_len(req->body), &wr, &dg);
    if (rc != 0) {
        log_info("device %u: malformed WS-Man request: %s", d->index, dg.reason);
        rc = sim_wsman_malformed(dg.reason, body);
        status = 400;
    } else {
        log_debug("device %u: %s %s %s", d->index, sim_wsman_op_name(wr.op), wr.class_name,
                  wr.method);
        rc = sim_wsman_handle(&ctx, &wr, body, &status);
        sim_wsman_req_clear(&wr);
        /* The firmware commits to flash before it answers. */
        if (rc == 0 && ctx.dirty && sim_device_save(d) != 0) {
            log_error("device %u: cannot save state", d->index);
            scs_buf_reset(body);
            rc = sim_reply_fault(body, "0", SIM_F_INTERNAL, "flash write failed");
            status = 400;
        }
    }
    if (rc != 0) {
        scs_buf_free(body);
        res->status = 500;
        res->close = 1;
        return html_reply(d, 500, NULL, 1, out);
    }
    if (status != 200) {
        res->close = 1;
    }
    res->status = status;
    res->events = ctx.events;
    res->extend_hours = ctx.extend_hours;
    rc = sim_http_response(out, status, d->fw_version, NULL, SIM_SOAP_CTYPE, scs_buf_data(body),
                           scs_buf_len(body), 1, res->close);
    scs_buf_free(body);
    return rc;
}
