#include "common/encoding.h"

#include "common/err.h"

/* Branch-free nibble -> hex digit. */
static char hex_digit(unsigned v)
{
    /* v < 10 ? '0'+v : 'a'+v-10, computed with a mask. */
    unsigned mask = (unsigned)(((int)(9 - v)) >> 8) & 0xffu; /* 0xff when v > 9 */
    return (char)('0' + v + (mask & ('a' - '0' - 10)));
}

void scs_hex_encode(char *out, const uint8_t *in, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = hex_digit(in[i] >> 4);
        out[2 * i + 1] = hex_digit(in[i] & 15);
    }
    out[2 * len] = 0;
}

/* Branch-free hex digit -> value, or -1. */
static int hex_value(unsigned char c)
{
    int ch = c, ret = -1;
    ret += (((0x2f - ch) & (ch - 0x3a)) >> 8) & (ch - 47); /* '0'..'9' -> 1..10 */
    ret += (((0x40 - ch) & (ch - 0x47)) >> 8) & (ch - 54); /* 'A'..'F' -> 11..16 */
    ret += (((0x60 - ch) & (ch - 0x67)) >> 8) & (ch - 86); /* 'a'..'f' -> 11..16 */
    return ret;
}

int scs_hex_decode(uint8_t *out, size_t outlen, const char *in, size_t inlen)
{
    int bad = 0;

    if (inlen != 2 * outlen) {
        return SCS_ERR_FORMAT;
    }
    for (size_t i = 0; i < outlen; i++) {
        int hi = hex_value((unsigned char)in[2 * i]);
        int lo = hex_value((unsigned char)in[2 * i + 1]);
        bad |= (hi | lo) < 0;
        out[i] = (uint8_t)(((unsigned)hi << 4) | ((unsigned)lo & 15));
    }
    return bad ? SCS_ERR_FORMAT : 0;
}

size_t scs_base64_encoded_len(size_t len)
{
    return ((len + 2) / 3) * 4;
}

static char b64_char(unsigned v)
{
    /* 0..25 'A'.., 26..51 'a'.., 52..61 '0'.., 62 '+', 63 '/' without a table. */
    int x = (int)v;
    int diff = 'A';
    diff += ((25 - x) >> 8) & 6;
    diff -= ((51 - x) >> 8) & 75;
    diff -= ((61 - x) >> 8) & 15;
    diff += ((62 - x) >> 8) & 3;
    return (char)(x + diff);
}

void scs_base64_encode(char *out, const uint8_t *in, size_t len)
{
    size_t i = 0, o = 0;

    for (; i + 3 <= len; i += 3) {
        unsigned v = ((unsigned)in[i] << 16) | ((unsigned)in[i + 1] << 8) | in[i + 2];
        out[o++] = b64_char((v >> 18) & 63);
        out[o++] = b64_char((v >> 12) & 63);
        out[o++] = b64_char((v >> 6) & 63);
        out[o++] = b64_char(v & 63);
    }
    if (len - i == 1) {
        unsigned v = (unsigned)in[i] << 16;
        out[o++] = b64_char((v >> 18) & 63);
        out[o++] = b64_char((v >> 12) & 63);
        out[o++] = '=';
        out[o++] = '=';
    } else if (len - i == 2) {
        unsigned v = ((unsigned)in[i] << 16) | ((unsigned)in[i + 1] << 8);
        out[o++] = b64_char((v >> 18) & 63);
        out[o++] = b64_char((v >> 12) & 63);
        out[o++] = b64_char((v >> 6) & 63);
        out[o++] = '=';
    }
    out[o] = 0;
}

/* Branch-free base64 character -> value, or -1. */
static int b64_value(unsigned char c)
{
    int ch = c, ret = -1;
    ret += (((0x40 - ch) & (ch - 0x5b)) >> 8) & (ch - 64); /* A-Z -> 1..26 */
    ret += (((0x60 - ch) & (ch - 0x7b)) >> 8) & (ch - 70); /* a-z -> 27..52 */
    ret += (((0x2f - ch) & (ch - 0x3a)) >> 8) & (ch + 5);  /* 0-9 -> 53..62 */
    ret += (((0x2a - ch) & (ch - 0x2c)) >> 8) & 63;        /* +   -> 63 */
    ret += (((0x2e - ch) & (ch - 0x30)) >> 8) & 64;        /* /   -> 64 */
    return ret;
}

int scs_base64_decode(uint8_t *out, size_t outcap, size_t *outlen, const char *in, size_t inlen)
{
    size_t pad = 0, n, o = 0;
    int bad = 0;

    if (inlen % 4 != 0) {
        return SCS_ERR_FORMAT;
    }
    if (inlen >= 1 && in[inlen - 1] == '=') {
        pad++;
    }
    if (inlen >= 2 && in[inlen - 2] == '=') {
        pad++;
    }
    n = inlen / 4 * 3 - pad;
    if (n > outcap) {
        return SCS_ERR_TOO_LARGE;
    }
    for (size_t i = 0; i < inlen; i += 4) {
        int v[4];
        unsigned w;
        for (int k = 0; k < 4; k++) {
            if (i + (size_t)k >= inlen - pad) {
                v[k] = 0;
            } else {
                v[k] = b64_value((unsigned char)in[i + (size_t)k]);
                bad |= v[k] < 0;
            }
        }
        w = ((unsigned)v[0] << 18) | ((unsigned)v[1] << 12) | ((unsigned)v[2] << 6) |
            (unsigned)v[3];
        if (o < n) {
            out[o++] = (uint8_t)(w >> 16);
        }
        if (o < n) {
            out[o++] = (uint8_t)(w >> 8);
        }
        if (o < n) {
            out[o++] = (uint8_t)w;
        }
    }
    if (bad) {
        return SCS_ERR_FORMAT;
    }
    *outlen = n;
    return 0;
}
