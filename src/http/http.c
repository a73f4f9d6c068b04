/*
 * libcurl multi interface on the scs event loop.
 *
 * curl tells us which sockets to watch (CURLMOPT_SOCKETFUNCTION) and when to
 * wake it (CURLMOPT_TIMERFUNCTION); the loop calls curl_multi_socket_action()
 * back.  Finished transfers are collected with curl_multi_info_read() and
 * handed to the session's callback.  Nothing here blocks except
 * http_post_blocking(), which runs a private loop.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/secmem.h"
#include "event/event.h"
#include "http/http.h"
#include "tls/tls.h"

#define SERVER_HEADER_MAX 128
#define URL_MAX           (HTTP_HOST_MAX + 64)

struct http_client {
    struct scs_event_loop *loop;
    CURLM *multi;
    struct scs_event_timer *timer;
    unsigned active;
};

struct http_session {
    struct http_client *client;
    CURL *easy;
    CURLSH *share; /* this session's own DNS cache */
    struct tls_session *tls;
    enum http_auth auth;
    int digest_on;
    int retried;
    char *username;
    struct scs_secret *password;
    size_t max_response;
    struct curl_slist *headers;
    struct scs_buf *req;
    struct scs_buf *resp;
    int too_large;
    int in_flight;
    int use_get;
    unsigned posts; /* requests started; the first one opens a fresh connection */
    http_done_fn cb;
    void *cb_arg;
    char server[SERVER_HEADER_MAX];
    char errbuf[CURL_ERROR_SIZE];
};

static CURLcode curl_global_once(void)
{
    static int done;
    static CURLcode rc;
    if (!done) {
        rc = curl_global_init(CURL_GLOBAL_DEFAULT);
        done = 1;
    }
    return rc;
}

/* ---- multi <-> event glue ----------------------------------------------- */

static void check_done(struct http_client *c);

static void on_socket_event(int fd, unsigned what, void *arg)
{
    struct http_client *c = arg;
    int running = 0;
    int flags = 0;
    if (what & SCS_EVENT_READ) {
        flags |= CURL_CSELECT_IN;
    }
    if (what & SCS_EVENT_WRITE) {
        flags |= CURL_CSELECT_OUT;
    }
    (void)curl_multi_socket_action(c->multi, fd, flags, &running);
    check_done(c);
}

static void on_timer(void *arg)
{
    struct http_client *c = arg;
    int running = 0;
    (void)curl_multi_socket_action(c->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    check_done(c);
}

static int socket_cb(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
    struct http_client *c = userp;
    struct scs_event_io *io = socketp;
    unsigned want = 0;

    if (what == CURL_POLL_REMOVE) {
        if (io != NULL) {
            scs_event_io_free(io);
            (void)curl_multi_assign(c->multi, s, NULL);
        }
        return 0;
    }
    if (io == NULL) {
        if (scs_event_io_new(c->loop, s, on_socket_event, c, &io) != 0) {
            return -1;
        }
        (void)curl_multi_assign(c->multi, s, io);
    }
    switch (what) {
    case CURL_POLL_IN:
        want = SCS_EVENT_READ;
        break;
    case CURL_POLL_OUT:
        want = SCS_EVENT_WRITE;
        break;
    case CURL_POLL_INOUT:
        want = SCS_EVENT_READ | SCS_EVENT_WRITE;
        break;
    default:
        want = 0;
        break;
    }
    return scs_event_io_set(io, want) == 0 ? 0 : -1;
}

static int timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
    struct http_client *c = userp;
    if (timeout_ms < 0) {
        scs_event_timer_disarm(c->timer);
        return 0;
    }
    return scs_event_timer_arm(c->timer, timeout_ms) == 0 ? 0 : -1;
}

int http_client_new(struct scs_event_loop *loop, struct http_client **out)
{
    struct http_client *c;
    if (loop == NULL || out == NULL) {
        return SCS_ERR_INVALID_ARG;
    }
    if (curl_global_once() != CURLE_OK) {
        return SCS_ERR_INTERNAL;
    }
    c = calloc(1, sizeof(*c));
    if (c == NULL) {
        return SCS_ERR_NOMEM;
    }
    c->loop = loop;
    c->multi = curl_multi_init();
    if (c->multi == NULL || scs_event_timer_new(loop, on_timer, c, &c->timer) != 0) {
        http_client_free(c);
        return SCS_ERR_NOMEM;
    }
    (void)curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, socket_cb);
    (void)curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c);
    (void)curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
    (void)curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c);
    *out = c;
    return 0;
}

