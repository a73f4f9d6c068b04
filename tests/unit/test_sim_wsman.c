/*
 * amtsim WS-Man parsing and dispatch: every shared fixture request parses and
 * gets the answer a real device gives; prefixes and order do not matter;
 * hostile documents are refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/fileio.h"
#include "sim/device.h"
#include "sim/digest.h"
#include "sim/http.h"
#include "sim/server.h"
#include "sim/wsman.h"
#include "sim/wsman_parse.h"
#include "sim/x509.h"

static struct scs_buf *fixture(const char *name)
{
    char path[512];
    struct scs_buf *b = NULL;

    snprintf(path, sizeof(path), "%s/wsman-requests/%s.xml", SCS_FIXTURES, name);
    assert_int_equal(scs_file_read(path, 1 << 20, &b), 0);
    return b;
}

static struct sim_device *new_dev(enum sim_prov_mode mode, enum sim_prov_state st)
{
    struct sim_device *d = sim_device_new();

    assert_non_null(d);
    assert_int_equal(sim_device_new_identity(d), 0);
    assert_int_equal(sim_device_default_hashes(d), 0);
    d->index = 1;
    d->addr = 0x7F010001;
    d->mode = mode;
    d->prov_state = st;
    return d;
}

/* Parse a fixture and dispatch it; returns the reply text (caller frees). */
static char *run(struct sim_ctx *c, const char *name, int *status)
{
    struct scs_buf *in = fixture(name);
    struct scs_buf *out = scs_buf_new(1 << 20);
    struct sim_wsman_req r;
    struct scs_diag d;
    char *s;

    assert_int_equal(sim_wsman_parse(scs_buf_data(in), scs_buf_len(in), &r, &d), 0);
    assert_int_equal(sim_wsman_handle(c, &r, out, status), 0);
    s = strdup(scs_buf_cstr(out));
    sim_wsman_req_clear(&r);
    scs_buf_free(in);
    scs_buf_free(out);
    return s;
}

/* A method call in the fixtures' shape, dispatched; returns the reply (caller frees). */
static char *invoke(struct sim_ctx *c, const char *cls, const char *method, const char *params,
                    int *status)
{
    static char doc[8192];
    const char *ns = strncmp(cls, "IPS_", 4) == 0 ? "http://intel.com/wbem/wscim/1/ips-schema/1/"
                                                  : "http://intel.com/wbem/wscim/1/amt-schema/1/";
    struct scs_buf *out = scs_buf_new(1 << 20);
    struct sim_wsman_req r;
    struct scs_diag d;
    char *s;
    int n = snprintf(doc, sizeof(doc),
                     "<Envelope xmlns=\"http://www.w3.org/2003/05/soap-envelope\" "
                     "xmlns:a=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\" "
                     "xmlns:w=\"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd\"><Header>"
                     "<a:Action>%s%s/%s</a:Action><w:ResourceURI>%s%s</w:ResourceURI>"
                     "<a:MessageID>9</a:MessageID></Header><Body><h:%s_INPUT xmlns:h=\"%s%s\">%s"
                     "</h:%s_INPUT></Body></Envelope>",
                     ns, cls, method, ns, cls, method, ns, cls, params, method);

    assert_true(n > 0 && (size_t)n < sizeof(doc));
    assert_int_equal(sim_wsman_parse((const uint8_t *)doc, (size_t)n, &r, &d), 0);
    assert_int_equal(sim_wsman_handle(c, &r, out, status), 0);
    s = strdup(scs_buf_cstr(out));
    sim_wsman_req_clear(&r);
    scs_buf_free(out);
    return s;
}

static int has(const char *hay, const char *needle)
{
    return strstr(hay, needle) != NULL;
}

