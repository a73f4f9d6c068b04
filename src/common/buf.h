/*
 * Bounded buffers for all wire data (style.md §2.5).
 *
 * struct scs_buf is an opaque, growable output buffer with a hard cap fixed at
 * creation: an append that would pass the cap fails with SCS_ERR_TOO_LARGE and
 * leaves the buffer unchanged.  Its memory is wiped when it is reset or freed, so
 * a buffer that once held a secret leaves nothing behind.
 *
 * struct scs_rd is a read cursor over bytes someone else owns.  Every getter
 * checks the remaining length first and never moves the cursor on failure; the
 * parser then reports scs_rd_offset() in its diagnostic.
 */
#ifndef SCS_COMMON_BUF_H
#define SCS_COMMON_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#define SCS_BUF_MAX_CAP ((size_t)256 * 1024 * 1024)

struct scs_buf;

/* A new empty buffer that may grow up to cap bytes (at most SCS_BUF_MAX_CAP). */
struct scs_buf *scs_buf_new(size_t cap);
/* Wipe and free; NULL is allowed. */
void scs_buf_free(struct scs_buf *b);
/* Wipe the contents and make the buffer empty; the cap stays. */
void scs_buf_reset(struct scs_buf *b);

const uint8_t *scs_buf_data(const struct scs_buf *b);
size_t scs_buf_len(const struct scs_buf *b);
size_t scs_buf_cap(const struct scs_buf *b);

int scs_buf_put(struct scs_buf *b, const void *data, size_t len);
int scs_buf_put_u8(struct scs_buf *b, uint8_t v);
int scs_buf_put_u16le(struct scs_buf *b, uint16_t v);
int scs_buf_put_u32le(struct scs_buf *b, uint32_t v);
int scs_buf_put_zeros(struct scs_buf *b, size_t n);
int scs_buf_put_str(struct scs_buf *b, const char *s);
int scs_buf_printf(struct scs_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int scs_buf_vprintf(struct scs_buf *b, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
/* Make room for n bytes at the end, return a pointer to them and count them as used. */
int scs_buf_reserve(struct scs_buf *b, size_t n, uint8_t **out);
/* Drop the last n bytes (wiping them). */
int scs_buf_truncate(struct scs_buf *b, size_t new_len);
/* Contents as a NUL-terminated string (the NUL is not counted in the length). */
const char *scs_buf_cstr(struct scs_buf *b);

/* Read cursor. */
struct scs_rd {
    const uint8_t *data;
    size_t len;
    size_t off;
};

void scs_rd_init(struct scs_rd *r, const void *data, size_t len);
size_t scs_rd_remaining(const struct scs_rd *r);
size_t scs_rd_offset(const struct scs_rd *r);
int scs_rd_u8(struct scs_rd *r, uint8_t *v);
int scs_rd_u16le(struct scs_rd *r, uint16_t *v);
int scs_rd_u32le(struct scs_rd *r, uint32_t *v);
/* Point *p at the next n bytes and skip them. */
int scs_rd_bytes(struct scs_rd *r, size_t n, const uint8_t **p);
int scs_rd_copy(struct scs_rd *r, void *dst, size_t n);
int scs_rd_skip(struct scs_rd *r, size_t n);
/* SCS_ERR_TRAILING unless every byte was consumed. */
int scs_rd_end(const struct scs_rd *r);

#endif
