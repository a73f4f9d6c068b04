/*
 * The only file that includes libxml2 (style.md §4.3).  It parses one response
 * under the hardening rules of style.md §6 and copies the few things the
 * provisioning flow reads into a plain struct wsman_response; the libxml2
 * document is freed before wsman_response_parse() returns.
 *
 * Rules:
 *  - size cap before parsing; NUL bytes and any "<!DOCTYPE"/"<!ENTITY" are
 *    refused before libxml2 sees the bytes (WS-Man messages carry no DTD, so a
 *    document with one is hostile: this also stops billion-laughs and XXE);
 *  - XML_PARSE_NONET, never NOENT, DTDLOAD or HUGE; the encoding is forced to
 *    UTF-8 so an XML declaration cannot make the DTD scan above miss;
 *  - after parsing: no DTD node, no entity reference, depth and element caps;
 *  - elements are matched by namespace URI and local name; prefixes are never
 *    looked at (AMT uses a:, b:, c: … where Intel's tools use none).
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <libxml/dict.h>

#include "common/err.h"
#include "wsman/wsman.h"

#define NS_TRANSFER "http://schemas.xmlsoap.org/ws/2004/09/transfer"

struct wsman_prop {
    char *name;
    char *value;
};

struct wsman_eprv {
    char *name; /* "" for a body that is itself an EPR (ResourceCreated) */
    char *resource_uri;
    struct wsman_prop *sel;
    size_t n_sel;
};

struct wsman_object {
    char *name;
    struct wsman_prop *props;
    size_t n_props;
};

struct wsman_response {
    char *action;
    char *relates_to;
    char *body_name;
    char *body_ns;
    struct wsman_prop *props;
    size_t n_props;
    struct wsman_eprv *eprs;
    size_t n_eprs;
    char *enum_context;
    int end_of_sequence;
    struct wsman_object *items;
    size_t n_items;
    int is_fault;
    struct wsman_fault fault;
    char *fault_strs[3];
};

static const char empty_str[] = "";

/* ---- small helpers ------------------------------------------------------ */

static int is_el(const xmlNode *n, const char *ns, const char *name)
{
    if (n == NULL || n->type != XML_ELEMENT_NODE) {
        return 0;
    }
    if (strcmp((const char *)n->name, name) != 0) {
        return 0;
    }
    if (ns == NULL) {
        return n->ns == NULL || n->ns->href == NULL;
    }
    return n->ns != NULL && n->ns->href != NULL && strcmp((const char *)n->ns->href, ns) == 0;
}

static const char *el_ns(const xmlNode *n)
{
    if (n->ns == NULL || n->ns->href == NULL) {
        return empty_str;
    }
    return (const char *)n->ns->href;
}

static const xmlNode *first_el(const xmlNode *n)
{
    for (; n != NULL; n = n->next) {
        if (n->type == XML_ELEMENT_NODE) {
            return n;
        }
    }
    return NULL;
}

static const xmlNode *child_el(const xmlNode *parent, const char *ns, const char *name)
{
    for (const xmlNode *c = parent->children; c != NULL; c = c->next) {
        if (is_el(c, ns, name)) {
            return c;
        }
    }
    return NULL;
}

static int has_el_child(const xmlNode *n)
{
    return first_el(n->children) != NULL;
}

static int is_xml_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* The element's own text (text and CDATA children), trimmed, as a new string. */
static int el_text(const xmlNode *n, char **out)
{
    size_t len = 0;
    size_t a = 0;
    size_t b;
    char *s;

    for (const xmlNode *c = n->children; c != NULL; c = c->next) {
        if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) && c->content) {
            size_t l = strlen((const char *)c->content);
            if (l > WSMAN_TEXT_MAX || len + l > WSMAN_TEXT_MAX) {
                return SCS_ERR_TOO_LARGE;
            }
            len += l;
        }
    }
    s = malloc(len + 1);
    if (s == NULL) {
        return SCS_ERR_NOMEM;
    }
    len = 0;
    for (const xmlNode *c = n->children; c != NULL; c = c->next) {
        if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) && c->content) {
            size_t l = strlen((const char *)c->content);
            memcpy(s + len, c->content, l);
            len += l;
        }
    }
    s[len] = '\0';
    while (a < len && is_xml_space(s[a])) {
        a++;
    }
    b = len;
    while (b > a && is_xml_space(s[b - 1])) {
        b--;
    }
    memmove(s, s + a, b - a);
    s[b - a] = '\0';
    *out = s;
    return 0;
}