static void test_parse_all_fixtures(void **state)
{
    static const struct {
        const char *name;
        enum sim_wsman_op op;
        const char *cls;
        const char *method;
    } f[] = {
        {"AMT_AuthorizationService.SetAdminAclEntryEx", SIM_WS_INVOKE, "AMT_AuthorizationService",
         "SetAdminAclEntryEx"},
        {"AMT_EthernetPortSettings.Pull", SIM_WS_PULL, "AMT_EthernetPortSettings", ""},
        {"AMT_GeneralSettings.Get", SIM_WS_GET, "AMT_GeneralSettings", ""},
        {"AMT_PublicKeyManagementService.AddTrustedRootCertificate", SIM_WS_INVOKE,
         "AMT_PublicKeyManagementService", "AddTrustedRootCertificate"},
        {"AMT_PublicKeyManagementService.GenerateKeyPair", SIM_WS_INVOKE,
         "AMT_PublicKeyManagementService", "GenerateKeyPair"},
        {"AMT_SetupAndConfigurationService.CommitChanges", SIM_WS_INVOKE,
         "AMT_SetupAndConfigurationService", "CommitChanges"},
        {"AMT_SetupAndConfigurationService.Get", SIM_WS_GET, "AMT_SetupAndConfigurationService",
         ""},
        {"AMT_SetupAndConfigurationService.Unprovision", SIM_WS_INVOKE,
         "AMT_SetupAndConfigurationService", "Unprovision"},
        {"AMT_TLSSettingData.Put", SIM_WS_PUT, "AMT_TLSSettingData", ""},
        {"AMT_TimeSynchronizationService.GetLowAccuracyTimeSynch", SIM_WS_INVOKE,
         "AMT_TimeSynchronizationService", "GetLowAccuracyTimeSynch"},
        {"AMT_TimeSynchronizationService.SetHighAccuracyTimeSynch", SIM_WS_INVOKE,
         "AMT_TimeSynchronizationService", "SetHighAccuracyTimeSynch"},
        {"CIM_SoftwareIdentity.Enumerate", SIM_WS_ENUMERATE, "CIM_SoftwareIdentity", ""},
        {"IPS_HostBasedSetupService.AddNextCertInChain", SIM_WS_INVOKE, "IPS_HostBasedSetupService",
         "AddNextCertInChain"},
        {"IPS_HostBasedSetupService.AdminSetup", SIM_WS_INVOKE, "IPS_HostBasedSetupService",
         "AdminSetup"},
        {"IPS_HostBasedSetupService.Get", SIM_WS_GET, "IPS_HostBasedSetupService", ""},
        {"IPS_HostBasedSetupService.Setup", SIM_WS_INVOKE, "IPS_HostBasedSetupService", "Setup"},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
        struct scs_buf *b = fixture(f[i].name);
        struct sim_wsman_req r;
        struct scs_diag d;

        assert_int_equal(sim_wsman_parse(scs_buf_data(b), scs_buf_len(b), &r, &d), 0);
        assert_int_equal(r.op, f[i].op);
        assert_string_equal(r.class_name, f[i].cls);
        assert_string_equal(r.method, f[i].method);
        assert_string_equal(r.message_id, "0");
        sim_wsman_req_clear(&r);
        scs_buf_free(b);
    }
}

