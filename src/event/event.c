/* libevent behind src/event/event.h. */
#include <stdlib.h>

#include <event2/event.h>

#include "common/err.h"
#include "event/event.h"

struct scs_event_loop {
    struct event_base *base;
    int borrowed; /* base belongs to the caller */
};

struct scs_event_io {
    struct scs_event_loop *loop;
    struct event *ev;
    int fd;
    unsigned what;
    scs_event_io_fn cb;
    void *arg;
};

struct scs_event_timer {
    struct event *ev;
    scs_event_timer_fn cb;
    void *arg;
};

/*
 * The epoll changelist: libcurl moves a socket between read, write and both
 * several times per request, and each move (event_del then event_add) would
 * cost two epoll_ctl calls.  With the changelist libevent applies only the
 * net change per descriptor, once, before it waits.  libevent's caveat, that
 * descriptors made with dup() confuse it, does not apply: none are.
 */
struct event_base *scs_event_base_new(void)
{
    struct event_config *cfg = event_config_new();
    struct event_base *base;

    if (cfg == NULL) {
        return NULL;
    }
    (void)event_config_set_flag(cfg, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
    base = event_base_new_with_config(cfg);
    event_config_free(cfg);
    return base;
}

int scs_event_loop_new(struct scs_event_loop **out)
{
    struct scs_event_loop *l;
    if (out == NULL) {
        return SCS_ERR_INVALID_ARG;
    }
    l = calloc(1, sizeof(*l));
    if (l == NULL) {
        return SCS_ERR_NOMEM;
    }
    l->base = scs_event_base_new();
    if (l->base == NULL) {
        free(l);
        return SCS_ERR_NOMEM;
    }
    *out = l;
    return 0;
}

int scs_event_loop_wrap(struct event_base *base, struct scs_event_loop **out)
{
    struct scs_event_loop *l;
    if (base == NULL || out == NULL) {
        return SCS_ERR_INVALID_ARG;
    }
    l = calloc(1, sizeof(*l));
    if (l == NULL) {
        return SCS_ERR_NOMEM;
    }
    l->base = base;
    l->borrowed = 1;
    *out = l;
    return 0;
}

void scs_event_loop_free(struct scs_event_loop *l)
{
    if (l == NULL) {
        return;
    }
    if (!l->borrowed) {
        event_base_free(l->base);
    }
    free(l);
}

int scs_event_loop_run(struct scs_event_loop *l)
{
    return event_base_dispatch(l->base) < 0 ? SCS_ERR_INTERNAL : 0;
}

int scs_event_loop_run_once(struct scs_event_loop *l)
{
    return event_base_loop(l->base, EVLOOP_ONCE) < 0 ? SCS_ERR_INTERNAL : 0;
}

void scs_event_loop_break(struct scs_event_loop *l)
{
    (void)event_base_loopbreak(l->base);
}

static void io_trampoline(evutil_socket_t fd, short flags, void *arg)
{
    struct scs_event_io *io = arg;
    unsigned what = 0;
    if (flags & EV_READ) {
        what |= SCS_EVENT_READ;
    }
    if (flags & EV_WRITE) {
        what |= SCS_EVENT_WRITE;
    }
    io->cb((int)fd, what, io->arg);
}

int scs_event_io_new(struct scs_event_loop *l, int fd, scs_event_io_fn cb, void *arg,
                     struct scs_event_io **out)
{
    struct scs_event_io *io;
    if (l == NULL || fd < 0 || cb == NULL || out == NULL) {
        return SCS_ERR_INVALID_ARG;
    }
    io = calloc(1, sizeof(*io));
    if (io == NULL) {
        return SCS_ERR_NOMEM;
    }
    io->loop = l;
    io->fd = fd;
    io->cb = cb;
    io->arg = arg;
    *out = io;
    return 0;
}

int scs_event_io_set(struct scs_event_io *io, unsigned what)
{
    short flags = EV_PERSIST;
    if (io == NULL) {
        return SCS_ERR_INVALID_ARG;
    }
    if (io->ev != NULL && what == io->what) {
        return 0;
    }
    if (io->ev != NULL) {
        event_free(io->ev); /* also deletes it */
        io->ev = NULL;
    }
    io->what = what;
    if (what == 0) {
        return 0;
    }
    if (what & SCS_EVENT_READ) {
        flags |= EV_READ;
    }
    if (what & SCS_EVENT_WRITE) {
        flags |= EV_WRITE;
    }
    io->ev = event_new(io->loop->base, io->fd, flags, io_trampoline, io);
    if (io->ev == NULL) {
        return SCS_ERR_NOMEM;
    }
    if (event_add(io->ev, NULL) != 0) {
        event_free(io->ev);
        io->ev = NULL;
        return SCS_ERR_INTERNAL;
    }
    return 0;
}

void scs_event_io_free(struct scs_event_io *io)
{
    if (io == NULL) {
        return;
    }
    if (io->ev != NULL) {
        event_free(io->ev);
    }
    free(io);
}

static void timer_trampoline(evutil_socket_t fd, short flags, void *arg)
{
    struct scs_event_timer *t = arg;
    t->cb(t->arg);
}

int scs_event_timer_new(struct scs_event_loop *l, scs_event_timer_fn cb, void *arg,
                        struct scs_event_timer **out)
{
    struct scs_event_timer *t;
    if (l == NULL || cb == NULL || out == NULL) {
        return SCS_ERR_INVALID_ARG;
    }
    t = calloc(1, sizeof(*t));
    if (t == NULL) {
        return SCS_ERR_NOMEM;
    }
    t->cb = cb;
    t->arg = arg;
    t->ev = evtimer_new(l->base, timer_trampoline, t);
    if (t->ev == NULL) {
        free(t);
        return SCS_ERR_NOMEM;
    }
    *out = t;
    return 0;
}

int scs_event_timer_arm(struct scs_event_timer *t, long ms)
{
    struct timeval tv;
    if (t == NULL || ms < 0) {
        return SCS_ERR_INVALID_ARG;
    }
    tv.tv_sec = ms / 1000;
    tv.tv_usec = (ms % 1000) * 1000;
    return evtimer_add(t->ev, &tv) == 0 ? 0 : SCS_ERR_INTERNAL;
}

void scs_event_timer_disarm(struct scs_event_timer *t)
{
    if (t != NULL) {
        (void)evtimer_del(t->ev);
    }
}

void scs_event_timer_free(struct scs_event_timer *t)
{
    if (t == NULL) {
        return;
    }
    event_free(t->ev);
    free(t);
}
