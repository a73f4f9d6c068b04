#include "common/secmem.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

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

/*
 * Secret bytes live in pages of their own, locked out of swap (best effort:
 * RLIMIT_MEMLOCK is small for unprivileged users) and left out of core dumps.
 * Small secrets share 64 KiB regions cut into chunks of a few size classes, so
 * that a secret costs no system call: locking each heap allocation took three
 * (mlock, madvise, munlock) per secret, and munlock on one secret unlocked the
 * page under its neighbours too.  Freed chunks are wiped and reused; regions
 * are never unmapped.  Larger secrets get a mapping of their own.
 */
#define SECRET_REGION_LEN (64 * 1024)

static const size_t secret_class_len[] = {64, 256, 1024, 4096};
#define SECRET_CLASSES (sizeof(secret_class_len) / sizeof(secret_class_len[0]))

struct secret_chunk {
    struct secret_chunk *next;
};

static struct secret_chunk *secret_free_chunks[SECRET_CLASSES];
static pthread_mutex_t secret_lock = PTHREAD_MUTEX_INITIALIZER;

struct scs_secret {
    size_t len;
    size_t alloc; /* usable bytes at data */
    int cls;      /* size class, or -1 for a mapping of its own */
    uint8_t *data;
};

static void *map_private(size_t len)
{
    void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

    if (p == MAP_FAILED) {
        return NULL;
    }
    (void)mlock(p, len);
#ifdef MADV_DONTDUMP
    (void)madvise(p, len, MADV_DONTDUMP);
#endif
    return p;
}

static size_t page_round(size_t len)
{
    long pg = sysconf(_SC_PAGESIZE);
    size_t page = pg > 0 ? (size_t)pg : 4096;

    return len > SIZE_MAX - page ? 0 : (len + page - 1) / page * page;
}

/* A zeroed chunk of class c; the caller holds secret_lock. */
static void *chunk_take(size_t c)
{
    struct secret_chunk *ch = secret_free_chunks[c];

    if (ch == NULL) {
        uint8_t *region = map_private(SECRET_REGION_LEN);

        if (region == NULL) {
            return NULL;
        }
        for (size_t off = 0; off + secret_class_len[c] <= SECRET_REGION_LEN;
             off += secret_class_len[c]) {
            struct secret_chunk *n = (struct secret_chunk *)(void *)(region + off);
            n->next = secret_free_chunks[c];
            secret_free_chunks[c] = n;
        }
        ch = secret_free_chunks[c];
    }
    secret_free_chunks[c] = ch->next;
    ch->next = NULL; /* the rest of a free chunk is already zero (wiped on free) */
    return ch;
}

struct scs_secret *scs_secret_new(size_t len)
{
    struct scs_secret *s;

    if (len >= SIZE_MAX / 2) {
        return NULL;
    }
    s = calloc(1, sizeof(*s));
    if (s == NULL) {
        return NULL;
    }
    s->len = len;
    s->cls = -1;
    for (size_t c = 0; c < SECRET_CLASSES; c++) {
        if (len + 1 <= secret_class_len[c]) {
            s->cls = (int)c;
            break;
        }
    }
    if (s->cls >= 0) {
        s->alloc = secret_class_len[s->cls];
        (void)pthread_mutex_lock(&secret_lock);
        s->data = chunk_take((size_t)s->cls);
        (void)pthread_mutex_unlock(&secret_lock);
    } else {
        s->alloc = page_round(len + 1);
        s->data = s->alloc > 0 ? map_private(s->alloc) : NULL;
    }
    if (s->data == NULL) {
        free(s);
        return NULL;
    }
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
    if (s->cls >= 0) {
        struct secret_chunk *ch = (struct secret_chunk *)(void *)s->data;

        (void)pthread_mutex_lock(&secret_lock);
        ch->next = secret_free_chunks[s->cls];
        secret_free_chunks[s->cls] = ch;
        (void)pthread_mutex_unlock(&secret_lock);
    } else {
        (void)munlock(s->data, s->alloc);
        (void)munmap(s->data, s->alloc);
    }
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
