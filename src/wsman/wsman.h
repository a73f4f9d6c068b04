/*
 * WS-Management for Intel AMT: request envelopes and response extraction.
 *
 * The builder writes requests byte for byte as Intel's wsman-messages package
 * does (protocol.md §6.6; checked against ../shared/fixtures/wsman-requests),
 * so a device that was tested against Intel's tools sees the same bytes from
 * scsd.  It never touches libxml2: requests are plain text with every value
 * escaped here.
 *
 * The parser takes an untrusted response body, enforces a size cap before
 * parsing and a depth cap after, refuses any DTD, and copies what the
 * provisioning flow needs into a small libxml2-free struct wsman_response.
 * Elements are matched by namespace URI and local name, never by prefix.
 */
#ifndef SCS_WSMAN_WSMAN_H
#define SCS_WSMAN_WSMAN_H

#include <stddef.h>
#include <stdint.h>

struct scs_buf;
struct scs_diag;

/* Namespaces (protocol.md §6.6). */
#define WSMAN_NS_SOAP  "http://www.w3.org/2003/05/soap-envelope"
#define WSMAN_NS_ADDR  "http://schemas.xmlsoap.org/ws/2004/08/addressing"
#define WSMAN_NS_WSMAN "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"
#define WSMAN_NS_ENUM  "http://schemas.xmlsoap.org/ws/2004/09/enumeration"
#define WSMAN_URI_AMT  "http://intel.com/wbem/wscim/1/amt-schema/1/"
#define WSMAN_URI_CIM  "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/"
#define WSMAN_URI_IPS  "http://intel.com/wbem/wscim/1/ips-schema/1/"

/* Limits on what we send. */
#define WSMAN_REQUEST_MAX  ((size_t)256 * 1024) /* a certificate blob is the biggest argument */
#define WSMAN_CLASS_MAX    64                   /* AMT class names are < 40 characters */
#define WSMAN_RESOURCE_MAX 128

/* Limits on what we accept (style.md §2.7). */
#define WSMAN_RESPONSE_MAX                                                                         \
    ((size_t)1024 * 1024)  /* AMT answers are a few KiB; a Pull of certs < 200 KiB */
#define WSMAN_DEPTH_MAX 16 /* Envelope/Body/PullResponse/Items/instance/EPR/... is 9 */
#define WSMAN_TEXT_MAX  ((size_t)64 * 1024) /* one element's text (a DER certificate in base64) */
#define WSMAN_PROPS_MAX 256                 /* properties of one object */
#define WSMAN_ITEMS_MAX 256                 /* instances in one PullResponse */
#define WSMAN_NODES_MAX 20000               /* elements in one document */

/* ---- builder ---------------------------------------------------------- */

/* One request producer per device session; numbers MessageIDs 0, 1, 2, ... */
struct wsman_builder;

struct wsman_builder *wsman_builder_new(void);
void wsman_builder_free(struct wsman_builder *b);
/* The MessageID the next request will carry. */
uint64_t wsman_builder_next_id(const struct wsman_builder *b);
/* The MessageID of the last request built (to compare with the response's RelatesTo). */
int wsman_builder_last_id(const struct wsman_builder *b, uint64_t *out);

/* <w:Selector Name="name">value</w:Selector> */
struct wsman_selector {
    const char *name;
    const char *value;
};

/* An endpoint reference used as a property or argument value:
 * <a:Address>/wsman</a:Address><a:ReferenceParameters><w:ResourceURI>…</w:ResourceURI>
 * <w:SelectorSet>…</w:SelectorSet></a:ReferenceParameters> */
struct wsman_epr {
    const char *class_name; /* e.g. "AMT_PublicKeyCertificate"; the URI is derived */
    const struct wsman_selector *selectors;
    size_t n_selectors;
};

/* One property (Put/Create) or method argument, written in the given order as
 * <h:name>value</h:name>.  Exactly one of value and epr is set. */
struct wsman_arg {
    const char *name;
    const char *value;
    const struct wsman_epr *epr;
};

/* The resource URI of an AMT_, CIM_ or IPS_ class into out (cap bytes). */
int wsman_resource_uri(const char *class_name, char *out, size_t cap);

/* Each builder appends one complete envelope to out; on error out is left as it was.
 * SCS_ERR_INVALID_ARG for a bad class or element name or a value that cannot be
 * carried in XML 1.0 (control characters, invalid UTF-8). */
int wsman_build_get(struct wsman_builder *b, const char *class_name,
                    const struct wsman_selector *sel, size_t n_sel, struct scs_buf *out);
int wsman_build_put(struct wsman_builder *b, const char *class_name,
                    const struct wsman_selector *sel, size_t n_sel, const struct wsman_arg *props,
                    size_t n_props, struct scs_buf *out);
int wsman_build_create(struct wsman_builder *b, const char *class_name,
                       const struct wsman_arg *props, size_t n_props, struct scs_buf *out);