static void test_prefix_and_order_independent(void **state)
{
    /* MeshCentral-like: other prefixes, SOAP namespace bound to "s", MessageID first. */
    const char *doc =
        "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\" "
        "xmlns:wsa=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\" "
        "xmlns:wsman=\"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd\"><s:Header>"
        "<wsa:MessageID>7</wsa:MessageID><wsman:ResourceURI>http://intel.com/wbem/wscim/1/"
        "amt-schema/1/AMT_AuthorizationService</wsman:ResourceURI><wsa:Action>http://intel.com/"
        "wbem/wscim/1/amt-schema/1/AMT_AuthorizationService/SetAdminAclEntryEx</wsa:Action>"
        "</s:Header><s:Body><r:SetAdminAclEntryEx_INPUT xmlns:r=\"http://intel.com/wbem/wscim/1/"
        "amt-schema/1/AMT_AuthorizationService\"><r:DigestPassword>CuCDARuuPYT8SGzkq0SuHQ=="
        "</r:DigestPassword><r:Username>admin</r:Username></r:SetAdminAclEntryEx_INPUT></s:Body>"
        "</s:Envelope>";
    struct sim_wsman_req r;
    struct scs_diag d;

    (void)state;
    assert_int_equal(sim_wsman_parse((const uint8_t *)doc, strlen(doc), &r, &d), 0);
    assert_int_equal(r.op, SIM_WS_INVOKE);
    assert_string_equal(r.message_id, "7");
    assert_string_equal(sim_wsman_param(&r, "Username"), "admin");
    assert_string_equal(sim_wsman_param(&r, "DigestPassword"), "CuCDARuuPYT8SGzkq0SuHQ==");
    sim_wsman_req_clear(&r);
}

static void test_hostile_documents(void **state)
{
    const char *dtd = "<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY a \"aaaa\">]><x>&a;</x>";
    const char *notxml = "<Envelope><Header>";
    struct sim_wsman_req r;
    struct scs_diag d;
    char deep[4096];
    size_t o = 0;

    (void)state;
    assert_int_not_equal(sim_wsman_parse((const uint8_t *)dtd, strlen(dtd), &r, &d), 0);
    assert_int_not_equal(sim_wsman_parse((const uint8_t *)notxml, strlen(notxml), &r, &d), 0);
    for (int i = 0; i < 100; i++) {
        o += (size_t)snprintf(deep + o, sizeof(deep) - o, "<a>");
    }
    for (int i = 0; i < 100; i++) {
        o += (size_t)snprintf(deep + o, sizeof(deep) - o, "</a>");
    }
    assert_int_equal(sim_wsman_parse((const uint8_t *)deep, o, &r, &d), SCS_ERR_TOO_LARGE);
    assert_int_equal(sim_wsman_parse((const uint8_t *)"", 0, &r, &d), SCS_ERR_FORMAT);
}

static void test_provisioning_flow(void **state)
{
    struct sim_device *dev = new_dev(SIM_MODE_PSK, SIM_PROV_IN);
    struct sim_ctx c;
    int st;
    char *s;

    (void)state;
    memset(&c, 0, sizeof(c));
    c.dev = dev;
    c.prov_session = 1;
    c.now = 1700000000;
    s = run(&c, "AMT_GeneralSettings.Get", &st);
    assert_int_equal(st, 200);
    assert_true(has(s, dev->realm));
    assert_true(has(s, "<b:RelatesTo>0</b:RelatesTo>"));
    assert_true(has(s, "<b:MessageID>uuid:00000000-8086-8086-8086-"));
    free(s);
    /* hex DigestPassword (MeshCentral quirk) is accepted */
    s = run(&c, "AMT_AuthorizationService.SetAdminAclEntryEx", &st);
    assert_true(has(s, "<g:ReturnValue>0</g:ReturnValue>"));
    assert_int_equal(dev->admin_set, 1);
    free(s);
    s = run(&c, "AMT_SetupAndConfigurationService.CommitChanges", &st);
    assert_true(has(s, "AMT_SetupAndConfigurationService/CommitChangesResponse"));
    assert_true(has(s, "<g:ReturnValue>0</g:ReturnValue>"));
    assert_int_equal(dev->prov_state, SIM_PROV_POST);
    assert_true(c.events & SIM_EV_HELLO_STOP);
    free(s);
    /* the provisioning session no longer authorises anything */
    c.prov_session = 0;
    c.admin = 1;
    s = run(&c, "AMT_SetupAndConfigurationService.Get", &st);
    assert_true(has(s, "<g:ProvisioningState>2</g:ProvisioningState>"));
    free(s);
    s = run(&c, "AMT_SetupAndConfigurationService.Unprovision", &st);
    assert_true(has(s, "<g:ReturnValue>0</g:ReturnValue>"));
    assert_int_equal(dev->prov_state, SIM_PROV_IN); /* PSK device: Hellos again */
    assert_int_equal(dev->admin_set, 0);
    free(s);
    sim_device_free(dev);
}

