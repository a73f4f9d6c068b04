/*
 * One provisioning session: an explicit state machine (style.md §2.11).
 *
 * The steps are the WS-Man calls of protocol.md §2.4 step 8 / §5.3 / §4.2, in
 * order.  prov_fsm[step][event] gives the next step; every step is described
 * by one row of prov_steps[] (does it apply to this profile and path, how to
 * build its request, how to read its answer).  Every transition is logged as
 * "<uuid> <step> -> <step>".  Secrets the device is about to receive (admin
 * and MEBx passwords, the new PSK) are recorded in the registry by the build
 * function BEFORE the request leaves, so that a crash never loses one and a
 * retry reuses it.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/buf.h"
#include "common/encoding.h"
#include "common/err.h"
#include "common/log.h"
#include "common/secmem.h"
#include "event/event.h"
#include "formats/pidpps.h"
#include "http/http.h"
#include "prov/prov_internal.h"
#include "wsman/wsman.h"
#include "wsman/wsman_amt.h"

#define PROV_TIME_SKEW_S   10   /* set the clock when it is further off than this (MeshCentral) */
#define PROV_CERT_DAYS     3650 /* device TLS certificate lifetime */
#define PROV_RESULT_REFUSE 1    /* a handler's verdict: policy says no (not a failure) */

enum prov_step {
    PROV_STEP_START = 0,
    PROV_STEP_GENERAL,      /* Get AMT_GeneralSettings -> DigestRealm */
    PROV_STEP_SWID_ENUM,    /* Enumerate CIM_SoftwareIdentity */
    PROV_STEP_SWID_PULL,    /* Pull -> AMT version */
    PROV_STEP_SETUP_GET,    /* Get AMT_SetupAndConfigurationService: in-provisioning, OTP */
    PROV_STEP_MEBX,         /* SetMEBxPassword */
    PROV_STEP_ADMIN,        /* SetAdminAclEntryEx */
    PROV_STEP_TIME_GET,     /* GetLowAccuracyTimeSynch */
    PROV_STEP_TIME_SET,     /* SetHighAccuracyTimeSynch */
    PROV_STEP_NAMES,        /* Put AMT_GeneralSettings: HostName, DomainName */
    PROV_STEP_REDIR_STATE,  /* AMT_RedirectionService.RequestStateChange: SOL, IDER */
    PROV_STEP_REDIR_PUT,    /* Put AMT_RedirectionService: ListenerEnabled */
    PROV_STEP_CONSENT,      /* Put IPS_OptInService: OptInRequired */
    PROV_STEP_TLS_KEYGEN,   /* GenerateKeyPair */
    PROV_STEP_TLS_KEYGET,   /* Get AMT_PublicPrivateKeyPair -> DERKey, sign */
    PROV_STEP_TLS_ADDCERT,  /* AddCertificate */
    PROV_STEP_TLS_CONTEXT,  /* Create AMT_TLSCredentialContext */
    PROV_STEP_TLS_SETTINGS, /* Put AMT_TLSSettingData (remote) */
    PROV_STEP_SET_PSK,      /* SetTLSPSK with a fresh pair */
    PROV_STEP_COMMIT,       /* CommitChanges */
    PROV_STEP_CONFIRM,      /* Get AMT_SetupAndConfigurationService as admin: committed? */
    PROV_STEP_DONE,
    PROV_STEP_FAILED,
    PROV_STEP_REFUSED,
    PROV_STEP_COUNT
};

enum prov_event {
    PROV_EV_OK = 0, /* the step's answer was good */
    PROV_EV_SKIP,   /* the step does not apply to this profile or path */
    PROV_EV_FAIL,   /* network, protocol or device error */
    PROV_EV_REFUSE, /* policy: OTP mismatch, device not in-provisioning ... */
    PROV_EV_COUNT
};

static const char *const prov_event_names[PROV_EV_COUNT] = {"ok", "skip", "fail", "refuse"};

#define ROW(next)                                                                                  \
    {                                                                                              \
        [PROV_EV_OK] = (next), [PROV_EV_SKIP] = (next), [PROV_EV_FAIL] = PROV_STEP_FAILED,         \
        [PROV_EV_REFUSE] = PROV_STEP_REFUSED                                                       \
    }
#define TERMINAL(self)                                                                             \
    {                                                                                              \
        [PROV_EV_OK] = (self), [PROV_EV_SKIP] = (self), [PROV_EV_FAIL] = (self),                   \
        [PROV_EV_REFUSE] = (self)                                                                  \
    }

/* state x event -> next state. */
static const enum prov_step prov_fsm[PROV_STEP_COUNT][PROV_EV_COUNT] = {
    [PROV_STEP_START] = ROW(PROV_STEP_GENERAL),
    [PROV_STEP_GENERAL] = ROW(PROV_STEP_SWID_ENUM),
    [PROV_STEP_SWID_ENUM] = ROW(PROV_STEP_SWID_PULL),
    [PROV_STEP_SWID_PULL] = ROW(PROV_STEP_SETUP_GET),
    [PROV_STEP_SETUP_GET] = ROW(PROV_STEP_MEBX),
    [PROV_STEP_MEBX] = ROW(PROV_STEP_ADMIN),
    [PROV_STEP_ADMIN] = ROW(PROV_STEP_TIME_GET),
    [PROV_STEP_TIME_GET] = ROW(PROV_STEP_TIME_SET),
    [PROV_STEP_TIME_SET] = ROW(PROV_STEP_NAMES),
    [PROV_STEP_NAMES] = ROW(PROV_STEP_REDIR_STATE),
    [PROV_STEP_REDIR_STATE] = ROW(PROV_STEP_REDIR_PUT),
    [PROV_STEP_REDIR_PUT] = ROW(PROV_STEP_CONSENT),
    [PROV_STEP_CONSENT] = ROW(PROV_STEP_TLS_KEYGEN),
    [PROV_STEP_TLS_KEYGEN] = ROW(PROV_STEP_TLS_KEYGET),
    [PROV_STEP_TLS_KEYGET] = ROW(PROV_STEP_TLS_ADDCERT),
    [PROV_STEP_TLS_ADDCERT] = ROW(PROV_STEP_TLS_CONTEXT),
    [PROV_STEP_TLS_CONTEXT] = ROW(PROV_STEP_TLS_SETTINGS),
    [PROV_STEP_TLS_SETTINGS] = ROW(PROV_STEP_SET_PSK),
    [PROV_STEP_SET_PSK] = ROW(PROV_STEP_COMMIT),
    [PROV_STEP_COMMIT] = ROW(PROV_STEP_DONE),
    /* Confirm sessions (prov_session_args.confirm) start here instead of at general. */
    [PROV_STEP_CONFIRM] = ROW(PROV_STEP_DONE),
    [PROV_STEP_DONE] = TERMINAL(PROV_STEP_DONE),
    [PROV_STEP_FAILED] = TERMINAL(PROV_STEP_FAILED),
    [PROV_STEP_REFUSED] = TERMINAL(PROV_STEP_REFUSED),
};