int wsman_build_delete(struct wsman_builder *b, const char *class_name,
                       const struct wsman_selector *sel, size_t n_sel, struct scs_buf *out);
int wsman_build_enumerate(struct wsman_builder *b, const char *class_name, struct scs_buf *out);
int wsman_build_pull(struct wsman_builder *b, const char *class_name, const char *context,
                     struct scs_buf *out);
/* <h:Method_INPUT xmlns:h="ResourceURI"> with the arguments in order. */
int wsman_build_invoke(struct wsman_builder *b, const char *class_name, const char *method,
                       const struct wsman_selector *sel, size_t n_sel, const struct wsman_arg *args,
                       size_t n_args, struct scs_buf *out);

/* Append s to out with &, <, > (and " when attr) escaped; SCS_ERR_INVALID_ARG
 * for bytes XML 1.0 cannot carry. */
int wsman_escape(struct scs_buf *out, const char *s, int attr);

/* ---- response --------------------------------------------------------- */

struct wsman_response;

struct wsman_fault {
    const char *code;    /* e.g. "a:Sender" as sent (QName text) */
    const char *subcode; /* e.g. "e:AlreadyExists"; "" if absent */
    const char *reason;  /* first Reason/Text; "" if absent */
};

/* Parse a response body.  Errors (diag says which rule):
 *   SCS_ERR_TOO_LARGE  over WSMAN_RESPONSE_MAX, deeper than WSMAN_DEPTH_MAX, or over a count cap;
 *   SCS_ERR_PROTOCOL   a DTD or entity declaration, NUL bytes, or not a SOAP 1.2 Envelope/Body;
 *   SCS_ERR_FORMAT     not well-formed XML;
 *   SCS_ERR_NOMEM.
 * A SOAP fault parses fine: check wsman_response_fault(). */
int wsman_response_parse(const void *data, size_t len, struct wsman_response **out,
                         struct scs_diag *diag);
void wsman_response_free(struct wsman_response *r);

/* Local name and namespace of Body's first child ("CommitChanges_OUTPUT",
 * "AMT_GeneralSettings", "PullResponse", "Fault"). */
const char *wsman_response_body_name(const struct wsman_response *r);
const char *wsman_response_body_ns(const struct wsman_response *r);
/* Header fields; "" when absent. */
const char *wsman_response_action(const struct wsman_response *r);
const char *wsman_response_relates_to(const struct wsman_response *r);
/* The fault, or NULL when the response is not a fault. */
const struct wsman_fault *wsman_response_fault(const struct wsman_response *r);

/* The n-th (from 0) simple child of the body object named name, or NULL. */
const char *wsman_response_prop(const struct wsman_response *r, const char *name, size_t n);
/* How many simple children named name (arrays like AllowedControlModes). */
size_t wsman_response_prop_count(const struct wsman_response *r, const char *name);
/* ReturnValue as an integer: SCS_ERR_NOT_FOUND if absent, SCS_ERR_FORMAT if not a uint32. */
int wsman_response_return_value(const struct wsman_response *r, uint32_t *out);
/* A selector of an EPR-valued child of the body object (KeyPair, CreatedCertificate). */
const char *wsman_response_epr_selector(const struct wsman_response *r, const char *epr_name,
                                        const char *selector_name);
/* EnumerationContext of an EnumerateResponse or PullResponse, or NULL. */
const char *wsman_response_enum_context(const struct wsman_response *r);
/* 1 when a PullResponse carries EndOfSequence. */
int wsman_response_end_of_sequence(const struct wsman_response *r);
/* Pull items: each instance is a class name and a name→value list. */
size_t wsman_response_item_count(const struct wsman_response *r);
const char *wsman_response_item_class(const struct wsman_response *r, size_t i);
const char *wsman_response_item_prop(const struct wsman_response *r, size_t i, const char *name);
size_t wsman_response_item_prop_count(const struct wsman_response *r, size_t i);
int wsman_response_item_prop_at(const struct wsman_response *r, size_t i, size_t j,
                                const char **name, const char **value);
/* The item whose property key equals value (e.g. InstanceID = "AMT"), or -1. */
long wsman_response_find_item(const struct wsman_response *r, const char *key, const char *value);

/* Check that r is the answer to a method call: body is <method>_OUTPUT in the
 * namespace of class_name, and ReturnValue is present; *rv gets it.
 * SCS_ERR_PROTOCOL for a fault or any other body (diag says which). */
int wsman_response_expect_output(const struct wsman_response *r, const char *class_name,
                                 const char *method, uint32_t *rv, struct scs_diag *diag);
/* Check that r is a Get/Put/Create answer carrying an instance of class_name. */
int wsman_response_expect_instance(const struct wsman_response *r, const char *class_name,
                                   struct scs_diag *diag);

#endif
