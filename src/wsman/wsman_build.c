/*
 * WS-Man request envelopes, byte for byte as Intel's wsman-messages 5.14.1
 * writes them (protocol.md §6.6, fixtures in ../shared/fixtures/wsman-requests).
 * The header order is Action, To, ResourceURI, MessageID, ReplyTo,
 * OperationTimeout and, when there are selectors, SelectorSet.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/err.h"
#include "wsman/wsman.h"

struct wsman_builder {
    uint64_t next_id;
    int have_last;
};

#define ENVELOPE_OPEN                                                                              \
    "<?xml version=\"1.0\" encoding=\"utf-8\"?><Envelope "                                         \
    "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "                                     \
    "xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\" xmlns:a=\"" WSMAN_NS_ADDR "\" "                \
    "xmlns:w=\"" WSMAN_NS_WSMAN "\" xmlns=\"" WSMAN_NS_SOAP "\"><Header>"
#define ACTION_TRANSFER "http://schemas.xmlsoap.org/ws/2004/09/transfer/"
#define ACTION_ENUM     WSMAN_NS_ENUM "/"
#define REPLY_TO                                                                                   \
    "<a:ReplyTo><a:Address>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous"        \
    "</a:Address></a:ReplyTo>"
/* wsman-messages sends a fixed 60 s operation timeout on every request. */
#define OPERATION_TIMEOUT "<w:OperationTimeout>PT60S</w:OperationTimeout>"

struct wsman_builder *wsman_builder_new(void)
{
    return calloc(1, sizeof(struct wsman_builder));
}

void wsman_builder_free(struct wsman_builder *b)
{
    free(b);
}

uint64_t wsman_builder_next_id(const struct wsman_builder *b)
{
    return b->next_id;
}

int wsman_builder_last_id(const struct wsman_builder *b, uint64_t *out)
{
    if (b == NULL || out == NULL || !b->have_last) {
        return SCS_ERR_STATE;
    }
    *out = b->next_id - 1;
    return 0;
}

/* Class and element names are XML NCNames in practice ASCII letters, digits and '_'. */
static int valid_name(const char *s, size_t max)
{
    size_t n = 0;
    if (s == NULL || s[0] == '\0') {
        return 0;
    }
    if (!((s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= 'a' && s[0] <= 'z') || s[0] == '_')) {
        return 0;
    }
    for (; s[n] != '\0'; n++) {
        char c = s[n];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '_')) {
            return 0;
        }
        if (n >= max) {
            return 0;
        }
    }
    return 1;
}

int wsman_resource_uri(const char *class_name, char *out, size_t cap)
{
    const char *base;
    int n;

    if (out == NULL || cap == 0 || !valid_name(class_name, WSMAN_CLASS_MAX)) {
        return SCS_ERR_INVALID_ARG;
    }
    if (strncmp(class_name, "AMT_", 4) == 0) {
        base = WSMAN_URI_AMT;
    } else if (strncmp(class_name, "CIM_", 4) == 0) {
        base = WSMAN_URI_CIM;
    } else if (strncmp(class_name, "IPS_", 4) == 0) {
        base = WSMAN_URI_IPS;
    } else {
        return SCS_ERR_INVALID_ARG;
    }
    n = snprintf(out, cap, "%s%s", base, class_name);
    if (n < 0 || (size_t)n >= cap) {
        return SCS_ERR_TOO_LARGE;
    }
    return 0;
}

/* Length of the UTF-8 sequence at s that XML 1.0 accepts as one Char, or 0. */
static size_t xml_char_len(const unsigned char *s)
{
    uint32_t cp;
    size_t n;

    if (s[0] < 0x80) {
        /* Char ::= #x9 | #xA | #xD | [#x20-#xD7FF] | … (XML 1.0 §2.2) */
        if (s[0] < 0x20 && s[0] != 0x09 && s[0] != 0x0A && s[0] != 0x0D) {
            return 0;
        }
        return 1;
    }
    if ((s[0] & 0xE0) == 0xC0) {
        n = 2;
        cp = s[0] & 0x1Fu;
    } else if ((s[0] & 0xF0) == 0xE0) {
        n = 3;
        cp = s[0] & 0x0Fu;
    } else if ((s[0] & 0xF8) == 0xF0) {
        n = 4;
        cp = s[0] & 0x07u;
    } else {
        return 0;
    }
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80) {
            return 0;
        }
        cp = (cp << 6) | (s[i] & 0x3Fu);
    }
    /* Reject overlong forms, surrogates, U+FFFE/U+FFFF and beyond U+10FFFF. */
    if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
        (cp >= 0xD800 && cp <= 0xDFFF) || cp == 0xFFFE || cp == 0xFFFF || cp > 0x10FFFF) {
        return 0;
    }
    return n;
}

