#include "common/buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/secmem.h"

struct scs_buf {
    uint8_t *data;
    size_t len;   /* bytes in use */
    size_t alloc; /* bytes allocated; always >= len + 1 for the cstr terminator */
    size_t cap;   /* hard limit on len */
};

/* Invariants are re-checked on entry to every mutator, as sshbuf does. */
static int buf_check(const struct scs_buf *b)
{
    if (b == NULL || b->len > b->cap || b->cap > SCS_BUF_MAX_CAP ||
        (b->data != NULL && b->len >= b->alloc)) {
        return SCS_ERR_INTERNAL;
    }
    return 0;
}

struct scs_buf *scs_buf_new(size_t cap)
{
    struct scs_buf *b;

    if (cap == 0 || cap > SCS_BUF_MAX_CAP) {
        return NULL;
    }
    b = calloc(1, sizeof(*b));
    if (b != NULL) {
        b->cap = cap;
    }
    return b;
}

void scs_buf_free(struct scs_buf *b)
{
    if (b == NULL) {
        return;
    }
    if (b->data != NULL) {
        scs_wipe(b->data, b->alloc);
        free(b->data);
    }
    scs_wipe(b, sizeof(*b));
    free(b);
}

void scs_buf_reset(struct scs_buf *b)
{
    if (b != NULL && b->data != NULL) {
        scs_wipe(b->data, b->alloc);
        b->len = 0;
    }
}

const uint8_t *scs_buf_data(const struct scs_buf *b)
{
    static const uint8_t empty[1];
    return (b == NULL || b->data == NULL) ? empty : b->data;
}

size_t scs_buf_len(const struct scs_buf *b)
{
    return b == NULL ? 0 : b->len;
}

size_t scs_buf_cap(const struct scs_buf *b)
{
    return b == NULL ? 0 : b->cap;
}

/* Grow so that n more bytes (plus a terminator) fit; the old block is wiped, never left behind. */
static int buf_grow(struct scs_buf *b, size_t n)
{
    size_t need, nalloc;
    uint8_t *p;
    int r;

    if ((r = buf_check(b)) != 0) {
        return r;
    }
    if (n > b->cap - b->len) {
        return SCS_ERR_TOO_LARGE;
    }
    need = b->len + n + 1;
    if (need <= b->alloc) {
        return 0;
    }
    nalloc = b->alloc < 64 ? 64 : b->alloc;
    while (nalloc < need) {
        nalloc = nalloc > SIZE_MAX / 2 ? need : nalloc * 2;
    }
    if (nalloc > b->cap + 1) {
        nalloc = b->cap + 1;
    }
    p = calloc(1, nalloc);
    if (p == NULL) {
        return SCS_ERR_NOMEM;
    }
    if (b->data != NULL) {
        memcpy(p, b->data, b->len);
        scs_wipe(b->data, b->alloc);
        free(b->data);
    }
    b->data = p;
    b->alloc = nalloc;
    return 0;
}

int scs_buf_reserve(struct scs_buf *b, size_t n, uint8_t **out)
{
    int r = buf_grow(b, n);

    if (r != 0) {
        return r;
    }
    if (out != NULL) {
        *out = b->data + b->len;
    }
    b->len += n;
    b->data[b->len] = 0;
    return 0;
}

int scs_buf_put(struct scs_buf *b, const void *data, size_t len)
{
    uint8_t *p;
    int r;

    if (len == 0) {
        return buf_check(b);
    }
    if (data == NULL) {
        return SCS_ERR_INVALID_ARG;
    }
    if ((r = scs_buf_reserve(b, len, &p)) != 0) {
        return r;
    }
    memcpy(p, data, len);
    return 0;
}

int scs_buf_put_u8(struct scs_buf *b, uint8_t v)
{
    return scs_buf_put(b, &v, 1);
}

int scs_buf_put_u16le(struct scs_buf *b, uint16_t v)
{
    uint8_t le[2] = {(uint8_t)(v & 0xff), (uint8_t)(v >> 8)};
    return scs_buf_put(b, le, sizeof(le));
}

