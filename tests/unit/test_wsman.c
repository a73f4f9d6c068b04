/*
 * Unit tests for src/wsman: every request fixture reproduced byte for byte,
 * escaping and argument checks, response extraction from AMT-style samples,
 * and hostile documents rejected with the documented error code.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "common/buf.h"
#include "common/encoding.h"
#include "common/err.h"
#include "common/fileio.h"
#include "wsman/wsman.h"
#include "wsman/wsman_amt.h"

static struct scs_buf *read_file(const char *dir, const char *name)
{
    char path[512];
    struct scs_buf *b = NULL;
    int n = snprintf(path, sizeof(path), "%s/%s", dir, name);
    assert_true(n > 0 && (size_t)n < sizeof(path));
    assert_int_equal(scs_file_read(path, 4 * 1024 * 1024, &b), 0);
    return b;
}

/* The fixture files end with one newline that is not part of the request on the wire. */
static void expect_fixture(struct scs_buf *got, const char *name)
{
    struct scs_buf *want = read_file(SCS_FIXTURES "/wsman-requests", name);
    size_t wl = scs_buf_len(want);
    assert_true(wl > 0 && scs_buf_data(want)[wl - 1] == '\n');
    wl--;
    if (scs_buf_len(got) != wl || memcmp(scs_buf_data(got), scs_buf_data(want), wl) != 0) {
        print_error("%s differs:\n got: %s\nwant: %.*s\n", name, scs_buf_cstr(got), (int)wl,
                    (const char *)scs_buf_data(want));
        fail();
    }
    scs_buf_free(want);
}

static const char cert_b64[] =
    "MIIDUTCCAjmgAwIBAgIUXs7i1aB6MWj7Vz02H+04PMltp8UwDQYJKoZIhvcNAQELBQAwODEaMBgGA1UEAwwRRml4dHVy"
    "ZSBUZXN0IFJvb3QxGjAYBgNVBAoMEWFtdC1wZWVycy1oYXJuZXNzMB4XDTI2MTEyNDA2MjkxOVoXDTQ2MTExOTA2Mjkx"
    "OVowODEaMBgGA1UEAwwRRml4dHVyZSBUZXN0IFJvb3QxGjAYBgNVBAoMEWFtdC1wZWVycy1oYXJuZXNzMIIBIjANBgkq"
    "hkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAjmIngBZfX6znvOoyGWgdviy1saSDmqmpjS6kkQRef5le5ev4cvI0QfoepNH/"
    "pKvs53ACBABR3dOMqLfOfjFDvRqsrIU02nx103xPNVcKWgyN5/VJy1kLwUOMqfgwfTjb9WxqwSO64rFpoO9Ivm76xe+4"
    "B4iiK68g1JyKK6HUTvcXoKQUQKVNiOXctbSgrKKbV/zjAJGsC/49bk3md0LibUb84Op/tTvJwyxP3poKVvgJNOZQPexf"
    "Ze4cNJZjPqVXzFWIdVcsvJBkULR2XjCU7iM2Uv44otAim8kDnhpiyD4owlUSxBykfZXqqQAqk0dXgiql0oB6gfzHHwyh"
    "SGWNyQIDAQABo1MwUTAdBgNVHQ4EFgQUTe/wX/A/rYCGj3OzbHXZHO/PMocwHwYDVR0jBBgwFoAUTe/wX/A/rYCGj3Oz"
    "bHXZHO/PMocwDwYDVR0TAQH/BAUwAwEB/zANBgkqhkiG9w0BAQsFAAOCAQEAanoR/6lS1AIHVqjQpSpjBFq+jrH74gut"
    "wdAwFPeZZK4tLIxTtClut2Mbh8hG9qx0FheMm+WXlNWtCK0M8rlTZ9i1DCOQbNuFa5BgYo+f/xiD4V2bzew+yXbjJlYH"
    "xXk4f46yDt/YOLGTTwrv3Oc+unTGHXpYw6mVjnU5xQmfE0AIj1lj27p0V9DX2x9mSllQ8r1OUGUuUpLwiQ/Pfd5pC6iH"
    "mbg9YY034XrP9KCG0zHkXOv+iVRCKWA3aGFzkaK3x4KBGqTxMtvDJkHmJDf9yKD3nihjyppqgoog+rW5De5V86P/NiL5"
    "VYL57AvM5qtWavaMxkMTsjRl46oO0TTP4Q==";