/* Put IPS_OptInService with OptInRequired = value; returns the HTTP status. */
static int optin_put(struct sim_ctx *c, const char *value)
{
    static char doc[2048];
    struct scs_buf *out = scs_buf_new(1 << 16);
    struct sim_wsman_req r;
    struct scs_diag d;
    int st = 0;
    int n = snprintf(doc, sizeof(doc),
                     "<Envelope xmlns=\"http://www.w3.org/2003/05/soap-envelope\" "
                     "xmlns:a=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\" "
                     "xmlns:w=\"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd\"><Header>"
                     "<a:Action>http://schemas.xmlsoap.org/ws/2004/09/transfer/Put</a:Action>"
                     "<w:ResourceURI>http://intel.com/wbem/wscim/1/ips-schema/1/IPS_OptInService"
                     "</w:ResourceURI><a:MessageID>7</a:MessageID></Header><Body>"
                     "<h:IPS_OptInService xmlns:h=\"http://intel.com/wbem/wscim/1/ips-schema/1/"
                     "IPS_OptInService\"><h:OptInRequired>%s</h:OptInRequired>"
                     "</h:IPS_OptInService></Body></Envelope>",
                     value);

    assert_true(n > 0 && (size_t)n < sizeof(doc));
    assert_int_equal(sim_wsman_parse((const uint8_t *)doc, (size_t)n, &r, &d), 0);
    assert_int_equal(sim_wsman_handle(c, &r, out, &st), 0);
    sim_wsman_req_clear(&r);
    scs_buf_free(out);
    return st;
}

static void test_user_consent_rules(void **state)
{
    struct sim_device *dev = new_dev(SIM_MODE_PKI, SIM_PROV_IN);
    struct sim_ctx c;

    (void)state;
    memset(&c, 0, sizeof(c));
    c.dev = dev;
    c.now = 1700000000;
    /* Remote configuration ends in admin control mode, so the SCS may drop user
     * consent inside the provisioning session, before CommitChanges. */
    c.prov_session = 1;
    assert_int_equal(optin_put(&c, "0"), 200);
    assert_int_equal(dev->optin_required, 0);
    assert_int_equal(optin_put(&c, "7"), 400); /* not a defined value */
    assert_int_equal(dev->optin_required, 0);
    /* A client-control-mode device keeps user consent. */
    c.prov_session = 0;
    c.admin = 1;
    dev->prov_state = SIM_PROV_POST;
    dev->control_mode = SIM_CTRL_CCM;
    assert_int_equal(optin_put(&c, "1"), 200);
    assert_int_not_equal(optin_put(&c, "0"), 200);
    assert_int_equal(dev->optin_required, 1);
    sim_device_free(dev);
}