int wsman_escape(struct scs_buf *out, const char *s, int attr)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t start = scs_buf_len(out);
    int rc = 0;

    if (s == NULL) {
        return SCS_ERR_INVALID_ARG;
    }
    while (*p != '\0' && rc == 0) {
        size_t n = xml_char_len(p);
        if (n == 0) {
            rc = SCS_ERR_INVALID_ARG;
            break;
        }
        switch (*p) {
        case '&':
            rc = scs_buf_put_str(out, "&amp;");
            break;
        case '<':
            rc = scs_buf_put_str(out, "&lt;");
            break;
        case '>':
            rc = scs_buf_put_str(out, "&gt;");
            break;
        case '"':
            rc = attr ? scs_buf_put_str(out, "&quot;") : scs_buf_put(out, p, 1);
            break;
        default:
            rc = scs_buf_put(out, p, n);
            break;
        }
        p += n;
    }
    if (rc != 0) {
        (void)scs_buf_truncate(out, start);
    }
    return rc;
}

static int put_selector_set(struct scs_buf *out, const struct wsman_selector *sel, size_t n_sel)
{
    int rc = scs_buf_put_str(out, "<w:SelectorSet>");
    for (size_t i = 0; i < n_sel && rc == 0; i++) {
        if (!valid_name(sel[i].name, WSMAN_CLASS_MAX) || sel[i].value == NULL) {
            return SCS_ERR_INVALID_ARG;
        }
        rc = scs_buf_put_str(out, "<w:Selector Name=\"");
        if (rc == 0) {
            rc = wsman_escape(out, sel[i].name, 1);
        }
        if (rc == 0) {
            rc = scs_buf_put_str(out, "\">");
        }
        if (rc == 0) {
            rc = wsman_escape(out, sel[i].value, 0);
        }
        if (rc == 0) {
            rc = scs_buf_put_str(out, "</w:Selector>");
        }
    }
    if (rc == 0) {
        rc = scs_buf_put_str(out, "</w:SelectorSet>");
    }
    return rc;
}

static int put_header(struct wsman_builder *b, struct scs_buf *out, const char *action_base,
                      const char *action, const char *uri, const struct wsman_selector *sel,
                      size_t n_sel)
{
    int rc = scs_buf_put_str(out, ENVELOPE_OPEN "<a:Action>");
    if (rc == 0) {
        rc = scs_buf_printf(out, "%s%s</a:Action><a:To>/wsman</a:To><w:ResourceURI>%s", action_base,
                            action, uri);
    }
    if (rc == 0) {
        rc = scs_buf_printf(out, "</w:ResourceURI><a:MessageID>%" PRIu64 "</a:MessageID>",
                            b->next_id);
    }
    if (rc == 0) {
        rc = scs_buf_put_str(out, REPLY_TO OPERATION_TIMEOUT);
    }
    if (rc == 0 && n_sel > 0) {
        rc = put_selector_set(out, sel, n_sel);
    }
    if (rc == 0) {
        rc = scs_buf_put_str(out, "</Header>");
    }
    return rc;
}

static int put_epr(struct scs_buf *out, const struct wsman_epr *epr)
{
    char uri[WSMAN_RESOURCE_MAX];
    int rc = wsman_resource_uri(epr->class_name, uri, sizeof(uri));
    if (rc == 0) {
        rc = scs_buf_printf(out,
                            "<a:Address>/wsman</a:Address><a:ReferenceParameters>"
                            "<w:ResourceURI>%s</w:ResourceURI>",
                            uri);
    }
    if (rc == 0) {
        rc = put_selector_set(out, epr->selectors, epr->n_selectors);
    }
    if (rc == 0) {
        rc = scs_buf_put_str(out, "</a:ReferenceParameters>");
    }
    return rc;
}