static const char hex_a1[] = "6654ceb9533dd0fd6d3e5a3c3e8499d7";

/* Each fixture was produced with MessageID 0, so every case uses a fresh builder. */
static void test_fixtures_exact(void **state)
{
    struct {
        const char *file;
        int which;
    } cases[] = {
        {"AMT_AuthorizationService.SetAdminAclEntryEx.xml", 0},
        {"AMT_EthernetPortSettings.Pull.xml", 1},
        {"AMT_GeneralSettings.Get.xml", 2},
        {"AMT_PublicKeyManagementService.AddTrustedRootCertificate.xml", 3},
        {"AMT_PublicKeyManagementService.GenerateKeyPair.xml", 4},
        {"AMT_SetupAndConfigurationService.CommitChanges.xml", 5},
        {"AMT_SetupAndConfigurationService.Get.xml", 6},
        {"AMT_SetupAndConfigurationService.Unprovision.xml", 7},
        {"AMT_TLSSettingData.Put.xml", 8},
        {"AMT_TimeSynchronizationService.GetLowAccuracyTimeSynch.xml", 9},
        {"AMT_TimeSynchronizationService.SetHighAccuracyTimeSynch.xml", 10},
        {"CIM_SoftwareIdentity.Enumerate.xml", 11},
        {"IPS_HostBasedSetupService.AddNextCertInChain.xml", 12},
        {"IPS_HostBasedSetupService.AdminSetup.xml", 13},
        {"IPS_HostBasedSetupService.Get.xml", 14},
        {"IPS_HostBasedSetupService.Setup.xml", 15},
    };
    /* The fixture signs with 256 bytes of 'Z' (0x5a): base64 "WlpaWl…Wg==". */
    uint8_t sig[256];
    char sig_b64[345];
    memset(sig, 'Z', sizeof(sig));
    scs_base64_encode(sig_b64, sig, sizeof(sig));

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct wsman_builder *b = wsman_builder_new();
        struct scs_buf *out = scs_buf_new(WSMAN_REQUEST_MAX);
        const struct wsman_amt_tls_settings tls = {.instance_id = WSMAN_AMT_TLS_REMOTE,
                                                   .mutual_authentication = 0,
                                                   .enabled = 1,
                                                   .accept_non_secure_connections = 1,
                                                   .non_secure_connections_supported = 1};
        int rc = -1;
        assert_non_null(b);
        assert_non_null(out);
        switch (cases[i].which) {
        case 0:
            rc = wsman_amt_set_admin_acl_entry_ex(b, "admin", hex_a1, out);
            break;
        case 1:
            rc = wsman_build_pull(b, "AMT_EthernetPortSettings",
                                  "01000000-0000-0000-0000-000000000000", out);
            break;
        case 2:
            rc = wsman_amt_general_settings_get(b, out);
            break;
        case 3:
            rc = wsman_amt_add_trusted_root_certificate(b, cert_b64, out);
            break;
        case 4:
            rc = wsman_amt_generate_key_pair(b, 0, 2048, out);
            break;
        case 5:
            rc = wsman_amt_commit_changes(b, out);
            break;
        case 6:
            rc = wsman_amt_setup_config_get(b, out);
            break;
        case 7:
            rc = wsman_amt_unprovision(b, 1, out);
            break;
        case 8:
            rc = wsman_amt_tls_setting_data_put(b, &tls, out);
            break;
        case 9:
            rc = wsman_amt_time_get(b, out);
            break;
        case 10:
            rc = wsman_amt_time_set(b, 1700000000, 1700000005, 1700000006, out);
            break;
        case 11:
            rc = wsman_amt_software_identity_enumerate(b, out);
            break;
        case 12:
            rc = wsman_ips_add_next_cert_in_chain(b, cert_b64, 0, 1, out);
            break;
        case 13:
            rc = wsman_ips_admin_setup(b, hex_a1, "AAECAwQFBgcICQoLDA0ODxAREhM=", sig_b64, out);
            break;
        case 14:
            rc = wsman_ips_host_based_setup_get(b, out);
            break;
        case 15:
            rc = wsman_ips_setup(b, hex_a1, out);
            break;
        default:
            fail();
        }
        assert_int_equal(rc, 0);
        expect_fixture(out, cases[i].file);
        scs_buf_free(out);
        wsman_builder_free(b);
    }
}

