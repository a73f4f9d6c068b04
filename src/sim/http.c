/*
 * HTTP/1.1 request parsing and response writing for the simulated device.
 */
#include "sim/http.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/buf.h"
#include "common/err.h"

#define SIM_HTTP_MAX_CHUNK_LINE 64

/* Position of "\r\n" at or after off, or -1. */
static long find_crlf(const uint8_t *p, size_t len, size_t off)
{
    for (size_t i = off; i + 1 < len; i++) {
        if (p[i] == '\r' && p[i + 1] == '\n') {
            return (long)i;
        }
    }
    return -1;
}

static int token_eq(const uint8_t *p, size_t n, const char *s)
{
    return strlen(s) == n && strncasecmp((const char *)p, s, n) == 0;
}

/* Does a comma-separated header value contain the token s? */
static int value_has_token(const uint8_t *v, size_t n, const char *s)
{
    size_t i = 0;

    while (i < n) {
        size_t st, en;

        while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ',')) {
            i++;
        }
        st = i;
        while (i < n && v[i] != ',') {
            i++;
        }
        en = i;
        while (en > st && (v[en - 1] == ' ' || v[en - 1] == '\t')) {
            en--;
        }
        if (token_eq(v + st, en - st, s)) {
            return 1;
        }
    }
    return 0;
}

static int copy_text(char *dst, size_t cap, const uint8_t *src, size_t n)
{
    if (n >= cap) {
        return SCS_ERR_TOO_LARGE;
    }
    for (size_t i = 0; i < n; i++) {
        if (src[i] == 0) {
            return SCS_ERR_FORMAT;
        }
    }
    memcpy(dst, src, n);
    dst[n] = '\0';
    return 0;
}

static int parse_request_line(const uint8_t *p, size_t n, struct sim_http_req *r,
                              struct scs_diag *d)
{
    const uint8_t *sp1 = memchr(p, ' ', n);
    const uint8_t *sp2;
    size_t ml, ul, vl;

    if (sp1 == NULL) {
        return scs_diag_fail(d, SCS_ERR_FORMAT, 0, "request line without a space");
    }
    ml = (size_t)(sp1 - p);
    sp2 = memchr(sp1 + 1, ' ', n - ml - 1);
    if (sp2 == NULL) {
        return scs_diag_fail(d, SCS_ERR_FORMAT, 0, "request line without an HTTP version");
    }
    ul = (size_t)(sp2 - sp1 - 1);
    vl = n - ml - ul - 2;
    if (ml == 0 || copy_text(r->method, sizeof(r->method), p, ml) != 0) {
        return scs_diag_fail(d, SCS_ERR_FORMAT, 0, "bad method");
    }
    for (size_t i = 0; i < ml; i++) {
        if (p[i] < 'A' || p[i] > 'Z') {
            return scs_diag_fail(d, SCS_ERR_FORMAT, i, "bad method character");
        }
    }
    if (ul == 0 || ul >= sizeof(r->uri)) {
        return scs_diag_fail(d, SCS_ERR_TOO_LARGE, ml + 1, "URI empty or too long");
    }
    if (copy_text(r->uri, sizeof(r->uri), sp1 + 1, ul) != 0) {
        return scs_diag_fail(d, SCS_ERR_FORMAT, ml + 1, "bad URI");
    }
    if (token_eq(sp2 + 1, vl, "HTTP/1.1")) {
        r->http11 = 1;
    } else if (token_eq(sp2 + 1, vl, "HTTP/1.0")) {
        r->http11 = 0;
    } else {
        return scs_diag_fail(d, SCS_ERR_FORMAT, ml + ul + 2, "unsupported HTTP version");
    }
    r->keep_alive = r->http11;
    return 0;
}

static int parse_size(const uint8_t *v, size_t n, size_t max, size_t *out)
{
    size_t x = 0;

    if (n == 0 || n > 10) {
        return SCS_ERR_FORMAT;
    }
    for (size_t i = 0; i < n; i++) {
        if (v[i] < '0' || v[i] > '9') {
            return SCS_ERR_FORMAT;
        }
        x = x * 10 + (size_t)(v[i] - '0');
    }
    if (x > max) {
        return SCS_ERR_TOO_LARGE;
    }
    *out = x;
    return 0;
}

