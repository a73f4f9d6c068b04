/*
 * WS-Management request parsing for the simulated device: a pure function
 * over the HTTP body, independent of namespace prefixes and element order
 * (protocol.md §6.6), on a hardened libxml2 (no network, no DTD, no entity
 * expansion, size cap before parsing, depth cap after).
 */
#ifndef SCS_SIM_WSMAN_PARSE_H
#define SCS_SIM_WSMAN_PARSE_H

#include <stddef.h>
#include <stdint.h>

struct scs_diag;

#define SIM_WSMAN_MAX_DOC       (256 * 1024)
#define SIM_WSMAN_MAX_DEPTH     24
#define SIM_WSMAN_MAX_PARAMS    32
#define SIM_WSMAN_MAX_SELECTORS 8
#define SIM_WSMAN_MAX_VALUE     (64 * 1024)
#define SIM_WSMAN_NAME_MAX      64

enum sim_wsman_op {
    SIM_WS_UNKNOWN = 0,
    SIM_WS_GET,
    SIM_WS_PUT,
    SIM_WS_CREATE,
    SIM_WS_DELETE,
    SIM_WS_ENUMERATE,
    SIM_WS_PULL,
    SIM_WS_RELEASE,
    SIM_WS_INVOKE
};

struct sim_wsman_param {
    char name[SIM_WSMAN_NAME_MAX]; /* local name */
    char *value;                   /* text; for a nested element, its first Selector's text */
};

struct sim_wsman_req {
    enum sim_wsman_op op;
    char action[512];
    char resource_uri[512];
    char message_id[256];
    char class_name[SIM_WSMAN_NAME_MAX]; /* last segment of the ResourceURI */
    char method[SIM_WSMAN_NAME_MAX];     /* SIM_WS_INVOKE: from the Action */
    char body_element[SIM_WSMAN_NAME_MAX];
    struct sim_wsman_param sel[SIM_WSMAN_MAX_SELECTORS];
    unsigned nsel;
    struct sim_wsman_param params[SIM_WSMAN_MAX_PARAMS];
    unsigned nparams;
    char enum_context[128];
};

int sim_wsman_parse(const uint8_t *data, size_t len, struct sim_wsman_req *r, struct scs_diag *d);
void sim_wsman_req_clear(struct sim_wsman_req *r);
/* First parameter / selector with that local name, or NULL. */
const char *sim_wsman_param(const struct sim_wsman_req *r, const char *name);
const char *sim_wsman_selector(const struct sim_wsman_req *r, const char *name);
const char *sim_wsman_op_name(enum sim_wsman_op op);

#endif