static void test_message_id_counter(void **state)
{
    struct wsman_builder *b = wsman_builder_new();
    struct scs_buf *out = scs_buf_new(WSMAN_REQUEST_MAX);
    uint64_t last;
    assert_int_equal(wsman_builder_last_id(b, &last), SCS_ERR_STATE);
    for (int i = 0; i < 3; i++) {
        scs_buf_reset(out);
        assert_int_equal(wsman_amt_commit_changes(b, out), 0);
    }
    assert_non_null(strstr(scs_buf_cstr(out), "<a:MessageID>2</a:MessageID>"));
    assert_int_equal(wsman_builder_last_id(b, &last), 0);
    assert_int_equal(last, 2);
    /* A failed build consumes no MessageID and leaves the buffer untouched. */
    scs_buf_reset(out);
    assert_int_equal(wsman_build_get(b, "NOT_A_PREFIX", NULL, 0, out), SCS_ERR_INVALID_ARG);
    assert_int_equal(wsman_amt_set_mebx_password(b, "bad\x01", out), SCS_ERR_INVALID_ARG);
    assert_int_equal(scs_buf_len(out), 0);
    assert_int_equal(wsman_builder_next_id(b), 3);
    scs_buf_free(out);
    wsman_builder_free(b);
}

static void test_escaping(void **state)
{
    struct scs_buf *out = scs_buf_new(256);
    assert_int_equal(wsman_escape(out, "a<b>&\"c'", 0), 0);
    assert_string_equal(scs_buf_cstr(out), "a&lt;b&gt;&amp;\"c'");
    scs_buf_reset(out);
    assert_int_equal(wsman_escape(out, "x\"y", 1), 0);
    assert_string_equal(scs_buf_cstr(out), "x&quot;y");
    scs_buf_reset(out);
    /* UTF-8 passes; control characters, broken or overlong UTF-8 and surrogates do not. */
    assert_int_equal(wsman_escape(out, "P\xc3\xa4ss\xe2\x82\xac", 0), 0);
    assert_string_equal(scs_buf_cstr(out), "P\xc3\xa4ss\xe2\x82\xac");
    scs_buf_reset(out);
    assert_int_equal(wsman_escape(out, "a\x1b", 0), SCS_ERR_INVALID_ARG);
    assert_int_equal(wsman_escape(out, "\xc3", 0), SCS_ERR_INVALID_ARG);
    assert_int_equal(wsman_escape(out, "\xc0\xaf", 0), SCS_ERR_INVALID_ARG);
    assert_int_equal(wsman_escape(out, "\xed\xa0\x80", 0), SCS_ERR_INVALID_ARG);
    assert_int_equal(scs_buf_len(out), 0);
    scs_buf_free(out);
}

static void test_password_escaped_in_request(void **state)
{
    struct wsman_builder *b = wsman_builder_new();
    struct scs_buf *out = scs_buf_new(WSMAN_REQUEST_MAX);
    assert_int_equal(wsman_amt_set_mebx_password(b, "P@ss<w0rd>&", out), 0);
    assert_non_null(strstr(scs_buf_cstr(out),
                           "<h:SetMEBxPassword_INPUT xmlns:h=\"http://intel.com/wbem/wscim/1/"
                           "amt-schema/1/AMT_SetupAndConfigurationService\"><h:Password>P@ss&lt;"
                           "w0rd&gt;&amp;</h:Password></h:SetMEBxPassword_INPUT>"));
    scs_buf_free(out);
    wsman_builder_free(b);
}

