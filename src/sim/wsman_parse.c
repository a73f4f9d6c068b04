/*
 * WS-Man request parsing (see wsman_parse.h).
 */
#include "sim/wsman_parse.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/err.h"

#define NS_SOAP12 "http://www.w3.org/2003/05/soap-envelope"
#define NS_SOAP11 "http://schemas.xmlsoap.org/soap/envelope/"
#define NS_XFER   "http://schemas.xmlsoap.org/ws/2004/09/transfer/"
#define NS_ENUM   "http://schemas.xmlsoap.org/ws/2004/09/enumeration/"

static int name_is(const xmlNode *n, const char *local)
{
    return n != NULL && n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, local) == 0;
}

static const xmlNode *first_elem(const xmlNode *n)
{
    for (; n != NULL; n = n->next) {
        if (n->type == XML_ELEMENT_NODE) {
            return n;
        }
    }
    return NULL;
}

static const xmlNode *child(const xmlNode *parent, const char *local)
{
    for (const xmlNode *c = parent->children; c != NULL; c = c->next) {
        if (name_is(c, local)) {
            return c;
        }
    }
    return NULL;
}

/* Depth of the element tree, stopping early past the cap. */
static int depth_ok(const xmlNode *n, int depth)
{
    if (depth > SIM_WSMAN_MAX_DEPTH) {
        return 0;
    }
    for (const xmlNode *c = n; c != NULL; c = c->next) {
        if (c->type == XML_ELEMENT_NODE && c->children != NULL &&
            !depth_ok(c->children, depth + 1)) {
            return 0;
        }
    }
    return 1;
}

/* Text content with surrounding white space trimmed, capped. */
static char *text_of(const xmlNode *n)
{
    xmlChar *t = xmlNodeGetContent(n);
    char *out;
    size_t s = 0, e;

    if (t == NULL) {
        return strdup("");
    }
    e = strlen((const char *)t);
    while (s < e && (t[s] == ' ' || t[s] == '\t' || t[s] == '\r' || t[s] == '\n')) {
        s++;
    }
    while (e > s && (t[e - 1] == ' ' || t[e - 1] == '\t' || t[e - 1] == '\r' || t[e - 1] == '\n')) {
        e--;
    }
    if (e - s > SIM_WSMAN_MAX_VALUE) {
        xmlFree(t);
        return NULL;
    }
    out = malloc(e - s + 1);
    if (out != NULL) {
        memcpy(out, t + s, e - s);
        out[e - s] = '\0';
    }
    xmlFree(t);
    return out;
}

static int copy_capped(char *dst, size_t cap, const xmlNode *n)
{
    char *t = text_of(n);
    size_t l;

    if (t == NULL) {
        return SCS_ERR_TOO_LARGE;
    }
    l = strlen(t);
    if (l >= cap) {
        free(t);
        return SCS_ERR_TOO_LARGE;
    }
    memcpy(dst, t, l + 1);
    free(t);
    return 0;
}

static const xmlNode *find_desc(const xmlNode *n, const char *local, int depth)
{
    if (depth > SIM_WSMAN_MAX_DEPTH) {
        return NULL;
    }
    for (const xmlNode *c = n->children; c != NULL; c = c->next) {
        const xmlNode *r;

        if (name_is(c, local)) {
            return c;
        }
        if (c->type == XML_ELEMENT_NODE && (r = find_desc(c, local, depth + 1)) != NULL) {
            return r;
        }
    }
    return NULL;
}

static int add_param(struct sim_wsman_param *arr, unsigned *count, unsigned max, const char *name,
                     char *value)
{
    if (*count >= max || strlen(name) >= SIM_WSMAN_NAME_MAX) {
        free(value);
        return SCS_ERR_TOO_LARGE;
    }
    memcpy(arr[*count].name, name, strlen(name) + 1);
    arr[*count].value = value;
    (*count)++;
    return 0;
}