static void test_state_rules(void **state)
{
    struct sim_device *dev = new_dev(SIM_MODE_NONE, SIM_PROV_PRE);
    struct sim_ctx c;
    int st;
    char *s;

    (void)state;
    memset(&c, 0, sizeof(c));
    c.dev = dev;
    c.local = 1;
    s = run(&c, "AMT_SetupAndConfigurationService.CommitChanges", &st);
    assert_true(has(s, "<g:ReturnValue>16</g:ReturnValue>"));
    free(s);
    s = run(&c, "IPS_HostBasedSetupService.AddNextCertInChain", &st);
    assert_true(has(s, "<g:ReturnValue>1</g:ReturnValue>")); /* root before leaf */
    free(s);
    s = run(&c, "IPS_HostBasedSetupService.AdminSetup", &st);
    assert_true(has(s, "<g:ReturnValue>5</g:ReturnValue>")); /* no chain, bad signature */
    free(s);
    c.local = 0;
    c.admin = 1;
    s = run(&c, "IPS_HostBasedSetupService.Setup", &st);
    assert_true(has(s, "<g:ReturnValue>4</g:ReturnValue>")); /* remote: disabled */
    free(s);
    c.admin = 0;
    c.local = 1;
    s = run(&c, "IPS_HostBasedSetupService.Setup", &st);
    assert_true(has(s, "<g:ReturnValue>0</g:ReturnValue>"));
    assert_int_equal(dev->control_mode, SIM_CTRL_CCM);
    assert_int_equal(dev->prov_state, SIM_PROV_POST);
    free(s);
    s = run(&c, "IPS_HostBasedSetupService.Setup", &st);
    assert_true(has(s, "<g:ReturnValue>2</g:ReturnValue>"));
    free(s);
    s = run(&c, "CIM_SoftwareIdentity.Enumerate", &st);
    assert_true(has(s, "<g:EnumerationContext>"));
    free(s);
    s = run(&c, "AMT_EthernetPortSettings.Pull", &st);
    assert_true(has(s, "<h:IPAddress>127.1.0.1</h:IPAddress>"));
    assert_true(has(s, "<g:EndOfSequence>"));
    free(s);
    s = run(&c, "AMT_TLSSettingData.Put", &st);
    assert_int_equal(st, 200);
    assert_true(has(s, "<g:Enabled>true</g:Enabled>"));
    free(s);
    s = run(&c, "AMT_TimeSynchronizationService.SetHighAccuracyTimeSynch", &st);
    assert_true(has(s, "<g:ReturnValue>0</g:ReturnValue>"));
    free(s);
    c.fault_call = "AMT_GeneralSettings.Get";
    s = run(&c, "AMT_GeneralSettings.Get", &st);
    assert_int_equal(st, 400);
    assert_true(has(s, "c:InternalError"));
    free(s);
    sim_device_free(dev);
}

static void expect_rv(struct sim_ctx *c, const char *cls, const char *m, const char *params,
                      const char *rv)
{
    char want[64];
    int st;
    char *s = invoke(c, cls, m, params, &st);

    snprintf(want, sizeof(want), "<g:ReturnValue>%s</g:ReturnValue>", rv);
    if (!has(s, want)) {
        fail_msg("%s.%s: want %s in %s", cls, m, want, s);
    }
    free(s);
}