int scs_buf_put_u32le(struct scs_buf *b, uint32_t v)
{
    uint8_t le[4] = {(uint8_t)(v & 0xff), (uint8_t)((v >> 8) & 0xff), (uint8_t)((v >> 16) & 0xff),
                     (uint8_t)(v >> 24)};
    return scs_buf_put(b, le, sizeof(le));
}

int scs_buf_put_zeros(struct scs_buf *b, size_t n)
{
    uint8_t *p;
    int r;

    if ((r = scs_buf_reserve(b, n, &p)) != 0) {
        return r;
    }
    memset(p, 0, n);
    return 0;
}

int scs_buf_put_str(struct scs_buf *b, const char *s)
{
    if (s == NULL) {
        return SCS_ERR_INVALID_ARG;
    }
    return scs_buf_put(b, s, strlen(s));
}

int scs_buf_vprintf(struct scs_buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    int n, r;
    uint8_t *p;

    va_copy(ap2, ap);
    n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0) {
        return SCS_ERR_INVALID_ARG;
    }
    if ((r = buf_grow(b, (size_t)n)) != 0) {
        return r;
    }
    p = b->data + b->len;
    vsnprintf((char *)p, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return 0;
}

int scs_buf_printf(struct scs_buf *b, const char *fmt, ...)
{
    va_list ap;
    int r;

    va_start(ap, fmt);
    r = scs_buf_vprintf(b, fmt, ap);
    va_end(ap);
    return r;
}

int scs_buf_truncate(struct scs_buf *b, size_t new_len)
{
    int r;

    if ((r = buf_check(b)) != 0) {
        return r;
    }
    if (new_len > b->len) {
        return SCS_ERR_INVALID_ARG;
    }
    if (b->data != NULL) {
        scs_wipe(b->data + new_len, b->len - new_len);
    }
    b->len = new_len;
    return 0;
}

const char *scs_buf_cstr(struct scs_buf *b)
{
    if (b == NULL) {
        return "";
    }
    if (b->data == NULL && buf_grow(b, 0) != 0) {
        return "";
    }
    b->data[b->len] = 0;
    return (const char *)b->data;
}

void scs_rd_init(struct scs_rd *r, const void *data, size_t len)
{
    r->data = data;
    r->len = data == NULL ? 0 : len;
    r->off = 0;
}

size_t scs_rd_remaining(const struct scs_rd *r)
{
    return r->len - r->off;
}

size_t scs_rd_offset(const struct scs_rd *r)
{
    return r->off;
}

int scs_rd_bytes(struct scs_rd *r, size_t n, const uint8_t **p)
{
    if (r->off > r->len || n > r->len - r->off) {
        return SCS_ERR_TRUNCATED;
    }
    if (p != NULL) {
        *p = r->data + r->off;
    }
    r->off += n;
    return 0;
}

int scs_rd_skip(struct scs_rd *r, size_t n)
{
    return scs_rd_bytes(r, n, NULL);
}

int scs_rd_copy(struct scs_rd *r, void *dst, size_t n)
{
    const uint8_t *p;
    int e = scs_rd_bytes(r, n, &p);

    if (e == 0 && n > 0) {
        memcpy(dst, p, n);
    }
    return e;
}

int scs_rd_u8(struct scs_rd *r, uint8_t *v)
{
    const uint8_t *p;
    int e = scs_rd_bytes(r, 1, &p);

    if (e == 0) {
        *v = p[0];
    }
    return e;
}

int scs_rd_u16le(struct scs_rd *r, uint16_t *v)
{
    const uint8_t *p;
    int e = scs_rd_bytes(r, 2, &p);

    if (e == 0) {
        *v = (uint16_t)(p[0] | (p[1] << 8));
    }
    return e;
}

int scs_rd_u32le(struct scs_rd *r, uint32_t *v)
{
    const uint8_t *p;
    int e = scs_rd_bytes(r, 4, &p);

    if (e == 0) {
        *v = (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
             ((uint32_t)p[3] << 24);
    }
    return e;
}

int scs_rd_end(const struct scs_rd *r)
{
    return r->off == r->len ? 0 : SCS_ERR_TRAILING;
}
