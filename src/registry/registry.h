/*
 * The server's data model over the store: devices, provisioning profiles,
 * provisioning certificates, one-time passwords, and the secrets that go with
 * them.  Like the PSK pool, it works on an open data directory (struct
 * scs_pool owns the store and the master key); every secret column is sealed
 * with the master key and bound to its row, and secrets only leave this
 * module inside struct scs_secret.
 *
 * Provisioning code (src/prov) reads and writes device progress here, so that
 * a crash or restart of scsd resumes or retries a session cleanly: the
 * password a session is about to set and the PSK it is about to give are
 * recorded here BEFORE they are sent to the device.
 */
#ifndef SCS_REGISTRY_REGISTRY_H
#define SCS_REGISTRY_REGISTRY_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "formats/hello.h"
#include "formats/pidpps.h"

struct scs_pool;
struct scs_secret;
struct scs_diag;

/* ---- devices ---------------------------------------------------------- */

enum scs_device_state {
    SCS_DEVICE_SEEN = 0,         /* Hello received, nothing attempted yet */
    SCS_DEVICE_PROVISIONING = 1, /* a session is running (or was, when scsd stopped) */
    SCS_DEVICE_PROVISIONED = 2,  /* CommitChanges succeeded */
    SCS_DEVICE_FAILED = 3,       /* last session failed; last_error says why */
    SCS_DEVICE_REFUSED = 4,      /* policy refused it (unknown PID, no chain, OTP wrong ...) */
    SCS_DEVICE_UNPROVISIONED = 5 /* an administrator unprovisioned it */
};
#define SCS_DEVICE_STATE_COUNT 6
const char *scs_device_state_name(enum scs_device_state s); /* "seen", "provisioning", ... */
/* The state named by name; SCS_ERR_FORMAT when there is none. */
int scs_device_state_parse(const char *name, enum scs_device_state *out);

enum scs_prov_path { SCS_PATH_NONE = 0, SCS_PATH_PSK = 1, SCS_PATH_PKI = 2 };
const char *scs_prov_path_name(enum scs_prov_path p); /* "", "psk", "pki" */

struct scs_device {
    char uuid[SCS_UUID_TEXT_LEN + 1]; /* key */
    char address[64];                 /* where its last Hello came from */
    enum scs_device_state state;
    enum scs_prov_path path;
    char fw_version[32];
    char profile[64];
    char pid[SCS_PID_LEN + 1];     /* PID of its last PSK Hello */
    char new_pid[SCS_PID_LEN + 1]; /* PID given with SetTLSPSK, once recorded */
    char step[32];                 /* last provisioning step reached (for resume) */
    char last_error[256];          /* plain words, never a secret */
    char realm[64];                /* AMT Digest realm */
    char tls_fingerprint[65];      /* SHA-256 hex of the device certificate seen */
    uint32_t attempts;             /* sessions started */
    int64_t first_seen, last_hello, updated, provisioned_at; /* Unix seconds, 0 = never */
};

/* SCS_ERR_NOT_FOUND when unknown. */
int scs_device_get(struct scs_pool *p, const char *uuid, struct scs_device *out);
/* Insert or replace the whole row (updated is set to now). */
int scs_device_put(struct scs_pool *p, const struct scs_device *d);
typedef int (*scs_device_visit_fn)(void *arg, const struct scs_device *d);
int scs_device_list(struct scs_pool *p, scs_device_visit_fn visit, void *arg);

/* Device secrets: "admin_password", "mebx_password", "otp". */
int scs_device_secret_set(struct scs_pool *p, const char *uuid, const char *name,
                          const struct scs_secret *value);
/* SCS_ERR_NOT_FOUND when none is stored. */
int scs_device_secret_get(struct scs_pool *p, const char *uuid, const char *name,
                          struct scs_secret **out);
int scs_device_secret_delete(struct scs_pool *p, const char *uuid, const char *name);

/* Keys the registry accepts (0 or SCS_ERR_FORMAT): a device UUID in canonical text
 * (lower case, 8-4-4-4-12); a profile or certificate name of 1..63 characters from
 * A-Z a-z 0-9 . _ - not starting with '.' or '-'.  Other functions return
 * SCS_ERR_INVALID_ARG for a key that fails these.  Secret names are a-z 0-9 _. */