static void test_set_tls_psk_and_digest(void **state)
{
    struct wsman_builder *b = wsman_builder_new();
    struct scs_buf *out = scs_buf_new(WSMAN_REQUEST_MAX);
    char dp[WSMAN_AMT_DIGEST_B64_LEN + 1];
    /* Intel's example PID/PPS (protocol.md §4.1) without dashes. */
    assert_int_equal(wsman_amt_set_tls_psk(b, (const uint8_t *)"0000037M",
                                           (const uint8_t *)"NKLDG5DCRRNQE9YZZIJL7LFLVJED69XJ",
                                           out),
                     0);
    assert_non_null(strstr(scs_buf_cstr(out),
                           "<h:PID>MDAwMDAzN00=</h:PID><h:PPS>TktMREc1RENSUk5RRTlZWlpJSkw3TEZMVkpFR"
                           "DY5WEo=</h:PPS>"));
    /* §6.2 worked example: base64 of MD5("admin:<realm>:P@ssw0rd"). */
    assert_int_equal(wsman_amt_digest_password("admin", "Digest:F3EB554784E729164447A89F60B641C5",
                                               "P@ssw0rd", dp),
                     0);
    assert_string_equal(dp, "CuCDARuuPYT8SGzkq0SuHQ==");
    assert_int_equal(wsman_amt_set_admin_acl_entry_ex(b, "averyveryverylongname", dp, out),
                     SCS_ERR_INVALID_ARG);
    scs_buf_free(out);
    wsman_builder_free(b);
}

static void test_create_tls_credential_context(void **state)
{
    struct wsman_builder *b = wsman_builder_new();
    struct scs_buf *out = scs_buf_new(WSMAN_REQUEST_MAX);
    assert_int_equal(
        wsman_amt_tls_credential_context_create(b, "Intel(r) AMT Certificate: Handle: 1", out), 0);
    assert_non_null(
        strstr(scs_buf_cstr(out),
               "<a:Action>http://schemas.xmlsoap.org/ws/2004/09/transfer/Create</a:Action>"));
    assert_non_null(strstr(
        scs_buf_cstr(out),
        "<Body><h:AMT_TLSCredentialContext xmlns:h=\"http://intel.com/wbem/wscim/1/amt-schema/1/"
        "AMT_TLSCredentialContext\"><h:ElementInContext><a:Address>/wsman</a:Address><a:"
        "ReferenceParameters><w:ResourceURI>http://intel.com/wbem/wscim/1/amt-schema/1/"
        "AMT_PublicKeyCertificate</w:ResourceURI><w:SelectorSet><w:Selector Name=\"InstanceID\">"
        "Intel(r) AMT Certificate: Handle: 1</w:Selector></w:SelectorSet></a:ReferenceParameters>"
        "</h:ElementInContext><h:ElementProvidingContext><a:Address>/wsman</a:Address><a:"
        "ReferenceParameters><w:ResourceURI>http://intel.com/wbem/wscim/1/amt-schema/1/"
        "AMT_TLSProtocolEndpointCollection</w:ResourceURI><w:SelectorSet><w:Selector Name=\""
        "ElementName\">TLSProtocolEndpointInstances Collection</w:Selector></w:SelectorSet></a:"
        "ReferenceParameters></h:ElementProvidingContext></h:AMT_TLSCredentialContext></Body>"));
    scs_buf_reset(out);
    const struct wsman_selector sel[] = {{"Name", "x&y"}};
    assert_int_equal(wsman_build_delete(b, "AMT_TLSCredentialContext", sel, 1, out), 0);
    assert_non_null(strstr(scs_buf_cstr(out),
                           "<w:SelectorSet><w:Selector Name=\"Name\">x&amp;y"
                           "</w:Selector></w:SelectorSet></Header><Body></Body>"));
    scs_buf_free(out);
    wsman_builder_free(b);
}

