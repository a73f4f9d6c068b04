/*
 * PID/PPS generation, parsing and check characters (protocol.md §4.1).
 *
 * The PPS is a secret: it only ever leaves this file inside a struct
 * scs_secret, every stack copy is wiped, and no diagnostic ever quotes one of
 * its characters (a wrong group is named by its number only).
 */
#include "formats/pidpps.h"

#include <stdint.h>
#include <string.h>

#include "common/err.h"
#include "common/secmem.h"
#include "crypto/crypto.h"

#define PIDPPS_ALPHABET_LEN 36u
#define PIDPPS_GROUP        4u /* characters per dash-separated group */

static char pidpps_char(uint32_t v)
{
    /* 0..9 -> '0'..'9', 10..35 -> 'A'..'Z' (the +0x30 / +0x37 of §4.1). */
    return (char)(v < 10 ? '0' + (int)v : 'A' + (int)(v - 10));
}

static int pidpps_is_alnum_upper(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z');
}

char scs_pidpps_check_char(const char *s, size_t n)
{
    uint32_t sum = 0;

    for (size_t i = 0; i < n; i++) {
        sum += (uint8_t)s[i];
    }
    return pidpps_char(sum % PIDPPS_ALPHABET_LEN);
}

#define PIDPPS_RNG_BATCH 4096

int scs_pidpps_rng_init(struct scs_pidpps_rng *g)
{
    g->bytes = scs_secret_new(PIDPPS_RNG_BATCH);
    g->off = PIDPPS_RNG_BATCH;
    return g->bytes == NULL ? SCS_ERR_NOMEM : 0;
}

void scs_pidpps_rng_free(struct scs_pidpps_rng *g)
{
    scs_secret_free(g->bytes);
    g->bytes = NULL;
}

/* n uniform alphabet characters into out. */
static int pidpps_rng_chars(struct scs_pidpps_rng *g, char *out, size_t n)
{
    const uint8_t *b = scs_secret_cdata(g->bytes);
    size_t i = 0;
    int r;

    while (i < n) {
        uint8_t v;
        if (g->off == PIDPPS_RNG_BATCH) {
            if ((r = scs_random_bytes(scs_secret_data(g->bytes), PIDPPS_RNG_BATCH)) != 0) {
                return r;
            }
            g->off = 0;
        }
        v = b[g->off++];
        if (v < 252) {
            v = (uint8_t)(v % PIDPPS_ALPHABET_LEN);
            /* '0'..'9' then 'A'..'Z' without a table indexed by secret data. */
            out[i++] = (char)('0' + v + 7 * (v >= 10));
        }
    }
    return 0;
}

int scs_pid_generate_rng(struct scs_pidpps_rng *g, char out[static SCS_PID_LEN + 1])
{
    int r;

    memset(out, 0, SCS_PID_LEN + 1);
    if ((r = pidpps_rng_chars(g, out, SCS_PID_LEN - 1)) != 0) {
        memset(out, 0, SCS_PID_LEN + 1);
        return r;
    }
    out[SCS_PID_LEN - 1] = scs_pidpps_check_char(out, SCS_PID_LEN - 1);
    return 0;
}

int scs_pps_generate_rng(struct scs_pidpps_rng *g, struct scs_secret *pps)
{
    char *p = (char *)scs_secret_data(pps);

    if (scs_secret_len(pps) < SCS_PPS_LEN) {
        return SCS_ERR_INVALID_ARG;
    }
    /* 8 groups of 3 random characters + 1 check: 24 * log2(36) = 124 bits. */
    for (size_t grp = 0; grp < SCS_PPS_LEN; grp += PIDPPS_GROUP) {
        int r = pidpps_rng_chars(g, p + grp, PIDPPS_GROUP - 1);
        if (r != 0) {
            scs_wipe(p, SCS_PPS_LEN);
            return r;
        }
        p[grp + PIDPPS_GROUP - 1] = scs_pidpps_check_char(p + grp, PIDPPS_GROUP - 1);
    }
    p[SCS_PPS_LEN] = 0;
    return 0;
}

