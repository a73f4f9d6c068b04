#include "hello/hello_listen.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <event2/util.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/err.h"
#include "common/log.h"

#define HELLO_DEFAULT_PORT 9971
#define SOURCE_SLOTS       8192 /* distinct addresses tracked at once */
#define SOURCE_PROBES      64   /* linear-probe window per address */
#define CONN_INITIAL_BUF   1024 /* a PKI Hello is ~850 bytes in practice */

/* Per-address accounting.  Slots are never emptied, only reused once idle, so
 * a probe chain is never broken and look-ups stay correct without tombstones. */
struct source {
    uint8_t key[16]; /* IPv6, or IPv4-mapped IPv6 */
    uint8_t used;
    unsigned conns;
    double tokens;
    double stamp; /* seconds, monotonic, of the last refill */
};

struct hello_conn {
    struct hello_conn *prev, *next; /* the listener's open connections */
    struct hello_listener *l;
    struct source *src;
    evutil_socket_t fd;
    struct event *ev;
    uint8_t *buf;
    size_t len, cap;
    struct sockaddr_storage peer;
    socklen_t peer_len;
    char peer_text[INET6_ADDRSTRLEN];
};

struct hello_listener {
    struct event_base *base;
    struct evconnlistener *lev;
    struct hello_listener_config cfg;
    hello_listener_cb cb;
    void *arg;
    unsigned nconns;
    struct hello_conn *conns;
    uint16_t port;
    struct hello_listener_stats stats;
    struct source sources[SOURCE_SLOTS];
};

void hello_listener_config_default(struct hello_listener_config *c)
{
    c->max_conns = 4096;
    /* A site behind NAT can show hundreds of devices as one address. */
    c->max_conns_per_source = 256;
    c->read_timeout_ms = 5000;
    /* Each device sends at most one Hello per 12 s (§3.3); 200/s per address
     * covers thousands of devices behind one NAT and still stops a flood. */
    c->rate_per_source = 200.0;
    c->burst_per_source = 400.0;
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void addr_key(const struct sockaddr *sa, uint8_t key[16])
{
    memset(key, 0, 16);
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;
        key[10] = 0xff;
        key[11] = 0xff;
        memcpy(key + 12, &in->sin_addr, 4);
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)sa;
        memcpy(key, &in6->sin6_addr, 16);
    }
}

static void addr_text(const struct sockaddr *sa, char *out, size_t outlen)
{
    uint8_t key[16];
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

    addr_key(sa, key);
    /* Show IPv4-mapped addresses as plain IPv4, which is what an administrator knows. */
    if (memcmp(key, mapped, 12) == 0) {
        inet_ntop(AF_INET, key + 12, out, (socklen_t)outlen);
    } else {
        inet_ntop(AF_INET6, key, out, (socklen_t)outlen);
    }
}

static uint32_t key_hash(const uint8_t key[16])
{
    /* FNV-1a; the table is bounded and probed, so adversarial collisions cost a
     * bounded probe window, never unbounded work. */
    uint32_t h = 2166136261u;
    for (int i = 0; i < 16; i++) {
        h = (h ^ key[i]) * 16777619u;
    }
    return h;
}

static void source_refill(const struct hello_listener *l, struct source *s, double now)
{
    s->tokens += (now - s->stamp) * l->cfg.rate_per_source;
    if (s->tokens > l->cfg.burst_per_source) {
        s->tokens = l->cfg.burst_per_source;
    }
    s->stamp = now;
}

/* Find or claim the slot for an address; NULL when the table is saturated. */
static struct source *source_get(struct hello_listener *l, const uint8_t key[16], double now)
{
    uint32_t h = key_hash(key);
    struct source *reuse = NULL;

    for (unsigned i = 0; i < SOURCE_PROBES; i++) {
        struct source *s = &l->sources[(h + i) % SOURCE_SLOTS];
        if (!s->used) {
            if (reuse == NULL) {
                reuse = s;
            }
            break;
        }
        if (memcmp(s->key, key, 16) == 0) {
            source_refill(l, s, now);
            return s;
        }
        if (reuse == NULL && s->conns == 0) {
            source_refill(l, s, now);
            if (s->tokens >= l->cfg.burst_per_source) {
                reuse = s; /* idle: forgetting it loses nothing */
            }
        }
    }
    if (reuse == NULL) {
        return NULL;
    }
    memcpy(reuse->key, key, 16);
    reuse->used = 1;
    reuse->conns = 0;
    reuse->tokens = l->cfg.burst_per_source;
    reuse->stamp = now;
    return reuse;
}

static void conn_free(struct hello_conn *c)
{
    if (c->prev != NULL) {
        c->prev->next = c->next;
    } else {
        c->l->conns = c->next;
    }
    if (c->next != NULL) {
        c->next->prev = c->prev;
    }
    c->l->nconns--;
    if (c->src != NULL) {
        c->src->conns--;
    }
    if (c->ev != NULL) {
        event_free(c->ev);
    }
    evutil_closesocket(c->fd);
    free(c->buf);
    free(c);
}