void http_client_free(struct http_client *c)
{
    if (c == NULL) {
        return;
    }
    if (c->multi != NULL) {
        (void)curl_multi_cleanup(c->multi);
    }
    scs_event_timer_free(c->timer);
    free(c);
}

unsigned http_client_active(const struct http_client *c)
{
    return c->active;
}

/* ---- per-transfer callbacks --------------------------------------------- */

static size_t write_cb(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    struct http_session *s = userdata;
    size_t n = size * nmemb;
    /* §2.7 of the style guide: a named cap on every untrusted length; returning a
     * short count makes libcurl abort the transfer with CURLE_WRITE_ERROR. */
    if (n > s->max_response || scs_buf_len(s->resp) > s->max_response - n ||
        scs_buf_put(s->resp, ptr, n) != 0) {
        s->too_large = 1;
        return 0;
    }
    return n;
}

static size_t header_cb(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    struct http_session *s = userdata;
    size_t n = size * nmemb;
    if (n > 7 && strncasecmp(ptr, "Server:", 7) == 0) {
        size_t a = 7;
        size_t b = n;
        while (a < b && (ptr[a] == ' ' || ptr[a] == '\t')) {
            a++;
        }
        while (b > a && (ptr[b - 1] == '\r' || ptr[b - 1] == '\n' || ptr[b - 1] == ' ')) {
            b--;
        }
        if (b - a >= sizeof(s->server)) {
            b = a + sizeof(s->server) - 1;
        }
        memcpy(s->server, ptr + a, b - a);
        s->server[b - a] = '\0';
        /* Keep printable ASCII only: the value may end up in a log line. */
        for (size_t i = 0; s->server[i] != '\0'; i++) {
            if (s->server[i] < 0x20 || s->server[i] > 0x7e) {
                s->server[i] = '?';
            }
        }
    }
    return n;
}

static CURLcode ssl_ctx_cb(CURL *curl, void *ssl_ctx, void *userptr)
{
    struct http_session *s = userptr;
    return tls_session_apply(s->tls, ssl_ctx) == 0 ? CURLE_OK : CURLE_SSL_CERTPROBLEM;
}

static int map_curl_error(const struct http_session *s, CURLcode code)
{
    switch (code) {
    case CURLE_OK:
        return 0;
    case CURLE_OPERATION_TIMEDOUT:
        return SCS_ERR_TIMEOUT;
    case CURLE_WRITE_ERROR:
        return s->too_large ? SCS_ERR_TOO_LARGE : SCS_ERR_NETWORK;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
        return SCS_ERR_AUTH;
    case CURLE_OUT_OF_MEMORY:
        return SCS_ERR_NOMEM;
    default:
        return SCS_ERR_NETWORK;
    }
}

static int enable_digest(struct http_session *s)
{
    if (curl_easy_setopt(s->easy, CURLOPT_HTTPAUTH, (long)CURLAUTH_DIGEST) != CURLE_OK ||
        curl_easy_setopt(s->easy, CURLOPT_USERNAME, s->username ? s->username : "") != CURLE_OK ||
        curl_easy_setopt(s->easy, CURLOPT_PASSWORD,
                         s->password ? scs_secret_str(s->password) : "") != CURLE_OK) {
        return SCS_ERR_NOMEM;
    }
    s->digest_on = 1;
    return 0;
}

static void finish_request(struct http_session *s, int err, long status)
{
    http_done_fn cb = s->cb;
    void *arg = s->cb_arg;
    s->in_flight = 0;
    s->cb = NULL;
    s->client->active--;
    /* The request is sent: wipe it (it may carry a password or a PPS). */
    scs_buf_free(s->req);
    s->req = NULL;
    if (cb != NULL) {
        cb(s, err, status, scs_buf_data(s->resp), scs_buf_len(s->resp), arg);
    }
}

static void check_done(struct http_client *c)
{
    CURLMsg *m;
    int left = 0;
    while ((m = curl_multi_info_read(c->multi, &left)) != NULL) {
        struct http_session *s = NULL;
        long status = 0;
        long avail = 0;
        int err;
        if (m->msg != CURLMSG_DONE) {
            continue;
        }
        (void)curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&s);
        if (s == NULL) {
            continue;
        }
        err = map_curl_error(s, m->data.result);
        (void)curl_easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE, &status);
        (void)curl_easy_getinfo(s->easy, CURLINFO_HTTPAUTH_AVAIL, &avail);
        (void)curl_multi_remove_handle(c->multi, s->easy);
        /* §5.4: a provisioning session may or may not be challenged; on a Digest
         * challenge resend the same body once with credentials. */
        if (err == 0 && status == 401 && s->auth == HTTP_AUTH_DIGEST_IF_CHALLENGED &&
            !s->digest_on && !s->retried && (avail & (long)CURLAUTH_DIGEST) != 0) {
            s->retried = 1;
            scs_buf_reset(s->resp);
            if (enable_digest(s) == 0 && curl_multi_add_handle(c->multi, s->easy) == CURLM_OK) {
                continue;
            }
            err = SCS_ERR_NOMEM;
        }
        if (err == 0 && status == 401) {
            err = SCS_ERR_AUTH;
        }
        finish_request(s, err, status);
    }
}