/* ---- responses ---------------------------------------------------------- */

static struct wsman_response *parse_sample(const char *name)
{
    struct scs_buf *b = read_file(SCS_TESTDATA "/wsman", name);
    struct wsman_response *r = NULL;
    struct scs_diag d;
    int rc = wsman_response_parse(scs_buf_data(b), scs_buf_len(b), &r, &d);
    if (rc != 0) {
        print_error("%s: %d %s\n", name, rc, d.reason);
    }
    assert_int_equal(rc, 0);
    scs_buf_free(b);
    return r;
}

static int parse_error(const char *name, struct scs_diag *d)
{
    struct scs_buf *b = read_file(SCS_TESTDATA "/wsman", name);
    struct wsman_response *r = NULL;
    int rc = wsman_response_parse(scs_buf_data(b), scs_buf_len(b), &r, d);
    assert_null(r);
    scs_buf_free(b);
    return rc;
}

static void test_general_settings(void **state)
{
    char realm[WSMAN_AMT_REALM_MAX];
    struct scs_diag d;
    const char *files[] = {"general_settings_get.xml", "general_settings_other_prefixes.xml"};
    for (size_t i = 0; i < 2; i++) {
        struct wsman_response *r = parse_sample(files[i]);
        assert_string_equal(wsman_response_body_name(r), "AMT_GeneralSettings");
        assert_string_equal(wsman_response_relates_to(r), "0");
        assert_string_equal(wsman_response_action(r),
                            "http://schemas.xmlsoap.org/ws/2004/09/transfer/GetResponse");
        assert_null(wsman_response_fault(r));
        assert_int_equal(wsman_amt_read_digest_realm(r, realm, sizeof(realm), &d), 0);
        assert_string_equal(realm, "Digest:F3EB554784E729164447A89F60B641C5");
        assert_int_equal(wsman_amt_read_digest_realm(r, realm, 10, &d), SCS_ERR_TOO_LARGE);
        assert_non_null(wsman_response_prop(r, "ElementName", 0));
        wsman_response_free(r);
    }
    struct wsman_response *r = parse_sample("general_settings_other_prefixes.xml");
    assert_string_equal(wsman_response_prop(r, "ElementName", 0),
                        "Intel(r) AMT: General Settings & more");
    wsman_response_free(r);
}

static void test_software_identity(void **state)
{
    char buf[64];
    struct scs_diag d;
    struct wsman_response *r = parse_sample("software_identity_enumerate.xml");
    assert_int_equal(wsman_amt_read_enum_context(r, buf, sizeof(buf), &d), 0);
    assert_string_equal(buf, "92000000-0000-0000-0000-000000000000");
    wsman_response_free(r);

    r = parse_sample("software_identity_pull.xml");
    assert_int_equal(wsman_response_item_count(r), 11);
    assert_true(wsman_response_end_of_sequence(r));
    assert_string_equal(wsman_response_item_class(r, 0), "CIM_SoftwareIdentity");
    assert_int_equal(wsman_amt_read_amt_version(r, buf, sizeof(buf), &d), 0);
    assert_string_equal(buf, "15.0.23");
    assert_int_equal(wsman_response_find_item(r, "InstanceID", "Build Number"), 6);
    assert_int_equal(wsman_response_item_prop_count(r, 3), 3);
    const char *n;
    const char *v;
    assert_int_equal(wsman_response_item_prop_at(r, 3, 2, &n, &v), 0);
    assert_string_equal(n, "VersionString");
    assert_string_equal(v, "15.0.23");
    assert_int_equal(wsman_response_item_prop_at(r, 3, 3, &n, &v), SCS_ERR_NOT_FOUND);
    /* Not an EnumerateResponse. */
    assert_int_equal(wsman_amt_read_enum_context(r, buf, sizeof(buf), &d), SCS_ERR_PROTOCOL);
    wsman_response_free(r);
}