static char *dup_str(const char *s)
{
    size_t l = strlen(s);
    char *d = malloc(l + 1);
    if (d != NULL) {
        memcpy(d, s, l + 1);
    }
    return d;
}

static int prop_add(struct wsman_prop **arr, size_t *n, const char *name, char *value)
{
    struct wsman_prop *na;
    char *nm;
    if (*n >= WSMAN_PROPS_MAX) {
        free(value);
        return SCS_ERR_TOO_LARGE;
    }
    nm = dup_str(name);
    na = realloc(*arr, (*n + 1) * sizeof(**arr));
    if (nm == NULL || na == NULL) {
        free(nm);
        free(value);
        if (na != NULL) {
            *arr = na;
        }
        return SCS_ERR_NOMEM;
    }
    *arr = na;
    na[*n].name = nm;
    na[*n].value = value;
    (*n)++;
    return 0;
}

static void props_free(struct wsman_prop *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(p[i].name);
        free(p[i].value);
    }
    free(p);
}

/* Simple (element-free) children of obj in obj's own namespace, in document order. */
static int collect_props(const xmlNode *obj, struct wsman_prop **arr, size_t *n)
{
    const char *ns = el_ns(obj);
    for (const xmlNode *c = obj->children; c != NULL; c = c->next) {
        char *v = NULL;
        int rc;
        if (c->type != XML_ELEMENT_NODE || strcmp(el_ns(c), ns) != 0 || has_el_child(c)) {
            continue;
        }
        rc = el_text(c, &v);
        if (rc == 0) {
            rc = prop_add(arr, n, (const char *)c->name, v);
        }
        if (rc != 0) {
            return rc;
        }
    }
    return 0;
}

/* An EPR: {addressing}ReferenceParameters/{wsman}ResourceURI and SelectorSet/Selector[@Name]. */
static int collect_epr(struct wsman_response *r, const char *name, const xmlNode *n)
{
    const xmlNode *rp = child_el(n, WSMAN_NS_ADDR, "ReferenceParameters");
    const xmlNode *ru;
    const xmlNode *ss;
    struct wsman_eprv *ne;
    struct wsman_eprv *e;
    int rc = 0;

    if (rp == NULL) {
        return 0;
    }
    if (r->n_eprs >= WSMAN_PROPS_MAX) {
        return SCS_ERR_TOO_LARGE;
    }
    ne = realloc(r->eprs, (r->n_eprs + 1) * sizeof(*ne));
    if (ne == NULL) {
        return SCS_ERR_NOMEM;
    }
    r->eprs = ne;
    e = &ne[r->n_eprs];
    memset(e, 0, sizeof(*e));
    r->n_eprs++;
    e->name = dup_str(name);
    if (e->name == NULL) {
        return SCS_ERR_NOMEM;
    }
    ru = child_el(rp, WSMAN_NS_WSMAN, "ResourceURI");
    rc = ru != NULL ? el_text(ru, &e->resource_uri) : 0;
    if (rc != 0) {
        return rc;
    }
    ss = child_el(rp, WSMAN_NS_WSMAN, "SelectorSet");
    if (ss == NULL) {
        return 0;
    }
    for (const xmlNode *c = ss->children; c != NULL; c = c->next) {
        xmlChar *attr;
        char *v = NULL;
        if (!is_el(c, WSMAN_NS_WSMAN, "Selector")) {
            continue;
        }
        attr = xmlGetNoNsProp(c, (const xmlChar *)"Name");
        if (attr == NULL) {
            continue;
        }
        if (strlen((const char *)attr) > WSMAN_CLASS_MAX) {
            xmlFree(attr);
            return SCS_ERR_TOO_LARGE;
        }
        rc = el_text(c, &v);
        if (rc == 0) {
            rc = prop_add(&e->sel, &e->n_sel, (const char *)attr, v);
        }
        xmlFree(attr);
        if (rc != 0) {
            return rc;
        }
    }
    return 0;
}

