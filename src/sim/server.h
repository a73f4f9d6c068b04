/*
 * One HTTP request to one device, from parsed request to complete response
 * bytes: who may talk on this channel, Digest, WS-Man dispatch, persistence.
 * No I/O, so unit tests and the fuzzer drive it directly.
 */
#ifndef SCS_SIM_SERVER_H
#define SCS_SIM_SERVER_H

#include <stddef.h>
#include <stdint.h>

struct scs_buf;
struct sim_device;
struct sim_http_req;

enum sim_listener { SIM_LISTEN_TLS = 0, SIM_LISTEN_HTTP = 1, SIM_LISTEN_LOCAL = 2 };

#define SIM_OSADMIN_USER "$$OsAdmin"

struct sim_request_result {
    int close;             /* close the connection after this response */
    unsigned events;       /* enum sim_event */
    unsigned extend_hours; /* with SIM_EV_EXTEND */
    int status;            /* HTTP status sent */
};

/*
 * prov_session: the TLS handshake authenticated a provisioning peer (PSK or a
 * valid provisioning certificate chain).  fault_call: inject a SOAP fault for
 * that call (may be NULL).
 */
int sim_server_handle(struct sim_device *d, enum sim_listener kind, int prov_session,
                      const struct sim_http_req *req, const char *fault_call, uint64_t now,
                      struct scs_buf *out, struct sim_request_result *res);

/* A 400 for bytes that are not HTTP. */
int sim_server_bad_request(const struct sim_device *d, struct scs_buf *out);

/* May this device accept a connection on this listener right now? */
int sim_server_listener_open(const struct sim_device *d, enum sim_listener kind);

#endif
