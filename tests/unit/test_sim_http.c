/* amtsim HTTP request parser and response writer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "common/buf.h"
#include "common/err.h"
#include "sim/http.h"

static int parse(const char *s, struct sim_http_req *r)
{
    struct scs_diag d;

    memset(r, 0, sizeof(*r));
    return sim_http_parse((const uint8_t *)s, strlen(s), r, &d);
}

static void test_content_length(void **state)
{
    struct sim_http_req r;
    const char *s = "POST /wsman HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                    "Authorization: Digest username=\"admin\"\r\n\r\nhelloEXTRA";

    (void)state;
    assert_int_equal(parse(s, &r), 0);
    assert_string_equal(r.method, "POST");
    assert_string_equal(r.uri, "/wsman");
    assert_int_equal(r.http11, 1);
    assert_int_equal(r.keep_alive, 1);
    assert_string_equal(r.authorization, "Digest username=\"admin\"");
    assert_int_equal(scs_buf_len(r.body), 5);
    assert_memory_equal(scs_buf_data(r.body), "hello", 5);
    assert_int_equal(r.consumed, strlen(s) - 5);
    sim_http_req_clear(&r);
}

static void test_chunked(void **state)
{
    struct sim_http_req r;
    const char *s =
        "POST /wsman HTTP/1.1\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        "3\r\nabc\r\n4;ext=1\r\ndefg\r\n0\r\nX-Trailer: 1\r\n\r\n";

    (void)state;
    assert_int_equal(parse(s, &r), 0);
    assert_int_equal(r.chunked, 1);
    assert_int_equal(r.keep_alive, 0);
    assert_int_equal(scs_buf_len(r.body), 7);
    assert_memory_equal(scs_buf_data(r.body), "abcdefg", 7);
    assert_int_equal(r.consumed, strlen(s));
    sim_http_req_clear(&r);
}

static void test_need_more_and_expect(void **state)
{
    struct sim_http_req r;

    (void)state;
    assert_int_equal(parse("POST /wsman HTTP/1.1\r\nHost: x\r\n", &r), SIM_HTTP_NEED_MORE);
    assert_int_equal(r.headers_done, 0);
    sim_http_req_clear(&r);
    assert_int_equal(parse("POST /wsman HTTP/1.1\r\nExpect: 100-continue\r\n"
                           "Content-Length: 10\r\n\r\nabc",
                           &r),
                     SIM_HTTP_NEED_MORE);
    assert_int_equal(r.headers_done, 1);
    assert_int_equal(r.expect_continue, 1);
    sim_http_req_clear(&r);
    assert_int_equal(parse("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab", &r),
                     SIM_HTTP_NEED_MORE);
    sim_http_req_clear(&r);
}

static void test_rejects(void **state)
{
    struct sim_http_req r;

    (void)state;
    /* both framings: request smuggling */
    assert_int_equal(parse("POST / HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked"
                           "\r\n\r\n0\r\n\r\n",
                           &r),
                     SCS_ERR_FORMAT);
    sim_http_req_clear(&r);
    assert_int_equal(parse("POST / HTTP/1.1\r\nContent-Length: 999999999\r\n\r\n", &r),
                     SCS_ERR_TOO_LARGE);
    sim_http_req_clear(&r);
    assert_int_equal(
        parse("POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", &r),
        SCS_ERR_FORMAT);
    sim_http_req_clear(&r);
    assert_int_equal(parse("POST / HTTP/2.0\r\n\r\n", &r), SCS_ERR_FORMAT);
    sim_http_req_clear(&r);
    assert_int_equal(parse("post / HTTP/1.1\r\n\r\n", &r), SCS_ERR_FORMAT);
    sim_http_req_clear(&r);
    assert_int_equal(parse("POST / HTTP/1.1\r\n folded\r\n\r\n", &r), SCS_ERR_FORMAT);
    sim_http_req_clear(&r);
    assert_int_equal(parse("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", &r),
                     SCS_ERR_FORMAT);
    sim_http_req_clear(&r);
    assert_int_equal(parse("POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", &r),
                     SCS_ERR_FORMAT);
    sim_http_req_clear(&r);
}

static void test_header_cap(void **state)
{
    static char big[SIM_HTTP_MAX_HEAD + 100];
    struct sim_http_req r;

    (void)state;
    memset(big, 'a', sizeof(big) - 1);
    memcpy(big, "POST / HTTP/1.1\r\nX: ", 20);
    assert_int_equal(parse(big, &r), SCS_ERR_TOO_LARGE);
    sim_http_req_clear(&r);
}

static void test_response(void **state)
{
    struct scs_buf *b = scs_buf_new(4096);

    (void)state;
    assert_int_equal(sim_http_response(b, 200, "11.8.55", NULL, "application/soap+xml",
                                       (const uint8_t *)"<x/>", 4, 1, 0),
                     0);
    assert_non_null(strstr(scs_buf_cstr(b), "HTTP/1.1 200 OK\r\n"));
    assert_non_null(
        strstr(scs_buf_cstr(b), "Server: Intel(R) Active Management Technology 11.8.55\r\n"));
    assert_non_null(
        strstr(scs_buf_cstr(b), "Transfer-Encoding: chunked\r\n\r\n4\r\n<x/>\r\n0\r\n\r\n"));
    scs_buf_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_content_length),       cmocka_unit_test(test_chunked),
        cmocka_unit_test(test_need_more_and_expect), cmocka_unit_test(test_rejects),
        cmocka_unit_test(test_header_cap),           cmocka_unit_test(test_response),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
