/*
 * Interop tests of the client stack on 127.0.0.1 (CTest label "integration"):
 *  - HTTP Digest done by libcurl against libmicrohttpd's Digest (an independent
 *    implementation), with the Authorization header also recomputed here;
 *  - TLS-PSK against `openssl s_server -psk … -nocert -tls1_2 -www`;
 *  - mutual X.509 against `openssl s_server -Verify`, fingerprint recording and pinning;
 *  - the response cap.
 * Every child process is killed in teardown; every wait is bounded.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <microhttpd.h>

#include "common/buf.h"
#include "common/encoding.h"
#include "common/err.h"
#include "common/fileio.h"
#include "crypto/crypto.h"
#include "http/http.h"
#include "tls/tls.h"
#include "wsman/wsman.h"
#include "wsman/wsman_amt.h"

#define REALM "Digest:F3EB554784E729164447A89F60B641C5"
#define PID   "0000037M"
#define PPS   "NKLDG5DCRRNQE9YZZIJL7LFLVJED69XJ"

static char dir[64];
static pid_t child = -1;

/* ---- processes and ports ------------------------------------------------ */

static uint16_t free_port(void)
{
    struct sockaddr_in a = {.sin_family = AF_INET};
    socklen_t l = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &l), 0);
    close(fd);
    return ntohs(a.sin_port);
}

static int port_open(uint16_t port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    int ok;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ok = connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
    close(fd);
    return ok;
}

static void stop_child(void)
{
    if (child > 0) {
        kill(child, SIGTERM);
        for (int i = 0; i < 50; i++) {
            if (waitpid(child, NULL, WNOHANG) == child) {
                child = -1;
                return;
            }
            usleep(20000);
        }
        kill(child, SIGKILL);
        waitpid(child, NULL, 0);
        child = -1;
    }
}

/* Start argv (openssl s_server …) and wait until it listens on port. */
static void start_server(const char *const argv[], uint16_t port)
{
    char log[128];
    snprintf(log, sizeof(log), "%s/server.log", dir);
    child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
        int in = open("/dev/null", O_RDONLY);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        if (in >= 0) {
            dup2(in, 0); /* s_server reads commands from stdin */
        }
        char *v[32];
        size_t i = 0;
        /* exec wants mutable strings; copies in the child keep the literals const. */
        for (; argv[i] != NULL && i < 31; i++) {
            v[i] = strdup(argv[i]);
        }
        v[i] = NULL;
        execvp(v[0], v);
        _exit(127);
    }
    for (int i = 0; i < 200; i++) {
        if (port_open(port)) {
            return;
        }
        usleep(25000);
    }
    fail_msg("server did not start on port %u", port);
}