static int put_args(struct scs_buf *out, const struct wsman_arg *args, size_t n_args)
{
    int rc = 0;
    for (size_t i = 0; i < n_args && rc == 0; i++) {
        const struct wsman_arg *a = &args[i];
        if (!valid_name(a->name, WSMAN_CLASS_MAX) || (a->value == NULL) == (a->epr == NULL)) {
            return SCS_ERR_INVALID_ARG;
        }
        rc = scs_buf_printf(out, "<h:%s>", a->name);
        if (rc == 0) {
            rc = a->epr != NULL ? put_epr(out, a->epr) : wsman_escape(out, a->value, 0);
        }
        if (rc == 0) {
            rc = scs_buf_printf(out, "</h:%s>", a->name);
        }
    }
    return rc;
}

/* Common tail: count the MessageID only once the whole envelope is written. */
static int finish(struct wsman_builder *b, struct scs_buf *out, size_t start, int rc)
{
    if (rc == 0) {
        rc = scs_buf_put_str(out, "</Body></Envelope>");
    }
    if (rc != 0) {
        (void)scs_buf_truncate(out, start);
        return rc;
    }
    b->next_id++;
    b->have_last = 1;
    return 0;
}

/* Body of Put/Create: <h:CLASS xmlns:h="URI"><h:Prop>…</h:Prop>…</h:CLASS> */
static int put_instance_body(struct scs_buf *out, const char *class_name, const char *uri,
                             const struct wsman_arg *props, size_t n_props)
{
    int rc = scs_buf_printf(out, "<Body><h:%s xmlns:h=\"%s\">", class_name, uri);
    if (rc == 0) {
        rc = put_args(out, props, n_props);
    }
    if (rc == 0) {
        rc = scs_buf_printf(out, "</h:%s>", class_name);
    }
    return rc;
}

static int begin(struct wsman_builder *b, struct scs_buf *out, const char *class_name,
                 char uri[static WSMAN_RESOURCE_MAX])
{
    if (b == NULL || out == NULL) {
        return SCS_ERR_INVALID_ARG;
    }
    return wsman_resource_uri(class_name, uri, WSMAN_RESOURCE_MAX);
}

int wsman_build_get(struct wsman_builder *b, const char *class_name,
                    const struct wsman_selector *sel, size_t n_sel, struct scs_buf *out)
{
    char uri[WSMAN_RESOURCE_MAX];
    size_t start;
    int rc = begin(b, out, class_name, uri);
    if (rc != 0) {
        return rc;
    }
    start = scs_buf_len(out);
    rc = put_header(b, out, ACTION_TRANSFER, "Get", uri, sel, n_sel);
    if (rc == 0) {
        rc = scs_buf_put_str(out, "<Body>");
    }
    return finish(b, out, start, rc);
}

/* Put and Create: a Transfer header, then the instance as the body. */
static int build_with_instance(struct wsman_builder *b, const char *verb, const char *class_name,
                               const struct wsman_selector *sel, size_t n_sel,
                               const struct wsman_arg *props, size_t n_props, struct scs_buf *out)
{
    char uri[WSMAN_RESOURCE_MAX];
    size_t start;
    int rc = begin(b, out, class_name, uri);
    if (rc != 0) {
        return rc;
    }
    start = scs_buf_len(out);
    rc = put_header(b, out, ACTION_TRANSFER, verb, uri, sel, n_sel);
    if (rc == 0) {
        rc = put_instance_body(out, class_name, uri, props, n_props);
    }
    return finish(b, out, start, rc);
}

int wsman_build_put(struct wsman_builder *b, const char *class_name,
                    const struct wsman_selector *sel, size_t n_sel, const struct wsman_arg *props,
                    size_t n_props, struct scs_buf *out)
{
    return build_with_instance(b, "Put", class_name, sel, n_sel, props, n_props, out);
}

