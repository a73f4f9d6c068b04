/*
 * The Hello listener over real loopback TCP: delivery of the captured Hellos,
 * rejection of oversize, malformed and slow senders, and fairness under a
 * flood from one address.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/fileio.h"
#include "hello/hello_listen.h"

struct seen {
    unsigned count;
    unsigned from_quiet; /* Hellos whose peer was 127.0.0.3 */
    char last_peer[64];
    char last_uuid[SCS_UUID_TEXT_LEN + 1];
    unsigned last_hashes;
};

static void on_hello(void *arg, const struct hello_event *ev)
{
    struct seen *s = arg;
    s->count++;
    snprintf(s->last_peer, sizeof(s->last_peer), "%s", ev->peer_text);
    scs_uuid_to_text(ev->hello->uuid, s->last_uuid);
    s->last_hashes = ev->hello->hash_count;
    if (strcmp(ev->peer_text, "127.0.0.3") == 0) {
        s->from_quiet++;
    }
}

/* Connect from a chosen loopback address, send bytes, optionally close. */
static int send_from(const char *src, uint16_t port, const void *data, size_t len, int linger_ms)
{
    struct sockaddr_in sa = {.sin_family = AF_INET};
    struct sockaddr_in me = {.sin_family = AF_INET};
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) {
        return -1;
    }
    inet_pton(AF_INET, src, &me.sin_addr);
    if (bind(fd, (struct sockaddr *)&me, sizeof(me)) != 0) {
        close(fd);
        return -1;
    }
    sa.sin_port = htons(port);
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        close(fd);
        return -1;
    }
    if (len > 0 && write(fd, data, len) != (ssize_t)len) {
        close(fd);
        return -1;
    }
    if (linger_ms > 0) {
        usleep((useconds_t)linger_ms * 1000);
    }
    close(fd);
    return 0;
}

/* Run the loop until the child exits and a little after, bounded. */
static void run_until_child_done(struct event_base *base, pid_t child)
{
    struct timeval tick = {0, 20000};
    int status;
    for (int i = 0; i < 1000; i++) { /* at most 20 s */
        event_base_loopexit(base, &tick);
        event_base_dispatch(base);
        if (waitpid(child, &status, WNOHANG) == child) {
            for (int k = 0; k < 10; k++) {
                event_base_loopexit(base, &tick);
                event_base_dispatch(base);
            }
            return;
        }
    }
    kill(child, SIGKILL);
    waitpid(child, &status, 0);
    fail_msg("sender did not finish");
}

static struct scs_buf *fixture(const char *name)
{
    char path[512];
    struct scs_buf *b = NULL;
    snprintf(path, sizeof(path), "%s/hello/%s", SCS_FIXTURES, name);
    assert_int_equal(scs_file_read(path, 65536, &b), 0);
    return b;
}

static void test_delivers_captures(void **state)
{
    struct event_base *base = event_base_new();
    struct hello_listener_config cfg;
    struct hello_listener *l = NULL;
    struct hello_listener_stats st;
    struct seen seen = {0};
    struct scs_buf *cap = fixture("pki-capture-2.bin");
    pid_t child;

    hello_listener_config_default(&cfg);
    assert_int_equal(hello_listener_new(base, "127.0.0.1:0", &cfg, on_hello, &seen, &l), 0);
    child = fork();
    if (child == 0) {
        /* Device style: write, close. */
        _exit(send_from("127.0.0.2", hello_listener_port(l), scs_buf_data(cap), scs_buf_len(cap),
                        0) == 0
                  ? 0
                  : 1);
    }
    run_until_child_done(base, child);
    assert_int_equal(seen.count, 1);
    assert_string_equal(seen.last_peer, "127.0.0.2");
    assert_int_equal(seen.last_hashes, 24);
    hello_listener_get_stats(l, &st);
    assert_int_equal(st.hellos, 1);
    assert_int_equal(st.malformed, 0);
    hello_listener_free(l);
    scs_buf_free(cap);
    event_base_free(base);
}

