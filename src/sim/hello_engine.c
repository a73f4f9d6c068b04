/*
 * The Hello engine (protocol.md §2.1, §3.3): each in-provisioning device
 * connects FROM its own loopback address to the SCS, writes one Hello and
 * closes, on the back-off schedule 0, 12 s x4, 120 s x5, 1200 s x5, then hourly
 * with RetryCount held at 14, until provisioned or its window closes.
 * Time runs K times faster than the wall clock (--time-scale).
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/log.h"
#include "formats/hello.h"
#include "sim/device.h"
#include "sim/rt.h"

#define SIM_HOUR               3600.0
#define SIM_WINDOW_CAP_H       255.0
#define SIM_HELLO_IO_TIMEOUT_S 5

struct sim_hello_io {
    struct sim_rt *rt;
    struct event *ev;
    int fd;
    size_t len;
    uint8_t data[];
};

static double delay_before(unsigned k)
{
    if (k == 0) {
        return 0;
    }
    if (k < 5) {
        return 12;
    }
    if (k < 10) {
        return 120;
    }
    if (k < 15) {
        return 1200;
    }
    return SIM_HOUR;
}

double sim_rt_dev_now(const struct sim_rt *rt)
{
    struct timespec now;
    double real;

    clock_gettime(CLOCK_MONOTONIC, &now);
    real =
        (double)(now.tv_sec - rt->start.tv_sec) + (double)(now.tv_nsec - rt->start.tv_nsec) / 1e9;
    return real * rt->opts.time_scale;
}

void sim_hello_account(struct sim_dev_rt *d)
{
    double now = sim_rt_dev_now(d->rt);

    if (d->hello_running && now > d->last_tick) {
        d->dev->hello_total_elapsed += now - d->last_tick;
        d->state_dirty = 1;
    }
    d->last_tick = now;
}

static void schedule(struct sim_dev_rt *d, double dev_seconds)
{
    double real = dev_seconds / d->rt->opts.time_scale;
    struct timeval tv;

    if (real < 0) {
        real = 0;
    }
    tv.tv_sec = (time_t)real;
    tv.tv_usec = (suseconds_t)((real - (double)tv.tv_sec) * 1e6);
    evtimer_add(d->hello_timer, &tv);
}

static void hello_io_done(struct sim_hello_io *io, int ok)
{
    if (ok) {
        io->rt->hellos_sent++;
    } else {
        io->rt->hellos_failed++;
    }
    io->rt->hellos_in_flight--;
    event_free(io->ev);
    close(io->fd);
    free(io);
}

static void hello_io_cb(evutil_socket_t fd, short what, void *arg)
{
    struct sim_hello_io *io = arg;
    int err = 0;
    socklen_t el = sizeof(err);
    ssize_t n;

    if (what & EV_TIMEOUT) {
        hello_io_done(io, 0);
        return;
    }
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) != 0 || err != 0) {
        log_debug("Hello connect failed: %s", strerror(err));
        hello_io_done(io, 0);
        return;
    }
    /* One message per connection; the SCS sends nothing back (§2.1). */
    n = send(fd, io->data, io->len, MSG_NOSIGNAL);
    hello_io_done(io, n == (ssize_t)io->len);
}

static int send_hello(struct sim_dev_rt *d, unsigned retry)
{
    static struct scs_hello h;
    const struct sim_device *dev = d->dev;
    struct sim_rt *rt = d->rt;
    struct sim_hello_io *io;
    struct scs_buf *b = scs_buf_new(SCS_HELLO_MAX_LEN);
    struct sockaddr_in src, dst;
    struct timeval tv = {SIM_HELLO_IO_TIMEOUT_S, 0};
    int fd, one = 1;

    if (b == NULL) {
        return SCS_ERR_NOMEM;
    }
    memset(&h, 0, sizeof(h));
    h.admin_credentials_set = dev->mebx_changed ? 1 : 0;
    h.retry_count = retry;
    memcpy(h.uuid, dev->uuid, sizeof(h.uuid));
    if (dev->mode == SIM_MODE_PSK) {
        h.version = SCS_HELLO_VERSION_PSK;
        memcpy(h.pid, dev->pid, sizeof(h.pid));
    } else {
        h.version = SCS_HELLO_VERSION_PKI;
        for (unsigned i = 0; i < dev->hash_count && h.hash_count < SCS_HELLO_MAX_HASHES; i++) {
            const struct sim_hash_entry *e = &dev->hashes[i];

            /* Only active hashes go into the Hello (§2.2). */
            if (!e->enabled) {
                continue;
            }
            h.hashes[h.hash_count].alg = e->alg;
            h.hashes[h.hash_count].len = e->len;
            memcpy(h.hashes[h.hash_count].data, e->data, e->len);
            h.hash_count++;
        }
    }
    if (scs_hello_encode(&h, b) != 0) {
        scs_buf_free(b);
        return SCS_ERR_INTERNAL;
    }
    fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        scs_buf_free(b);
        return SCS_ERR_NETWORK;
    }
    (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    memset(&src, 0, sizeof(src));
    src.sin_family = AF_INET;
    src.sin_addr.s_addr = htonl(dev->addr);
    memset(&dst, 0, sizeof(dst));
    dst.sin_family = AF_INET;
    dst.sin_addr.s_addr = htonl(rt->opts.server_addr);
    dst.sin_port = htons(rt->opts.server_port);
    /* FROM the device's own address: the SCS identifies devices by peer address. */
    if (bind(fd, (struct sockaddr *)&src, sizeof(src)) != 0 ||
        (connect(fd, (struct sockaddr *)&dst, sizeof(dst)) != 0 && errno != EINPROGRESS)) {
        close(fd);
        scs_buf_free(b);
        rt->hellos_failed++;
        return SCS_ERR_NETWORK;
    }
    io = malloc(sizeof(*io) + scs_buf_len(b));
    if (io == NULL) {
        close(fd);
        scs_buf_free(b);
        return SCS_ERR_NOMEM;
    }
    io->rt = rt;
    io->fd = fd;
    io->len = scs_buf_len(b);
    memcpy(io->data, scs_buf_data(b), io->len);
    scs_buf_free(b);
    io->ev = event_new(rt->base, fd, EV_WRITE, hello_io_cb, io);
    if (io->ev == NULL || event_add(io->ev, &tv) != 0) {
        if (io->ev != NULL) {
            event_free(io->ev);
        }
        close(fd);
        free(io);
        return SCS_ERR_NOMEM;
    }
    rt->hellos_in_flight++;
    log_debug("device %u: Hello v%u RetryCount %u", dev->index, h.version, retry);
    return 0;
}