struct prov_session {
    struct prov_engine *e;
    struct prov_dev *dev;
    struct scs_device rec;
    struct scs_profile prof;
    char peer[64];
    enum prov_step step;
    const struct prov_chain *chain;
    struct tls_session *tls;
    struct http_session *http;
    struct wsman_builder *wb;
    struct scs_event_timer *deadline;
    struct scs_secret *admin_pw;
    struct scs_secret *mebx_pw;
    struct scs_secret *new_pps;
    char enum_ctx[256];
    char key_id[128];
    char cert_id[128];
    char *cert_b64;
    uint8_t issued_fp[TLS_FINGERPRINT_LEN]; /* SHA-256 of the TLS certificate we issued */
    int issued_fp_set;
    uint32_t ta0;
    int otp_checked;
    int confirm;           /* a confirm session: only PROV_STEP_CONFIRM, over HTTP Digest */
    int commit_unanswered; /* CommitChanges was sent and no answer came */
    int version_known;     /* the Server header gave the firmware version */
    int secrets_ready;     /* prepare_secrets() has recorded them, and they are on disk */
    int durable_wait;      /* in the engine's list of sessions waiting for the disk */
    struct prov_session *durable_next;
    int connecting; /* holds one of the engine's connection slots */
    int waiting;    /* in the engine's queue for one */
    struct prov_session *wait_next;
    char error[256];
};

struct prov_step_def {
    const char *name; /* as logged and stored in device.step */
    const char *call; /* the WS-Man call, for error messages */
    int (*applies)(const struct prov_session *s);
    int (*build)(struct prov_session *s, struct scs_buf *out);
    int (*handle)(struct prov_session *s, const struct wsman_response *r);
    /* Write device.step before sending.  Only CommitChanges: a retry always
     * starts from the first step (reusing the recorded secrets), so the step
     * is for the administrator, and "commit" is the one that matters after a
     * crash (the device may have committed without our seeing the answer). */
    int persist;
    /* The request carries a secret.  Before the first such step,
     * prepare_secrets() records every secret of the session and the session
     * waits until they are on disk (await_durable). */
    int secret;
};

static const struct prov_step_def prov_steps[PROV_STEP_COUNT];

/* ---- helpers -------------------------------------------------------------- */

