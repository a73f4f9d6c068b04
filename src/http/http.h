/*
 * HTTP client toward AMT devices: POST /wsman over libcurl's multi interface,
 * driven by the process's event loop (src/event), with TLS set up by src/tls
 * through CURLOPT_SSL_CTX_FUNCTION and HTTP Digest done by libcurl
 * (protocol.md §6.7).  One request in flight per device session.
 */
#ifndef SCS_HTTP_HTTP_H
#define SCS_HTTP_HTTP_H

#include <stddef.h>
#include <stdint.h>

struct scs_buf;
struct scs_event_loop;
struct tls_session;

#define HTTP_RESPONSE_MAX    ((size_t)1024 * 1024) /* default body cap */
#define HTTP_HOST_MAX        255
#define HTTP_CONNECT_TIMEOUT 10000L /* ms */
#define HTTP_REQUEST_TIMEOUT 28000L /* ms; MeshCentral's socket timeout (§2.4 step 7) */
#define HTTP_PORT_TLS        16993
#define HTTP_PORT_PLAIN      16992

enum http_auth {
    HTTP_AUTH_NONE = 0,
    /* Digest from the first request; libcurl then sends an empty-bodied POST probe
     * to collect the challenge before the real one. */
    HTTP_AUTH_DIGEST,
    /* Provisioning sessions (§5.4): send without credentials; if the device answers
     * 401 with a Digest challenge, resend once with Digest. */
    HTTP_AUTH_DIGEST_IF_CHALLENGED,
};

struct http_options {
    const char *host;        /* IP literal or name (IPv6 without brackets) */
    uint16_t port;           /* 0: 16993 with tls, 16992 without */
    const char *path;        /* NULL: "/wsman" */
    struct tls_session *tls; /* NULL: plain http; not owned, must outlive the session */
    enum http_auth auth;
    const char *username;    /* for Digest */
    const char *password;    /* for Digest; libcurl keeps its own copy */
    long connect_timeout_ms; /* 0: HTTP_CONNECT_TIMEOUT */
    long timeout_ms;     /* 0: HTTP_REQUEST_TIMEOUT (whole request, Digest round trips included) */
    size_t max_response; /* 0: HTTP_RESPONSE_MAX */
    int use_get;         /* tests only: send GET without a body (openssl s_server -www
                            answers GET only) */
};

/* Completion: err is 0 when an HTTP response arrived (any status except a final
 * 401, which gives SCS_ERR_AUTH), else SCS_ERR_TIMEOUT, SCS_ERR_NETWORK,
 * SCS_ERR_AUTH (TLS handshake refused, PSK or pin mismatch), SCS_ERR_TOO_LARGE
 * (body over the cap).  body is valid only during the call. */
struct http_session;
typedef void (*http_done_fn)(struct http_session *s, int err, long status, const uint8_t *body,
                             size_t len, void *arg);

/* One per event loop. */
struct http_client;
int http_client_new(struct scs_event_loop *loop, struct http_client **out);
/* All sessions must be freed first. */
void http_client_free(struct http_client *c);
/* Sessions with a request in flight. */
unsigned http_client_active(const struct http_client *c);

int http_session_new(struct http_client *c, const struct http_options *o,
                     struct http_session **out);
/* Cancels a request in flight without calling its callback. */
void http_session_free(struct http_session *s);
/* POST *body (taken: *body becomes NULL; wiped and freed when the request ends,
 * since WS-Man bodies carry passwords).  SCS_ERR_STATE if a request is in flight. */
int http_session_post(struct http_session *s, struct scs_buf **body, http_done_fn cb, void *arg);
/* The value of the response's Server header ("Intel(R) Active Management Technology
 * 15.0.23.1706"), or "" (§2.4 8.2 fallback for the AMT version). */
const char *http_session_server_header(const struct http_session *s);
/* The next request is the session's last: close its connection afterwards
 * instead of keeping it for reuse. */
int http_session_set_last(struct http_session *s);
/* libcurl's description of the last transfer error ("" when none); names no secret. */
const char *http_session_error_text(const struct http_session *s);

/* Blocking convenience for tests and the CLI: its own loop, one request.
 * *resp gets a new buffer with the body (also on HTTP errors) when non-NULL. */
int http_post_blocking(const struct http_options *o, const void *body, size_t len, long *status,
                       struct scs_buf **resp);

/* ---- RFC 2617 Digest arithmetic (for checking peers and tests) -------- */
#define HTTP_MD5_HEX_LEN 32
int http_digest_ha1(const char *user, const char *realm, const char *password,
                    char out[static HTTP_MD5_HEX_LEN + 1]);
/* response = MD5(HA1:nonce:nc:cnonce:qop:MD5(method:uri)), qop "auth". */
int http_digest_response(const char *ha1_hex, const char *method, const char *uri,
                         const char *nonce, const char *nc, const char *cnonce, const char *qop,
                         char out[static HTTP_MD5_HEX_LEN + 1]);

#endif
