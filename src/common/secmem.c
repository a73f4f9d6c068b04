#include "common/secmem.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

int scs_ct_eq(const void *a, const void *b, size_t n)
{
    const volatile uint8_t *pa = a;
    const volatile uint8_t *pb = b;
    uint8_t acc = 0;

    for (size_t i = 0; i < n; i++) {
        acc |= (uint8_t)(pa[i] ^ pb[i]);
    }
    /* Map 0 -> 1 and anything else -> 0 without a data-dependent branch. */
    return (int)(1 & ((uint32_t)(acc - 1) >> 8));
}

int scs_ct_streq(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    size_t n = la < lb ? la : lb;
    int same = scs_ct_eq(a, b, n);

    return same & (la == lb);
}

void scs_wipe(void *p, size_t n)
{
    if (p != NULL && n > 0) {
        explicit_bzero(p, n);
    }
}

void scs_freezero(void *p, size_t n)
{
    if (p != NULL) {
        scs_wipe(p, n);
        free(p);
    }
}

void scs_free_str(char *s)
{
    if (s != NULL) {
        scs_freezero(s, strlen(s));
    }
}

struct scs_secret {
    size_t len;
    size_t alloc;
    uint8_t *data;
};

struct scs_secret *scs_secret_new(size_t len)
{
    struct scs_secret *s = calloc(1, sizeof(*s));

    if (s == NULL) {
        return NULL;
    }
    s->alloc = len + 1;
    s->data = calloc(1, s->alloc);
    if (s->data == NULL) {
        free(s);
        return NULL;
    }
    s->len = len;
    /* Best effort: keep the page out of swap and core dumps; failure is not fatal
     * (RLIMIT_MEMLOCK is small for unprivileged users). */
    (void)mlock(s->data, s->alloc);
#ifdef MADV_DONTDUMP
    (void)madvise((void *)((uintptr_t)s->data & ~(uintptr_t)4095), 4096, MADV_DONTDUMP);
#endif
    return s;
}

struct scs_secret *scs_secret_from(const void *data, size_t len)
{
    struct scs_secret *s = scs_secret_new(len);

    if (s != NULL && len > 0) {
        memcpy(s->data, data, len);
    }
    return s;
}

void scs_secret_free(struct scs_secret *s)
{
    if (s == NULL) {
        return;
    }
    scs_wipe(s->data, s->alloc);
    (void)munlock(s->data, s->alloc);
    free(s->data);
    scs_wipe(s, sizeof(*s));
    free(s);
}

uint8_t *scs_secret_data(struct scs_secret *s)
{
    return s->data;
}

const uint8_t *scs_secret_cdata(const struct scs_secret *s)
{
    return s->data;
}

size_t scs_secret_len(const struct scs_secret *s)
{
    return s->len;
}

const char *scs_secret_str(const struct scs_secret *s)
{
    return (const char *)s->data;
}

void scs_secret_set_len(struct scs_secret *s, size_t len)
{
    if (len < s->len) {
        scs_wipe(s->data + len, s->alloc - len);
        s->len = len;
    }
}