/* ---- sessions ----------------------------------------------------------- */

/* A DNS cache for one session only.  After every transfer libcurl 7.88
 * prunes its DNS cache by walking every entry (Curl_hostcache_prune from
 * multi_done); the multi handle's cache keeps each device's address for 60 s,
 * so with a fleet in flight every request walked a thousand entries.  A
 * private cache holds one host.  (Sharing CURL_LOCK_DATA_CONNECT as well
 * would also end libcurl's walk of the whole connection cache in
 * curl_multi_remove_handle, but each shared connection cache carries a
 * hidden easy handle of about 5.5 KiB, and memory is the tighter budget.) */
static CURLSH *new_private_share(void)
{
    CURLSH *sh = curl_share_init();
    if (sh != NULL && curl_share_setopt(sh, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS) != CURLSHE_OK) {
        (void)curl_share_cleanup(sh);
        sh = NULL;
    }
    return sh;
}

static int valid_host(const char *h)
{
    size_t n = 0;
    if (h == NULL || h[0] == '\0') {
        return 0;
    }
    for (; h[n] != '\0'; n++) {
        char ch = h[n];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '.' || ch == '-' || ch == ':')) {
            return 0;
        }
        if (n >= HTTP_HOST_MAX) {
            return 0;
        }
    }
    return 1;
}