static void test_setup_config_and_outputs(void **state)
{
    struct scs_diag d;
    uint32_t rv = 99;
    uint8_t uuid[16];
    char id[128];
    struct wsman_response *r = parse_sample("setup_config_get.xml");
    assert_int_equal(wsman_response_expect_instance(r, "AMT_SetupAndConfigurationService", &d), 0);
    assert_string_equal(wsman_response_prop(r, "ProvisioningServerOTP", 0), "b3RwLXRlc3QtMTIz");
    assert_string_equal(wsman_response_prop(r, "ProvisioningState", 0), "1");
    assert_string_equal(wsman_response_prop(r, "TrustedDNSSuffix", 0), "");
    assert_int_equal(wsman_response_expect_instance(r, "AMT_GeneralSettings", &d),
                     SCS_ERR_PROTOCOL);
    wsman_response_free(r);

    r = parse_sample("commit_changes.xml");
    assert_int_equal(wsman_response_expect_output(r, "AMT_SetupAndConfigurationService",
                                                  "CommitChanges", &rv, &d),
                     0);
    assert_int_equal(rv, 0);
    /* Right body, wrong class namespace. */
    assert_int_equal(
        wsman_response_expect_output(r, "AMT_AuthorizationService", "CommitChanges", &rv, &d),
        SCS_ERR_PROTOCOL);
    wsman_response_free(r);

    r = parse_sample("set_mebx_password_invalid.xml");
    assert_int_equal(wsman_response_expect_output(r, "AMT_SetupAndConfigurationService",
                                                  "SetMEBxPassword", &rv, &d),
                     0);
    assert_int_equal(rv, 2054);
    wsman_response_free(r);

    r = parse_sample("get_uuid.xml");
    assert_int_equal(wsman_amt_read_uuid(r, uuid, &d), 0);
    assert_int_equal(uuid[0], 0x38);
    assert_int_equal(uuid[15], 0xcf);
    wsman_response_free(r);

    uint32_t ta0 = 0;
    r = parse_sample("time_get.xml");
    assert_int_equal(wsman_amt_read_time(r, &ta0, &d), 0);
    assert_int_equal(ta0, 1700000000u);
    wsman_response_free(r);

    r = parse_sample("generate_key_pair.xml");
    assert_int_equal(wsman_response_expect_output(r, "AMT_PublicKeyManagementService",
                                                  "GenerateKeyPair", &rv, &d),
                     0);
    assert_int_equal(wsman_amt_read_epr_instance(r, "KeyPair", id, sizeof(id), &d), 0);
    assert_string_equal(id, "Intel(r) AMT Key: Handle: 0");
    assert_int_equal(wsman_amt_read_epr_instance(r, "CreatedCertificate", id, sizeof(id), &d),
                     SCS_ERR_PROTOCOL);
    wsman_response_free(r);

    r = parse_sample("add_certificate.xml");
    assert_int_equal(wsman_amt_read_epr_instance(r, "CreatedCertificate", id, sizeof(id), &d), 0);
    assert_string_equal(id, "Intel(r) AMT Certificate: Handle: 1");
    wsman_response_free(r);

    r = parse_sample("tls_credential_context_create.xml");
    assert_string_equal(wsman_response_body_name(r), "ResourceCreated");
    assert_int_equal(wsman_amt_read_epr_instance(r, NULL, id, sizeof(id), &d), 0);
    assert_string_equal(id, "Intel(r) AMT TLS Credential Context");
    wsman_response_free(r);
}

static void test_fault(void **state)
{
    struct scs_diag d;
    uint32_t rv;
    struct wsman_response *r = parse_sample("fault_already_exists.xml");
    const struct wsman_fault *f = wsman_response_fault(r);
    assert_non_null(f);
    assert_string_equal(wsman_response_body_name(r), "Fault");
    assert_string_equal(f->code, "a:Sender");
    assert_string_equal(f->subcode, "e:AlreadyExists");
    assert_string_equal(f->reason,
                        "The sender attempted to create a resource which already exists.");
    assert_int_equal(wsman_response_expect_output(r, "AMT_TLSCredentialContext", "Create", &rv, &d),
                     SCS_ERR_PROTOCOL);
    assert_non_null(strstr(d.reason, "AlreadyExists"));
    wsman_response_free(r);
}