static int set_text(const xmlNode *n, char **dst)
{
    free(*dst);
    *dst = NULL;
    return el_text(n, dst);
}

/* ---- the body shapes ---------------------------------------------------- */

static int parse_fault(struct wsman_response *r, const xmlNode *f)
{
    const xmlNode *code = child_el(f, WSMAN_NS_SOAP, "Code");
    const xmlNode *reason = child_el(f, WSMAN_NS_SOAP, "Reason");
    const xmlNode *v;
    int rc = 0;

    r->is_fault = 1;
    if (code != NULL && (v = child_el(code, WSMAN_NS_SOAP, "Value")) != NULL) {
        rc = set_text(v, &r->fault_strs[0]);
    }
    if (rc == 0 && code != NULL && (v = child_el(code, WSMAN_NS_SOAP, "Subcode")) != NULL &&
        (v = child_el(v, WSMAN_NS_SOAP, "Value")) != NULL) {
        rc = set_text(v, &r->fault_strs[1]);
    }
    if (rc == 0 && reason != NULL && (v = child_el(reason, WSMAN_NS_SOAP, "Text")) != NULL) {
        rc = set_text(v, &r->fault_strs[2]);
    }
    return rc;
}

static int parse_items(struct wsman_response *r, const xmlNode *items)
{
    for (const xmlNode *c = items->children; c != NULL; c = c->next) {
        struct wsman_object *ni;
        struct wsman_object *o;
        if (c->type != XML_ELEMENT_NODE) {
            continue;
        }
        if (r->n_items >= WSMAN_ITEMS_MAX) {
            return SCS_ERR_TOO_LARGE;
        }
        ni = realloc(r->items, (r->n_items + 1) * sizeof(*ni));
        if (ni == NULL) {
            return SCS_ERR_NOMEM;
        }
        r->items = ni;
        o = &ni[r->n_items];
        memset(o, 0, sizeof(*o));
        r->n_items++;
        o->name = dup_str((const char *)c->name);
        if (o->name == NULL) {
            return SCS_ERR_NOMEM;
        }
        int rc = collect_props(c, &o->props, &o->n_props);
        if (rc != 0) {
            return rc;
        }
    }
    return 0;
}

static int parse_enum(struct wsman_response *r, const xmlNode *obj)
{
    const xmlNode *n = child_el(obj, WSMAN_NS_ENUM, "EnumerationContext");
    int rc = 0;
    if (n != NULL) {
        rc = set_text(n, &r->enum_context);
    }
    if (rc == 0 && child_el(obj, WSMAN_NS_ENUM, "EndOfSequence") != NULL) {
        r->end_of_sequence = 1;
    }
    if (rc == 0 && (n = child_el(obj, WSMAN_NS_ENUM, "Items")) != NULL) {
        rc = parse_items(r, n);
    }
    return rc;
}

static int parse_object(struct wsman_response *r, const xmlNode *obj)
{
    int rc = collect_props(obj, &r->props, &r->n_props);
    const char *ns = el_ns(obj);

    if (rc == 0 && is_el(obj, NS_TRANSFER, "ResourceCreated")) {
        rc = collect_epr(r, "", obj);
    }
    for (const xmlNode *c = obj->children; c != NULL && rc == 0; c = c->next) {
        if (c->type == XML_ELEMENT_NODE && strcmp(el_ns(c), ns) == 0 && has_el_child(c)) {
            rc = collect_epr(r, (const char *)c->name, c);
        }
    }
    return rc;
}

/* ---- document checks ---------------------------------------------------- */

static const void *find_bytes(const void *hay, size_t hlen, const char *needle)
{
    return memmem(hay, hlen, needle, strlen(needle));
}