static int fail(struct prov_session *s, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(struct prov_session *s, int err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    (void)vsnprintf(s->error, sizeof(s->error), fmt, ap);
    va_end(ap);
    return err;
}

static int persist(struct prov_session *s)
{
    int r = scs_device_put(s->e->pool, &s->rec);
    if (r != 0) {
        return fail(s, r, "cannot record progress in the registry (%s)", scs_strerror(r));
    }
    return 0;
}

static int expect_rv(struct prov_session *s, const struct wsman_response *r, const char *cls,
                     const char *method)
{
    struct scs_diag d;
    uint32_t rv = 0;
    int e;

    scs_diag_clear(&d);
    e = wsman_response_expect_output(r, cls, method, &rv, &d);
    if (e != 0) {
        return fail(s, e, "unexpected answer to %s: %s", method, d.reason);
    }
    if (rv != 0) {
        return fail(s, SCS_ERR_PROTOCOL, "the device refused %s (ReturnValue %u)", method,
                    (unsigned)rv);
    }
    return 0;
}

static int expect_no_fault(struct prov_session *s, const struct wsman_response *r, const char *call)
{
    const struct wsman_fault *f = wsman_response_fault(r);
    if (f != NULL) {
        return fail(s, SCS_ERR_PROTOCOL, "the device answered %s with a fault (%s %s)", call,
                    f->subcode, f->reason);
    }
    return 0;
}

/* A recorded device secret, or a new one from make() recorded before use. */
static int device_secret(struct prov_session *s, const char *name, int random_ok,
                         const char *profile_secret, struct scs_secret **out)
{
    struct scs_pool *p = s->e->pool;
    struct scs_secret *v = NULL;
    int r = scs_device_secret_get(p, s->rec.uuid, name, &v);

    if (r == 0) {
        *out = v; /* reuse: a retry must set the value an earlier attempt may have set */
        return 0;
    }
    if (r != SCS_ERR_NOT_FOUND) {
        return fail(s, r, "cannot read the recorded %s (%s)", name, scs_strerror(r));
    }
    if (random_ok) {
        r = prov_password_generate(&v);
        if (r != 0) {
            return fail(s, r, "cannot generate a %s (%s)", name, scs_strerror(r));
        }
    } else {
        r = scs_profile_secret_get(p, s->prof.name, profile_secret, &v);
        if (r != 0) {
            return fail(s, r, "profile '%s' has no %s and does not ask for a random one",
                        s->prof.name, profile_secret);
        }
        if (!prov_password_strong(scs_secret_str(v))) {
            scs_secret_free(v);
            return fail(s, SCS_ERR_INVALID_ARG,
                        "the %s of profile '%s' is not strong enough for AMT", profile_secret,
                        s->prof.name);
        }
    }
    /* Recorded BEFORE the device sees it: a crash right after sending must not
     * leave a device with a password nobody knows (on disk: prepare_secrets). */
    r = scs_device_secret_set(p, s->rec.uuid, name, v);
    if (r != 0) {
        scs_secret_free(v);
        return fail(s, r, "cannot record the %s (%s)", name, scs_strerror(r));
    }
    *out = v;
    return 0;
}

/* ---- applies() ------------------------------------------------------------ */

static int applies_swid(const struct prov_session *s)
{
    return !s->version_known;
}

static int applies_mebx(const struct prov_session *s)
{
    return s->prof.set_mebx_password;
}

static int applies_time(const struct prov_session *s)
{
    return s->prof.time_sync;
}

static int applies_time_set(const struct prov_session *s)
{
    int64_t skew = (int64_t)time(NULL) - (int64_t)s->ta0;
    return s->prof.time_sync && (skew > PROV_TIME_SKEW_S || skew < -PROV_TIME_SKEW_S);
}

static int applies_names(const struct prov_session *s)
{
    return s->prof.hostname_template[0] != '\0' || s->prof.domain[0] != '\0';
}

/* Profile bits: 1 SOL, 2 IDER, 4 KVM. */
#define PROV_REDIR_SOL  1
#define PROV_REDIR_IDER 2
#define PROV_REDIR_KVM  4

static int applies_redir(const struct prov_session *s)
{
    return s->prof.redirection != 0;
}

/* OptInRequired for the profile's user_consent (0 none, 1 KVM only, 2 all). */
static uint32_t consent_value(const struct prov_session *s)
{
    switch (s->prof.user_consent) {
    case 0:
        return WSMAN_IPS_OPT_IN_NONE;
    case 1:
        return WSMAN_IPS_OPT_IN_KVM;
    default:
        return WSMAN_IPS_OPT_IN_ALL;
    }
}

static int applies_consent(const struct prov_session *s)
{
    /* "All" is what the firmware starts with after provisioning: nothing to send. */
    return consent_value(s) != WSMAN_IPS_OPT_IN_ALL;
}

static int applies_tls(const struct prov_session *s)
{
    return s->prof.configure_tls;
}

static int applies_psk(const struct prov_session *s)
{
    return s->rec.path == SCS_PATH_PSK && s->prof.new_psk;
}

/* ---- steps ---------------------------------------------------------------- */

static int build_general(struct prov_session *s, struct scs_buf *out)
{
    return wsman_amt_general_settings_get(s->wb, out);
}

static int handle_general(struct prov_session *s, const struct wsman_response *r)
{
    struct scs_diag d;
    int e;

    scs_diag_clear(&d);
    if ((e = wsman_response_expect_instance(r, "AMT_GeneralSettings", &d)) != 0 ||
        (e = wsman_amt_read_digest_realm(r, s->rec.realm, sizeof(s->rec.realm), &d)) != 0) {
        return fail(s, e, "AMT_GeneralSettings: %s", d.reason);
    }
    /* Every AMT answer names the firmware in its Server header (§2.4 8.2, and
     * what MeshCentral reads); when this one does, the two
     * CIM_SoftwareIdentity round trips are not needed. */
    s->version_known = prov_server_header_version(http_session_server_header(s->http),
                                                  s->rec.fw_version, sizeof(s->rec.fw_version));
    return 0;
}

static int build_swid_enum(struct prov_session *s, struct scs_buf *out)
{
    return wsman_amt_software_identity_enumerate(s->wb, out);
}

static int handle_swid_enum(struct prov_session *s, const struct wsman_response *r)
{
    struct scs_diag d;
    int e;

    scs_diag_clear(&d);
    e = wsman_amt_read_enum_context(r, s->enum_ctx, sizeof(s->enum_ctx), &d);
    if (e != 0) {
        return fail(s, e, "CIM_SoftwareIdentity: %s", d.reason);
    }
    return 0;
}

static int build_swid_pull(struct prov_session *s, struct scs_buf *out)
{
    return wsman_amt_software_identity_pull(s->wb, s->enum_ctx, out);
}

static int handle_swid_pull(struct prov_session *s, const struct wsman_response *r)
{
    struct scs_diag d;

    scs_diag_clear(&d);
    if (wsman_amt_read_amt_version(r, s->rec.fw_version, sizeof(s->rec.fw_version), &d) != 0) {
        /* §2.4 8.2 fallback: "Intel(R) Active Management Technology X.Y.Z.B". */
        const char *hdr = http_session_server_header(s->http);
        const char *sp = strrchr(hdr, ' ');
        (void)snprintf(s->rec.fw_version, sizeof(s->rec.fw_version), "%s",
                       sp != NULL ? sp + 1 : "");
    }
    return 0;
}

static int build_setup_get(struct prov_session *s, struct scs_buf *out)
{
    return wsman_amt_setup_config_get(s->wb, out);
}

static int check_otp(struct prov_session *s, const struct wsman_response *r)
{
    const char *b64 = wsman_response_prop(r, "ProvisioningServerOTP", 0);
    struct scs_secret *mine = NULL, *theirs = NULL;
    size_t got = 0;
    int ok, e;

    e = scs_device_secret_get(s->e->pool, s->rec.uuid, "otp", &mine);
    if (e == SCS_ERR_NOT_FOUND) {
        (void)fail(s, 0, "profile '%s' requires an OTP but none is recorded for this device",
                   s->prof.name);
        return PROV_RESULT_REFUSE;
    }
    if (e != 0) {
        return fail(s, e, "cannot read the recorded OTP (%s)", scs_strerror(e));
    }
    if (b64 == NULL || b64[0] == '\0') {
        scs_secret_free(mine);
        (void)fail(s, 0, "the device reports no one-time password, the profile requires one");
        (void)scs_pool_audit(s->e->pool, "otp-mismatch", s->rec.uuid, "device reported no OTP");
        return PROV_RESULT_REFUSE;
    }
    theirs = scs_secret_new(strlen(b64));
    if (theirs == NULL) {
        scs_secret_free(mine);
        return fail(s, SCS_ERR_NOMEM, "out of memory");
    }
    if (scs_base64_decode(scs_secret_data(theirs), scs_secret_len(theirs), &got, b64,
                          strlen(b64)) != 0) {
        got = 0;
    }
    scs_secret_set_len(theirs, got);
    /* Constant time: the recorded OTP is a secret. */
    ok = got > 0 && scs_ct_streq(scs_secret_str(mine), scs_secret_str(theirs));
    scs_secret_free(mine);
    scs_secret_free(theirs);
    if (!ok) {
        (void)fail(s, 0, "the device's one-time password does not match the recorded one");
        (void)scs_pool_audit(s->e->pool, "otp-mismatch", s->rec.uuid,
                             "OTP from the device differs from the recorded OTP; nothing secret "
                             "was sent");
        return PROV_RESULT_REFUSE;
    }
    s->otp_checked = 1;
    return 0;
}

/* ProvisioningState of an AMT_SetupAndConfigurationService answer in *ps
 * ("missing" when absent); non-zero (and s->error set) if the answer is not one. */
static int provisioning_state(struct prov_session *s, const struct wsman_response *r,
                              const char **ps)
{
    struct scs_diag d;
    int e;

    scs_diag_clear(&d);
    if ((e = wsman_response_expect_instance(r, "AMT_SetupAndConfigurationService", &d)) != 0) {
        return fail(s, e, "AMT_SetupAndConfigurationService: %s", d.reason);
    }
    *ps = wsman_response_prop(r, "ProvisioningState", 0);
    if (*ps == NULL) {
        *ps = "missing";
    }
    return 0;
}

static int handle_setup_get(struct prov_session *s, const struct wsman_response *r)
{
    const char *ps = NULL;
    int e;

    if ((e = provisioning_state(s, r, &ps)) != 0) {
        return e;
    }
    if (strcmp(ps, "1") != 0) {
        (void)fail(s, 0, "the device is not in-provisioning (ProvisioningState %s)", ps);
        return PROV_RESULT_REFUSE;
    }
    /* §5.3 step 4: compare the OTP before any secret goes to the device. */
    if (s->rec.path == SCS_PATH_PKI && s->prof.require_otp) {
        return check_otp(s, r);
    }
    return 0;
}

static int new_psk(struct prov_session *s);

/*
 * Every secret this session will give the device, chosen and recorded before
 * the first of them is sent: the MEBx and admin passwords (a retry reuses the
 * recorded ones) and the new PSK pair (assigned to the device, its PID in
 * device.new_pid).  The session then waits until they are on disk
 * (await_durable): a device may keep a password or adopt a PSK before
 * CommitChanges, so none may exist only in memory or only in a deferred
 * write when it is sent.
 */
static int prepare_secrets(struct prov_session *s)
{
    int r;

    if (applies_mebx(s) && s->mebx_pw == NULL &&
        (r = device_secret(s, "mebx_password", s->prof.mebx_password_random, "mebx_password",
                           &s->mebx_pw)) != 0) {
        return r;
    }
    if (s->admin_pw == NULL &&
        (r = device_secret(s, "admin_password", s->prof.admin_password_random, "admin_password",
                           &s->admin_pw)) != 0) {
        return r;
    }
    if (applies_psk(s) && s->new_pps == NULL && (r = new_psk(s)) != 0) {
        return r;
    }
    return persist(s);
}

/* Builders of requests that carry a secret check that the secrets are on disk. */
static int secrets_on_disk(struct prov_session *s)
{
    return s->secrets_ready ? 0 : fail(s, SCS_ERR_INTERNAL, "secrets not recorded before use");
}

static int build_mebx(struct prov_session *s, struct scs_buf *out)
{
    int r = secrets_on_disk(s);
    if (r != 0) {
        return r;
    }
    return wsman_amt_set_mebx_password(s->wb, scs_secret_str(s->mebx_pw), out);
}

static int handle_mebx(struct prov_session *s, const struct wsman_response *r)
{
    return expect_rv(s, r, "AMT_SetupAndConfigurationService", "SetMEBxPassword");
}

static int build_admin(struct prov_session *s, struct scs_buf *out)
{
    char digest[WSMAN_AMT_DIGEST_B64_LEN + 1];
    int r = secrets_on_disk(s);

    if (r != 0) {
        return r;
    }
    r = wsman_amt_digest_password("admin", s->rec.realm, scs_secret_str(s->admin_pw), digest);
    if (r == 0) {
        r = wsman_amt_set_admin_acl_entry_ex(s->wb, "admin", digest, out);
    }
    scs_wipe(digest, sizeof(digest));
    return r;
}

static int handle_admin(struct prov_session *s, const struct wsman_response *r)
{
    return expect_rv(s, r, "AMT_AuthorizationService", "SetAdminAclEntryEx");
}

static int build_time_get(struct prov_session *s, struct scs_buf *out)
{
    return wsman_amt_time_get(s->wb, out);
}

static int handle_time_get(struct prov_session *s, const struct wsman_response *r)
{
    struct scs_diag d;
    int e;

    scs_diag_clear(&d);
    if ((e = wsman_amt_read_time(r, &s->ta0, &d)) != 0) {
        return fail(s, e, "GetLowAccuracyTimeSynch: %s", d.reason);
    }
    return 0;
}

static int build_time_set(struct prov_session *s, struct scs_buf *out)
{
    uint32_t now = (uint32_t)time(NULL);
    return wsman_amt_time_set(s->wb, s->ta0, now, now, out);
}

static int handle_time_set(struct prov_session *s, const struct wsman_response *r)
{
    return expect_rv(s, r, "AMT_TimeSynchronizationService", "SetHighAccuracyTimeSynch");
}

static int build_names(struct prov_session *s, struct scs_buf *out)
{
    char host[PROV_HOSTNAME_MAX + 1];
    int r;

    if (s->prof.hostname_template[0] != '\0') {
        r = prov_hostname_expand(s->prof.hostname_template, s->rec.uuid, host, sizeof(host));
        if (r != 0) {
            return fail(s, r,
                        "the hostname template '%s' of profile '%s' does not give a host name "
                        "(one DNS label of up to 63 characters; %%u is the only substitution)",
                        s->prof.hostname_template, s->prof.name);
        }
    }
    return wsman_amt_general_settings_put(s->wb, s->prof.hostname_template[0] ? host : NULL,
                                          s->prof.domain[0] ? s->prof.domain : NULL, out);
}

static int handle_names(struct prov_session *s, const struct wsman_response *r)
{
    return expect_no_fault(s, r, "Put AMT_GeneralSettings");
}

static uint32_t redir_state(const struct prov_session *s)
{
    int sol = (s->prof.redirection & PROV_REDIR_SOL) != 0;
    int ider = (s->prof.redirection & PROV_REDIR_IDER) != 0;

    if (sol && ider) {
        return WSMAN_AMT_REDIR_IDER_SOL;
    }
    if (sol) {
        return WSMAN_AMT_REDIR_SOL;
    }
    return ider ? WSMAN_AMT_REDIR_IDER : WSMAN_AMT_REDIR_NONE;
}

static int build_redir_state(struct prov_session *s, struct scs_buf *out)
{
    if (s->prof.redirection & PROV_REDIR_KVM) {
        /* KVM needs CIM_KVMRedirectionSAP and IPS_KVMRedirectionSettingData, which
         * this version does not drive; the listener below is what KVM also needs. */
        log_warn("%s: profile '%s' asks for KVM; KVM itself is not enabled by this version "
                 "(the redirection listener is)",
                 s->rec.uuid, s->prof.name);
    }
    return wsman_amt_redirection_state_change(s->wb, redir_state(s), out);
}

static int handle_redir_state(struct prov_session *s, const struct wsman_response *r)
{
    return expect_rv(s, r, "AMT_RedirectionService", "RequestStateChange");
}

static int build_redir_put(struct prov_session *s, struct scs_buf *out)
{
    return wsman_amt_redirection_put(s->wb, redir_state(s), 1, out);
}

static int handle_redir_put(struct prov_session *s, const struct wsman_response *r)
{
    return expect_no_fault(s, r, "Put AMT_RedirectionService");
}

static int build_consent(struct prov_session *s, struct scs_buf *out)
{
    return wsman_ips_opt_in_put(s->wb, consent_value(s), out);
}

static int handle_consent(struct prov_session *s, const struct wsman_response *r)
{
    return expect_no_fault(s, r, "Put IPS_OptInService");
}

static int build_tls_keygen(struct prov_session *s, struct scs_buf *out)
{
    if (s->e->ca == NULL) {
        return fail(s, SCS_ERR_NOT_FOUND,
                    "profile '%s' asks for TLS but the server has no CA (scsctl init makes one)",
                    s->prof.name);
    }
    return wsman_amt_generate_key_pair(s->wb, 0 /* RSA */, 2048, out);
}

static int handle_tls_keygen(struct prov_session *s, const struct wsman_response *r)
{
    struct scs_diag d;
    int e = expect_rv(s, r, "AMT_PublicKeyManagementService", "GenerateKeyPair");

    if (e != 0) {
        return e;
    }
    scs_diag_clear(&d);
    if ((e = wsman_amt_read_epr_instance(r, "KeyPair", s->key_id, sizeof(s->key_id), &d)) != 0) {
        return fail(s, e, "GenerateKeyPair: %s", d.reason);
    }
    return 0;
}

static int build_tls_keyget(struct prov_session *s, struct scs_buf *out)
{
    const struct wsman_selector sel = {"InstanceID", s->key_id};
    return wsman_build_get(s->wb, "AMT_PublicPrivateKeyPair", &sel, 1, out);
}

static int handle_tls_keyget(struct prov_session *s, const struct wsman_response *r)
{
    struct scs_diag d;
    const char *b64;
    uint8_t *der = NULL;
    size_t der_len = 0, cap;
    struct scs_buf *cert = NULL;
    char cn[64];
    int e;

    scs_diag_clear(&d);
    if ((e = wsman_response_expect_instance(r, "AMT_PublicPrivateKeyPair", &d)) != 0) {
        return fail(s, e, "AMT_PublicPrivateKeyPair: %s", d.reason);
    }
    b64 = wsman_response_prop(r, "DERKey", 0);
    if (b64 == NULL) {
        return fail(s, SCS_ERR_PROTOCOL, "AMT_PublicPrivateKeyPair has no DERKey");
    }
    cap = strlen(b64);
    der = malloc(cap + 1);
    cert = scs_buf_new(64 * 1024);
    if (der == NULL || cert == NULL) {
        free(der);
        scs_buf_free(cert);
        return fail(s, SCS_ERR_NOMEM, "out of memory");
    }
    if (scs_base64_decode(der, cap + 1, &der_len, b64, cap) != 0) {
        free(der);
        scs_buf_free(cert);
        return fail(s, SCS_ERR_FORMAT, "DERKey is not base64");
    }
    /* MeshCentral names device certificates IntelAMT-<12 hex>; the UUID's last group. */
    (void)snprintf(cn, sizeof(cn), "IntelAMT-%s", s->rec.uuid + 24);
    e = tls_ca_sign_device_cert(s->e->ca, der, der_len, cn, PROV_CERT_DAYS, cert, &d);
    free(der);
    if (e != 0) {
        scs_buf_free(cert);
        return fail(s, e, "cannot issue the device certificate: %s", d.reason);
    }
    /* Once TLS is configured the device serves this certificate: its hash is the
     * pin for later logins (scsctl device unprovision). */
    {
        struct tls_cert_hashes h;
        if (tls_cert_der_hashes(scs_buf_data(cert), scs_buf_len(cert), &h) == 0) {
            memcpy(s->issued_fp, h.sha256, sizeof(s->issued_fp));
            s->issued_fp_set = 1;
        }
    }
    free(s->cert_b64);
    s->cert_b64 = malloc(scs_base64_encoded_len(scs_buf_len(cert)) + 1);
    if (s->cert_b64 == NULL) {
        scs_buf_free(cert);
        return fail(s, SCS_ERR_NOMEM, "out of memory");
    }
    scs_base64_encode(s->cert_b64, scs_buf_data(cert), scs_buf_len(cert));
    scs_buf_free(cert);
    return 0;
}

static int build_tls_addcert(struct prov_session *s, struct scs_buf *out)
{
    return wsman_amt_add_certificate(s->wb, s->cert_b64, out);
}

static int handle_tls_addcert(struct prov_session *s, const struct wsman_response *r)
{
    struct scs_diag d;
    int e = expect_rv(s, r, "AMT_PublicKeyManagementService", "AddCertificate");

    if (e != 0) {
        return e;
    }
    scs_diag_clear(&d);
    e = wsman_amt_read_epr_instance(r, "CreatedCertificate", s->cert_id, sizeof(s->cert_id), &d);
    if (e != 0) {
        return fail(s, e, "AddCertificate: %s", d.reason);
    }
    return 0;
}

static int build_tls_context(struct prov_session *s, struct scs_buf *out)
{
    return wsman_amt_tls_credential_context_create(s->wb, s->cert_id, out);
}

static int handle_tls_context(struct prov_session *s, const struct wsman_response *r)
{
    return expect_no_fault(s, r, "Create AMT_TLSCredentialContext");
}

static int build_tls_settings(struct prov_session *s, struct scs_buf *out)
{
    const struct wsman_amt_tls_settings ts = {WSMAN_AMT_TLS_REMOTE, 0, 1, 1, 1};
    return wsman_amt_tls_setting_data_put(s->wb, &ts, out);
}

static int handle_tls_settings(struct prov_session *s, const struct wsman_response *r)
{
    return expect_no_fault(s, r, "Put AMT_TLSSettingData");
}

/* The new pair: the one recorded by an earlier attempt if it is still ours,
 * else a fresh one from the pool, recorded before SetTLSPSK is sent. */
static int new_psk(struct prov_session *s)
{
    struct scs_pool *p = s->e->pool;
    char mine[128];
    struct scs_psk_entry pe, *taken = NULL;
    int r;

    (void)snprintf(mine, sizeof(mine), "device:%s", s->rec.uuid);
    if (s->rec.new_pid[0] != '\0') {
        memset(&pe, 0, sizeof(pe));
        r = scs_pool_lookup(p, s->rec.new_pid, 1, &pe);
        if (r == 0 && pe.state == SCS_PSK_ASSIGNED && strcmp(pe.assignee, mine) == 0) {
            s->new_pps = pe.pps;
            pe.pps = NULL;
            scs_psk_entry_clear(&pe);
            return 0;
        }
        scs_psk_entry_clear(&pe);
        log_warn("%s: the recorded new PID is no longer assigned to it; taking another",
                 s->rec.uuid);
        s->rec.new_pid[0] = '\0';
    }
    r = scs_pool_take(p, 1, mine, &taken);
    if (r != 0) {
        return fail(s, r, "no PID/PPS pair left in the pool for SetTLSPSK (%s)", scs_strerror(r));
    }
    (void)snprintf(s->rec.new_pid, sizeof(s->rec.new_pid), "%s", taken[0].pid);
    s->new_pps = taken[0].pps;
    taken[0].pps = NULL;
    scs_pool_entries_free(taken, 1);
    return 0; /* device.new_pid is written by prepare_secrets() */
}

static int build_set_psk(struct prov_session *s, struct scs_buf *out)
{
    int r = secrets_on_disk(s);
    if (r != 0) {
        return r;
    }
    if (s->new_pps == NULL || scs_secret_len(s->new_pps) != SCS_PPS_LEN) {
        return fail(s, SCS_ERR_INTERNAL, "no new PPS of the right length to send");
    }
    return wsman_amt_set_tls_psk(s->wb, (const uint8_t *)s->rec.new_pid,
                                 scs_secret_cdata(s->new_pps), out);
}

static int handle_set_psk(struct prov_session *s, const struct wsman_response *r)
{
    return expect_rv(s, r, "AMT_SetupAndConfigurationService", "SetTLSPSK");
}

static int build_commit(struct prov_session *s, struct scs_buf *out)
{
    (void)http_session_set_last(s->http);
    return wsman_amt_commit_changes(s->wb, out);
}

static int handle_commit(struct prov_session *s, const struct wsman_response *r)
{
    return expect_rv(s, r, "AMT_SetupAndConfigurationService", "CommitChanges");
}

/* A confirm session: the device let us in with the recorded admin password;
 * ProvisioningState 2 (post-provisioning) says CommitChanges took effect. */
static int handle_confirm(struct prov_session *s, const struct wsman_response *r)
{
    const char *ps = NULL;
    int e;

    if ((e = provisioning_state(s, r, &ps)) != 0) {
        return e;
    }
    if (strcmp(ps, "2") != 0) {
        return fail(s, SCS_ERR_STATE,
                    "the device has not committed (ProvisioningState %s); it is provisioned "
                    "again on its next Hello",
                    ps);
    }
    return 0;
}

static const struct prov_step_def prov_steps[PROV_STEP_COUNT] = {
    [PROV_STEP_START] = {"start", "", NULL, NULL, NULL, 0},
    [PROV_STEP_GENERAL] = {"general", "Get AMT_GeneralSettings", NULL, build_general,
                           handle_general, 0},
    [PROV_STEP_SWID_ENUM] = {"swid-enum", "Enumerate CIM_SoftwareIdentity", applies_swid,
                             build_swid_enum, handle_swid_enum, 0},
    [PROV_STEP_SWID_PULL] = {"swid-pull", "Pull CIM_SoftwareIdentity", applies_swid,
                             build_swid_pull, handle_swid_pull, 0},
    [PROV_STEP_SETUP_GET] = {"setup-get", "Get AMT_SetupAndConfigurationService", NULL,
                             build_setup_get, handle_setup_get, 0},
    [PROV_STEP_MEBX] = {"mebx", "SetMEBxPassword", applies_mebx, build_mebx, handle_mebx, 0, 1},
    [PROV_STEP_ADMIN] = {"admin", "SetAdminAclEntryEx", NULL, build_admin, handle_admin, 0, 1},
    [PROV_STEP_TIME_GET] = {"time-get", "GetLowAccuracyTimeSynch", applies_time, build_time_get,
                            handle_time_get, 0},
    [PROV_STEP_TIME_SET] = {"time-set", "SetHighAccuracyTimeSynch", applies_time_set,
                            build_time_set, handle_time_set, 0},
    [PROV_STEP_NAMES] = {"names", "Put AMT_GeneralSettings", applies_names, build_names,
                         handle_names, 0},
    [PROV_STEP_REDIR_STATE] = {"redir-state", "AMT_RedirectionService.RequestStateChange",
                               applies_redir, build_redir_state, handle_redir_state, 0},
    [PROV_STEP_REDIR_PUT] = {"redir-put", "Put AMT_RedirectionService", applies_redir,
                             build_redir_put, handle_redir_put, 0},
    [PROV_STEP_CONSENT] = {"consent", "Put IPS_OptInService", applies_consent, build_consent,
                           handle_consent, 0},
    [PROV_STEP_TLS_KEYGEN] = {"tls-keygen", "GenerateKeyPair", applies_tls, build_tls_keygen,
                              handle_tls_keygen, 0},
    [PROV_STEP_TLS_KEYGET] = {"tls-keyget", "Get AMT_PublicPrivateKeyPair", applies_tls,
                              build_tls_keyget, handle_tls_keyget, 0},
    [PROV_STEP_TLS_ADDCERT] = {"tls-addcert", "AddCertificate", applies_tls, build_tls_addcert,
                               handle_tls_addcert, 0},
    [PROV_STEP_TLS_CONTEXT] = {"tls-context", "Create AMT_TLSCredentialContext", applies_tls,
                               build_tls_context, handle_tls_context, 0},
    [PROV_STEP_TLS_SETTINGS] = {"tls-settings", "Put AMT_TLSSettingData", applies_tls,
                                build_tls_settings, handle_tls_settings, 0},
    [PROV_STEP_SET_PSK] = {"set-psk", "SetTLSPSK", applies_psk, build_set_psk, handle_set_psk, 0,
                           1},
    [PROV_STEP_COMMIT] = {"commit", "CommitChanges", NULL, build_commit, handle_commit, 1},
    [PROV_STEP_CONFIRM] = {"confirm", "Get AMT_SetupAndConfigurationService", NULL, build_setup_get,
                           handle_confirm, 0},
    [PROV_STEP_DONE] = {"done", "", NULL, NULL, NULL, 0},
    [PROV_STEP_FAILED] = {"failed", "", NULL, NULL, NULL, 0},
    [PROV_STEP_REFUSED] = {"refused", "", NULL, NULL, NULL, 0},
};

/* ---- the driver ----------------------------------------------------------- */

static void fsm_fire(struct prov_session *s, enum prov_event ev);
static void on_response(struct http_session *hs, int err, long status, const uint8_t *body,
                        size_t len, void *arg);

#define CONFIRM_NOTE "; commit confirmed after the session was cut short"

static void finish_done(struct prov_session *s)
{
    struct scs_pool *p = s->e->pool;
    char detail[320], pid_text[SCS_PID_TEXT_LEN + 1], new_text[SCS_PID_TEXT_LEN + 1];
    uint8_t fp[TLS_FINGERPRINT_LEN];
    char mine[128];
    int r;

    s->rec.state = SCS_DEVICE_PROVISIONED;
    s->rec.provisioned_at = (int64_t)time(NULL);
    s->rec.last_error[0] = '\0';
    if (s->issued_fp_set && s->prof.configure_tls) {
        /* From now on the device serves the certificate we issued (tls-* steps). */
        scs_hex_encode(s->rec.tls_fingerprint, s->issued_fp, sizeof(s->issued_fp));
    } else if (s->rec.path == SCS_PATH_PKI && s->tls != NULL &&
               tls_session_peer_fingerprint(s->tls, fp) == 0) {
        scs_hex_encode(s->rec.tls_fingerprint, fp, sizeof(fp));
    }
    (void)snprintf(mine, sizeof(mine), "device:%s", s->rec.uuid);
    if (s->rec.path == SCS_PATH_PSK) {
        /* The pair the device came with is spent; the new one (if any) stays
         * assigned to this device, which now holds it. */
        if (s->rec.pid[0] != '\0' && strcmp(s->rec.pid, s->rec.new_pid) != 0) {
            r = scs_pool_transition(p, s->rec.pid, SCS_PSK_ASSIGNED, SCS_PSK_USED, mine);
            if (r != 0 && r != SCS_ERR_STATE) {
                log_error("%s: cannot mark PID %s used: %s", s->rec.uuid, s->rec.pid,
                          scs_strerror(r));
            }
        }
        scs_pid_format(s->rec.pid, pid_text);
        if (s->rec.new_pid[0] != '\0' && applies_psk(s)) {
            scs_pid_format(s->rec.new_pid, new_text);
        } else {
            (void)snprintf(new_text, sizeof(new_text), "none");
        }
        (void)snprintf(detail, sizeof(detail),
                       "psk; PID %s used, new PID %s; profile %s; firmware %s; attempt %u%s",
                       pid_text, new_text, s->rec.profile, s->rec.fw_version,
                       (unsigned)s->rec.attempts, s->confirm ? CONFIRM_NOTE : "");
    } else {
        (void)snprintf(detail, sizeof(detail),
                       "pki; certificate %s; OTP %s; TLS %s; profile %s; firmware %s; attempt %u%s",
                       s->chain != NULL ? s->chain->entry.name : "as recorded",
                       s->otp_checked ? "checked" : "not required",
                       s->prof.configure_tls ? "configured" : "not configured", s->rec.profile,
                       s->rec.fw_version, (unsigned)s->rec.attempts,
                       s->confirm ? CONFIRM_NOTE : "");
    }
    (void)scs_pool_audit(p, "device-provisioned", s->rec.uuid, detail);
    if (persist(s) != 0) {
        log_error("%s: provisioned, but the registry could not record it: %s", s->rec.uuid,
                  s->error);
    }
    /* If a crash took this record with the batch, the device (which sends no
     * more Hellos) would stay at step commit, and the confirm session of the
     * next start finishes it.  That session speaks plain HTTP, which a device
     * with TLS configured no longer answers: its record is committed now. */
    if (s->prof.configure_tls && (r = scs_pool_flush(p, 0)) != 0) {
        log_error("%s: provisioned, but the registry could not commit it: %s", s->rec.uuid,
                  scs_strerror(r));
    }
    log_info("%s provisioned (%s)", s->rec.uuid, detail);
}

static void finish(struct prov_session *s)
{
    struct prov_engine *e = s->e;
    struct prov_dev *dev = s->dev;
    int ok = 0;

    switch (s->step) {
    case PROV_STEP_DONE:
        finish_done(s);
        ok = 1;
        break;
    case PROV_STEP_REFUSED:
        s->rec.state = SCS_DEVICE_REFUSED;
        (void)snprintf(s->rec.last_error, sizeof(s->rec.last_error), "%s", s->error);
        (void)persist(s);
        (void)scs_pool_audit(e->pool, "device-refused", s->rec.uuid, s->error);
        log_warn("%s refused: %s", s->rec.uuid, s->error);
        ok = -1;
        break;
    case PROV_STEP_FAILED:
    default:
        s->rec.state = SCS_DEVICE_FAILED;
        (void)snprintf(s->rec.last_error, sizeof(s->rec.last_error), "%s",
                       s->error[0] ? s->error : "internal error");
        (void)persist(s);
        log_warn("%s failed at %s: %s", s->rec.uuid, s->rec.step, s->rec.last_error);
        break;
    }
    if (s->commit_unanswered) {
        /* The device may have committed all the same, and would then send
         * no more Hellos: ask it (the record is copied, s goes first). */
        struct scs_device rec = s->rec;
        prov_session_free(s);
        prov_engine_session_ended(e, dev, ok);
        prov_engine_confirm(e, &rec);
        return;
    }
    prov_session_free(s);
    prov_engine_session_ended(e, dev, ok);
}

static int send_step(struct prov_session *s)
{
    const struct prov_step_def *def = &prov_steps[s->step];
    struct scs_buf *out = scs_buf_new(WSMAN_REQUEST_MAX);
    int r;

    if (out == NULL) {
        return fail(s, SCS_ERR_NOMEM, "out of memory");
    }
    s->error[0] = '\0';
    r = def->build(s, out);
    if (r != 0) {
        scs_buf_free(out);
        if (s->error[0] == '\0') {
            (void)fail(s, r, "cannot build %s (%s)", def->call, scs_strerror(r));
        }
        return r;
    }
    r = http_session_post(s->http, &out, on_response, s);
    scs_buf_free(out);
    if (r != 0) {
        return fail(s, r, "cannot send %s (%s)", def->call, scs_strerror(r));
    }
    return 0;
}

static int is_terminal(enum prov_step st)
{
    return st == PROV_STEP_DONE || st == PROV_STEP_FAILED || st == PROV_STEP_REFUSED;
}

static void await_durable(struct prov_session *s);

static void fsm_fire(struct prov_session *s, enum prov_event ev)
{
    for (;;) {
        enum prov_step from = s->step;
        enum prov_step to = prov_fsm[from][ev];
        const struct prov_step_def *def;

        if (from == PROV_STEP_START && s->confirm && to == PROV_STEP_GENERAL) {
            to = PROV_STEP_CONFIRM;
        }
        /* Steps this profile or path does not use are passed with the skip event;
         * only the step actually entered gets the info line. */
        while (!is_terminal(to) && prov_steps[to].applies != NULL && !prov_steps[to].applies(s)) {
            log_debug("%s %s skipped", s->rec.uuid, prov_steps[to].name);
            to = prov_fsm[to][PROV_EV_SKIP];
        }
        if (to == PROV_STEP_FAILED || to == PROV_STEP_REFUSED) {
            log_info("%s %s -> %s (%s): %s", s->rec.uuid, prov_steps[from].name,
                     prov_steps[to].name, prov_event_names[ev], s->error);
        } else {
            log_info("%s %s -> %s", s->rec.uuid, prov_steps[from].name, prov_steps[to].name);
        }
        s->step = to;
        if (is_terminal(to)) {
            if (to == PROV_STEP_DONE) {
                (void)snprintf(s->rec.step, sizeof(s->rec.step), "%s", prov_steps[to].name);
            }
            finish(s);
            return;
        }
        def = &prov_steps[to];
        (void)snprintf(s->rec.step, sizeof(s->rec.step), "%s", def->name);
        if (def->persist && persist(s) != 0) {
            ev = PROV_EV_FAIL;
            continue;
        }
        if (def->secret && !s->secrets_ready) {
            if (prepare_secrets(s) != 0) {
                ev = PROV_EV_FAIL;
                continue;
            }
            await_durable(s); /* prov_session_durable_done sends the step */
            return;
        }
        if (send_step(s) != 0) {
            ev = PROV_EV_FAIL;
            continue;
        }
        return;
    }
}

/*
 * Secrets and the disk.  Syncing costs far more than writing (one fdatasync
 * was a tenth of scsd's CPU per device), so sessions that have recorded their
 * secrets wait for the engine's next flush of the registry batch, which syncs
 * once for all of them, and only then send the first secret.
 */
static void await_durable(struct prov_session *s)
{
    struct prov_engine *e = s->e;

    s->durable_wait = 1;
    s->durable_next = e->durable_head;
    e->durable_head = s;
    prov_engine_want_flush(e);
}

static void unlink_durable(struct prov_session *s)
{
    struct prov_session **pp = &s->e->durable_head;

    while (*pp != NULL && *pp != s) {
        pp = &(*pp)->durable_next;
    }
    if (*pp == s) {
        *pp = s->durable_next;
    }
    s->durable_next = NULL;
    s->durable_wait = 0;
}

void prov_session_durable_done(struct prov_engine *e, int err)
{
    struct prov_session *s = e->durable_head;

    e->durable_head = NULL;
    while (s != NULL) {
        struct prov_session *next = s->durable_next;

        s->durable_next = NULL;
        s->durable_wait = 0;
        if (err != 0) {
            (void)fail(s, err, "cannot put the secrets on disk before sending them (%s)",
                       scs_strerror(err));
            fsm_fire(s, PROV_EV_FAIL); /* may free s */
        } else {
            s->secrets_ready = 1;
            if (send_step(s) != 0) {
                fsm_fire(s, PROV_EV_FAIL);
            }
        }
        s = next;
    }
}

static void describe_transport_error(struct prov_session *s, int err, long status)
{
    const struct prov_step_def *def = &prov_steps[s->step];
    const char *detail = http_session_error_text(s->http);

    switch (err) {
    case SCS_ERR_TIMEOUT:
        (void)fail(s, err, "no answer from the device to %s within %u s", def->call,
                   s->e->cfg.request_timeout_s);
        break;
    case SCS_ERR_AUTH:
        if (status == 401) {
            (void)fail(s, err, "the device refused Digest authentication for %s", def->call);
        } else if (s->rec.path == SCS_PATH_PSK) {
            (void)fail(s, err, "TLS-PSK handshake with the device failed during %s (PPS mismatch?)",
                       def->call);
        } else {
            (void)fail(s, err,
                       "the device refused the TLS handshake during %s (it did not accept "
                       "certificate '%s': domain suffix or trusted root)",
                       def->call, s->chain != NULL ? s->chain->entry.name : "?");
        }
        break;
    case SCS_ERR_TOO_LARGE:
        (void)fail(s, err, "the device's answer to %s was too large", def->call);
        break;
    default:
        (void)fail(s, err, "connection to the device lost during %s (%s)", def->call,
                   detail[0] != '\0' ? detail : scs_strerror(err));
        break;
    }
}

/*
 * Connection slots.  A session's first request opens its TCP connection and
 * runs the TLS handshake, the costliest part of a session in CPU and memory
 * (OpenSSL's handshake buffers): when a fleet says Hello at once, a thousand
 * handshakes would run side by side and all hold those buffers.  At most
 * max_connecting sessions are in that phase; the others are in flight but
 * wait their turn, in Hello order, with their session deadline running.
 */

static void admit(struct prov_session *s)
{
    s->connecting = 1;
    s->e->connecting++;
    fsm_fire(s, PROV_EV_OK); /* may end and free s */
}

static void release_connection_slot(struct prov_session *s)
{
    struct prov_engine *e = s->e;

    if (!s->connecting) {
        return;
    }
    s->connecting = 0;
    e->connecting--;
    if (e->wait_head != NULL) {
        (void)scs_event_timer_arm(e->admit_timer, 0);
    }
}

static void unlink_waiting(struct prov_session *s)
{
    struct prov_engine *e = s->e;
    struct prov_session **pp = &e->wait_head;
    struct prov_session *prev = NULL;

    while (*pp != NULL && *pp != s) {
        prev = *pp;
        pp = &(*pp)->wait_next;
    }
    if (*pp == s) {
        *pp = s->wait_next;
        if (e->wait_tail == s) {
            e->wait_tail = prev;
        }
    }
    s->wait_next = NULL;
    s->waiting = 0;
}

void prov_session_admit_waiting(void *engine)
{
    struct prov_engine *e = engine;

    while (e->wait_head != NULL && e->connecting < e->cfg.max_connecting) {
        struct prov_session *s = e->wait_head;
        unlink_waiting(s);
        admit(s);
    }
}

static void on_response(struct http_session *hs, int err, long status, const uint8_t *body,
                        size_t len, void *arg)
{
    struct prov_session *s = arg;
    const struct prov_step_def *def = &prov_steps[s->step];
    struct wsman_response *r = NULL;
    struct scs_diag d;
    int rc;

    (void)hs;
    release_connection_slot(s); /* connected (or failed to): the next one may start */
    if (err != 0) {
        describe_transport_error(s, err, status);
        s->commit_unanswered = s->step == PROV_STEP_COMMIT;
        fsm_fire(s, PROV_EV_FAIL);
        return;
    }
    scs_diag_clear(&d);
    rc = wsman_response_parse(body, len, &r, &d);
    if (rc != 0) {
        if (status != 200) {
            (void)fail(s, SCS_ERR_PROTOCOL, "the device answered %s with HTTP status %ld",
                       def->call, status);
        } else {
            (void)fail(s, rc, "the device's answer to %s is not WS-Man: %s", def->call, d.reason);
        }
        fsm_fire(s, PROV_EV_FAIL);
        return;
    }
    rc = def->handle(s, r);
    wsman_response_free(r);
    if (rc == PROV_RESULT_REFUSE) {
        fsm_fire(s, PROV_EV_REFUSE);
    } else if (rc != 0) {
        if (s->error[0] == '\0') {
            (void)fail(s, rc, "%s failed (%s)", def->call, scs_strerror(rc));
        }
        fsm_fire(s, PROV_EV_FAIL);
    } else {
        fsm_fire(s, PROV_EV_OK);
    }
}

static void on_deadline(void *arg)
{
    struct prov_session *s = arg;
    (void)fail(s, SCS_ERR_TIMEOUT, "the session took longer than %u s (at %s)",
               s->e->cfg.session_timeout_s, prov_steps[s->step].name);
    s->commit_unanswered = s->step == PROV_STEP_COMMIT;
    fsm_fire(s, PROV_EV_FAIL);
}

void prov_session_free(struct prov_session *s)
{
    if (s == NULL) {
        return;
    }
    if (s->waiting) {
        unlink_waiting(s);
    }
    if (s->durable_wait) {
        unlink_durable(s);
    }
    release_connection_slot(s);
    http_session_free(s->http);
    tls_session_free(s->tls);
    wsman_builder_free(s->wb);
    if (s->deadline != NULL) {
        scs_event_timer_free(s->deadline);
    }
    scs_secret_free(s->admin_pw);
    scs_secret_free(s->mebx_pw);
    scs_secret_free(s->new_pps);
    free(s->cert_b64);
    if (s->dev != NULL && s->dev->session == s) {
        s->dev->session = NULL;
    }
    free(s);
}

int prov_session_start(struct prov_engine *e, struct prov_dev *dev, struct prov_session_args *a)
{
    struct prov_session *s = calloc(1, sizeof(*s));
    struct http_options o;
    int r;

    if (s == NULL) {
        return SCS_ERR_NOMEM;
    }
    s->e = e;
    s->rec = a->rec;
    s->prof = a->prof;
    s->chain = a->chain;
    (void)snprintf(s->peer, sizeof(s->peer), "%s", a->peer);
    s->step = PROV_STEP_START;
    s->confirm = a->confirm;
    if (s->confirm) {
        /* Plain HTTP with Digest as admin, the recorded password: what a
         * provisioned device without TLS configured accepts. */
        r = scs_device_secret_get(e->pool, s->rec.uuid, "admin_password", &s->admin_pw);
    } else if (a->rec.path == SCS_PATH_PSK) {
        if (a->pps == NULL || scs_secret_len(a->pps) != TLS_PPS_LEN) {
            free(s);
            return SCS_ERR_INVALID_ARG;
        }
        /* Not one-shot: libcurl may open a second connection within the session. */
        r = tls_session_new_psk((const uint8_t *)a->pid, scs_secret_cdata(a->pps), 0, &s->tls);
    } else {
        r = tls_session_new_x509(a->chain->id, &s->tls);
    }
    if (r != 0) {
        free(s);
        return r;
    }
    memset(&o, 0, sizeof(o));
    o.host = s->peer;
    o.port = (uint16_t)e->cfg.device_port;
    o.tls = s->tls;
    /* §5.4: inside the provisioning TLS session the device may not challenge;
     * if it does, admin with the empty password. */
    o.auth = HTTP_AUTH_DIGEST_IF_CHALLENGED;
    o.username = "admin";
    o.password = "";
    if (s->confirm) {
        o.port = (uint16_t)e->cfg.device_http_port;
        o.auth = HTTP_AUTH_DIGEST;
        o.password = scs_secret_str(s->admin_pw);
    }
    o.timeout_ms = (long)e->cfg.request_timeout_s * 1000L;
    o.connect_timeout_ms =
        o.timeout_ms < HTTP_CONNECT_TIMEOUT ? o.timeout_ms : HTTP_CONNECT_TIMEOUT;
    s->wb = wsman_builder_new();
    if (s->wb == NULL || (r = http_session_new(e->http, &o, &s->http)) != 0 ||
        (r = scs_event_timer_new(e->loop, on_deadline, s, &s->deadline)) != 0 ||
        (r = scs_event_timer_arm(s->deadline, (long)e->cfg.session_timeout_s * 1000L)) != 0) {
        prov_session_free(s);
        return r != 0 ? r : SCS_ERR_NOMEM;
    }
    s->dev = dev;
    dev->session = s;
    log_info("%s %s %u from %s (%s, profile %s%s%s)", s->rec.uuid,
             s->confirm ? "confirm session for attempt" : "session", (unsigned)s->rec.attempts,
             s->peer, scs_prov_path_name(s->rec.path), s->prof.name,
             s->chain != NULL ? ", certificate " : "",
             s->chain != NULL ? s->chain->entry.name : "");
    if (e->connecting < e->cfg.max_connecting && e->wait_head == NULL) {
        admit(s);
        return 0;
    }
    log_debug("%s waits for a connection slot (%u connecting)", s->rec.uuid, e->connecting);
    s->waiting = 1;
    if (e->wait_tail != NULL) {
        e->wait_tail->wait_next = s;
    } else {
        e->wait_head = s;
    }
    e->wait_tail = s;
    return 0;
}