static int parse_selectors(const xmlNode *set, struct sim_wsman_req *r, struct scs_diag *d)
{
    for (const xmlNode *s = set->children; s != NULL; s = s->next) {
        xmlChar *nm;
        char *v;
        int rc;

        if (!name_is(s, "Selector")) {
            continue;
        }
        nm = xmlGetProp(s, (const xmlChar *)"Name");
        if (nm == NULL) {
            return scs_diag_failn(d, SCS_ERR_FORMAT, "Selector without Name");
        }
        v = text_of(s);
        if (v == NULL) {
            xmlFree(nm);
            return scs_diag_failn(d, SCS_ERR_TOO_LARGE, "Selector value too long");
        }
        rc = add_param(r->sel, &r->nsel, SIM_WSMAN_MAX_SELECTORS, (const char *)nm, v);
        xmlFree(nm);
        if (rc != 0) {
            return scs_diag_failn(d, rc, "too many selectors");
        }
    }
    return 0;
}

/* Children of a method input or an instance become parameters. */
static int parse_params(const xmlNode *holder, struct sim_wsman_req *r, struct scs_diag *d)
{
    for (const xmlNode *c = holder->children; c != NULL; c = c->next) {
        const xmlNode *sel;
        char *v;

        if (c->type != XML_ELEMENT_NODE) {
            continue;
        }
        /* An endpoint reference (e.g. ElementInContext) is identified by its selector. */
        if (first_elem(c->children) != NULL && (sel = find_desc(c, "Selector", 0)) != NULL) {
            v = text_of(sel);
        } else {
            v = text_of(c);
        }
        if (v == NULL) {
            return scs_diag_failn(d, SCS_ERR_TOO_LARGE, "parameter %s too long",
                                  (const char *)c->name);
        }
        if (add_param(r->params, &r->nparams, SIM_WSMAN_MAX_PARAMS, (const char *)c->name, v) !=
            0) {
            return scs_diag_failn(d, SCS_ERR_TOO_LARGE, "too many parameters");
        }
    }
    return 0;
}

static int classify(struct sim_wsman_req *r, struct scs_diag *d)
{
    static const struct {
        const char *prefix;
        const char *name;
        enum sim_wsman_op op;
    } ops[] = {
        {NS_XFER, "Get", SIM_WS_GET},
        {NS_XFER, "Put", SIM_WS_PUT},
        {NS_XFER, "Create", SIM_WS_CREATE},
        {NS_XFER, "Delete", SIM_WS_DELETE},
        {NS_ENUM, "Enumerate", SIM_WS_ENUMERATE},
        {NS_ENUM, "Pull", SIM_WS_PULL},
        {NS_ENUM, "Release", SIM_WS_RELEASE},
    };
    const char *slash = strrchr(r->resource_uri, '/');
    const char *m;
    size_t rl = strlen(r->resource_uri);

    if (slash == NULL || slash[1] == '\0' || strlen(slash + 1) >= sizeof(r->class_name)) {
        return scs_diag_failn(d, SCS_ERR_FORMAT, "ResourceURI has no class name");
    }
    memcpy(r->class_name, slash + 1, strlen(slash + 1) + 1);
    for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
        size_t pl = strlen(ops[i].prefix);

        if (strncmp(r->action, ops[i].prefix, pl) == 0 &&
            strcmp(r->action + pl, ops[i].name) == 0) {
            r->op = ops[i].op;
            return 0;
        }
    }
    /* Method: Action = <ResourceURI>/<Method> */
    if (strncmp(r->action, r->resource_uri, rl) != 0 || r->action[rl] != '/') {
        return scs_diag_failn(d, SCS_ERR_FORMAT, "Action does not match the ResourceURI");
    }
    m = r->action + rl + 1;
    if (*m == '\0' || strchr(m, '/') != NULL || strlen(m) >= sizeof(r->method)) {
        return scs_diag_failn(d, SCS_ERR_FORMAT, "bad method name in Action");
    }
    memcpy(r->method, m, strlen(m) + 1);
    r->op = SIM_WS_INVOKE;
    return 0;
}

