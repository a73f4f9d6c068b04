/*
 * Helper for the amtsim integration tests and benchmark.
 *
 *   amtsim_testtool setupbin OUT N [--no-consume]
 *       write a setup.bin with N records of fresh PID/PPS (shared writer from
 *       src/formats) and print "PID PPS" per record (test data only); with
 *       --no-consume the header flag "do not consume records" is set (N = 1)
 *   amtsim_testtool hello-sink ADDR PORT COUNT TIMEOUT_S [--quiet]
 *       accept Hellos on ADDR:PORT; parse each with the shared parser and print
 *       "peer version retry uuid pid-or-hash-count" per Hello; stop after COUNT
 *       Hellos or TIMEOUT_S seconds; with --quiet print only a summary line
 *       "hellos N errors E empty X seconds S rate R" (X: connections closed
 *       without a byte, e.g. by a sender that stopped mid-connect).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/fileio.h"
#include "common/secmem.h"
#include "formats/hello.h"
#include "formats/pidpps.h"
#include "formats/setupbin.h"

#define SINK_MAX_CLIENTS 1024
#define SINK_MAX_HELLO   16384

static int cmd_setupbin(const char *out, unsigned n, int no_consume)
{
    struct scs_setupbin_pair *pairs = calloc(n, sizeof(*pairs));
    char(*pids)[SCS_PID_LEN + 1] = calloc(n, sizeof(*pids));
    struct scs_secret **pps = calloc(n, sizeof(*pps));
    struct scs_setupbin_spec spec;
    struct scs_buf *b = scs_buf_new(SCS_SETUPBIN_MAX_FILE_LEN);
    struct scs_diag d;
    int rc = 0;

    if (pairs == NULL || pids == NULL || pps == NULL || b == NULL) {
        return 1;
    }
    for (unsigned i = 0; i < n && rc == 0; i++) {
        rc = scs_pid_generate(pids[i]);
        if (rc == 0) {
            rc = scs_pps_generate(&pps[i]);
        }
        pairs[i].pid = pids[i];
        pairs[i].pps = pps[i];
    }
    memset(&spec, 0, sizeof(spec));
    spec.version = 3;
    spec.scramble = 1;
    spec.no_consume = no_consume;
    spec.pairs = pairs;
    spec.pair_count = n;
    if (rc == 0) {
        rc = scs_setupbin_write(&spec, b, &d);
        if (rc != 0) {
            fprintf(stderr, "setupbin: %s\n", d.reason);
        }
    }
    if (rc == 0) {
        rc = scs_file_write_atomic(out, scs_buf_data(b), scs_buf_len(b), 0600);
    }
    for (unsigned i = 0; i < n; i++) {
        if (rc == 0) {
            printf("%s %s\n", pids[i], scs_secret_str(pps[i]));
        }
        scs_secret_free(pps[i]);
    }
    scs_buf_free(b);
    free(pairs);
    free(pids);
    free(pps);
    return rc == 0 ? 0 : 1;
}

struct sink_client {
    int fd;
    char peer[16];
    size_t len;
    uint8_t data[SINK_MAX_HELLO];
};

static double now_s(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void report(struct sink_client *c, int quiet, unsigned long *ok, unsigned long *bad,
                   unsigned long *empty)
{
    static struct scs_hello h;
    struct scs_diag d;
    char uuid[SCS_UUID_TEXT_LEN + 1];

    /* Connected and closed without a byte (e.g. the sender stopped mid-connect):
     * no Hello at all, so not a malformed one. */
    if (c->len == 0) {
        (*empty)++;
        return;
    }
    if (scs_hello_parse(c->data, c->len, &h, &d) != 0) {
        (*bad)++;
        if (!quiet) {
            printf("%s error %s\n", c->peer, d.reason);
        }
        return;
    }
    (*ok)++;
    if (quiet) {
        return;
    }
    scs_uuid_to_text(h.uuid, uuid);
    if (h.version == SCS_HELLO_VERSION_PSK) {
        printf("%s %u %u %s %s\n", c->peer, h.version, h.retry_count, uuid, h.pid);
    } else {
        printf("%s %u %u %s %u\n", c->peer, h.version, h.retry_count, uuid, h.hash_count);
    }
    fflush(stdout);
}