static int setup(void **state)
{
    char cmd[512];
    snprintf(dir, sizeof(dir), "/tmp/scs-test-interop-XXXXXX");
    if (mkdtemp(dir) == NULL) {
        return -1;
    }
    snprintf(cmd, sizeof(cmd), "bash %s/unit/client_pki.sh %s", SCS_TESTS_DIR, dir);
    return system(cmd) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
    char cmd[128];
    stop_child();
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static int teardown_each(void **state)
{
    stop_child();
    return 0;
}

static const char *path(const char *name)
{
    static char p[256];
    snprintf(p, sizeof(p), "%s/%s", dir, name);
    return p;
}

/* ---- a Digest server on libmicrohttpd ------------------------------------ */

struct srv {
    const char *password; /* NULL: no authentication at all */
    int requests;
    int recomputed_ok;
    size_t last_len;
    char last_body[8192];
};

struct conn {
    size_t len;
    char body[8192];
};

/* Pull key="value" or key=value out of an Authorization header into out. */
static int auth_param(const char *h, const char *key, char *out, size_t cap)
{
    size_t kl = strlen(key);
    const char *p = h;
    while ((p = strstr(p, key)) != NULL) {
        if ((p == h || p[-1] == ' ' || p[-1] == ',') && p[kl] == '=') {
            const char *v = p + kl + 1;
            size_t n = 0;
            int q = *v == '"';
            v += q;
            while (v[n] != '\0' && (q ? v[n] != '"' : (v[n] != ',' && v[n] != ' ')) &&
                   n + 1 < cap) {
                n++;
            }
            memcpy(out, v, n);
            out[n] = '\0';
            return 1;
        }
        p += kl;
    }
    return 0;
}

static int recompute(struct MHD_Connection *c, const char *password)
{
    const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
    char nonce[128], nc[16], cnonce[128], qop[16], uri[64], resp[40];
    char ha1[HTTP_MD5_HEX_LEN + 1], want[HTTP_MD5_HEX_LEN + 1];
    if (h == NULL || !auth_param(h, "nonce", nonce, sizeof(nonce)) ||
        !auth_param(h, "nc", nc, sizeof(nc)) || !auth_param(h, "cnonce", cnonce, sizeof(cnonce)) ||
        !auth_param(h, "qop", qop, sizeof(qop)) || !auth_param(h, "uri", uri, sizeof(uri)) ||
        !auth_param(h, "response", resp, sizeof(resp))) {
        return 0;
    }
    if (http_digest_ha1("admin", REALM, password, ha1) != 0 ||
        http_digest_response(ha1, "POST", uri, nonce, nc, cnonce, qop, want) != 0) {
        return 0;
    }
    return strcmp(want, resp) == 0;
}

static enum MHD_Result queue_text(struct MHD_Connection *c, unsigned code, const char *body,
                                  size_t len)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(len, (void *)(uintptr_t)body, MHD_RESPMEM_MUST_COPY);
    enum MHD_Result ret;
    MHD_add_response_header(r, "Server", "Intel(R) Active Management Technology 15.0.23.1706");
    ret = MHD_queue_response(c, code, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
                               const char *method, const char *version, const char *upload,
                               size_t *upload_size, void **con_cls)
{
    struct srv *s = cls;
    struct conn *k = *con_cls;
    if (k == NULL) {
        k = calloc(1, sizeof(*k));
        *con_cls = k;
        return k != NULL ? MHD_YES : MHD_NO;
    }
    if (*upload_size > 0) {
        size_t n = *upload_size;
        if (n > sizeof(k->body) - k->len) {
            n = sizeof(k->body) - k->len;
        }
        memcpy(k->body + k->len, upload, n);
        k->len += n;
        *upload_size = 0;
        return MHD_YES;
    }
    s->requests++;
    if (strcmp(url, "/big") == 0) {
        size_t big = 2u * 1024u * 1024u;
        char *b = malloc(big);
        enum MHD_Result ret;
        memset(b, 'x', big);
        ret = queue_text(c, 200, b, big);
        free(b);
        return ret;
    }
    if (s->password != NULL) {
        int rc = MHD_digest_auth_check2(c, REALM, "admin", s->password, 300, MHD_DIGEST_ALG_MD5);
        if (rc != MHD_YES) {
            struct MHD_Response *r = MHD_create_response_from_buffer(
                6, (void *)(uintptr_t) "denied", MHD_RESPMEM_PERSISTENT);
            enum MHD_Result ret = MHD_queue_auth_fail_response2(
                c, REALM, "opaque", r, rc == MHD_INVALID_NONCE ? MHD_YES : MHD_NO,
                MHD_DIGEST_ALG_MD5);
            MHD_destroy_response(r);
            return ret;
        }
        s->recomputed_ok += recompute(c, s->password);
    }
    memcpy(s->last_body, k->body, k->len);
    s->last_len = k->len;
    char reply[8300];
    int n = snprintf(reply, sizeof(reply), "ECHO:%.*s", (int)k->len, k->body);
    return queue_text(c, 200, reply, (size_t)n);
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
    free(*con_cls);
    *con_cls = NULL;
}

static struct MHD_Daemon *start_mhd(struct srv *s, uint16_t *port)
{
    struct sockaddr_in a = {.sin_family = AF_INET};
    const union MHD_DaemonInfo *info;
    uint8_t rnd[16];
    struct MHD_Daemon *d;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(scs_random_bytes(rnd, sizeof(rnd)), 0);
    d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, handler, s,
                         MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&a, MHD_OPTION_NOTIFY_COMPLETED,
                         completed, NULL, MHD_OPTION_DIGEST_AUTH_RANDOM, sizeof(rnd), rnd,
                         MHD_OPTION_NONCE_NC_SIZE, 300, MHD_OPTION_END);
    assert_non_null(d);
    info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    assert_non_null(info);
    *port = info->port;
    return d;
}