static int parse_doc(const xmlNode *env, struct sim_wsman_req *r, struct scs_diag *d)
{
    const xmlNode *hdr, *body, *first;
    int rc;

    if (!name_is(env, "Envelope") || env->ns == NULL ||
        (strcmp((const char *)env->ns->href, NS_SOAP12) != 0 &&
         strcmp((const char *)env->ns->href, NS_SOAP11) != 0)) {
        return scs_diag_failn(d, SCS_ERR_FORMAT, "root is not a SOAP Envelope");
    }
    hdr = child(env, "Header");
    body = child(env, "Body");
    if (hdr == NULL || body == NULL) {
        return scs_diag_failn(d, SCS_ERR_FORMAT, "Envelope without Header or Body");
    }
    for (const xmlNode *h = hdr->children; h != NULL; h = h->next) {
        rc = 0;
        if (name_is(h, "Action")) {
            rc = copy_capped(r->action, sizeof(r->action), h);
        } else if (name_is(h, "ResourceURI")) {
            rc = copy_capped(r->resource_uri, sizeof(r->resource_uri), h);
        } else if (name_is(h, "MessageID")) {
            rc = copy_capped(r->message_id, sizeof(r->message_id), h);
        } else if (name_is(h, "SelectorSet")) {
            rc = parse_selectors(h, r, d);
            if (rc != 0) {
                return rc;
            }
        }
        if (rc != 0) {
            return scs_diag_failn(d, rc, "header %s too long", (const char *)h->name);
        }
    }
    if (r->action[0] == '\0' || r->resource_uri[0] == '\0') {
        return scs_diag_failn(d, SCS_ERR_FORMAT, "missing Action or ResourceURI");
    }
    if ((rc = classify(r, d)) != 0) {
        return rc;
    }
    first = first_elem(body->children);
    if (first != NULL) {
        if (strlen((const char *)first->name) >= sizeof(r->body_element)) {
            return scs_diag_failn(d, SCS_ERR_FORMAT, "body element name too long");
        }
        memcpy(r->body_element, first->name, strlen((const char *)first->name) + 1);
    }
    switch (r->op) {
    case SIM_WS_INVOKE: {
        char want[SIM_WSMAN_NAME_MAX + 8];
        size_t ml = strlen(r->method);

        memcpy(want, r->method, ml);
        memcpy(want + ml, "_INPUT", 7);
        if (first == NULL || strcmp(r->body_element, want) != 0) {
            return scs_diag_failn(d, SCS_ERR_FORMAT, "body is not %s", want);
        }
        return parse_params(first, r, d);
    }
    case SIM_WS_PUT:
    case SIM_WS_CREATE:
        if (first == NULL) {
            return scs_diag_failn(d, SCS_ERR_FORMAT, "Put/Create without an instance");
        }
        return parse_params(first, r, d);
    case SIM_WS_PULL:
    case SIM_WS_RELEASE: {
        const xmlNode *ctx = first != NULL ? child(first, "EnumerationContext") : NULL;

        if (ctx == NULL) {
            return scs_diag_failn(d, SCS_ERR_FORMAT, "Pull without EnumerationContext");
        }
        if (copy_capped(r->enum_context, sizeof(r->enum_context), ctx) != 0) {
            return scs_diag_failn(d, SCS_ERR_TOO_LARGE, "EnumerationContext too long");
        }
        return 0;
    }
    case SIM_WS_ENUMERATE:
        if (first == NULL || strcmp(r->body_element, "Enumerate") != 0) {
            return scs_diag_failn(d, SCS_ERR_FORMAT, "Enumerate without Enumerate body");
        }
        return 0;
    case SIM_WS_GET:
    case SIM_WS_DELETE:
        return 0;
    case SIM_WS_UNKNOWN:
    default:
        return scs_diag_failn(d, SCS_ERR_FORMAT, "unknown operation");
    }
}

