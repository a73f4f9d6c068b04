/* The scsd configuration table: defaults, bounds, file errors, reload rules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/err.h"
#include "daemon/config.h"

static char *write_temp(const char *text)
{
    static char path[64];
    int fd;
    snprintf(path, sizeof(path), "/tmp/scsd-config-XXXXXX");
    fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return path;
}

static void test_defaults(void **state)
{
    struct scsd_config c;
    scsd_config_defaults(&c);
    assert_int_equal(c.device_port, 16993);
    assert_int_equal(c.device_http_port, 16992);
    assert_int_equal(c.hello_rate_per_source, 200);
    assert_string_equal(c.log_level, "info");
    assert_string_equal(c.default_profile, "default");
    assert_int_equal(c.nlisten, 0);
}

static void test_file_and_errors(void **state)
{
    struct scsd_config c;
    struct scs_diag d;
    char *path;

    scsd_config_defaults(&c);
    path = write_temp("# comment\n\nlisten = 127.0.0.1:9971\nlisten=[::1]:9971\n"
                      "device_port = 17000  \nlog_level = debug\n");
    assert_int_equal(scsd_config_load(&c, path, &d), 0);
    unlink(path);
    assert_int_equal(c.nlisten, 2);
    assert_string_equal(c.listen[1], "[::1]:9971");
    assert_int_equal(c.device_port, 17000);
    assert_string_equal(c.log_level, "debug");

    scsd_config_defaults(&c);
    path = write_temp("device_port = 17000\nmax_sessions = 0\n");
    assert_int_equal(scsd_config_load(&c, path, &d), SCS_ERR_FORMAT);
    unlink(path);
    assert_non_null(strstr(d.reason, ":2: max_sessions: '0' is not a number from 1 to 100000"));

    scsd_config_defaults(&c);
    path = write_temp("no_such_thing = 1\n");
    assert_int_equal(scsd_config_load(&c, path, &d), SCS_ERR_FORMAT);
    unlink(path);
    assert_non_null(strstr(d.reason, ":1: unknown keyword 'no_such_thing'"));

    path = write_temp("device_port 17000\n");
    assert_int_equal(scsd_config_load(&c, path, &d), SCS_ERR_FORMAT);
    unlink(path);
    assert_non_null(strstr(d.reason, "expected 'keyword = value'"));

    assert_int_equal(scsd_config_set(&c, "log_level", "loud", &d), SCS_ERR_FORMAT);
    assert_int_equal(scsd_config_set(&c, "device_port", "-1", &d), SCS_ERR_FORMAT);
    assert_int_equal(scsd_config_set(&c, "device_port", "65536", &d), SCS_ERR_FORMAT);
    assert_int_equal(scsd_config_set(&c, "device_port", "12x", &d), SCS_ERR_FORMAT);
    assert_int_equal(scsd_config_load(&c, "/nonexistent/scsd.conf", &d), SCS_ERR_IO);
}

static char reported[256];

static void report_key(const char *key)
{
    size_t used = strlen(reported);
    snprintf(reported + used, sizeof(reported) - used, "%s ", key);
}

static void test_keep_fixed(void **state)
{
    struct scsd_config running, next;

    scsd_config_defaults(&running);
    scsd_config_set(&running, "listen", "127.0.0.1:9971", NULL);
    next = running;
    reported[0] = 0;
    /* Nothing changed: nothing to put back. */
    assert_int_equal(scsd_config_keep_fixed(&next, &running, report_key), 0);
    assert_string_equal(reported, "");

    /* A reloadable change survives; restart-only changes are put back and named. */
    next.session_timeout_s = 99;
    next.hello_rate_per_source = 5;
    scsd_config_set(&next, "listen", "127.0.0.1:1", NULL);
    assert_int_equal(scsd_config_keep_fixed(&next, &running, report_key), 2);
    assert_string_equal(reported, "listen hello_rate_per_source ");
    assert_int_equal(next.session_timeout_s, 99);
    assert_int_equal(next.hello_rate_per_source, running.hello_rate_per_source);
    assert_int_equal(next.nlisten, 1);
    assert_string_equal(next.listen[0], "127.0.0.1:9971");
}

static void test_dump_round_trips(void **state)
{
    struct scsd_config a, b;
    struct scs_diag d;
    char path[] = "/tmp/scsd-dump-XXXXXX";
    int fd = mkstemp(path);
    FILE *f = fdopen(fd, "w");

    scsd_config_defaults(&a);
    scsd_config_set(&a, "listen", "127.0.0.1:9971", NULL);
    scsd_config_set(&a, "max_sessions", "17", NULL);
    scsd_config_dump(&a, f);
    fclose(f);
    scsd_config_defaults(&b);
    assert_int_equal(scsd_config_load(&b, path, &d), 0);
    unlink(path);
    assert_memory_equal(&a, &b, sizeof(a));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_file_and_errors),
        cmocka_unit_test(test_keep_fixed),
        cmocka_unit_test(test_dump_round_trips),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