static struct scs_buf *commit_request(void)
{
    struct wsman_builder *b = wsman_builder_new();
    struct scs_buf *out = scs_buf_new(WSMAN_REQUEST_MAX);
    assert_int_equal(wsman_amt_commit_changes(b, out), 0);
    wsman_builder_free(b);
    return out;
}

static void expect_echo(struct scs_buf *resp, struct scs_buf *req)
{
    assert_int_equal(scs_buf_len(resp), 5 + scs_buf_len(req));
    assert_memory_equal(scs_buf_data(resp), "ECHO:", 5);
    assert_memory_equal(scs_buf_data(resp) + 5, scs_buf_data(req), scs_buf_len(req));
}

static void test_digest_against_mhd(void **state)
{
    struct srv s = {.password = "P@ssw0rd"};
    uint16_t port;
    struct MHD_Daemon *d = start_mhd(&s, &port);
    struct scs_buf *req = commit_request();
    struct scs_buf *resp = NULL;
    long status = 0;
    struct http_options o = {.host = "127.0.0.1",
                             .port = port,
                             .auth = HTTP_AUTH_DIGEST,
                             .username = "admin",
                             .password = "P@ssw0rd"};

    assert_int_equal(http_post_blocking(&o, scs_buf_data(req), scs_buf_len(req), &status, &resp),
                     0);
    assert_int_equal(status, 200);
    expect_echo(resp, req);
    assert_int_equal(s.recomputed_ok, 1);
    assert_int_equal(s.last_len, scs_buf_len(req));
    scs_buf_free(resp);

    /* Provisioning mode: first without credentials, then Digest after the 401. */
    o.auth = HTTP_AUTH_DIGEST_IF_CHALLENGED;
    assert_int_equal(http_post_blocking(&o, scs_buf_data(req), scs_buf_len(req), &status, &resp),
                     0);
    assert_int_equal(status, 200);
    expect_echo(resp, req);
    assert_int_equal(s.recomputed_ok, 2);
    scs_buf_free(resp);

    /* Wrong password: a final 401 is SCS_ERR_AUTH, status and body still reported. */
    o.auth = HTTP_AUTH_DIGEST;
    o.password = "wrong";
    resp = NULL;
    assert_int_equal(http_post_blocking(&o, scs_buf_data(req), scs_buf_len(req), &status, &resp),
                     SCS_ERR_AUTH);
    assert_int_equal(status, 401);
    assert_int_equal(scs_buf_len(resp), 6);
    scs_buf_free(resp);
    o.auth = HTTP_AUTH_DIGEST_IF_CHALLENGED;
    assert_int_equal(http_post_blocking(&o, scs_buf_data(req), scs_buf_len(req), &status, NULL),
                     SCS_ERR_AUTH);
    /* No credentials at all. */
    o.auth = HTTP_AUTH_NONE;
    assert_int_equal(http_post_blocking(&o, scs_buf_data(req), scs_buf_len(req), &status, NULL),
                     SCS_ERR_AUTH);
    assert_int_equal(status, 401);
    assert_int_equal(s.recomputed_ok, 2);
    scs_buf_free(req);
    MHD_stop_daemon(d);
}