/* A DTD has no place in WS-Man; reject it before libxml2 sees it. */
static int has_dtd(const uint8_t *p, size_t n)
{
    static const char pat[] = "<!";

    for (size_t i = 0; i + 2 <= n; i++) {
        if (p[i] == pat[0] && p[i + 1] == pat[1]) {
            /* Comments ("<!--") and CDATA ("<![CDATA[") are allowed. */
            if (i + 4 <= n && p[i + 2] == '-' && p[i + 3] == '-') {
                continue;
            }
            if (i + 3 <= n && p[i + 2] == '[') {
                continue;
            }
            return 1;
        }
    }
    return 0;
}

static void sim_xml_silent(void *ctx, const char *msg, ...)
{
    (void)ctx;
    (void)msg;
}

int sim_wsman_parse(const uint8_t *data, size_t len, struct sim_wsman_req *r, struct scs_diag *d)
{
    xmlDocPtr doc;
    const xmlNode *root;
    int rc;

    memset(r, 0, sizeof(*r));
    scs_diag_clear(d);
    if (len == 0) {
        return scs_diag_failn(d, SCS_ERR_FORMAT, "empty body");
    }
    if (len > SIM_WSMAN_MAX_DOC || len > (size_t)INT32_MAX) {
        return scs_diag_failn(d, SCS_ERR_TOO_LARGE, "body over %d bytes", SIM_WSMAN_MAX_DOC);
    }
    if (memchr(data, 0, len) != NULL) {
        return scs_diag_failn(d, SCS_ERR_FORMAT, "NUL byte in body");
    }
    if (has_dtd(data, len)) {
        return scs_diag_failn(d, SCS_ERR_FORMAT, "document has a DTD or declaration");
    }
    xmlSetGenericErrorFunc(NULL, sim_xml_silent);
    doc = xmlReadMemory((const char *)data, (int)len, "wsman.xml", NULL,
                        XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (doc == NULL) {
        return scs_diag_failn(d, SCS_ERR_FORMAT, "not well-formed XML");
    }
    if (doc->intSubset != NULL || doc->extSubset != NULL) {
        xmlFreeDoc(doc);
        return scs_diag_failn(d, SCS_ERR_FORMAT, "document has a DTD");
    }
    root = xmlDocGetRootElement(doc);
    if (root == NULL || !depth_ok(root, 0)) {
        xmlFreeDoc(doc);
        return scs_diag_failn(d, SCS_ERR_TOO_LARGE, "document nested too deeply");
    }
    rc = parse_doc(root, r, d);
    xmlFreeDoc(doc);
    if (rc != 0) {
        sim_wsman_req_clear(r);
    }
    return rc;
}

void sim_wsman_req_clear(struct sim_wsman_req *r)
{
    for (unsigned i = 0; i < r->nparams; i++) {
        free(r->params[i].value);
    }
    for (unsigned i = 0; i < r->nsel; i++) {
        free(r->sel[i].value);
    }
    memset(r, 0, sizeof(*r));
}

const char *sim_wsman_param(const struct sim_wsman_req *r, const char *name)
{
    for (unsigned i = 0; i < r->nparams; i++) {
        if (strcmp(r->params[i].name, name) == 0) {
            return r->params[i].value;
        }
    }
    return NULL;
}

const char *sim_wsman_selector(const struct sim_wsman_req *r, const char *name)
{
    for (unsigned i = 0; i < r->nsel; i++) {
        if (strcmp(r->sel[i].name, name) == 0) {
            return r->sel[i].value;
        }
    }
    return NULL;
}

const char *sim_wsman_op_name(enum sim_wsman_op op)
{
    switch (op) {
    case SIM_WS_GET:
        return "Get";
    case SIM_WS_PUT:
        return "Put";
    case SIM_WS_CREATE:
        return "Create";
    case SIM_WS_DELETE:
        return "Delete";
    case SIM_WS_ENUMERATE:
        return "Enumerate";
    case SIM_WS_PULL:
        return "Pull";
    case SIM_WS_RELEASE:
        return "Release";
    case SIM_WS_INVOKE:
        return "Invoke";
    case SIM_WS_UNKNOWN:
    default:
        return "Unknown";
    }
}