static void test_more_methods(void **state)
{
    struct sim_device *dev = new_dev(SIM_MODE_PSK, SIM_PROV_IN);
    struct sim_ctx c;

    (void)state;
    memset(&c, 0, sizeof(c));
    c.dev = dev;
    c.now = 1700000000;
    /* outside the provisioning session nothing may change */
    expect_rv(&c, "AMT_SetupAndConfigurationService", "ExtendProvisioningPeriod",
              "<h:Duration>5</h:Duration>", "16");
    c.prov_session = 1;
    expect_rv(&c, "AMT_SetupAndConfigurationService", "ExtendProvisioningPeriod",
              "<h:Duration>25</h:Duration>", "36");
    expect_rv(&c, "AMT_SetupAndConfigurationService", "ExtendProvisioningPeriod",
              "<h:Duration>5</h:Duration>", "0");
    assert_true(c.events & SIM_EV_EXTEND);
    assert_int_equal(c.extend_hours, 5);
    /* SetTLSPSK: base64 of the raw characters, check characters verified */
    expect_rv(
        &c, "AMT_SetupAndConfigurationService", "SetTLSPSK",
        "<h:PID>MDAwMDAzN00=</h:PID><h:PPS>TktMREc1RENSUk5RRTlZWlpJSkw3TEZMVkpFRDY5WEo=</h:PPS>",
        "0");
    assert_string_equal(dev->pid, "0000037M");
    expect_rv(
        &c, "AMT_SetupAndConfigurationService", "SetTLSPSK",
        "<h:PID>MDAwMDAzN04=</h:PID><h:PPS>TktMREc1RENSUk5RRTlZWlpJSkw3TEZMVkpFRDY5WEo=</h:PPS>",
        "36");
    expect_rv(&c, "AMT_SetupAndConfigurationService", "GetUuid", "", "0");
    expect_rv(&c, "AMT_SetupAndConfigurationService", "PartialUnprovision", "", "16");
    expect_rv(&c, "AMT_SetupAndConfigurationService", "CommitChanges", "", "0");
    c.prov_session = 0;
    c.admin = 1;
    expect_rv(&c, "AMT_RedirectionService", "RequestStateChange",
              "<h:RequestedState>32771</h:RequestedState>", "0");
    assert_int_equal(dev->redir_state, 32771);
    expect_rv(&c, "AMT_RedirectionService", "RequestStateChange",
              "<h:RequestedState>5</h:RequestedState>", "36");
    expect_rv(&c, "AMT_SetupAndConfigurationService", "SetMEBxPassword",
              "<h:Password>Str0ng!Pass</h:Password>", "0");
    assert_int_equal(dev->mebx_changed, 1);
    dev->admin_set = 1;
    expect_rv(&c, "AMT_SetupAndConfigurationService", "PartialUnprovision", "", "0");
    assert_int_equal(dev->prov_state, SIM_PROV_IN);
    assert_int_equal(dev->admin_set, 1); /* partial unprovision keeps the admin ACL */
    sim_device_free(dev);
}

static void test_password_policy(void **state)
{
    (void)state;
    assert_false(sim_password_strong("admin"));
    assert_false(sim_password_strong("Passw0rd"));
    assert_false(sim_password_strong("P@ssword"));
    assert_true(sim_password_strong("P@ssw0rd"));
    /* '_' and space are allowed but are not the symbol; : , " are not allowed. */
    assert_false(sim_password_strong("Location_1"));
    assert_false(sim_password_strong("Pass word1"));
    assert_true(sim_password_strong("Pass word1!"));
    assert_false(sim_password_strong("P@ss,w0rd"));
    assert_false(sim_password_strong("P@ss\"w0rd"));
    assert_false(sim_password_strong("P@ssw0rdP@ssw0rdP@ssw0rdP@ssw0rd1"));
}

static void test_server_digest_and_otp(void **state)
{
    struct sim_device *dev = new_dev(SIM_MODE_PKI, SIM_PROV_IN);
    struct scs_buf *in = fixture("AMT_SetupAndConfigurationService.Get");
    struct scs_buf *out = scs_buf_new(1 << 20);
    struct sim_request_result res;
    struct sim_http_req req;

    (void)state;
    assert_int_equal(sim_digest_init(), 0);
    snprintf(dev->otp, sizeof(dev->otp), "%s", "OTP-12345678");
    memset(&req, 0, sizeof(req));
    snprintf(req.method, sizeof(req.method), "POST");
    snprintf(req.uri, sizeof(req.uri), "/wsman");
    req.keep_alive = 1;
    req.body = in;
    /* no session, no Digest: 401 in the device realm */
    assert_int_equal(sim_server_handle(dev, SIM_LISTEN_TLS, 0, &req, NULL, 1700000000, out, &res),
                     0);
    assert_int_equal(res.status, 401);
    assert_true(has(scs_buf_cstr(out), "WWW-Authenticate: Digest realm=\""));
    assert_true(has(scs_buf_cstr(out), dev->realm));
    assert_true(has(scs_buf_cstr(out), "qop=\"auth\""));
    scs_buf_reset(out);
    /* in the provisioning session the OTP is readable */
    assert_int_equal(sim_server_handle(dev, SIM_LISTEN_TLS, 1, &req, NULL, 1700000000, out, &res),
                     0);
    assert_int_equal(res.status, 200);
    assert_true(has(scs_buf_cstr(out), "<g:ProvisioningServerOTP>T1RQLTEyMzQ1Njc4<"));
    assert_true(has(scs_buf_cstr(out), "Transfer-Encoding: chunked"));
    scs_buf_free(out);
    scs_buf_free(in);
    sim_device_free(dev);
}

