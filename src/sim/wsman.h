/*
 * The device's WS-Management endpoint: dispatch of a parsed request to the
 * class that owns its ResourceURI, and replies in the real AMT form
 * (protocol.md §6.6: prefixes a/b/c/..., RelatesTo echoing the MessageID,
 * MessageID uuid:00000000-8086-8086-8086-<12 hex counter>, Action ...Response,
 * SOAP faults with HTTP 400).
 */
#ifndef SCS_SIM_WSMAN_H
#define SCS_SIM_WSMAN_H

#include <stddef.h>
#include <stdint.h>

#include "sim/wsman_parse.h"

struct scs_buf;
struct sim_device;

#define SIM_NS_SOAP  "http://www.w3.org/2003/05/soap-envelope"
#define SIM_NS_ADDR  "http://schemas.xmlsoap.org/ws/2004/08/addressing"
#define SIM_NS_WSMAN "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"
#define SIM_NS_XFER  "http://schemas.xmlsoap.org/ws/2004/09/transfer"
#define SIM_NS_ENUM  "http://schemas.xmlsoap.org/ws/2004/09/enumeration"
#define SIM_NS_AMT   "http://intel.com/wbem/wscim/1/amt-schema/1/"
#define SIM_NS_IPS   "http://intel.com/wbem/wscim/1/ips-schema/1/"
#define SIM_NS_CIM   "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/"
#define SIM_ANON     "http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous"

/* Events a request raises for the Hello engine and the TLS layer. */
enum sim_event {
    SIM_EV_HELLO_STOP = 1u << 0,    /* left in-provisioning */
    SIM_EV_HELLO_RESTART = 1u << 1, /* back to in-provisioning: new window */
    SIM_EV_EXTEND = 1u << 2,        /* ExtendProvisioningPeriod(extend_hours) */
    SIM_EV_TLS_CHANGED = 1u << 3    /* TLS identity or settings changed */
};

/* Who is asking, as established by the transport. */
struct sim_ctx {
    struct sim_device *dev;
    int prov_session; /* authenticated provisioning TLS session, device in-provisioning */
    int admin;        /* Digest as the admin user */
    int local;        /* Digest as $$OsAdmin on the local interface */
    int secure;       /* the request came over TLS */
    uint64_t now;     /* host Unix time */
    unsigned events;  /* enum sim_event */
    unsigned extend_hours;
    int dirty;              /* device state changed: save before answering */
    const char *fault_call; /* inject a SOAP fault for this call ("Class.Method"/"Class.Op") */
};

enum sim_fault {
    SIM_F_NONE = 0,
    SIM_F_DEST_UNREACHABLE,
    SIM_F_ACTION_NOT_SUPPORTED,
    SIM_F_INVALID_SELECTORS,
    SIM_F_ACCESS_DENIED,
    SIM_F_SCHEMA,
    SIM_F_ALREADY_EXISTS,
    SIM_F_INTERNAL,
    SIM_F_INVALID_REPRESENTATION
};

/* One WS-Man class.  Writers emit elements with the namespace prefix given. */
struct sim_class {
    const char *name;
    const char *ns_base; /* SIM_NS_AMT, SIM_NS_IPS or SIM_NS_CIM */
    /* Instances (all, or the one whose key selector equals sel); *count gets how many. */
    int (*instances)(struct sim_ctx *c, const char *pfx, const char *sel, struct scs_buf *o,
                     unsigned *count);
    enum sim_fault (*put)(struct sim_ctx *c, const struct sim_wsman_req *r);
    /* Output parameters (prefix g) before ReturnValue; *rv gets ReturnValue. */
    enum sim_fault (*invoke)(struct sim_ctx *c, const struct sim_wsman_req *r, struct scs_buf *o,
                             unsigned *rv);
    enum sim_fault (*create)(struct sim_ctx *c, const struct sim_wsman_req *r,
                             const char **sel_name, char *sel_value, size_t cap);
    enum sim_fault (*del)(struct sim_ctx *c, const struct sim_wsman_req *r);
};

extern const struct sim_class sim_class_general_settings;
extern const struct sim_class sim_class_setup_service;
extern const struct sim_class sim_class_authorization;
extern const struct sim_class sim_class_time_sync;
extern const struct sim_class sim_class_pkm_service;
extern const struct sim_class sim_class_public_key_cert;
extern const struct sim_class sim_class_key_pair;
extern const struct sim_class sim_class_tls_setting;
extern const struct sim_class sim_class_tls_credential;
extern const struct sim_class sim_class_software_identity;
extern const struct sim_class sim_class_ethernet_port;
extern const struct sim_class sim_class_redirection;
extern const struct sim_class sim_class_optin;
extern const struct sim_class sim_class_host_based_setup;

/* Handle one parsed request: a full envelope in out, *http_status 200 or 400. */
int sim_wsman_handle(struct sim_ctx *c, const struct sim_wsman_req *r, struct scs_buf *out,
                     int *http_status);
/* A fault reply for a body that did not parse. */
int sim_wsman_malformed(const char *reason, struct scs_buf *out);

/* ---- reply helpers (wsman_reply.c) ---- */
int sim_xml_esc(struct scs_buf *o, const char *s);
int sim_prop(struct scs_buf *o, const char *pfx, const char *name, const char *val);
int sim_propu(struct scs_buf *o, const char *pfx, const char *name, unsigned long long v);
int sim_propb(struct scs_buf *o, const char *pfx, const char *name, int v);
/* <pfx:name><b:Address>anon</b:Address><b:ReferenceParameters>...</b:ReferenceParameters></pfx:name>
 */
int sim_epr(struct scs_buf *o, const char *pfx, const char *name, const char *resource_uri,
            const char *sel_name, const char *sel_value);
int sim_reply_begin(struct scs_buf *o, const char *action, const char *relates_to,
                    const char *resource_uri, const char *ns_g, const char *ns_h);
int sim_reply_end(struct scs_buf *o);
int sim_reply_fault(struct scs_buf *o, const char *relates_to, enum sim_fault f,
                    const char *reason);
/* Next MessageID counter value (process-wide). */
uint64_t sim_reply_next_id(void);

/* Common helpers for classes. */
/* Should the instance with key id be written?  sel NULL: all; "": the first only. */
int sim_sel_want(const char *sel, const char *id, unsigned count);
/* May this caller change configuration (provisioning session, admin, or local OS admin)? */
int sim_ctx_can_configure(const struct sim_ctx *c);
int sim_parse_bool(const char *s, int *out);
int sim_parse_uint(const char *s, unsigned long long max, unsigned long long *out);

#endif