int scs_pid_generate(char out[static SCS_PID_LEN + 1])
{
    struct scs_pidpps_rng g;
    int r;

    if ((r = scs_pidpps_rng_init(&g)) != 0) {
        return r;
    }
    r = scs_pid_generate_rng(&g, out);
    scs_pidpps_rng_free(&g);
    return r;
}

int scs_pps_generate(struct scs_secret **out)
{
    struct scs_pidpps_rng g;
    struct scs_secret *s;
    int r;

    *out = NULL;
    if ((s = scs_secret_new(SCS_PPS_LEN)) == NULL) {
        return SCS_ERR_NOMEM;
    }
    if ((r = scs_pidpps_rng_init(&g)) == 0) {
        r = scs_pps_generate_rng(&g, s);
        scs_pidpps_rng_free(&g);
    }
    if (r != 0) {
        scs_secret_free(s);
        return r;
    }
    *out = s;
    return 0;
}

int scs_pid_check(const char *raw, size_t len, struct scs_diag *d)
{
    if (len != SCS_PID_LEN) {
        return scs_diag_failn(d, SCS_ERR_FORMAT, "PID must be %d characters, not %zu", SCS_PID_LEN,
                              len);
    }
    for (size_t i = 0; i < len; i++) {
        if (!pidpps_is_alnum_upper(raw[i])) {
            return scs_diag_fail(d, SCS_ERR_FORMAT, i, "PID character %zu is not in A-Z 0-9",
                                 i + 1);
        }
    }
    if (scs_pidpps_check_char(raw, SCS_PID_LEN - 1) != raw[SCS_PID_LEN - 1]) {
        return scs_diag_fail(d, SCS_ERR_CHECKSUM, SCS_PID_LEN - 1,
                             "PID check character (character 8) is wrong");
    }
    return 0;
}

int scs_pps_check(const char *raw, size_t len, struct scs_diag *d)
{
    /* Examine every character so the time taken does not depend on where the
     * first mistake is; report the first bad group only. */
    size_t bad_group = 0, bad_alpha_group = 0;

    if (len != SCS_PPS_LEN) {
        return scs_diag_failn(d, SCS_ERR_FORMAT, "PPS must be %d characters, not %zu", SCS_PPS_LEN,
                              len);
    }
    for (size_t g = SCS_PPS_LEN / PIDPPS_GROUP; g > 0; g--) {
        const char *grp = raw + (g - 1) * PIDPPS_GROUP;
        int alpha_ok = 1;
        for (size_t i = 0; i < PIDPPS_GROUP; i++) {
            alpha_ok &= pidpps_is_alnum_upper(grp[i]);
        }
        if (!alpha_ok) {
            bad_alpha_group = g;
        } else if (scs_pidpps_check_char(grp, PIDPPS_GROUP - 1) != grp[PIDPPS_GROUP - 1]) {
            bad_group = g;
        }
    }
    if (bad_alpha_group != 0 && (bad_group == 0 || bad_alpha_group < bad_group)) {
        return scs_diag_fail(d, SCS_ERR_FORMAT, (bad_alpha_group - 1) * PIDPPS_GROUP,
                             "PPS group %zu has a character outside A-Z 0-9", bad_alpha_group);
    }
    if (bad_group != 0) {
        return scs_diag_fail(d, SCS_ERR_CHECKSUM, (bad_group - 1) * PIDPPS_GROUP + 3,
                             "PPS group %zu check character is wrong", bad_group);
    }
    return 0;
}

/*
 * Normalise typed text: either no dashes at all, or a dash after every group
 * of 4; upper-case letters.  raw receives rawlen characters; *srcpos maps raw
 * positions back to text positions for diagnostics.  What ends up in raw may be
 * a secret: the caller wipes it.
 */