static void test_complete_hello_without_close(void **state)
{
    /* A device that keeps the socket open after its Hello is still served at once. */
    static const uint8_t psk[] = {0x01, 0x00, 0x02, 0x00, 0x03, 0x00, 0x00, 0x00, 0x4b, 0x52, 0x9b,
                                  0x93, 0xd4, 0x13, 0x18, 0x1d, 0xe4, 0x87, 0x1c, 0x69, 0x7a, 0x6b,
                                  0x7a, 0x2b, '0',  '0',  '0',  '0',  '0',  '3',  '7',  'M'};
    struct event_base *base = event_base_new();
    struct hello_listener_config cfg;
    struct hello_listener *l = NULL;
    struct seen seen = {0};
    pid_t child;

    hello_listener_config_default(&cfg);
    assert_int_equal(hello_listener_new(base, "127.0.0.1:0", &cfg, on_hello, &seen, &l), 0);
    child = fork();
    if (child == 0) {
        _exit(send_from("127.0.0.2", hello_listener_port(l), psk, sizeof(psk), 500) == 0 ? 0 : 1);
    }
    run_until_child_done(base, child);
    assert_int_equal(seen.count, 1);
    assert_string_equal(seen.last_uuid, "939b524b-13d4-1d18-e487-1c697a6b7a2b");
    hello_listener_free(l);
    event_base_free(base);
}

static void test_rejects_malformed_oversize_and_slow(void **state)
{
    struct event_base *base = event_base_new();
    struct hello_listener_config cfg;
    struct hello_listener *l = NULL;
    struct hello_listener_stats st;
    struct seen seen = {0};
    pid_t child;

    hello_listener_config_default(&cfg);
    cfg.read_timeout_ms = 300;
    assert_int_equal(hello_listener_new(base, "127.0.0.1:0", &cfg, on_hello, &seen, &l), 0);
    child = fork();
    if (child == 0) {
        static uint8_t big[SCS_HELLO_MAX_LEN + 100];
        uint16_t port = hello_listener_port(l);
        int bad = 0;
        memset(big, 0x41, sizeof(big));
        bad |= send_from("127.0.0.2", port, "GET / HTTP/1.0\r\n\r\n", 18, 0);
        bad |= send_from("127.0.0.2", port, big, sizeof(big), 0);
        bad |= send_from("127.0.0.2", port, "\x01\x00\x03\x00", 4, 800); /* stalls */
        _exit(bad ? 1 : 0);
    }
    run_until_child_done(base, child);
    hello_listener_get_stats(l, &st);
    assert_int_equal(seen.count, 0);
    assert_int_equal(st.malformed, 1);
    assert_int_equal(st.oversize, 1);
    assert_int_equal(st.timed_out, 1);
    hello_listener_free(l);
    event_base_free(base);
}

static void test_flood_does_not_starve_others(void **state)
{
    struct event_base *base = event_base_new();
    struct hello_listener_config cfg;
    struct hello_listener *l = NULL;
    struct hello_listener_stats st;
    struct seen seen = {0};
    struct scs_buf *cap = fixture("pki-capture-1.bin");
    pid_t child;

    hello_listener_config_default(&cfg);
    cfg.rate_per_source = 50;
    cfg.burst_per_source = 50;
    assert_int_equal(hello_listener_new(base, "127.0.0.1:0", &cfg, on_hello, &seen, &l), 0);
    child = fork();
    if (child == 0) {
        uint16_t port = hello_listener_port(l);
        /* 2000 Hellos from the flooder, interleaved with 20 from a quiet device. */
        for (int i = 0; i < 2000; i++) {
            send_from("127.0.0.9", port, scs_buf_data(cap), scs_buf_len(cap), 0);
            if (i % 100 == 0) {
                send_from("127.0.0.3", port, scs_buf_data(cap), scs_buf_len(cap), 0);
            }
        }
        _exit(0);
    }
    run_until_child_done(base, child);
    hello_listener_get_stats(l, &st);
    /* Every Hello of the quiet device got through; the flooder was shed. */
    assert_int_equal(seen.from_quiet, 20);
    assert_true(st.shed_rate > 1000);
    assert_int_equal(st.hellos + st.shed_rate + st.shed_conns, 2020);
    hello_listener_free(l);
    scs_buf_free(cap);
    event_base_free(base);
}