static int cmd_sink(const char *addr, unsigned port, unsigned long count, double timeout, int quiet)
{
    struct sink_client *cl = calloc(SINK_MAX_CLIENTS, sizeof(*cl));
    struct pollfd *pf = calloc(SINK_MAX_CLIENTS + 1, sizeof(*pf));
    struct sockaddr_in sa;
    unsigned long ok = 0, bad = 0, empty = 0;
    double start = now_s(), first = 0, last = 0;
    int lfd, one = 1;

    if (cl == NULL || pf == NULL) {
        return 1;
    }
    for (int i = 0; i < SINK_MAX_CLIENTS; i++) {
        cl[i].fd = -1;
    }
    lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    if (lfd < 0 || inet_pton(AF_INET, addr, &sa.sin_addr) != 1 ||
        setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
        bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(lfd, 1024) != 0) {
        fprintf(stderr, "hello-sink: cannot listen on %s:%u: %s\n", addr, port, strerror(errno));
        return 1;
    }
    fprintf(stderr, "hello-sink: listening\n");
    while (ok + bad < count && now_s() - start < timeout) {
        nfds_t n = 0;
        int idx[SINK_MAX_CLIENTS + 1];

        pf[n].fd = lfd;
        pf[n].events = POLLIN;
        idx[n++] = -1;
        for (int i = 0; i < SINK_MAX_CLIENTS; i++) {
            if (cl[i].fd >= 0) {
                pf[n].fd = cl[i].fd;
                pf[n].events = POLLIN;
                idx[n++] = i;
            }
        }
        if (poll(pf, n, 100) <= 0) {
            continue;
        }
        for (nfds_t k = 0; k < n; k++) {
            if (pf[k].revents == 0) {
                continue;
            }
            if (idx[k] < 0) {
                for (int guard = 0; guard < 256; guard++) {
                    struct sockaddr_in peer;
                    socklen_t pl = sizeof(peer);
                    int fd = accept(lfd, (struct sockaddr *)&peer, &pl);
                    int slot = -1;

                    if (fd < 0) {
                        break;
                    }
                    for (int i = 0; i < SINK_MAX_CLIENTS; i++) {
                        if (cl[i].fd < 0) {
                            slot = i;
                            break;
                        }
                    }
                    if (slot < 0) {
                        close(fd);
                        continue;
                    }
                    cl[slot].fd = fd;
                    cl[slot].len = 0;
                    inet_ntop(AF_INET, &peer.sin_addr, cl[slot].peer, sizeof(cl[slot].peer));
                }
                continue;
            }
            {
                struct sink_client *c = &cl[idx[k]];
                ssize_t r = read(c->fd, c->data + c->len, sizeof(c->data) - c->len);

                if (r > 0) {
                    c->len += (size_t)r;
                    if (c->len < sizeof(c->data)) {
                        continue;
                    }
                }
                /* The device writes one Hello and closes: EOF ends the message. */
                report(c, quiet, &ok, &bad, &empty);
                last = now_s();
                if (first == 0) {
                    first = last;
                }
                close(c->fd);
                c->fd = -1;
            }
        }
    }
    if (quiet) {
        double span = last > first ? last - first : 0;

        printf("hellos %lu errors %lu empty %lu seconds %.3f rate %.1f\n", ok, bad, empty, span,
               span > 0 && ok > 0 ? (double)(ok - 1) / span : 0.0);
    }
    for (int i = 0; i < SINK_MAX_CLIENTS; i++) {
        if (cl[i].fd >= 0) {
            close(cl[i].fd);
        }
    }
    close(lfd);
    free(cl);
    free(pf);
    return bad == 0 ? 0 : 3;
}

int main(int argc, char **argv)
{
    if ((argc == 4 || argc == 5) && strcmp(argv[1], "setupbin") == 0) {
        unsigned long n = strtoul(argv[3], NULL, 10);
        int no_consume = argc == 5 && strcmp(argv[4], "--no-consume") == 0;

        if (n == 0 || n > SCS_SETUPBIN_MAX_RECORDS || (argc == 5 && !no_consume)) {
            return 2;
        }
        return cmd_setupbin(argv[2], (unsigned)n, no_consume);
    }
    if ((argc == 6 || argc == 7) && strcmp(argv[1], "hello-sink") == 0) {
        unsigned long port = strtoul(argv[3], NULL, 10);
        unsigned long count = strtoul(argv[4], NULL, 10);
        double timeout = strtod(argv[5], NULL);

        if (port == 0 || port > 65535 || count == 0 || !(timeout > 0 && timeout < 86400)) {
            return 2;
        }
        return cmd_sink(argv[2], (unsigned)port, count, timeout,
                        argc == 7 && strcmp(argv[6], "--quiet") == 0);
    }
    fprintf(stderr, "usage: amtsim_testtool setupbin OUT N [--no-consume] | hello-sink ADDR PORT "
                    "COUNT TIMEOUT_S "
                    "[--quiet]\n");
    return 2;
}
