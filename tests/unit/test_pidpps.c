/* Unit tests for src/formats/pidpps.c (protocol.md §4.1). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "common/err.h"
#include "common/secmem.h"
#include "formats/pidpps.h"

static const char alphabet[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
/* Intel's example pair (ARG pidppschecksum). */
static const char intel_pid[] = "0000037M";
static const char intel_pps[] = "NKLDG5DCRRNQE9YZZIJL7LFLVJED69XJ";

static void test_check_char_vectors(void **state)
{
    /* The first 7 characters 0000037: 5 * 48 + 51 + 55 = 346; 346 % 36 = 22 -> 'M'. */
    unsigned sum = '0' * 5 + '3' + '7';
    char want = alphabet[sum % 36];
    assert_int_equal(want, 'M');
    assert_int_equal(scs_pidpps_check_char(intel_pid, 7), 'M');
    assert_int_equal(scs_pidpps_check_char("NKL", 3), 'D');
    assert_int_equal(scs_pidpps_check_char("69X", 3), 'J');
    assert_int_equal(scs_pidpps_check_char("", 0), '0');
}

static void test_intel_example_passes(void **state)
{
    struct scs_diag d;
    struct scs_secret *s = NULL;
    char pid[SCS_PID_LEN + 1];

    assert_int_equal(scs_pid_check(intel_pid, 8, &d), 0);
    assert_int_equal(scs_pps_check(intel_pps, 32, &d), 0);
    assert_int_equal(scs_pid_parse("0000-037M", pid, &d), 0);
    assert_string_equal(pid, intel_pid);
    assert_int_equal(scs_pid_parse("0000037m", pid, &d), 0);
    assert_string_equal(pid, intel_pid);
    assert_int_equal(scs_pps_parse("NKLD-G5DC-RRNQ-E9YZ-ZIJL-7LFL-VJED-69XJ", &s, &d), 0);
    assert_string_equal(scs_secret_str(s), intel_pps);
    assert_int_equal(scs_secret_len(s), 32);
    scs_secret_free(s);
    assert_int_equal(scs_pps_parse("nkldg5dcrrnqe9yzzijl7lflvjed69xj", &s, &d), 0);
    assert_string_equal(scs_secret_str(s), intel_pps);
    scs_secret_free(s);
    assert_int_equal(scs_pps_parse("nkld-G5DC-rrnq-E9YZ-zijl-7LFL-vjed-69XJ", &s, &d), 0);
    scs_secret_free(s);
}

/*
 * Every single-character change of the example must be rejected -- except the
 * ones Intel's checksum cannot see: it sums ASCII codes mod 36, and '0'..'6'
 * differ from 'T'..'Z' by exactly 36.  Those 7 substitutions in a data
 * position keep the check character valid; the test pins that weakness down
 * instead of pretending it away (check positions always catch a change).
 */
static int undetectable(char from, char to, int is_check_pos)
{
    int delta = (int)to - (int)from;
    return !is_check_pos && delta % 36 == 0;
}

static void test_every_single_change_pid(void **state)
{
    size_t rejected = 0, blind = 0;

    for (size_t pos = 0; pos < 8; pos++) {
        for (size_t a = 0; a < 36; a++) {
            char buf[9], text[10];
            struct scs_diag d;
            char out[9];
            int r;

            memcpy(buf, intel_pid, 9);
            if (alphabet[a] == buf[pos]) {
                continue;
            }
            buf[pos] = alphabet[a];
            r = scs_pid_check(buf, 8, &d);
            scs_pid_format(buf, text);
            if (undetectable(intel_pid[pos], alphabet[a], pos == 7)) {
                assert_int_equal(r, 0);
                assert_int_equal(scs_pid_parse(text, out, &d), 0);
                blind++;
            } else {
                assert_int_equal(r, SCS_ERR_CHECKSUM);
                assert_int_equal(scs_pid_parse(text, out, &d), SCS_ERR_CHECKSUM);
                assert_non_null(strstr(d.reason, "check character"));
                rejected++;
            }
        }
    }
    /* 8 x 35 changes.  Blind ones: '0'->'T' at positions 1-5 and '3'->'W' at
     * position 6; '7' has no partner ('7' + 36 = '[').  The check position catches all. */
    assert_int_equal(rejected + blind, 8 * 35);
    assert_int_equal(blind, 5 + 1);
}

static void test_every_single_change_pps(void **state)
{
    size_t rejected = 0, blind = 0;

    for (size_t pos = 0; pos < 32; pos++) {
        for (size_t a = 0; a < 36; a++) {
            char buf[33], text[SCS_PPS_TEXT_LEN + 1];
            struct scs_diag d;
            struct scs_secret *s = NULL;
            char group[24];
            int r;

            memcpy(buf, intel_pps, 33);
            if (alphabet[a] == buf[pos]) {
                continue;
            }
            buf[pos] = alphabet[a];
            r = scs_pps_check(buf, 32, &d);
            scs_pps_format(buf, text);
            if (undetectable(intel_pps[pos], alphabet[a], pos % 4 == 3)) {
                assert_int_equal(r, 0);
                blind++;
                continue;
            }
            assert_int_equal(r, SCS_ERR_CHECKSUM);
            assert_int_equal(scs_pps_parse(text, &s, &d), SCS_ERR_CHECKSUM);
            assert_null(s);
            /* The right group, by number only; no PPS character in the message. */
            snprintf(group, sizeof(group), "PPS group %zu ", pos / 4 + 1);
            assert_non_null(strstr(d.reason, group));
            for (size_t g = 0; g < 8; g++) {
                char chunk[5];
                memcpy(chunk, buf + 4 * g, 4);
                chunk[4] = 0;
                assert_null(strstr(d.reason, chunk));
            }
            rejected++;
        }
    }
    assert_int_equal(rejected + blind, 32 * 35);
    /* Data characters of the example with a partner 36 away: '5','0'? count them. */
    {
        size_t want = 0;
        for (size_t pos = 0; pos < 32; pos++) {
            char c = intel_pps[pos];
            if (pos % 4 == 3) {
                continue;
            }
            if ((c >= '0' && c <= '6') || (c >= 'T' && c <= 'Z')) {
                want++;
            }
        }
        assert_int_equal(blind, want);
    }
}

