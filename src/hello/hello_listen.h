/*
 * The Hello listener (port 9971): accepts device connections, reads one Hello
 * per connection until the device closes it (the device sends and closes; the
 * SCS never answers — protocol.md §2.1), parses it with the shared parser and
 * hands the parsed Hello and the peer address to a callback.
 *
 * Everything a remote peer controls is bounded (style.md §2.7):
 *   - bytes per connection: SCS_HELLO_MAX_LEN, then the connection is dropped;
 *   - time per connection: read_timeout_ms;
 *   - connections at once: max_conns, and max_conns_per_source per address;
 *   - Hellos per source: a token bucket (rate_per_source per second, burst),
 *     so a flood from one address is shed at accept time and cannot starve
 *     the devices behind other addresses.
 * Rejections are counted, and logged at a limited rate.
 */
#ifndef SCS_HELLO_LISTEN_H
#define SCS_HELLO_LISTEN_H

#include <stdint.h>
#include <sys/socket.h>

#include "formats/hello.h"

struct event_base;
struct hello_listener;

struct hello_listener_config {
    unsigned max_conns;            /* all sources together */
    unsigned max_conns_per_source; /* one address */
    unsigned read_timeout_ms;      /* whole Hello must arrive within this */
    double rate_per_source;        /* accepted Hellos per second per address */
    double burst_per_source;       /* bucket size */
};

/* Defaults an administrator would expect: generous for a NAT'ed site, tight for a flood. */
void hello_listener_config_default(struct hello_listener_config *c);

struct hello_event {
    const struct scs_hello *hello;
    const struct sockaddr *peer;
    socklen_t peer_len;
    const char *peer_text; /* numeric address, IPv4-mapped IPv6 shown as IPv4 */
};

typedef void (*hello_listener_cb)(void *arg, const struct hello_event *ev);

struct hello_listener_stats {
    uint64_t accepted;   /* connections accepted */
    uint64_t hellos;     /* Hellos parsed and delivered */
    uint64_t malformed;  /* connections whose bytes were not a Hello */
    uint64_t oversize;   /* connections that sent more than a Hello can be */
    uint64_t timed_out;  /* connections that did not finish in time */
    uint64_t shed_rate;  /* refused: source over its Hello rate */
    uint64_t shed_conns; /* refused: too many connections (global or per source) */
};

/*
 * Listen on spec: "ADDR:PORT", "[V6ADDR]:PORT" or ":PORT" / "PORT" (all IPv6 and
 * IPv4 addresses).  Several listeners may share one callback.
 */
int hello_listener_new(struct event_base *base, const char *spec,
                       const struct hello_listener_config *cfg, hello_listener_cb cb, void *arg,
                       struct hello_listener **out);
void hello_listener_free(struct hello_listener *l);
void hello_listener_get_stats(const struct hello_listener *l, struct hello_listener_stats *out);
/* The port actually bound (useful with port 0 in tests). */
uint16_t hello_listener_port(const struct hello_listener *l);

/* Parse "ADDR:PORT" forms into a sockaddr; exposed for the config checker and tests. */
int hello_parse_listen_spec(const char *spec, uint16_t default_port, struct sockaddr_storage *ss,
                            socklen_t *len);

#endif