/* Connect to [::1]:port over IPv6, send, close. */
static int send_v6(uint16_t port, const void *data, size_t len)
{
    struct sockaddr_in6 sa = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
    int fd = socket(AF_INET6, SOCK_STREAM, 0);
    int ok;

    if (fd < 0) {
        return -1;
    }
    sa.sin6_port = htons(port);
    ok = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
         write(fd, data, len) == (ssize_t)len;
    close(fd);
    return ok ? 0 : -1;
}

static void test_ipv6_and_dual_stack(void **state)
{
    struct event_base *base = event_base_new();
    struct hello_listener_config cfg;
    struct hello_listener *v6 = NULL, *dual = NULL;
    struct seen seen6 = {0}, seen_dual = {0};
    struct scs_buf *cap = fixture("pki-capture-1.bin");
    pid_t child;

    hello_listener_config_default(&cfg);
    assert_int_equal(hello_listener_new(base, "[::1]:0", &cfg, on_hello, &seen6, &v6), 0);
    /* The default listener: all IPv6 and (mapped) IPv4 addresses on one socket. */
    assert_int_equal(hello_listener_new(base, ":0", &cfg, on_hello, &seen_dual, &dual), 0);
    child = fork();
    if (child == 0) {
        int bad = send_v6(hello_listener_port(v6), scs_buf_data(cap), scs_buf_len(cap));
        bad |= send_from("127.0.0.2", hello_listener_port(dual), scs_buf_data(cap),
                         scs_buf_len(cap), 0);
        _exit(bad ? 1 : 0);
    }
    run_until_child_done(base, child);
    assert_int_equal(seen6.count, 1);
    assert_string_equal(seen6.last_peer, "::1");
    assert_int_equal(seen6.last_hashes, 23);
    /* An IPv4 device on the dual-stack socket is shown as plain IPv4. */
    assert_int_equal(seen_dual.count, 1);
    assert_string_equal(seen_dual.last_peer, "127.0.0.2");
    hello_listener_free(v6);
    hello_listener_free(dual);
    scs_buf_free(cap);
    event_base_free(base);
}

static void test_listen_spec(void **state)
{
    struct sockaddr_storage ss;
    socklen_t len;
    assert_int_equal(hello_parse_listen_spec("127.0.0.1:9971", 1, &ss, &len), 0);
    assert_int_equal(ss.ss_family, AF_INET);
    assert_int_equal(hello_parse_listen_spec("[::1]:9971", 1, &ss, &len), 0);
    assert_int_equal(ss.ss_family, AF_INET6);
    assert_int_equal(hello_parse_listen_spec(":9971", 1, &ss, &len), 0);
    assert_int_equal(hello_parse_listen_spec("9971", 1, &ss, &len), 0);
    assert_int_equal(hello_parse_listen_spec("0.0.0.0", 9971, &ss, &len), 0);
    assert_int_equal(ntohs(((struct sockaddr_in *)&ss)->sin_port), 9971);
    assert_int_equal(hello_parse_listen_spec("::1:9971", 1, &ss, &len), SCS_ERR_FORMAT);
    assert_int_equal(hello_parse_listen_spec("127.0.0.1:99999", 1, &ss, &len), SCS_ERR_FORMAT);
    assert_int_equal(hello_parse_listen_spec("127.0.0.1:x", 1, &ss, &len), SCS_ERR_FORMAT);
    assert_int_equal(hello_parse_listen_spec("host.example:1", 1, &ss, &len), SCS_ERR_FORMAT);
    assert_int_equal(hello_parse_listen_spec("[::1", 1, &ss, &len), SCS_ERR_FORMAT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_delivers_captures),
        cmocka_unit_test(test_complete_hello_without_close),
        cmocka_unit_test(test_rejects_malformed_oversize_and_slow),
        cmocka_unit_test(test_flood_does_not_starve_others),
        cmocka_unit_test(test_ipv6_and_dual_stack),
        cmocka_unit_test(test_listen_spec),
    };
    signal(SIGPIPE, SIG_IGN);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