static int parse_header(const uint8_t *p, size_t n, size_t off, struct sim_http_req *r,
                        int *have_cl, struct scs_diag *d)
{
    const uint8_t *colon = memchr(p, ':', n);
    size_t nl, vs, ve;
    int rc;

    if (colon == NULL || colon == p) {
        return scs_diag_fail(d, SCS_ERR_FORMAT, off, "header line without a name");
    }
    nl = (size_t)(colon - p);
    for (size_t i = 0; i < nl; i++) {
        if (p[i] <= ' ' || p[i] >= 0x7f) {
            return scs_diag_fail(d, SCS_ERR_FORMAT, off + i, "bad header name character");
        }
    }
    vs = nl + 1;
    while (vs < n && (p[vs] == ' ' || p[vs] == '\t')) {
        vs++;
    }
    ve = n;
    while (ve > vs && (p[ve - 1] == ' ' || p[ve - 1] == '\t')) {
        ve--;
    }
    if (token_eq(p, nl, "Content-Length")) {
        size_t cl;

        rc = parse_size(p + vs, ve - vs, SIM_HTTP_MAX_BODY, &cl);
        if (rc != 0) {
            return scs_diag_fail(d, rc, off + vs, "bad or oversized Content-Length");
        }
        if (*have_cl && cl != r->content_length) {
            return scs_diag_fail(d, SCS_ERR_FORMAT, off, "conflicting Content-Length headers");
        }
        *have_cl = 1;
        r->content_length = cl;
    } else if (token_eq(p, nl, "Transfer-Encoding")) {
        if (value_has_token(p + vs, ve - vs, "chunked")) {
            r->chunked = 1;
        } else if (!value_has_token(p + vs, ve - vs, "identity")) {
            return scs_diag_fail(d, SCS_ERR_FORMAT, off + vs, "unsupported transfer coding");
        }
    } else if (token_eq(p, nl, "Authorization")) {
        if (copy_text(r->authorization, sizeof(r->authorization), p + vs, ve - vs) != 0) {
            return scs_diag_fail(d, SCS_ERR_TOO_LARGE, off + vs, "Authorization too long");
        }
    } else if (token_eq(p, nl, "Connection")) {
        if (value_has_token(p + vs, ve - vs, "close")) {
            r->keep_alive = 0;
        } else if (value_has_token(p + vs, ve - vs, "keep-alive")) {
            r->keep_alive = 1;
        }
    } else if (token_eq(p, nl, "Expect")) {
        if (value_has_token(p + vs, ve - vs, "100-continue")) {
            r->expect_continue = 1;
        }
    }
    return 0;
}