int wsman_build_create(struct wsman_builder *b, const char *class_name,
                       const struct wsman_arg *props, size_t n_props, struct scs_buf *out)
{
    return build_with_instance(b, "Create", class_name, NULL, 0, props, n_props, out);
}

int wsman_build_delete(struct wsman_builder *b, const char *class_name,
                       const struct wsman_selector *sel, size_t n_sel, struct scs_buf *out)
{
    char uri[WSMAN_RESOURCE_MAX];
    size_t start;
    int rc = begin(b, out, class_name, uri);
    if (rc != 0) {
        return rc;
    }
    start = scs_buf_len(out);
    rc = put_header(b, out, ACTION_TRANSFER, "Delete", uri, sel, n_sel);
    if (rc == 0) {
        rc = scs_buf_put_str(out, "<Body>");
    }
    return finish(b, out, start, rc);
}

int wsman_build_enumerate(struct wsman_builder *b, const char *class_name, struct scs_buf *out)
{
    char uri[WSMAN_RESOURCE_MAX];
    size_t start;
    int rc = begin(b, out, class_name, uri);
    if (rc != 0) {
        return rc;
    }
    start = scs_buf_len(out);
    rc = put_header(b, out, ACTION_ENUM, "Enumerate", uri, NULL, 0);
    if (rc == 0) {
        rc = scs_buf_put_str(out, "<Body><Enumerate xmlns=\"" WSMAN_NS_ENUM "\" />");
    }
    return finish(b, out, start, rc);
}

int wsman_build_pull(struct wsman_builder *b, const char *class_name, const char *context,
                     struct scs_buf *out)
{
    char uri[WSMAN_RESOURCE_MAX];
    size_t start;
    int rc = begin(b, out, class_name, uri);
    if (rc != 0) {
        return rc;
    }
    if (context == NULL || context[0] == '\0') {
        return SCS_ERR_INVALID_ARG;
    }
    start = scs_buf_len(out);
    rc = put_header(b, out, ACTION_ENUM, "Pull", uri, NULL, 0);
    if (rc == 0) {
        rc = scs_buf_put_str(out, "<Body><Pull xmlns=\"" WSMAN_NS_ENUM "\"><EnumerationContext>");
    }
    if (rc == 0) {
        rc = wsman_escape(out, context, 0);
    }
    if (rc == 0) {
        /* wsman-messages' fixed page size. */
        rc = scs_buf_put_str(out, "</EnumerationContext><MaxElements>999</MaxElements>"
                                  "<MaxCharacters>99999</MaxCharacters></Pull>");
    }
    return finish(b, out, start, rc);
}

int wsman_build_invoke(struct wsman_builder *b, const char *class_name, const char *method,
                       const struct wsman_selector *sel, size_t n_sel, const struct wsman_arg *args,
                       size_t n_args, struct scs_buf *out)
{
    char uri[WSMAN_RESOURCE_MAX];
    char action[WSMAN_RESOURCE_MAX + WSMAN_CLASS_MAX + 2];
    size_t start;
    int n;
    int rc = begin(b, out, class_name, uri);
    if (rc != 0) {
        return rc;
    }
    if (!valid_name(method, WSMAN_CLASS_MAX)) {
        return SCS_ERR_INVALID_ARG;
    }
    /* Method Action URI = <ResourceURI>/<Method> (protocol.md §6.6). */
    n = snprintf(action, sizeof(action), "%s/%s", uri, method);
    if (n < 0 || (size_t)n >= sizeof(action)) {
        return SCS_ERR_TOO_LARGE;
    }
    start = scs_buf_len(out);
    rc = put_header(b, out, "", action, uri, sel, n_sel);
    if (rc == 0) {
        rc = scs_buf_printf(out, "<Body><h:%s_INPUT xmlns:h=\"%s\">", method, uri);
    }
    if (rc == 0) {
        rc = put_args(out, args, n_args);
    }
    if (rc == 0) {
        rc = scs_buf_printf(out, "</h:%s_INPUT>", method);
    }
    return finish(b, out, start, rc);
}