static void test_no_challenge_and_cap(void **state)
{
    struct srv s = {.password = NULL};
    uint16_t port;
    struct MHD_Daemon *d = start_mhd(&s, &port);
    struct scs_buf *req = commit_request();
    struct scs_buf *resp = NULL;
    long status = 0;
    struct http_options o = {.host = "127.0.0.1",
                             .port = port,
                             .auth = HTTP_AUTH_DIGEST_IF_CHALLENGED,
                             .username = "admin",
                             .password = ""};
    /* §5.4: a device that does not challenge gets the body exactly once. */
    assert_int_equal(http_post_blocking(&o, scs_buf_data(req), scs_buf_len(req), &status, &resp),
                     0);
    assert_int_equal(status, 200);
    assert_int_equal(s.requests, 1);
    expect_echo(resp, req);
    scs_buf_free(resp);
    /* A 2 MiB answer passes the 1 MiB cap: refused in the write callback. */
    o.path = "/big";
    assert_int_equal(http_post_blocking(&o, scs_buf_data(req), scs_buf_len(req), &status, NULL),
                     SCS_ERR_TOO_LARGE);
    /* Nothing listens: a network error, quickly. */
    o.path = NULL;
    o.port = free_port();
    assert_int_equal(http_post_blocking(&o, "x", 1, &status, NULL), SCS_ERR_NETWORK);
    scs_buf_free(req);
    MHD_stop_daemon(d);
}

/* ---- TLS against openssl s_server ---------------------------------------- */

static void test_psk_against_s_server(void **state)
{
    uint16_t port = free_port();
    char ports[32];
    char hex[2 * TLS_PPS_LEN + 1];
    struct tls_session *t = NULL;
    struct scs_buf *resp = NULL;
    long status = 0;
    snprintf(ports, sizeof(ports), "127.0.0.1:%u", port);
    scs_hex_encode(hex, (const uint8_t *)PPS, TLS_PPS_LEN);
    const char *const argv[] = {"openssl",       "s_server", "-accept", ports,     "-psk", hex,
                                "-psk_identity", PID,        "-nocert", "-tls1_2", "-www", NULL};
    start_server(argv, port);

    assert_int_equal(tls_session_new_psk((const uint8_t *)PID, (const uint8_t *)PPS, 0, &t), 0);
    struct http_options o = {.host = "127.0.0.1", .port = port, .tls = t, .use_get = 1};
    assert_int_equal(http_post_blocking(&o, NULL, 0, &status, &resp), 0);
    assert_int_equal(status, 200);
    assert_non_null(strstr(scs_buf_cstr(resp), "TLSv1.2"));
    assert_non_null(strstr(scs_buf_cstr(resp), "Cipher is PSK-"));
    assert_int_equal(tls_session_psk_uses(t), 1);
    scs_buf_free(resp);
    tls_session_free(t);

    /* One-shot: the first handshake wipes the PSK, a second one has none. */
    assert_int_equal(tls_session_new_psk((const uint8_t *)PID, (const uint8_t *)PPS, 1, &t), 0);
    o.tls = t;
    assert_int_equal(http_post_blocking(&o, NULL, 0, &status, NULL), 0);
    assert_int_equal(http_post_blocking(&o, NULL, 0, &status, NULL), SCS_ERR_AUTH);
    tls_session_free(t);

    /* A wrong PPS fails the handshake. */
    assert_int_equal(tls_session_new_psk((const uint8_t *)PID,
                                         (const uint8_t *)"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 0,
                                         &t),
                     0);
    o.tls = t;
    assert_int_equal(http_post_blocking(&o, NULL, 0, &status, NULL), SCS_ERR_AUTH);
    tls_session_free(t);
}