/* Depth and count caps; entity references and DTD nodes anywhere are refused. */
static int walk_check(const xmlNode *n, unsigned depth, size_t *count, struct scs_diag *diag)
{
    for (; n != NULL; n = n->next) {
        switch (n->type) {
        case XML_ELEMENT_NODE:
            if (depth > WSMAN_DEPTH_MAX) {
                return scs_diag_failn(diag, SCS_ERR_TOO_LARGE, "elements nested deeper than %u",
                                      (unsigned)WSMAN_DEPTH_MAX);
            }
            if (++*count > WSMAN_NODES_MAX) {
                return scs_diag_failn(diag, SCS_ERR_TOO_LARGE, "more than %u elements",
                                      (unsigned)WSMAN_NODES_MAX);
            }
            {
                int rc = walk_check(n->children, depth + 1, count, diag);
                if (rc != 0) {
                    return rc;
                }
            }
            break;
        case XML_ENTITY_REF_NODE:
        case XML_ENTITY_NODE:
        case XML_ENTITY_DECL:
        case XML_DTD_NODE:
            return scs_diag_failn(diag, SCS_ERR_PROTOCOL, "entity or DTD node in a response");
        default:
            break;
        }
    }
    return 0;
}

static int libxml_error(xmlParserCtxtPtr ctxt, struct scs_diag *diag)
{
    const xmlError *e = xmlCtxtGetLastError(ctxt);
    if (e == NULL) {
        return scs_diag_failn(diag, SCS_ERR_FORMAT, "not well-formed XML");
    }
    if (e->code == XML_ERR_NO_MEMORY) {
        return scs_diag_failn(diag, SCS_ERR_NOMEM, "out of memory while parsing");
    }
    /* libxml2's own nesting limit ("Excessive depth in document") is reported as an
     * internal error; it is a size problem, not a syntax one. */
    if (e->code == XML_ERR_INTERNAL_ERROR && e->message != NULL &&
        strstr(e->message, "depth") != NULL) {
        return scs_diag_failn(diag, SCS_ERR_TOO_LARGE, "elements nested too deeply");
    }
    return scs_diag_failn(diag, SCS_ERR_FORMAT, "not well-formed XML (libxml2 error %d, line %d)",
                          e->code, e->line);
}

static int extract(struct wsman_response *r, const xmlDoc *doc, struct scs_diag *diag)
{
    const xmlNode *root = xmlDocGetRootElement(doc);
    const xmlNode *hdr;
    const xmlNode *body;
    const xmlNode *obj;
    const xmlNode *n;
    int rc = 0;

    if (!is_el(root, WSMAN_NS_SOAP, "Envelope")) {
        return scs_diag_failn(diag, SCS_ERR_PROTOCOL, "root is not a SOAP 1.2 Envelope");
    }
    hdr = child_el(root, WSMAN_NS_SOAP, "Header");
    body = child_el(root, WSMAN_NS_SOAP, "Body");
    if (body == NULL) {
        return scs_diag_failn(diag, SCS_ERR_PROTOCOL, "Envelope has no SOAP 1.2 Body");
    }
    if (hdr != NULL && (n = child_el(hdr, WSMAN_NS_ADDR, "Action")) != NULL) {
        rc = set_text(n, &r->action);
    }
    if (rc == 0 && hdr != NULL && (n = child_el(hdr, WSMAN_NS_ADDR, "RelatesTo")) != NULL) {
        rc = set_text(n, &r->relates_to);
    }
    if (rc != 0) {
        return scs_diag_failn(diag, rc, "header field too large");
    }
    obj = first_el(body->children);
    if (obj == NULL) {
        /* Delete answers with an empty Body. */
        r->body_name = dup_str("");
        r->body_ns = dup_str("");
        return (r->body_name && r->body_ns) ? 0 : SCS_ERR_NOMEM;
    }
    r->body_name = dup_str((const char *)obj->name);
    r->body_ns = dup_str(el_ns(obj));
    if (r->body_name == NULL || r->body_ns == NULL) {
        return SCS_ERR_NOMEM;
    }
    if (is_el(obj, WSMAN_NS_SOAP, "Fault")) {
        rc = parse_fault(r, obj);
    } else if (is_el(obj, WSMAN_NS_ENUM, "EnumerateResponse") ||
               is_el(obj, WSMAN_NS_ENUM, "PullResponse")) {
        rc = parse_enum(r, obj);
    } else {
        rc = parse_object(r, obj);
    }
    if (rc != 0) {
        return scs_diag_failn(diag, rc, "body of <%s> exceeds a limit", r->body_name);
    }
    return 0;
}