int http_session_new(struct http_client *c, const struct http_options *o, struct http_session **out)
{
    struct http_session *s;
    char url[URL_MAX];
    const char *path;
    unsigned port;
    int ipv6;
    int n;
    CURLcode cc = CURLE_OK;

    if (c == NULL || o == NULL || out == NULL || !valid_host(o->host)) {
        return SCS_ERR_INVALID_ARG;
    }
    path = o->path != NULL ? o->path : "/wsman";
    if (path[0] != '/' || strlen(path) > 32 || strpbrk(path, " \r\n?#") != NULL) {
        return SCS_ERR_INVALID_ARG;
    }
    port = o->port != 0 ? o->port : (o->tls != NULL ? HTTP_PORT_TLS : HTTP_PORT_PLAIN);
    ipv6 = strchr(o->host, ':') != NULL;
    n = snprintf(url, sizeof(url), "%s://%s%s%s:%u%s", o->tls != NULL ? "https" : "http",
                 ipv6 ? "[" : "", o->host, ipv6 ? "]" : "", port, path);
    if (n < 0 || (size_t)n >= sizeof(url)) {
        return SCS_ERR_INVALID_ARG;
    }
    s = calloc(1, sizeof(*s));
    if (s == NULL) {
        return SCS_ERR_NOMEM;
    }
    s->client = c;
    s->tls = o->tls;
    s->auth = o->auth;
    s->max_response = o->max_response != 0 ? o->max_response : HTTP_RESPONSE_MAX;
    s->use_get = o->use_get;
    s->easy = curl_easy_init();
    s->share = new_private_share();
    s->resp = scs_buf_new(s->max_response);
    if (o->username != NULL) {
        s->username = strdup(o->username);
    }
    if (o->password != NULL) {
        s->password = scs_secret_from(o->password, strlen(o->password));
    }
    s->headers = curl_slist_append(NULL, "Content-Type: application/soap+xml;charset=UTF-8");
    if (s->headers != NULL) {
        /* AMT does not answer "Expect: 100-continue"; send the body straight away. */
        struct curl_slist *h = curl_slist_append(s->headers, "Expect:");
        if (h == NULL) {
            curl_slist_free_all(s->headers);
        }
        s->headers = h;
    }
    if (s->easy == NULL || s->share == NULL || s->resp == NULL || s->headers == NULL ||
        (o->username != NULL && s->username == NULL) ||
        (o->password != NULL && s->password == NULL)) {
        http_session_free(s);
        return SCS_ERR_NOMEM;
    }
    cc |= curl_easy_setopt(s->easy, CURLOPT_SHARE, s->share);
    cc |= curl_easy_setopt(s->easy, CURLOPT_URL, url);
    cc |= curl_easy_setopt(s->easy, CURLOPT_PRIVATE, (void *)s);
    cc |= curl_easy_setopt(s->easy, CURLOPT_PROTOCOLS_STR, "http,https");
    cc |= curl_easy_setopt(s->easy, CURLOPT_FOLLOWLOCATION, 0L);
    cc |= curl_easy_setopt(s->easy, CURLOPT_NOSIGNAL, 1L);
    cc |= curl_easy_setopt(s->easy, CURLOPT_NOPROXY, "*");
    cc |= curl_easy_setopt(s->easy, CURLOPT_HTTPHEADER, s->headers);
    cc |= curl_easy_setopt(s->easy, CURLOPT_ERRORBUFFER, s->errbuf);
    cc |= curl_easy_setopt(s->easy, CURLOPT_WRITEFUNCTION, write_cb);
    cc |= curl_easy_setopt(s->easy, CURLOPT_WRITEDATA, (void *)s);
    cc |= curl_easy_setopt(s->easy, CURLOPT_HEADERFUNCTION, header_cb);
    cc |= curl_easy_setopt(s->easy, CURLOPT_HEADERDATA, (void *)s);
    cc |=
        curl_easy_setopt(s->easy, CURLOPT_CONNECTTIMEOUT_MS,
                         o->connect_timeout_ms > 0 ? o->connect_timeout_ms : HTTP_CONNECT_TIMEOUT);
    cc |= curl_easy_setopt(s->easy, CURLOPT_TIMEOUT_MS,
                           o->timeout_ms > 0 ? o->timeout_ms : HTTP_REQUEST_TIMEOUT);
    /* AMT answers are a few KiB: a small receive buffer keeps thousands of
     * sessions in flight cheap (libcurl's default is 16 KiB per handle). */
    cc |= curl_easy_setopt(s->easy, CURLOPT_BUFFERSIZE, 4096L);
    /* libcurl copies every HTTPS request into an upload buffer held for the
     * whole transfer, 64 KiB by default; WS-Man requests are a few KiB, and
     * a bigger one is still sent, in 16 KiB pieces.  16 KiB is curl's minimum. */
    cc |= curl_easy_setopt(s->easy, CURLOPT_UPLOAD_BUFFERSIZE, 16384L);
    if (o->tls != NULL) {
        /* The profile in src/tls decides what to verify: nothing (PSK), record the
         * fingerprint (provisioning) or pin it; curl's own CA check stays off. */
        cc |= curl_easy_setopt(s->easy, CURLOPT_SSL_VERIFYPEER, 0L);
        cc |= curl_easy_setopt(s->easy, CURLOPT_SSL_VERIFYHOST, 0L);
        cc |= curl_easy_setopt(s->easy, CURLOPT_SSL_CTX_FUNCTION, ssl_ctx_cb);
        cc |= curl_easy_setopt(s->easy, CURLOPT_SSL_CTX_DATA, (void *)s);
        /* A session makes one connection and keeps it; a resumed TLS session
         * would skip the profile's checks (no certificate, no fingerprint). */
        cc |= curl_easy_setopt(s->easy, CURLOPT_SSL_SESSIONID_CACHE, 0L);
    }
    if (cc != CURLE_OK) {
        http_session_free(s);
        return SCS_ERR_INTERNAL;
    }
    if (o->auth == HTTP_AUTH_DIGEST && enable_digest(s) != 0) {
        http_session_free(s);
        return SCS_ERR_NOMEM;
    }
    *out = s;
    return 0;
}

void http_session_free(struct http_session *s)
{
    if (s == NULL) {
        return;
    }
    if (s->in_flight) {
        (void)curl_multi_remove_handle(s->client->multi, s->easy);
        s->client->active--;
    }
    if (s->easy != NULL) {
        curl_easy_cleanup(s->easy);
    }
    /* After the easy handle: the share is in use until then. */
    if (s->share != NULL) {
        (void)curl_share_cleanup(s->share);
    }
    curl_slist_free_all(s->headers);
    scs_buf_free(s->req);
    scs_buf_free(s->resp);
    free(s->username);
    scs_secret_free(s->password);
    free(s);
}