static void set_auth(struct sim_http_req *req, const struct sim_device *d, const char *nonce,
                     const char *nc)
{
    char resp[33];

    assert_int_equal(sim_digest_response(d->admin_ha1, "POST", "/wsman", nonce, nc, "c0ffee",
                                         "auth", NULL, 0, resp),
                     0);
    snprintf(req->authorization, sizeof(req->authorization),
             "Digest username=\"admin\", realm=\"%s\", nonce=\"%s\", uri=\"/wsman\", qop=auth, "
             "nc=%s, cnonce=\"c0ffee\", response=\"%s\"",
             d->realm, nonce, nc, resp);
}

static void test_digest_nonce_count(void **state)
{
    struct sim_device *dev = new_dev(SIM_MODE_NONE, SIM_PROV_POST);
    struct scs_buf *out = scs_buf_new(1 << 20);
    struct sim_request_result res;
    struct sim_http_req req;
    char nonce[SIM_DIGEST_NONCE_LEN + 1];

    (void)state;
    assert_int_equal(sim_digest_init(), 0);
    dev->admin_set = 1;
    assert_int_equal(sim_device_ha1(dev, "admin", "P@ssw0rd", dev->admin_ha1), 0);
    memset(&req, 0, sizeof(req));
    snprintf(req.method, sizeof(req.method), "POST");
    snprintf(req.uri, sizeof(req.uri), "/wsman");
    req.keep_alive = 1;
    req.body = fixture("AMT_GeneralSettings.Get");
    sim_digest_nonce_make(dev->index, 1700000000, nonce);
    set_auth(&req, dev, nonce, "00000001");
    assert_int_equal(sim_server_handle(dev, SIM_LISTEN_HTTP, 0, &req, NULL, 1700000001, out, &res),
                     0);
    assert_int_equal(res.status, 200);
    /* the same count again is a replay: a new challenge with stale=true */
    scs_buf_reset(out);
    assert_int_equal(sim_server_handle(dev, SIM_LISTEN_HTTP, 0, &req, NULL, 1700000001, out, &res),
                     0);
    assert_int_equal(res.status, 401);
    assert_true(has(scs_buf_cstr(out), "stale=\"true\""));
    scs_buf_reset(out);
    set_auth(&req, dev, nonce, "00000002");
    assert_int_equal(sim_server_handle(dev, SIM_LISTEN_HTTP, 0, &req, NULL, 1700000002, out, &res),
                     0);
    assert_int_equal(res.status, 200);
    /* an old nonce is stale */
    scs_buf_reset(out);
    set_auth(&req, dev, nonce, "00000003");
    assert_int_equal(sim_server_handle(dev, SIM_LISTEN_HTTP, 0, &req, NULL, 1700001000, out, &res),
                     0);
    assert_int_equal(res.status, 401);
    scs_buf_free(out);
    scs_buf_free(req.body);
    sim_device_free(dev);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_all_fixtures),
        cmocka_unit_test(test_prefix_and_order_independent),
        cmocka_unit_test(test_hostile_documents),
        cmocka_unit_test(test_provisioning_flow),
        cmocka_unit_test(test_user_consent_rules),
        cmocka_unit_test(test_state_rules),
        cmocka_unit_test(test_password_policy),
        cmocka_unit_test(test_more_methods),
        cmocka_unit_test(test_server_digest_and_otp),
        cmocka_unit_test(test_digest_nonce_count),
    };

    assert_int_equal(sim_x509_init(), 0);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