static void test_parse_rejects_layout(void **state)
{
    struct scs_diag d;
    struct scs_secret *s = NULL;
    char pid[9];

    /* Wrong lengths, misplaced dashes, bad characters. */
    assert_int_equal(scs_pid_parse("0000037", pid, &d), SCS_ERR_FORMAT);
    assert_int_equal(scs_pid_parse("0000037MM", pid, &d), SCS_ERR_FORMAT);
    assert_int_equal(scs_pid_parse("000-0037M", pid, &d), SCS_ERR_FORMAT);
    assert_int_equal(d.offset, 3);
    assert_non_null(strstr(d.reason, "dash"));
    assert_int_equal(scs_pid_parse("0000_037M", pid, &d), SCS_ERR_FORMAT);
    assert_int_equal(scs_pid_parse("0000-03!M", pid, &d), SCS_ERR_FORMAT);
    assert_int_equal(d.offset, 7);
    assert_non_null(strstr(d.reason, "character 7"));
    assert_int_equal(scs_pid_parse("", pid, &d), SCS_ERR_FORMAT);
    assert_int_equal(scs_pid_parse(NULL, pid, &d), SCS_ERR_INVALID_ARG);
    assert_string_equal(pid, "");

    assert_int_equal(scs_pps_parse("NKLDG5DCRRNQE9YZZIJL7LFLVJED69X", &s, &d), SCS_ERR_FORMAT);
    assert_int_equal(scs_pps_parse("NKLD-G5DC-RRNQ-E9YZ-ZIJL-7LFL-VJED69XJ-", &s, &d),
                     SCS_ERR_FORMAT);
    assert_int_equal(scs_pps_parse("NKLD-G5DC-RRNQ-E9YZ-ZIJL-7L*L-VJED-69XJ", &s, &d),
                     SCS_ERR_FORMAT);
    assert_non_null(strstr(d.reason, "group 6"));
    assert_null(strstr(d.reason, "7L*L"));
    assert_null(s);
    /* Raw checks are strict: upper case only. */
    assert_int_equal(scs_pid_check("0000037m", 8, &d), SCS_ERR_FORMAT);
    assert_int_equal(scs_pps_check(intel_pps, 31, &d), SCS_ERR_FORMAT);
    assert_int_equal(scs_pps_check("nkldG5DCRRNQE9YZZIJL7LFLVJED69XJ", 32, &d), SCS_ERR_FORMAT);
    assert_non_null(strstr(d.reason, "group 1"));
}

static void test_generate(void **state)
{
    int seen[36] = {0};

    for (int i = 0; i < 500; i++) {
        char pid[SCS_PID_LEN + 1];
        struct scs_secret *s = NULL;
        struct scs_diag d;
        const char *p;

        assert_int_equal(scs_pid_generate(pid), 0);
        assert_int_equal(strlen(pid), 8);
        assert_int_equal(scs_pid_check(pid, 8, &d), 0);
        assert_int_equal(scs_pps_generate(&s), 0);
        assert_int_equal(scs_secret_len(s), 32);
        p = scs_secret_str(s);
        assert_int_equal(strlen(p), 32);
        assert_int_equal(scs_pps_check(p, 32, &d), 0);
        for (size_t k = 0; k < 32; k++) {
            const char *hit = strchr(alphabet, p[k]);
            assert_non_null(hit);
            seen[hit - alphabet]++;
        }
        scs_secret_free(s);
    }
    /* 16000 characters over 36 symbols: every symbol shows up. */
    for (int k = 0; k < 36; k++) {
        assert_true(seen[k] > 0);
    }
}

static void test_format(void **state)
{
    char pid[SCS_PID_TEXT_LEN + 1], pps[SCS_PPS_TEXT_LEN + 1];

    scs_pid_format(intel_pid, pid);
    assert_string_equal(pid, "0000-037M");
    scs_pps_format(intel_pps, pps);
    assert_string_equal(pps, "NKLD-G5DC-RRNQ-E9YZ-ZIJL-7LFL-VJED-69XJ");
    /* The display lengths are exact: 8 + 1 dash, 32 + 7 dashes. */
    assert_int_equal(strlen(pid), SCS_PID_TEXT_LEN);
    assert_int_equal(strlen(pps), SCS_PPS_TEXT_LEN);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_check_char_vectors),
        cmocka_unit_test(test_intel_example_passes),
        cmocka_unit_test(test_every_single_change_pid),
        cmocka_unit_test(test_every_single_change_pps),
        cmocka_unit_test(test_parse_rejects_layout),
        cmocka_unit_test(test_generate),
        cmocka_unit_test(test_format),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