static void test_missing_return_value(void **state)
{
    struct scs_diag d;
    uint32_t rv;
    struct wsman_response *r = parse_sample("missing_return_value.xml");
    assert_int_equal(wsman_response_return_value(r, &rv), SCS_ERR_NOT_FOUND);
    assert_int_equal(
        wsman_response_expect_output(r, "AMT_AuthorizationService", "SetAdminAclEntryEx", &rv, &d),
        SCS_ERR_PROTOCOL);
    assert_non_null(strstr(d.reason, "no ReturnValue"));
    wsman_response_free(r);
    /* A ReturnValue in a foreign namespace is not the ReturnValue. */
    r = parse_sample("wrong_namespace_return_value.xml");
    assert_int_equal(wsman_response_return_value(r, &rv), SCS_ERR_NOT_FOUND);
    wsman_response_free(r);
}

static void test_hostile(void **state)
{
    struct scs_diag d;
    assert_int_equal(parse_error("hostile_entity.xml", &d), SCS_ERR_PROTOCOL);
    assert_non_null(strstr(d.reason, "document type"));
    assert_int_equal(parse_error("hostile_xxe.xml", &d), SCS_ERR_PROTOCOL);
    assert_int_equal(parse_error("hostile_billion_laughs.xml", &d), SCS_ERR_PROTOCOL);
    assert_int_equal(parse_error("hostile_undeclared_entity.xml", &d), SCS_ERR_FORMAT);
    assert_int_equal(parse_error("wrong_namespace_envelope.xml", &d), SCS_ERR_PROTOCOL);
    assert_non_null(strstr(d.reason, "SOAP 1.2"));
    assert_int_equal(parse_error("truncated.xml", &d), SCS_ERR_FORMAT);
    assert_int_equal(parse_error("mismatched_tag.xml", &d), SCS_ERR_FORMAT);
}

/* The parser context is reused across answers and replaced now and then
 * (wsman_xml.c): good and bad answers interleaved, past the reuse limit and
 * with many distinct element names, keep their exact results. */
static void test_parser_reuse(void **state)
{
    struct scs_buf *good = read_file(SCS_TESTDATA "/wsman", "general_settings_get.xml");
    struct scs_buf *bad = read_file(SCS_TESTDATA "/wsman", "truncated.xml");
    char realm[WSMAN_AMT_REALM_MAX];
    struct scs_diag d;
    (void)state;

    for (int i = 0; i < 10100; i++) {
        struct wsman_response *r = NULL;
        if (i % 3 == 2) {
            assert_int_equal(wsman_response_parse(scs_buf_data(bad), scs_buf_len(bad), &r, &d),
                             SCS_ERR_FORMAT);
            assert_null(r);
            continue;
        }
        if (i % 50 == 1) {
            /* A body with names never seen before grows the name dictionary. */
            char doc[2048];
            int n = snprintf(doc, sizeof(doc),
                             "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\">"
                             "<s:Header/><s:Body><x%da/><x%db/><x%dc/><x%dd/></s:Body>"
                             "</s:Envelope>",
                             i, i, i, i);
            assert_int_equal(wsman_response_parse(doc, (size_t)n, &r, &d), 0);
            wsman_response_free(r);
            continue;
        }
        assert_int_equal(wsman_response_parse(scs_buf_data(good), scs_buf_len(good), &r, &d), 0);
        assert_int_equal(wsman_amt_read_digest_realm(r, realm, sizeof(realm), &d), 0);
        assert_string_equal(realm, "Digest:F3EB554784E729164447A89F60B641C5");
        wsman_response_free(r);
    }
    scs_buf_free(good);
    scs_buf_free(bad);
}

