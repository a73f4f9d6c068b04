/*
 * The device's HTTP/1.1 request parser and response writer.
 *
 * sim_http_parse() is a pure function over the bytes received so far on a
 * connection: it reports "need more", a complete request (and how many bytes it
 * used), or an error.  It accepts a body framed by Content-Length or by
 * Transfer-Encoding: chunked (protocol.md §6.7), and every length is capped.
 */
#ifndef SCS_SIM_HTTP_H
#define SCS_SIM_HTTP_H

#include <stddef.h>
#include <stdint.h>

struct scs_buf;
struct scs_diag;

#define SIM_HTTP_MAX_HEAD    16384 /* request line + headers */
#define SIM_HTTP_MAX_HEADERS 64
#define SIM_HTTP_MAX_URI     1024
#define SIM_HTTP_MAX_AUTH    4096
#define SIM_HTTP_MAX_BODY    (256 * 1024)
#define SIM_HTTP_NEED_MORE   1

struct sim_http_req {
    char method[16];
    char uri[SIM_HTTP_MAX_URI];
    char authorization[SIM_HTTP_MAX_AUTH];
    int http11;
    int keep_alive;
    int headers_done;    /* set even when the body is still incomplete */
    int expect_continue; /* "Expect: 100-continue" */
    int chunked;
    size_t content_length;
    struct scs_buf *body; /* allocated by the parser, freed by sim_http_req_clear */
    size_t consumed;      /* bytes of input that made up this request */
};

/* 0 = complete, SIM_HTTP_NEED_MORE, or SCS_ERR_FORMAT / SCS_ERR_TOO_LARGE with d filled. */
int sim_http_parse(const uint8_t *data, size_t len, struct sim_http_req *req, struct scs_diag *d);
void sim_http_req_clear(struct sim_http_req *req);

/*
 * Append a response.  The Server header names the firmware version as real AMT
 * does; extra_headers is zero or more "Name: value\r\n" lines; a chunked body
 * goes out as one chunk plus the terminator.
 */
int sim_http_response(struct scs_buf *out, int status, const char *fw_version,
                      const char *extra_headers, const char *content_type, const uint8_t *body,
                      size_t body_len, int chunked, int close);

const char *sim_http_reason(int status);

#endif