static int pidpps_normalise(const char *text, size_t rawlen, char *raw, const char *what,
                            int secret, struct scs_diag *d)
{
    size_t tlen = strlen(text);
    size_t dashed_len = rawlen + rawlen / PIDPPS_GROUP - 1;
    int dashed;

    if (tlen == rawlen) {
        dashed = 0;
    } else if (tlen == dashed_len) {
        dashed = 1;
    } else {
        return scs_diag_failn(d, SCS_ERR_FORMAT,
                              "%s must be %zu characters (or %zu with dashes), not %zu", what,
                              rawlen, dashed_len, tlen);
    }
    for (size_t i = 0, o = 0; i < tlen; i++) {
        char c = text[i];
        int dash_pos = dashed && (i % (PIDPPS_GROUP + 1)) == PIDPPS_GROUP;

        if (dash_pos) {
            if (c != '-') {
                return scs_diag_fail(d, SCS_ERR_FORMAT, i, "%s: expected a dash at position %zu",
                                     what, i + 1);
            }
            continue;
        }
        if (c == '-') {
            return scs_diag_fail(d, SCS_ERR_FORMAT, i,
                                 "%s: misplaced dash at position %zu (a dash goes after every "
                                 "4 characters)",
                                 what, i + 1);
        }
        if (c >= 'a' && c <= 'z') {
            c = (char)(c - 'a' + 'A');
        }
        if (!pidpps_is_alnum_upper(c)) {
            if (secret) {
                return scs_diag_fail(d, SCS_ERR_FORMAT, i,
                                     "%s group %zu has a character outside A-Z 0-9", what,
                                     o / PIDPPS_GROUP + 1);
            }
            return scs_diag_fail(d, SCS_ERR_FORMAT, i, "%s character %zu is not in A-Z 0-9", what,
                                 o + 1);
        }
        raw[o++] = c;
    }
    return 0;
}

int scs_pid_parse(const char *text, char out[static SCS_PID_LEN + 1], struct scs_diag *d)
{
    char raw[SCS_PID_LEN + 1] = {0};
    int r;

    memset(out, 0, SCS_PID_LEN + 1);
    if (text == NULL) {
        return scs_diag_failn(d, SCS_ERR_INVALID_ARG, "no PID");
    }
    if ((r = pidpps_normalise(text, SCS_PID_LEN, raw, "PID", 0, d)) != 0) {
        return r;
    }
    if ((r = scs_pid_check(raw, SCS_PID_LEN, d)) != 0) {
        return r;
    }
    memcpy(out, raw, SCS_PID_LEN);
    return 0;
}

int scs_pps_parse(const char *text, struct scs_secret **out, struct scs_diag *d)
{
    char raw[SCS_PPS_LEN + 1] = {0};
    int r;

    *out = NULL;
    if (text == NULL) {
        return scs_diag_failn(d, SCS_ERR_INVALID_ARG, "no PPS");
    }
    r = pidpps_normalise(text, SCS_PPS_LEN, raw, "PPS", 1, d);
    if (r == 0) {
        r = scs_pps_check(raw, SCS_PPS_LEN, d);
    }
    if (r == 0 && (*out = scs_secret_from(raw, SCS_PPS_LEN)) == NULL) {
        r = SCS_ERR_NOMEM;
    }
    scs_wipe(raw, sizeof(raw));
    return r;
}

static void pidpps_format(const char *raw, size_t rawlen, char *out)
{
    size_t o = 0;

    for (size_t i = 0; i < rawlen; i++) {
        if (i > 0 && i % PIDPPS_GROUP == 0) {
            out[o++] = '-';
        }
        out[o++] = raw[i];
    }
    out[o] = 0;
}

void scs_pid_format(const char raw[static SCS_PID_LEN], char out[static SCS_PID_TEXT_LEN + 1])
{
    pidpps_format(raw, SCS_PID_LEN, out);
}

void scs_pps_format(const char raw[static SCS_PPS_LEN], char out[static SCS_PPS_TEXT_LEN + 1])
{
    pidpps_format(raw, SCS_PPS_LEN, out);
}