static void test_limits(void **state)
{
    struct wsman_response *r = NULL;
    struct scs_diag d;
    struct scs_buf *b = scs_buf_new(WSMAN_RESPONSE_MAX + 16);
    static const char head[] = "<a:Envelope xmlns:a=\"http://www.w3.org/2003/05/soap-envelope\">"
                               "<a:Body>";
    /* Depth: over our cap but under libxml2's own. */
    assert_int_equal(scs_buf_put_str(b, head), 0);
    for (int i = 0; i < 40; i++) {
        assert_int_equal(scs_buf_put_str(b, "<x>"), 0);
    }
    for (int i = 0; i < 40; i++) {
        assert_int_equal(scs_buf_put_str(b, "</x>"), 0);
    }
    assert_int_equal(scs_buf_put_str(b, "</a:Body></a:Envelope>"), 0);
    assert_int_equal(wsman_response_parse(scs_buf_data(b), scs_buf_len(b), &r, &d),
                     SCS_ERR_TOO_LARGE);
    assert_non_null(strstr(d.reason, "deeper"));
    /* Depth: beyond libxml2's limit too. */
    scs_buf_reset(b);
    assert_int_equal(scs_buf_put_str(b, head), 0);
    for (int i = 0; i < 5000; i++) {
        assert_int_equal(scs_buf_put_str(b, "<x>"), 0);
    }
    assert_int_equal(wsman_response_parse(scs_buf_data(b), scs_buf_len(b), &r, &d),
                     SCS_ERR_TOO_LARGE);
    /* Size: one byte over the cap is refused before parsing. */
    scs_buf_reset(b);
    assert_int_equal(scs_buf_put_zeros(b, WSMAN_RESPONSE_MAX + 1), 0);
    assert_int_equal(wsman_response_parse(scs_buf_data(b), scs_buf_len(b), &r, &d),
                     SCS_ERR_TOO_LARGE);
    /* NUL bytes, empty input. */
    assert_int_equal(wsman_response_parse("<a\0>", 4, &r, &d), SCS_ERR_PROTOCOL);
    assert_int_equal(d.offset, 2);
    assert_int_equal(wsman_response_parse("", 0, &r, &d), SCS_ERR_FORMAT);
    /* Too many items. */
    scs_buf_reset(b);
    assert_int_equal(
        scs_buf_printf(b, "%s<g:PullResponse xmlns:g=\"%s\"><g:Items>", head, WSMAN_NS_ENUM), 0);
    for (int i = 0; i < WSMAN_ITEMS_MAX + 1; i++) {
        assert_int_equal(scs_buf_put_str(b, "<h:I xmlns:h=\"urn:x\"><h:P>1</h:P></h:I>"), 0);
    }
    assert_int_equal(scs_buf_put_str(b, "</g:Items></g:PullResponse></a:Body></a:Envelope>"), 0);
    assert_int_equal(wsman_response_parse(scs_buf_data(b), scs_buf_len(b), &r, &d),
                     SCS_ERR_TOO_LARGE);
    /* A UTF-16 declaration does not change how the bytes are read. */
    static const char utf16[] =
        "<?xml version=\"1.0\" encoding=\"UTF-16\"?><a:Envelope "
        "xmlns:a=\"http://www.w3.org/2003/05/soap-envelope\"><a:Body/></a:Envelope>";
    assert_int_equal(wsman_response_parse(utf16, sizeof(utf16) - 1, &r, &d), 0);
    assert_string_equal(wsman_response_body_name(r), "");
    wsman_response_free(r);
    scs_buf_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixtures_exact),
        cmocka_unit_test(test_message_id_counter),
        cmocka_unit_test(test_escaping),
        cmocka_unit_test(test_password_escaped_in_request),
        cmocka_unit_test(test_set_tls_psk_and_digest),
        cmocka_unit_test(test_create_tls_credential_context),
        cmocka_unit_test(test_general_settings),
        cmocka_unit_test(test_software_identity),
        cmocka_unit_test(test_setup_config_and_outputs),
        cmocka_unit_test(test_fault),
        cmocka_unit_test(test_missing_return_value),
        cmocka_unit_test(test_hostile),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_parser_reuse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