static void hello_timer_cb(evutil_socket_t fd, short what, void *arg)
{
    struct sim_dev_rt *d = arg;
    double now;

    (void)fd;
    (void)what;
    sim_hello_account(d);
    if (!d->hello_running) {
        return;
    }
    if (d->dev->prov_state != SIM_PROV_IN) {
        sim_hello_stop(d);
        return;
    }
    now = sim_rt_dev_now(d->rt);
    if (now >= d->window_end) {
        log_info("device %u: provisioning window closed, Hellos stop", d->dev->index);
        sim_hello_stop(d);
        return;
    }
    /* A provisioning session is open: the SCS has answered, wait for it. */
    if (d->prov_sessions > 0) {
        return;
    }
    if (d->rt->hellos_in_flight >= d->rt->opts.max_hellos_in_flight) {
        /* Bounded fan-out: retry in a real millisecond. */
        schedule(d, 0.001 * d->rt->opts.time_scale);
        return;
    }
    (void)send_hello(d, d->attempt > 14 ? 14 : d->attempt);
    d->attempt++;
    schedule(d, delay_before(d->attempt));
}

void sim_hello_init(struct sim_dev_rt *d)
{
    d->hello_timer = evtimer_new(d->rt->base, hello_timer_cb, d);
}

void sim_hello_free(struct sim_dev_rt *d)
{
    if (d->hello_timer != NULL) {
        event_free(d->hello_timer);
        d->hello_timer = NULL;
    }
}

static void start_window(struct sim_dev_rt *d, double hours)
{
    double now = sim_rt_dev_now(d->rt);
    double cap = SIM_WINDOW_CAP_H * SIM_HOUR - d->dev->hello_total_elapsed;

    if (d->rt->opts.server_addr == 0 || d->hello_timer == NULL) {
        return;
    }
    if (cap <= 0) {
        log_info("device %u: 255 h provisioning cap reached, no Hellos", d->dev->index);
        return;
    }
    d->window_abs_end = now + cap;
    d->window_end = now + (hours * SIM_HOUR < cap ? hours * SIM_HOUR : cap);
    d->attempt = 0;
    d->hello_running = 1;
    d->last_tick = now;
    evtimer_del(d->hello_timer);
    schedule(d, 0);
}

void sim_hello_start(struct sim_dev_rt *d)
{
    struct sim_device *dev = d->dev;

    if (dev->prov_state != SIM_PROV_IN || dev->mode == SIM_MODE_NONE) {
        return;
    }
    if (!dev->hello_ever_started) {
        dev->hello_ever_started = 1;
        d->state_dirty = 1;
        start_window(d, d->rt->opts.first_window_h);
    } else {
        start_window(d, d->rt->opts.restart_window_h);
    }
}

void sim_hello_stop(struct sim_dev_rt *d)
{
    sim_hello_account(d);
    d->hello_running = 0;
    if (d->hello_timer != NULL) {
        evtimer_del(d->hello_timer);
    }
}

void sim_hello_resume(struct sim_dev_rt *d)
{
    if (d->hello_running && !evtimer_pending(d->hello_timer, NULL)) {
        schedule(d, delay_before(d->attempt));
    }
}

void sim_hello_extend(struct sim_dev_rt *d, unsigned hours)
{
    double now = sim_rt_dev_now(d->rt);
    double end = now + (hours > 24 ? 24 : hours) * SIM_HOUR;

    d->window_end = end < d->window_abs_end ? end : d->window_abs_end;
    log_info("device %u: provisioning period extended by %u h", d->dev->index, hours);
}

void sim_hello_reboot(struct sim_dev_rt *d)
{
    (void)sim_device_new_nonce(d->dev);
    sim_device_clear_chain(d->dev);
    sim_hello_account(d);
    if (d->dev->prov_state == SIM_PROV_IN && d->dev->mode != SIM_MODE_NONE) {
        start_window(d, d->rt->opts.restart_window_h);
    }
    log_info("device %u: rebooted", d->dev->index);
}
