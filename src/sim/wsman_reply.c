/*
 * WS-Man reply envelopes in the shape real AMT firmware produces.
 */
#include <stdio.h>
#include <string.h>

#include "common/buf.h"
#include "common/err.h"
#include "sim/device.h"
#include "sim/wsman.h"

static uint64_t sim_msg_counter = 0x3000;

uint64_t sim_reply_next_id(void)
{
    sim_msg_counter = (sim_msg_counter + 1) & 0xFFFFFFFFFFFFull;
    return sim_msg_counter;
}

int sim_xml_esc(struct scs_buf *o, const char *s)
{
    int rc = 0;

    for (const char *p = s; rc == 0 && *p != '\0'; p++) {
        switch (*p) {
        case '<':
            rc = scs_buf_put_str(o, "&lt;");
            break;
        case '>':
            rc = scs_buf_put_str(o, "&gt;");
            break;
        case '&':
            rc = scs_buf_put_str(o, "&amp;");
            break;
        case '"':
            rc = scs_buf_put_str(o, "&quot;");
            break;
        case '\'':
            rc = scs_buf_put_str(o, "&apos;");
            break;
        default:
            rc = scs_buf_put_u8(o, (uint8_t)*p);
            break;
        }
    }
    return rc;
}

int sim_prop(struct scs_buf *o, const char *pfx, const char *name, const char *val)
{
    int rc = scs_buf_printf(o, "<%s:%s>", pfx, name);

    if (rc == 0) {
        rc = sim_xml_esc(o, val);
    }
    if (rc == 0) {
        rc = scs_buf_printf(o, "</%s:%s>", pfx, name);
    }
    return rc;
}

int sim_propu(struct scs_buf *o, const char *pfx, const char *name, unsigned long long v)
{
    return scs_buf_printf(o, "<%s:%s>%llu</%s:%s>", pfx, name, v, pfx, name);
}

int sim_propb(struct scs_buf *o, const char *pfx, const char *name, int v)
{
    return scs_buf_printf(o, "<%s:%s>%s</%s:%s>", pfx, name, v ? "true" : "false", pfx, name);
}

int sim_epr(struct scs_buf *o, const char *pfx, const char *name, const char *resource_uri,
            const char *sel_name, const char *sel_value)
{
    int rc = scs_buf_printf(o,
                            "<%s:%s><b:Address>%s</b:Address><b:ReferenceParameters>"
                            "<c:ResourceURI>%s</c:ResourceURI><c:SelectorSet>"
                            "<c:Selector Name=\"%s\">",
                            pfx, name, SIM_ANON, resource_uri, sel_name);

    if (rc == 0) {
        rc = sim_xml_esc(o, sel_value);
    }
    if (rc == 0) {
        rc = scs_buf_printf(o, "</c:Selector></c:SelectorSet></b:ReferenceParameters></%s:%s>", pfx,
                            name);
    }
    return rc;
}

int sim_reply_begin(struct scs_buf *o, const char *action, const char *relates_to,
                    const char *resource_uri, const char *ns_g, const char *ns_h)
{
    int rc = scs_buf_printf(
        o,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><a:Envelope xmlns:a=\"%s\" xmlns:b=\"%s\" "
        "xmlns:c=\"%s\" xmlns:d=\"http://schemas.xmlsoap.org/ws/2005/02/trust\" "
        "xmlns:e=\"http://docs.oasis-open.org/wss/2004/01/"
        "oasis-200401-wss-wssecurity-secext-1.0.xsd\" "
        "xmlns:f=\"http://schemas.dmtf.org/wbem/wsman/1/cimbinding.xsd\"",
        SIM_NS_SOAP, SIM_NS_ADDR, SIM_NS_WSMAN);

    if (rc == 0 && ns_g != NULL) {
        rc = scs_buf_printf(o, " xmlns:g=\"%s\"", ns_g);
    }
    if (rc == 0 && ns_h != NULL) {
        rc = scs_buf_printf(o, " xmlns:h=\"%s\"", ns_h);
    }
    if (rc == 0) {
        rc = scs_buf_printf(o,
                            " xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"><a:Header>"
                            "<b:To>%s</b:To><b:RelatesTo>",
                            SIM_ANON);
    }
    if (rc == 0) {
        rc = sim_xml_esc(o, relates_to);
    }
    if (rc == 0) {
        rc = scs_buf_printf(o,
                            "</b:RelatesTo><b:Action a:mustUnderstand=\"true\">%s</b:Action>"
                            "<b:MessageID>uuid:00000000-8086-8086-8086-%012llX</b:MessageID>",
                            action, (unsigned long long)sim_reply_next_id());
    }
    if (rc == 0 && resource_uri != NULL) {
        rc = scs_buf_printf(o, "<c:ResourceURI>%s</c:ResourceURI>", resource_uri);
    }
    if (rc == 0) {
        rc = scs_buf_put_str(o, "</a:Header><a:Body>");
    }
    return rc;
}

