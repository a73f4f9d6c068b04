/*
 * WS-Man dispatch: ResourceURI -> class, operation -> handler, reply envelope.
 */
#include "sim/wsman.h"

#include <stdio.h>
#include <string.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/log.h"
#include "sim/device.h"

static const struct sim_class *const sim_classes[] = {
    &sim_class_general_settings,
    &sim_class_setup_service,
    &sim_class_authorization,
    &sim_class_time_sync,
    &sim_class_pkm_service,
    &sim_class_public_key_cert,
    &sim_class_key_pair,
    &sim_class_tls_setting,
    &sim_class_tls_credential,
    &sim_class_software_identity,
    &sim_class_ethernet_port,
    &sim_class_redirection,
    &sim_class_optin,
    &sim_class_host_based_setup,
};

#define SIM_NCLASSES (sizeof(sim_classes) / sizeof(sim_classes[0]))

static const struct sim_class *find_class(const struct sim_wsman_req *r, unsigned *idx)
{
    for (unsigned i = 0; i < SIM_NCLASSES; i++) {
        const struct sim_class *k = sim_classes[i];
        size_t bl = strlen(k->ns_base);

        if (strncmp(r->resource_uri, k->ns_base, bl) == 0 &&
            strcmp(r->resource_uri + bl, k->name) == 0) {
            *idx = i;
            return k;
        }
    }
    return NULL;
}

/* "Class.Method", "Class.Get", or just "Method" / "Get". */
static int fault_wanted(const struct sim_ctx *c, const struct sim_wsman_req *r)
{
    const char *what = r->op == SIM_WS_INVOKE ? r->method : sim_wsman_op_name(r->op);
    char full[2 * SIM_WSMAN_NAME_MAX + 2];

    if (c->fault_call == NULL || c->fault_call[0] == '\0') {
        return 0;
    }
    snprintf(full, sizeof(full), "%s.%s", r->class_name, what);
    return strcmp(c->fault_call, full) == 0 || strcmp(c->fault_call, what) == 0 ||
           strcmp(c->fault_call, r->class_name) == 0 || strcmp(c->fault_call, "*") == 0;
}

static int fault(struct sim_ctx *c, const struct sim_wsman_req *r, enum sim_fault f,
                 const char *reason, struct scs_buf *out, int *status)
{
    (void)c;
    *status = 400;
    scs_buf_reset(out);
    return sim_reply_fault(out, r->message_id, f, reason);
}

static int do_instances(struct sim_ctx *c, const struct sim_class *k, const struct sim_wsman_req *r,
                        const char *action_suffix, struct scs_buf *out, int *status)
{
    const char *sel = r->nsel > 0 ? r->sel[0].value : "";
    char action[160];
    unsigned count = 0;
    int rc;

    snprintf(action, sizeof(action), "%s/%s", SIM_NS_XFER, action_suffix);
    rc = sim_reply_begin(out, action, r->message_id, r->resource_uri, r->resource_uri, NULL);
    if (rc == 0) {
        rc = k->instances(c, "g", sel, out, &count);
    }
    if (rc != 0) {
        return fault(c, r, SIM_F_INTERNAL, "internal error", out, status);
    }
    if (count == 0) {
        return fault(c, r, SIM_F_INVALID_SELECTORS, "no instance matches the selectors", out,
                     status);
    }
    return sim_reply_end(out);
}