/* Try to parse what has arrived: 1 done (delivered or rejected), 0 need more. */
static int conn_try_parse(struct hello_conn *c, int at_eof)
{
    struct scs_hello *h = malloc(sizeof(*h));
    struct scs_diag d;
    int r;

    if (h == NULL) {
        return 1;
    }
    scs_diag_clear(&d);
    r = scs_hello_parse(c->buf, c->len, h, &d);
    if (r == SCS_ERR_TRUNCATED && !at_eof) {
        free(h);
        return 0;
    }
    if (r != 0) {
        c->l->stats.malformed++;
        log_warn("malformed Hello from %s (%zu bytes): at byte %zu: %s", c->peer_text, c->len,
                 d.offset, d.reason);
    } else {
        struct hello_event ev = {
            .hello = h,
            .peer = (const struct sockaddr *)&c->peer,
            .peer_len = c->peer_len,
            .peer_text = c->peer_text,
        };
        c->l->stats.hellos++;
        c->l->cb(c->l->arg, &ev);
    }
    free(h);
    return 1;
}

static void conn_event(evutil_socket_t fd, short what, void *arg)
{
    struct hello_conn *c = arg;

    if (what & EV_TIMEOUT) {
        c->l->stats.timed_out++;
        log_info("Hello from %s timed out after %zu bytes", c->peer_text, c->len);
        conn_free(c);
        return;
    }
    for (;;) {
        ssize_t n;
        if (c->len == c->cap) {
            size_t ncap = c->cap * 2;
            uint8_t *nb;
            if (ncap > SCS_HELLO_MAX_LEN + 1) {
                ncap = SCS_HELLO_MAX_LEN + 1;
            }
            if (ncap == c->cap) {
                c->l->stats.oversize++;
                log_warn("Hello from %s exceeds %d bytes; dropped", c->peer_text,
                         SCS_HELLO_MAX_LEN);
                conn_free(c);
                return;
            }
            if ((nb = realloc(c->buf, ncap)) == NULL) {
                conn_free(c);
                return;
            }
            c->buf = nb;
            c->cap = ncap;
        }
        n = read(fd, c->buf + c->len, c->cap - c->len);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            /* The device may keep the socket open: a complete Hello is enough. */
            if (conn_try_parse(c, 0)) {
                conn_free(c);
            }
            return;
        }
        if (n <= 0) {
            conn_try_parse(c, 1);
            conn_free(c);
            return;
        }
        c->len += (size_t)n;
        if (c->len > SCS_HELLO_MAX_LEN) {
            c->l->stats.oversize++;
            log_warn("Hello from %s exceeds %d bytes; dropped", c->peer_text, SCS_HELLO_MAX_LEN);
            conn_free(c);
            return;
        }
    }
}

static void on_accept(struct evconnlistener *lev, evutil_socket_t fd, struct sockaddr *sa,
                      int salen, void *arg)
{
    struct hello_listener *l = arg;
    struct hello_conn *c;
    struct source *src;
    uint8_t key[16];
    struct timeval tv;
    char text[INET6_ADDRSTRLEN];

    l->stats.accepted++;
    addr_key(sa, key);
    src = source_get(l, key, now_seconds());
    if (l->nconns >= l->cfg.max_conns || src == NULL || src->conns >= l->cfg.max_conns_per_source) {
        l->stats.shed_conns++;
        addr_text(sa, text, sizeof(text));
        log_warn("too many Hello connections (from %s); connection refused", text);
        evutil_closesocket(fd);
        return;
    }
    if (src->tokens < 1.0) {
        l->stats.shed_rate++;
        addr_text(sa, text, sizeof(text));
        log_warn("Hello rate from %s over %.0f/s; connection refused", text,
                 l->cfg.rate_per_source);
        evutil_closesocket(fd);
        return;
    }
    src->tokens -= 1.0;
    if ((c = calloc(1, sizeof(*c))) == NULL || (c->buf = malloc(CONN_INITIAL_BUF)) == NULL) {
        free(c);
        evutil_closesocket(fd);
        return;
    }
    c->l = l;
    c->src = src;
    c->fd = fd;
    c->cap = CONN_INITIAL_BUF;
    c->peer_len = (socklen_t)salen;
    memcpy(&c->peer, sa, (size_t)salen < sizeof(c->peer) ? (size_t)salen : sizeof(c->peer));
    addr_text(sa, c->peer_text, sizeof(c->peer_text));
    evutil_make_socket_nonblocking(fd);
    c->ev = event_new(l->base, fd, EV_READ | EV_PERSIST, conn_event, c);
    if (c->ev == NULL) {
        free(c->buf);
        free(c);
        evutil_closesocket(fd);
        return;
    }
    l->nconns++;
    src->conns++;
    c->next = l->conns;
    if (l->conns != NULL) {
        l->conns->prev = c;
    }
    l->conns = c;
    tv.tv_sec = l->cfg.read_timeout_ms / 1000;
    tv.tv_usec = (l->cfg.read_timeout_ms % 1000) * 1000;
    event_add(c->ev, &tv);
}