/* ---- public ------------------------------------------------------------- */

/*
 * One parser context per thread, reused: making one (and its name
 * dictionary) for every answer was a third of the parse.  The dictionary
 * keeps the names of every document parsed with it, so a context is replaced
 * once it has seen WSMAN_PARSER_MAX_NAMES names or WSMAN_PARSER_MAX_USES
 * documents: a device sending made-up element names cannot grow it forever.
 */
#define WSMAN_PARSER_MAX_NAMES 4096
#define WSMAN_PARSER_MAX_USES  10000

static _Thread_local xmlParserCtxtPtr response_ctxt;
static _Thread_local unsigned response_ctxt_uses;

static xmlParserCtxtPtr response_parser(void)
{
    if (response_ctxt != NULL && (response_ctxt_uses >= WSMAN_PARSER_MAX_USES ||
                                  (response_ctxt->dict != NULL &&
                                   xmlDictSize(response_ctxt->dict) > WSMAN_PARSER_MAX_NAMES))) {
        xmlFreeParserCtxt(response_ctxt);
        response_ctxt = NULL;
    }
    if (response_ctxt == NULL) {
        xmlInitParser();
        response_ctxt = xmlNewParserCtxt();
        response_ctxt_uses = 0;
    }
    response_ctxt_uses++;
    return response_ctxt;
}

int wsman_response_parse(const void *data, size_t len, struct wsman_response **out,
                         struct scs_diag *diag)
{
    xmlParserCtxtPtr ctxt;
    xmlDocPtr doc;
    struct wsman_response *r;
    size_t count = 0;
    const void *p;
    int rc;

    scs_diag_clear(diag);
    if (out == NULL || (data == NULL && len > 0)) {
        return SCS_ERR_INVALID_ARG;
    }
    *out = NULL;
    if (len > WSMAN_RESPONSE_MAX) {
        return scs_diag_failn(diag, SCS_ERR_TOO_LARGE, "response of %zu bytes exceeds %zu", len,
                              WSMAN_RESPONSE_MAX);
    }
    if (len == 0) {
        return scs_diag_failn(diag, SCS_ERR_FORMAT, "empty response");
    }
    if ((p = memchr(data, '\0', len)) != NULL) {
        return scs_diag_fail(diag, SCS_ERR_PROTOCOL, (size_t)((const char *)p - (const char *)data),
                             "NUL byte in response");
    }
    if ((p = find_bytes(data, len, "<!DOCTYPE")) != NULL ||
        (p = find_bytes(data, len, "<!ENTITY")) != NULL) {
        return scs_diag_fail(diag, SCS_ERR_PROTOCOL, (size_t)((const char *)p - (const char *)data),
                             "document type declaration in a WS-Man response");
    }

    ctxt = response_parser();
    if (ctxt == NULL) {
        return SCS_ERR_NOMEM;
    }
    doc = xmlCtxtReadMemory(ctxt, data, (int)len, "wsman-response", "UTF-8",
                            XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
                                XML_PARSE_NOCDATA);
    if (doc == NULL) {
        return libxml_error(ctxt, diag);
    }
    if (doc->intSubset != NULL || doc->extSubset != NULL) {
        rc = scs_diag_failn(diag, SCS_ERR_PROTOCOL, "document type declaration in a response");
    } else {
        rc = walk_check(doc->children, 1, &count, diag);
    }
    r = NULL;
    if (rc == 0) {
        r = calloc(1, sizeof(*r));
        rc = r == NULL ? SCS_ERR_NOMEM : extract(r, doc, diag);
    }
    xmlFreeDoc(doc);
    if (rc != 0) {
        wsman_response_free(r);
        return rc;
    }
    r->fault.code = r->fault_strs[0] ? r->fault_strs[0] : empty_str;
    r->fault.subcode = r->fault_strs[1] ? r->fault_strs[1] : empty_str;
    r->fault.reason = r->fault_strs[2] ? r->fault_strs[2] : empty_str;
    *out = r;
    return 0;
}