int sim_wsman_handle(struct sim_ctx *c, const struct sim_wsman_req *r, struct scs_buf *out,
                     int *status)
{
    unsigned idx = 0;
    const struct sim_class *k = find_class(r, &idx);
    char action[640];
    int rc = 0;

    *status = 200;
    if (k == NULL) {
        return fault(c, r, SIM_F_DEST_UNREACHABLE, "The resource URI is not supported", out,
                     status);
    }
    if (fault_wanted(c, r)) {
        log_info("device %u: injected fault for %s", c->dev->index, c->fault_call);
        return fault(c, r, SIM_F_INTERNAL, "injected fault", out, status);
    }
    switch (r->op) {
    case SIM_WS_GET:
        if (k->instances == NULL) {
            break;
        }
        return do_instances(c, k, r, "GetResponse", out, status);
    case SIM_WS_PUT: {
        enum sim_fault f;

        if (k->put == NULL) {
            break;
        }
        f = k->put(c, r);
        if (f != SIM_F_NONE) {
            return fault(c, r, f, "Put rejected", out, status);
        }
        return do_instances(c, k, r, "PutResponse", out, status);
    }
    case SIM_WS_CREATE: {
        const char *sel_name = "InstanceID";
        char sel_value[128];
        enum sim_fault f;

        if (k->create == NULL) {
            break;
        }
        f = k->create(c, r, &sel_name, sel_value, sizeof(sel_value));
        if (f != SIM_F_NONE) {
            return fault(c, r, f, "Create rejected", out, status);
        }
        rc = sim_reply_begin(out, SIM_NS_XFER "/CreateResponse", r->message_id, r->resource_uri,
                             SIM_NS_XFER, NULL);
        if (rc == 0) {
            rc = sim_epr(out, "g", "ResourceCreated", r->resource_uri, sel_name, sel_value);
        }
        return rc == 0 ? sim_reply_end(out) : rc;
    }
    case SIM_WS_DELETE: {
        enum sim_fault f;

        if (k->del == NULL) {
            break;
        }
        f = k->del(c, r);
        if (f != SIM_F_NONE) {
            return fault(c, r, f, "Delete rejected", out, status);
        }
        rc = sim_reply_begin(out, SIM_NS_XFER "/DeleteResponse", r->message_id, r->resource_uri,
                             NULL, NULL);
        return rc == 0 ? sim_reply_end(out) : rc;
    }
    case SIM_WS_ENUMERATE:
        if (k->instances == NULL) {
            break;
        }
        rc = sim_reply_begin(out, SIM_NS_ENUM "/EnumerateResponse", r->message_id, r->resource_uri,
                             SIM_NS_ENUM, NULL);
        if (rc == 0) {
            /* The context names the class; Pull answers from the ResourceURI, so a
             * context survives an amtsim restart as it does a firmware reset. */
            rc = scs_buf_printf(out,
                                "<g:EnumerateResponse><g:EnumerationContext>%02X000000-0000-0000-"
                                "0000-000000000000</g:EnumerationContext></g:EnumerateResponse>",
                                idx + 1);
        }
        return rc == 0 ? sim_reply_end(out) : rc;
    case SIM_WS_PULL: {
        unsigned count = 0;

        if (k->instances == NULL) {
            break;
        }
        rc = sim_reply_begin(out, SIM_NS_ENUM "/PullResponse", r->message_id, r->resource_uri,
                             SIM_NS_ENUM, r->resource_uri);
        if (rc == 0) {
            rc = scs_buf_put_str(out, "<g:PullResponse><g:Items>");
        }
        if (rc == 0) {
            rc = k->instances(c, "h", NULL, out, &count);
        }
        if (rc == 0) {
            rc = scs_buf_put_str(out,
                                 "</g:Items><g:EndOfSequence></g:EndOfSequence></g:PullResponse>");
        }
        return rc == 0 ? sim_reply_end(out) : rc;
    }
    case SIM_WS_RELEASE:
        rc = sim_reply_begin(out, SIM_NS_ENUM "/ReleaseResponse", r->message_id, r->resource_uri,
                             NULL, NULL);
        return rc == 0 ? sim_reply_end(out) : rc;
    case SIM_WS_INVOKE: {
        struct scs_buf *body;
        unsigned rv = 0;
        enum sim_fault f;

        if (k->invoke == NULL) {
            break;
        }
        body = scs_buf_new(64 * 1024);
        if (body == NULL) {
            return SCS_ERR_NOMEM;
        }
        f = k->invoke(c, r, body, &rv);
        if (f != SIM_F_NONE) {
            scs_buf_free(body);
            return fault(c, r, f,
                         f == SIM_F_ACTION_NOT_SUPPORTED ? "The action is not supported"
                                                         : "invalid request",
                         out, status);
        }
        snprintf(action, sizeof(action), "%s/%sResponse", r->resource_uri, r->method);
        rc = sim_reply_begin(out, action, r->message_id, r->resource_uri, r->resource_uri, NULL);
        if (rc == 0) {
            rc = scs_buf_printf(out, "<g:%s_OUTPUT>", r->method);
        }
        if (rc == 0) {
            rc = scs_buf_put(out, scs_buf_data(body), scs_buf_len(body));
        }
        if (rc == 0) {
            rc = scs_buf_printf(out, "<g:ReturnValue>%u</g:ReturnValue></g:%s_OUTPUT>", rv,
                                r->method);
        }
        scs_buf_free(body);
        return rc == 0 ? sim_reply_end(out) : rc;
    }
    case SIM_WS_UNKNOWN:
    default:
        break;
    }
    return fault(c, r, SIM_F_ACTION_NOT_SUPPORTED, "The action is not supported", out, status);
}

int sim_wsman_malformed(const char *reason, struct scs_buf *out)
{
    return sim_reply_fault(out, "0", SIM_F_SCHEMA, reason);
}