int hello_parse_listen_spec(const char *spec, uint16_t default_port, struct sockaddr_storage *ss,
                            socklen_t *len)
{
    char host[128];
    const char *port_text = NULL;
    unsigned long port = default_port;
    char *end;

    memset(ss, 0, sizeof(*ss));
    host[0] = 0;
    if (spec[0] == '[') {
        const char *close = strchr(spec, ']');
        if (close == NULL || (size_t)(close - spec - 1) >= sizeof(host)) {
            return SCS_ERR_FORMAT;
        }
        memcpy(host, spec + 1, (size_t)(close - spec - 1));
        host[close - spec - 1] = 0;
        if (close[1] == ':') {
            port_text = close + 2;
        } else if (close[1] != 0) {
            return SCS_ERR_FORMAT;
        }
    } else {
        const char *colon = strrchr(spec, ':');
        if (colon != NULL && strchr(spec, ':') != colon) {
            return SCS_ERR_FORMAT; /* bare IPv6 needs brackets */
        }
        if (colon != NULL) {
            if ((size_t)(colon - spec) >= sizeof(host)) {
                return SCS_ERR_FORMAT;
            }
            memcpy(host, spec, (size_t)(colon - spec));
            host[colon - spec] = 0;
            port_text = colon + 1;
        } else if (strspn(spec, "0123456789") == strlen(spec) && spec[0] != 0) {
            port_text = spec;
        } else {
            if (strlen(spec) >= sizeof(host)) {
                return SCS_ERR_FORMAT;
            }
            memcpy(host, spec, strlen(spec) + 1);
        }
    }
    if (port_text != NULL) {
        errno = 0;
        port = strtoul(port_text, &end, 10);
        if (errno != 0 || end == port_text || *end != 0 || port > 65535) {
            return SCS_ERR_FORMAT;
        }
    }
    if (host[0] == 0) {
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)(void *)ss;
        in6->sin6_family = AF_INET6;
        in6->sin6_addr = in6addr_any;
        in6->sin6_port = htons((uint16_t)port);
        *len = sizeof(*in6);
        return 0;
    }
    {
        struct sockaddr_in *in = (struct sockaddr_in *)(void *)ss;
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)(void *)ss;
        if (inet_pton(AF_INET, host, &in->sin_addr) == 1) {
            in->sin_family = AF_INET;
            in->sin_port = htons((uint16_t)port);
            *len = sizeof(*in);
            return 0;
        }
        if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
            in6->sin6_family = AF_INET6;
            in6->sin6_port = htons((uint16_t)port);
            *len = sizeof(*in6);
            return 0;
        }
    }
    return SCS_ERR_FORMAT;
}

int hello_listener_new(struct event_base *base, const char *spec,
                       const struct hello_listener_config *cfg, hello_listener_cb cb, void *arg,
                       struct hello_listener **out)
{
    struct sockaddr_storage ss;
    socklen_t sslen;
    struct hello_listener *l;
    evutil_socket_t fd;
    int one = 1, zero = 0, r;

    *out = NULL;
    if ((r = hello_parse_listen_spec(spec, HELLO_DEFAULT_PORT, &ss, &sslen)) != 0) {
        return r;
    }
    if ((l = calloc(1, sizeof(*l))) == NULL) {
        return SCS_ERR_NOMEM;
    }
    l->base = base;
    l->cfg = *cfg;
    l->cb = cb;
    l->arg = arg;
    fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        free(l);
        return SCS_ERR_NETWORK;
    }
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (ss.ss_family == AF_INET6) {
        /* One socket for IPv6 and IPv4 (mapped) unless a specific address was named. */
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
    }
    if (bind(fd, (struct sockaddr *)&ss, sslen) != 0 || listen(fd, 4096) != 0) {
        int saved = errno;
        evutil_closesocket(fd);
        free(l);
        errno = saved;
        return SCS_ERR_NETWORK;
    }
    {
        struct sockaddr_storage bound;
        socklen_t blen = sizeof(bound);
        if (getsockname(fd, (struct sockaddr *)&bound, &blen) == 0) {
            l->port = ntohs(bound.ss_family == AF_INET
                                ? ((struct sockaddr_in *)(void *)&bound)->sin_port
                                : ((struct sockaddr_in6 *)(void *)&bound)->sin6_port);
        }
    }
    /* Backlog 0: listen() was called above with our own backlog; -1 would make libevent
     * call listen() again with its default of 128 and drop connections in a storm. */
    l->lev = evconnlistener_new(base, on_accept, l, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC,
                                0, fd);
    if (l->lev == NULL) {
        evutil_closesocket(fd);
        free(l);
        return SCS_ERR_NETWORK;
    }
    *out = l;
    return 0;
}

void hello_listener_free(struct hello_listener *l)
{
    if (l == NULL) {
        return;
    }
    while (l->conns != NULL) {
        conn_free(l->conns);
    }
    evconnlistener_free(l->lev);
    free(l);
}

void hello_listener_get_stats(const struct hello_listener *l, struct hello_listener_stats *out)
{
    *out = l->stats;
}

uint16_t hello_listener_port(const struct hello_listener *l)
{
    return l->port;
}