int http_session_post(struct http_session *s, struct scs_buf **body, http_done_fn cb, void *arg)
{
    struct scs_buf *b;
    if (s == NULL || body == NULL || *body == NULL || cb == NULL) {
        return SCS_ERR_INVALID_ARG;
    }
    if (s->in_flight) {
        return SCS_ERR_STATE;
    }
    b = *body;
    if (s->use_get) {
        if (curl_easy_setopt(s->easy, CURLOPT_HTTPGET, 1L) != CURLE_OK) {
            return SCS_ERR_INTERNAL;
        }
    } else if (curl_easy_setopt(s->easy, CURLOPT_POSTFIELDS, (const char *)scs_buf_data(b)) !=
                   CURLE_OK ||
               curl_easy_setopt(s->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)scs_buf_len(b)) !=
                   CURLE_OK) {
        return SCS_ERR_INTERNAL;
    }
    /* A new session never inherits a connection another session left in the
     * multi handle's cache: that connection was authenticated with another
     * TLS profile (an older PSK, or no pin).  Later requests of the same
     * session reuse their own connection. */
    if (curl_easy_setopt(s->easy, CURLOPT_FRESH_CONNECT, s->posts == 0 ? 1L : 0L) != CURLE_OK) {
        return SCS_ERR_INTERNAL;
    }
    s->posts++;
    scs_buf_reset(s->resp);
    s->too_large = 0;
    s->retried = 0;
    s->server[0] = '\0';
    s->errbuf[0] = '\0';
    s->req = b;
    *body = NULL;
    s->cb = cb;
    s->cb_arg = arg;
    if (curl_multi_add_handle(s->client->multi, s->easy) != CURLM_OK) {
        *body = s->req;
        s->req = NULL;
        s->cb = NULL;
        return SCS_ERR_INTERNAL;
    }
    s->in_flight = 1;
    s->client->active++;
    return 0;
}

const char *http_session_server_header(const struct http_session *s)
{
    return s->server;
}

int http_session_set_last(struct http_session *s)
{
    /* The connection of a finished session would otherwise idle in the multi
     * handle's cache, where libcurl walks every cached connection (liveness
     * checks, and on each curl_multi_remove_handle()): with thousands of
     * devices those walks grow with the fleet. */
    return curl_easy_setopt(s->easy, CURLOPT_FORBID_REUSE, 1L) == CURLE_OK ? 0 : SCS_ERR_INTERNAL;
}

const char *http_session_error_text(const struct http_session *s)
{
    return s->errbuf;
}

/* ---- blocking wrapper --------------------------------------------------- */

struct blocking_result {
    int done;
    int err;
    long status;
    struct scs_buf *body;
};

static void blocking_done(struct http_session *s, int err, long status, const uint8_t *body,
                          size_t len, void *arg)
{
    struct blocking_result *r = arg;
    r->done = 1;
    r->err = err;
    r->status = status;
    if (r->body != NULL && len > 0 && scs_buf_put(r->body, body, len) != 0) {
        r->err = SCS_ERR_NOMEM;
    }
}

int http_post_blocking(const struct http_options *o, const void *body, size_t len, long *status,
                       struct scs_buf **resp)
{
    struct scs_event_loop *loop = NULL;
    struct http_client *c = NULL;
    struct http_session *s = NULL;
    struct scs_buf *req = NULL;
    struct blocking_result r = {0};
    int rc;

    if (o == NULL || (body == NULL && len > 0)) {
        return SCS_ERR_INVALID_ARG;
    }
    rc = scs_event_loop_new(&loop);
    if (rc == 0) {
        rc = http_client_new(loop, &c);
    }
    if (rc == 0) {
        rc = http_session_new(c, o, &s);
    }
    if (rc == 0) {
        req = scs_buf_new(len > 0 ? len : 1);
        r.body = scs_buf_new(o->max_response != 0 ? o->max_response : HTTP_RESPONSE_MAX);
        rc = (req == NULL || r.body == NULL) ? SCS_ERR_NOMEM : scs_buf_put(req, body, len);
    }
    if (rc == 0) {
        rc = http_session_post(s, &req, blocking_done, &r);
    }
    /* Bounded: curl's own timeouts end every transfer, and each pass waits for an event. */
    while (rc == 0 && !r.done) {
        rc = scs_event_loop_run_once(loop);
    }
    if (rc == 0 && r.done) {
        rc = r.err;
        /* Status and body also when the device said no (401, 400 faults). */
        if (status != NULL) {
            *status = r.status;
        }
        if (resp != NULL) {
            *resp = r.body;
            r.body = NULL;
        }
    }
    scs_buf_free(r.body);
    scs_buf_free(req);
    http_session_free(s);
    http_client_free(c);
    scs_event_loop_free(loop);
    return rc;
}