int sim_reply_end(struct scs_buf *o)
{
    return scs_buf_put_str(o, "</a:Body></a:Envelope>");
}

int sim_reply_fault(struct scs_buf *o, const char *relates_to, enum sim_fault f, const char *reason)
{
    const char *code = "a:Sender";
    const char *sub;
    int rc;

    switch (f) {
    case SIM_F_DEST_UNREACHABLE:
        sub = "b:DestinationUnreachable";
        break;
    case SIM_F_ACTION_NOT_SUPPORTED:
        sub = "b:ActionNotSupported";
        break;
    case SIM_F_INVALID_SELECTORS:
        sub = "c:InvalidSelectors";
        break;
    case SIM_F_ACCESS_DENIED:
        sub = "c:AccessDenied";
        break;
    case SIM_F_ALREADY_EXISTS:
        sub = "c:AlreadyExists";
        break;
    case SIM_F_INVALID_REPRESENTATION:
        sub = "c:InvalidRepresentation";
        break;
    case SIM_F_INTERNAL:
        code = "a:Receiver";
        sub = "c:InternalError";
        break;
    case SIM_F_SCHEMA:
    case SIM_F_NONE:
    default:
        sub = "c:SchemaValidationError";
        break;
    }
    rc = sim_reply_begin(o, "http://schemas.dmtf.org/wbem/wsman/1/wsman/fault", relates_to, NULL,
                         NULL, NULL);
    if (rc == 0) {
        rc = scs_buf_printf(o,
                            "<a:Fault><a:Code><a:Value>%s</a:Value><a:Subcode><a:Value>%s"
                            "</a:Value></a:Subcode></a:Code><a:Reason><a:Text xml:lang=\"en-US\">",
                            code, sub);
    }
    if (rc == 0) {
        rc = sim_xml_esc(o, reason);
    }
    if (rc == 0) {
        rc = scs_buf_put_str(o, "</a:Text></a:Reason><a:Detail></a:Detail></a:Fault>");
    }
    if (rc == 0) {
        rc = sim_reply_end(o);
    }
    return rc;
}

int sim_parse_bool(const char *s, int *out)
{
    if (s == NULL) {
        return SCS_ERR_NOT_FOUND;
    }
    if (strcmp(s, "true") == 0 || strcmp(s, "1") == 0) {
        *out = 1;
        return 0;
    }
    if (strcmp(s, "false") == 0 || strcmp(s, "0") == 0) {
        *out = 0;
        return 0;
    }
    return SCS_ERR_FORMAT;
}

int sim_parse_uint(const char *s, unsigned long long max, unsigned long long *out)
{
    unsigned long long v = 0;

    if (s == NULL) {
        return SCS_ERR_NOT_FOUND;
    }
    if (s[0] == '\0' || strlen(s) > 20) {
        return SCS_ERR_FORMAT;
    }
    for (const char *p = s; *p != '\0'; p++) {
        if (*p < '0' || *p > '9') {
            return SCS_ERR_FORMAT;
        }
        if (v > (max - (unsigned long long)(*p - '0')) / 10) {
            return SCS_ERR_TOO_LARGE;
        }
        v = v * 10 + (unsigned long long)(*p - '0');
    }
    *out = v;
    return 0;
}

int sim_sel_want(const char *sel, const char *id, unsigned count)
{
    if (sel == NULL) {
        return 1;
    }
    if (sel[0] == '\0') {
        return count == 0;
    }
    return strcmp(sel, id) == 0;
}

int sim_ctx_can_configure(const struct sim_ctx *c)
{
    if (c->prov_session && c->dev->prov_state == SIM_PROV_IN) {
        return 1;
    }
    if (c->admin && c->dev->prov_state == SIM_PROV_POST) {
        return 1;
    }
    return c->local;
}
