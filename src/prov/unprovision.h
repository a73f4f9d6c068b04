/*
 * Unprovisioning a device the server provisioned (scsctl device unprovision).
 *
 * A blocking, one-device operation for the CLI: it reads what the registry
 * recorded at provisioning time (address of the last Hello, admin password,
 * the certificate the device serves when TLS was configured), logs in to the
 * device as admin with HTTP Digest, checks that the device at that address is
 * still the same device (GetUuid), calls
 * AMT_SetupAndConfigurationService.Unprovision(ProvisioningMode=1), and on
 * ReturnValue 0 marks the registry row unprovisioned.  A device in state
 * unprovisioned that sends a Hello is provisioned again by scsd as a new
 * attempt, with a new admin password.
 *
 * The stored admin password is NOT deleted here: it is replaced when scsd
 * provisions the device again (the device no longer accepts it after a full
 * unprovision, but an unprovision cut short may leave it valid).
 */
#ifndef SCS_PROV_UNPROVISION_H
#define SCS_PROV_UNPROVISION_H

#include <stdint.h>

#include "registry/registry.h"

struct scs_diag;
struct scs_pool;

struct prov_unprovision_opts {
    uint16_t tls_port;  /* 0: 16993 (devices whose TLS the server configured) */
    uint16_t http_port; /* 0: 16992 (the others) */
    long timeout_ms;    /* per request, 0: the http module's default */
    int mark_only;      /* do not contact the device: only mark the row (device gone) */
};

struct prov_unprovision_result {
    enum scs_device_state was; /* state before */
    int contacted;             /* the device was asked (not mark_only) */
    int over_tls;              /* the request went over TLS with the recorded pin */
    uint16_t port;             /* the port used */
};

/*
 * Unprovision device uuid.  0 on success (also with mark_only).  Errors, with a
 * plain-words reason in diag (never a secret):
 *   SCS_ERR_NOT_FOUND  no such device, or no address / admin password recorded;
 *   SCS_ERR_NETWORK, SCS_ERR_TIMEOUT  the device could not be reached;
 *   SCS_ERR_AUTH       Digest refused, or the TLS certificate differs from the pin;
 *   SCS_ERR_PROTOCOL   the device refused (ReturnValue n, or a SOAP fault), answered
 *                      something else, or is another device (GetUuid);
 *   registry errors.
 * Every outcome except a usage error is audited: device-unprovisioned,
 * unprovision-failed (with the reason) or unprovision-requested (mark_only).
 * res may be NULL.
 */
int prov_unprovision_device(struct scs_pool *p, const char *uuid,
                            const struct prov_unprovision_opts *o,
                            struct prov_unprovision_result *res, struct scs_diag *diag);

#endif