void wsman_response_free(struct wsman_response *r)
{
    if (r == NULL) {
        return;
    }
    free(r->action);
    free(r->relates_to);
    free(r->body_name);
    free(r->body_ns);
    props_free(r->props, r->n_props);
    for (size_t i = 0; i < r->n_eprs; i++) {
        free(r->eprs[i].name);
        free(r->eprs[i].resource_uri);
        props_free(r->eprs[i].sel, r->eprs[i].n_sel);
    }
    free(r->eprs);
    free(r->enum_context);
    for (size_t i = 0; i < r->n_items; i++) {
        free(r->items[i].name);
        props_free(r->items[i].props, r->items[i].n_props);
    }
    free(r->items);
    for (size_t i = 0; i < 3; i++) {
        free(r->fault_strs[i]);
    }
    free(r);
}

const char *wsman_response_body_name(const struct wsman_response *r)
{
    return r->body_name;
}

const char *wsman_response_body_ns(const struct wsman_response *r)
{
    return r->body_ns;
}

const char *wsman_response_action(const struct wsman_response *r)
{
    return r->action ? r->action : empty_str;
}

const char *wsman_response_relates_to(const struct wsman_response *r)
{
    return r->relates_to ? r->relates_to : empty_str;
}

const struct wsman_fault *wsman_response_fault(const struct wsman_response *r)
{
    return r->is_fault ? &r->fault : NULL;
}

static const char *find_prop(const struct wsman_prop *p, size_t np, const char *name, size_t n)
{
    for (size_t i = 0; i < np; i++) {
        if (strcmp(p[i].name, name) == 0) {
            if (n == 0) {
                return p[i].value;
            }
            n--;
        }
    }
    return NULL;
}

const char *wsman_response_prop(const struct wsman_response *r, const char *name, size_t n)
{
    return find_prop(r->props, r->n_props, name, n);
}

size_t wsman_response_prop_count(const struct wsman_response *r, const char *name)
{
    size_t c = 0;
    for (size_t i = 0; i < r->n_props; i++) {
        if (strcmp(r->props[i].name, name) == 0) {
            c++;
        }
    }
    return c;
}

int wsman_response_return_value(const struct wsman_response *r, uint32_t *out)
{
    const char *v = wsman_response_prop(r, "ReturnValue", 0);
    uint64_t acc = 0;
    if (v == NULL) {
        return SCS_ERR_NOT_FOUND;
    }
    if (v[0] == '\0' || strlen(v) > 10) {
        return SCS_ERR_FORMAT;
    }
    for (const char *p = v; *p != '\0'; p++) {
        if (*p < '0' || *p > '9') {
            return SCS_ERR_FORMAT;
        }
        acc = acc * 10u + (uint64_t)(*p - '0');
    }
    if (acc > UINT32_MAX) {
        return SCS_ERR_FORMAT;
    }
    *out = (uint32_t)acc;
    return 0;
}

const char *wsman_response_epr_selector(const struct wsman_response *r, const char *epr_name,
                                        const char *selector_name)
{
    const char *want = epr_name ? epr_name : "";
    for (size_t i = 0; i < r->n_eprs; i++) {
        if (strcmp(r->eprs[i].name, want) == 0) {
            return find_prop(r->eprs[i].sel, r->eprs[i].n_sel, selector_name, 0);
        }
    }
    return NULL;
}

const char *wsman_response_enum_context(const struct wsman_response *r)
{
    return r->enum_context;
}