int scs_registry_uuid_check(const char *uuid);
int scs_registry_name_check(const char *name);

/* ---- profiles --------------------------------------------------------- */

struct scs_profile {
    char name[64];
    int admin_password_random; /* 1: a fresh strong password per device; 0: the fixed one */
    int set_mebx_password;     /* change the MEBx password during provisioning */
    int mebx_password_random;
    int require_otp;            /* PKI: compare the device's OTP before sending secrets */
    int time_sync;              /* set the device clock */
    int configure_tls;          /* key pair on the device, cert from the server's CA */
    int new_psk;                /* PSK path: give the device a fresh pair (SetTLSPSK) */
    int redirection;            /* bit0 SOL, bit1 IDER, bit2 KVM */
    int user_consent;           /* 0 none, 1 KVM only, 2 all */
    char hostname_template[64]; /* e.g. "amt-%u" (first 8 hex of UUID) or empty */
    char domain[128];
};
#define SCS_PROFILE_DEFAULT "default"
/* The settings of the profile `scsctl init` creates, under name (NULL: "default"): random
 * admin password per device, random MEBx password set, time sync on, new PSK on, OTP
 * off, TLS off, no redirection, user consent for all. */
void scs_profile_defaults(struct scs_profile *out, const char *name);
/* Secrets of a profile: "admin_password", "mebx_password" (when not random).  A put
 * keeps the profile's secrets; a delete removes them with it. */
int scs_profile_get(struct scs_pool *p, const char *name, struct scs_profile *out);
int scs_profile_put(struct scs_pool *p, const struct scs_profile *prof);
int scs_profile_delete(struct scs_pool *p, const char *name);
typedef int (*scs_profile_visit_fn)(void *arg, const struct scs_profile *prof);
int scs_profile_list(struct scs_pool *p, scs_profile_visit_fn visit, void *arg);
int scs_profile_secret_set(struct scs_pool *p, const char *name, const char *secret_name,
                           const struct scs_secret *value);
int scs_profile_secret_get(struct scs_pool *p, const char *name, const char *secret_name,
                           struct scs_secret **out);
int scs_profile_secret_delete(struct scs_pool *p, const char *name, const char *secret_name);

/* ---- provisioning certificates --------------------------------------- */

struct scs_cert_entry {
    char name[64];      /* administrator's label, key */
    char domain[256];   /* domain suffix the leaf serves (CN minus "*.") */
    char root_sha1[41]; /* hex digests of the root certificate's DER */
    char root_sha256[65];
    char root_sha384[97];
    int64_t not_after; /* leaf expiry, Unix seconds */
    char subnets[256]; /* optional mapping: comma-separated CIDRs this chain serves */
};
/* chain_pem: leaf first ... root last (PEM text); key_pem is sealed at rest. */
int scs_cert_put(struct scs_pool *p, const struct scs_cert_entry *e, const char *chain_pem,
                 size_t chain_len, const struct scs_secret *key_pem);
int scs_cert_get(struct scs_pool *p, const char *name, struct scs_cert_entry *out,
                 char **chain_pem /* malloc'd, may be NULL */, struct scs_secret **key_pem);
int scs_cert_delete(struct scs_pool *p, const char *name);
typedef int (*scs_cert_visit_fn)(void *arg, const struct scs_cert_entry *e);
int scs_cert_list(struct scs_pool *p, scs_cert_visit_fn visit, void *arg);

/* ---- the server's own CA (for device TLS certificates) ---------------- */

/* Created by `scsctl init`; key sealed at rest. */
int scs_ca_get(struct scs_pool *p, char **cert_pem, struct scs_secret **key_pem);
int scs_ca_put(struct scs_pool *p, const char *cert_pem, const struct scs_secret *key_pem);

/* ---- audit ------------------------------------------------------------ */

typedef int (*scs_audit_visit_fn)(void *arg, int64_t id, int64_t time, const char *event,
                                  const char *subject, const char *detail);
int scs_audit_list(struct scs_pool *p, scs_audit_visit_fn visit, void *arg);

#endif