static void test_mutual_tls_against_s_server(void **state)
{
    uint16_t port = free_port();
    char ports[32];
    char cert[256], key[256], ca[256];
    struct tls_identity *id = NULL;
    struct tls_session *t = NULL;
    struct scs_buf *resp = NULL;
    struct scs_buf *der = NULL;
    struct scs_diag d;
    uint8_t fp[TLS_FINGERPRINT_LEN];
    uint8_t want[SCS_SHA256_LEN];
    long status = 0;

    snprintf(ports, sizeof(ports), "127.0.0.1:%u", port);
    snprintf(cert, sizeof(cert), "%s", path("device.pem"));
    snprintf(key, sizeof(key), "%s", path("device.key"));
    snprintf(ca, sizeof(ca), "%s", path("root.pem"));
    /* -Verify + -verify_return_error: no handshake unless our leaf and intermediate
     * arrive and chain to the root. */
    const char *const argv[] = {"openssl",
                                "s_server",
                                "-accept",
                                ports,
                                "-cert",
                                cert,
                                "-key",
                                key,
                                "-Verify",
                                "3",
                                "-verify_return_error",
                                "-CAfile",
                                ca,
                                "-tls1_2",
                                "-www",
                                NULL};
    start_server(argv, port);

    char chain[256];
    snprintf(chain, sizeof(chain), "%s", path("chain.pem"));
    assert_int_equal(tls_identity_load_pem(chain, path("leaf.key"), &id, &d), 0);
    assert_int_equal(tls_session_new_x509(id, &t), 0);
    struct http_options o = {.host = "127.0.0.1", .port = port, .tls = t, .use_get = 1};
    assert_int_equal(http_post_blocking(&o, NULL, 0, &status, &resp), 0);
    assert_int_equal(status, 200);
    assert_non_null(strstr(scs_buf_cstr(resp), "TLSv1.2"));
    /* The device certificate was recorded, not verified. */
    assert_int_equal(tls_session_peer_fingerprint(t, fp), 0);
    assert_int_equal(scs_file_read(path("device.der"), 65536, &der), 0);
    assert_int_equal(scs_sha256(scs_buf_data(der), scs_buf_len(der), want), 0);
    assert_memory_equal(fp, want, sizeof(want));
    scs_buf_free(resp);
    tls_session_free(t);

    /* Pinned: the right fingerprint passes, any other is refused. */
    assert_int_equal(tls_session_new_pinned(want, id, &t), 0);
    o.tls = t;
    assert_int_equal(http_post_blocking(&o, NULL, 0, &status, NULL), 0);
    assert_int_equal(status, 200);
    assert_false(tls_session_pin_mismatch(t));
    tls_session_free(t);
    want[0] ^= 1;
    assert_int_equal(tls_session_new_pinned(want, id, &t), 0);
    o.tls = t;
    assert_int_equal(http_post_blocking(&o, NULL, 0, &status, NULL), SCS_ERR_AUTH);
    assert_true(tls_session_pin_mismatch(t));
    tls_session_free(t);
    tls_identity_free(id);

    /* A chain the server cannot verify (leaf only, no intermediate) is refused. */
    snprintf(chain, sizeof(chain), "%s", path("leaf.pem"));
    assert_int_equal(tls_identity_load_pem(chain, path("leaf.key"), &id, &d), 0);
    assert_int_equal(tls_session_new_x509(id, &t), 0);
    o.tls = t;
    assert_int_equal(http_post_blocking(&o, NULL, 0, &status, NULL), SCS_ERR_AUTH);
    tls_session_free(t);
    tls_identity_free(id);
    scs_buf_free(der);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_digest_against_mhd, teardown_each),
        cmocka_unit_test_teardown(test_no_challenge_and_cap, teardown_each),
        cmocka_unit_test_teardown(test_psk_against_s_server, teardown_each),
        cmocka_unit_test_teardown(test_mutual_tls_against_s_server, teardown_each),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