static int hexval(uint8_t c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

/* Chunked body starting at off; appends to r->body; *end gets the offset after it. */
static int parse_chunked(const uint8_t *p, size_t len, size_t off, struct sim_http_req *r,
                         size_t *end, struct scs_diag *d)
{
    for (;;) {
        long eol = find_crlf(p, len, off);
        size_t sz = 0, i, digits = 0;
        int rc;

        if (eol < 0) {
            if (len - off > SIM_HTTP_MAX_CHUNK_LINE) {
                return scs_diag_fail(d, SCS_ERR_FORMAT, off, "chunk size line too long");
            }
            return SIM_HTTP_NEED_MORE;
        }
        if ((size_t)eol - off > SIM_HTTP_MAX_CHUNK_LINE) {
            return scs_diag_fail(d, SCS_ERR_FORMAT, off, "chunk size line too long");
        }
        for (i = off; i < (size_t)eol; i++) {
            int h = hexval(p[i]);

            if (h < 0) {
                break;
            }
            if (++digits > 8) {
                return scs_diag_fail(d, SCS_ERR_TOO_LARGE, off, "chunk size too large");
            }
            sz = sz * 16 + (size_t)h;
        }
        /* Only chunk extensions (";...") or white space may follow the digits. */
        if (digits == 0 || (i < (size_t)eol && p[i] != ';' && p[i] != ' ' && p[i] != '\t')) {
            return scs_diag_fail(d, SCS_ERR_FORMAT, off, "bad chunk size");
        }
        if (sz > SIM_HTTP_MAX_BODY || scs_buf_len(r->body) + sz > SIM_HTTP_MAX_BODY) {
            return scs_diag_fail(d, SCS_ERR_TOO_LARGE, off, "chunked body too large");
        }
        off = (size_t)eol + 2;
        if (sz == 0) {
            /* Trailers, then an empty line. */
            for (;;) {
                long tl = find_crlf(p, len, off);

                if (tl < 0) {
                    if (len - off > SIM_HTTP_MAX_HEAD) {
                        return scs_diag_fail(d, SCS_ERR_TOO_LARGE, off, "trailer too long");
                    }
                    return SIM_HTTP_NEED_MORE;
                }
                if ((size_t)tl == off) {
                    *end = off + 2;
                    return 0;
                }
                off = (size_t)tl + 2;
            }
        }
        if (len - off < sz + 2) {
            return SIM_HTTP_NEED_MORE;
        }
        if (p[off + sz] != '\r' || p[off + sz + 1] != '\n') {
            return scs_diag_fail(d, SCS_ERR_FORMAT, off + sz, "chunk not followed by CRLF");
        }
        rc = scs_buf_put(r->body, p + off, sz);
        if (rc != 0) {
            return scs_diag_fail(d, rc, off, "chunked body too large");
        }
        off += sz + 2;
    }
}

int sim_http_parse(const uint8_t *data, size_t len, struct sim_http_req *r, struct scs_diag *d)
{
    size_t off = 0;
    unsigned nhdr = 0;
    int have_cl = 0;
    int rc;

    sim_http_req_clear(r);
    scs_diag_clear(d);
    r->body = scs_buf_new(SIM_HTTP_MAX_BODY);
    if (r->body == NULL) {
        return SCS_ERR_NOMEM;
    }
    /* Tolerate empty lines before a request (RFC 7230 §3.5). */
    while (len - off >= 2 && data[off] == '\r' && data[off + 1] == '\n') {
        off += 2;
    }
    for (;;) {
        long eol = find_crlf(data, len, off);
        size_t ll;

        if (eol < 0) {
            if (len > SIM_HTTP_MAX_HEAD) {
                return scs_diag_fail(d, SCS_ERR_TOO_LARGE, off, "header block too long");
            }
            return SIM_HTTP_NEED_MORE;
        }
        if ((size_t)eol + 2 > SIM_HTTP_MAX_HEAD) {
            return scs_diag_fail(d, SCS_ERR_TOO_LARGE, off, "header block too long");
        }
        ll = (size_t)eol - off;
        if (nhdr == 0) {
            rc = parse_request_line(data + off, ll, r, d);
        } else if (ll == 0) {
            off = (size_t)eol + 2;
            break;
        } else if (data[off] == ' ' || data[off] == '\t') {
            rc = scs_diag_fail(d, SCS_ERR_FORMAT, off, "obsolete header folding");
        } else if (nhdr > SIM_HTTP_MAX_HEADERS) {
            rc = scs_diag_fail(d, SCS_ERR_TOO_LARGE, off, "too many headers");
        } else {
            rc = parse_header(data + off, ll, off, r, &have_cl, d);
        }
        if (rc != 0) {
            return rc;
        }
        nhdr++;
        off = (size_t)eol + 2;
    }
    if (r->chunked && have_cl) {
        /* RFC 7230 §3.3.3: a message with both is a smuggling attempt. */
        return scs_diag_fail(d, SCS_ERR_FORMAT, 0, "both Content-Length and chunked");
    }
    r->headers_done = 1;
    if (r->chunked) {
        size_t end = 0;

        rc = parse_chunked(data, len, off, r, &end, d);
        if (rc != 0) {
            return rc;
        }
        r->consumed = end;
        return 0;
    }
    if (len - off < r->content_length) {
        return SIM_HTTP_NEED_MORE;
    }
    rc = scs_buf_put(r->body, data + off, r->content_length);
    if (rc != 0) {
        return rc;
    }
    r->consumed = off + r->content_length;
    return 0;
}

void sim_http_req_clear(struct sim_http_req *r)
{
    scs_buf_free(r->body);
    memset(r, 0, sizeof(*r));
}

const char *sim_http_reason(int status)
{
    switch (status) {
    case 100:
        return "Continue";
    case 200:
        return "OK";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 413:
        return "Request Entity Too Large";
    case 500:
        return "Internal Server Error";
    case 503:
        return "Service Unavailable";
    default:
        return "Unknown";
    }
}

int sim_http_response(struct scs_buf *out, int status, const char *fw_version,
                      const char *extra_headers, const char *content_type, const uint8_t *body,
                      size_t body_len, int chunked, int close)
{
    int rc = scs_buf_printf(out,
                            "HTTP/1.1 %d %s\r\n"
                            "Server: Intel(R) Active Management Technology %s\r\n"
                            "X-Frame-Options: DENY\r\n",
                            status, sim_http_reason(status), fw_version);

    if (rc == 0 && content_type != NULL) {
        rc = scs_buf_printf(out, "Content-Type: %s\r\n", content_type);
    }
    if (rc == 0 && extra_headers != NULL) {
        rc = scs_buf_put_str(out, extra_headers);
    }
    if (rc == 0 && close) {
        rc = scs_buf_put_str(out, "Connection: close\r\n");
    }
    if (rc == 0) {
        if (chunked) {
            rc = scs_buf_put_str(out, "Transfer-Encoding: chunked\r\n\r\n");
            if (rc == 0 && body_len > 0) {
                rc = scs_buf_printf(out, "%zx\r\n", body_len);
                if (rc == 0) {
                    rc = scs_buf_put(out, body, body_len);
                }
                if (rc == 0) {
                    rc = scs_buf_put_str(out, "\r\n");
                }
            }
            if (rc == 0) {
                rc = scs_buf_put_str(out, "0\r\n\r\n");
            }
        } else {
            rc = scs_buf_printf(out, "Content-Length: %zu\r\n\r\n", body_len);
            if (rc == 0 && body_len > 0) {
                rc = scs_buf_put(out, body, body_len);
            }
        }
    }
    return rc;
}