int wsman_response_end_of_sequence(const struct wsman_response *r)
{
    return r->end_of_sequence;
}

size_t wsman_response_item_count(const struct wsman_response *r)
{
    return r->n_items;
}

const char *wsman_response_item_class(const struct wsman_response *r, size_t i)
{
    return i < r->n_items ? r->items[i].name : NULL;
}

const char *wsman_response_item_prop(const struct wsman_response *r, size_t i, const char *name)
{
    if (i >= r->n_items) {
        return NULL;
    }
    return find_prop(r->items[i].props, r->items[i].n_props, name, 0);
}

size_t wsman_response_item_prop_count(const struct wsman_response *r, size_t i)
{
    return i < r->n_items ? r->items[i].n_props : 0;
}

int wsman_response_item_prop_at(const struct wsman_response *r, size_t i, size_t j,
                                const char **name, const char **value)
{
    if (i >= r->n_items || j >= r->items[i].n_props) {
        return SCS_ERR_NOT_FOUND;
    }
    *name = r->items[i].props[j].name;
    *value = r->items[i].props[j].value;
    return 0;
}

long wsman_response_find_item(const struct wsman_response *r, const char *key, const char *value)
{
    for (size_t i = 0; i < r->n_items && i < (size_t)LONG_MAX; i++) {
        const char *v = wsman_response_item_prop(r, i, key);
        if (v != NULL && strcmp(v, value) == 0) {
            return (long)i;
        }
    }
    return -1;
}

static int fault_diag(const struct wsman_response *r, struct scs_diag *diag)
{
    return scs_diag_failn(diag, SCS_ERR_PROTOCOL, "device returned a fault: %.60s %.60s: %.80s",
                          r->fault.code, r->fault.subcode, r->fault.reason);
}

int wsman_response_expect_output(const struct wsman_response *r, const char *class_name,
                                 const char *method, uint32_t *rv, struct scs_diag *diag)
{
    char uri[WSMAN_RESOURCE_MAX];
    size_t ml;
    int rc;

    scs_diag_clear(diag);
    if (r == NULL || method == NULL || rv == NULL) {
        return SCS_ERR_INVALID_ARG;
    }
    rc = wsman_resource_uri(class_name, uri, sizeof(uri));
    if (rc != 0) {
        return rc;
    }
    if (r->is_fault) {
        return fault_diag(r, diag);
    }
    ml = strlen(method);
    if (strncmp(r->body_name, method, ml) != 0 || strcmp(r->body_name + ml, "_OUTPUT") != 0 ||
        strcmp(r->body_ns, uri) != 0) {
        return scs_diag_failn(diag, SCS_ERR_PROTOCOL, "expected %.64s_OUTPUT of %.64s, got <%.64s>",
                              method, class_name, r->body_name);
    }
    rc = wsman_response_return_value(r, rv);
    if (rc == SCS_ERR_NOT_FOUND) {
        return scs_diag_failn(diag, SCS_ERR_PROTOCOL, "%.64s_OUTPUT has no ReturnValue", method);
    }
    if (rc != 0) {
        return scs_diag_failn(diag, SCS_ERR_PROTOCOL, "ReturnValue is not an unsigned integer");
    }
    return 0;
}

int wsman_response_expect_instance(const struct wsman_response *r, const char *class_name,
                                   struct scs_diag *diag)
{
    char uri[WSMAN_RESOURCE_MAX];
    int rc;

    scs_diag_clear(diag);
    if (r == NULL) {
        return SCS_ERR_INVALID_ARG;
    }
    rc = wsman_resource_uri(class_name, uri, sizeof(uri));
    if (rc != 0) {
        return rc;
    }
    if (r->is_fault) {
        return fault_diag(r, diag);
    }
    if (strcmp(r->body_name, class_name) != 0 || strcmp(r->body_ns, uri) != 0) {
        return scs_diag_failn(diag, SCS_ERR_PROTOCOL, "expected an instance of %.64s, got <%.64s>",
                              class_name, r->body_name);
    }
    return 0;
}
