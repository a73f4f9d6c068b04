/*
 * Secret hygiene (style.md §2.15): constant-time comparison, wiping, and a
 * container for secret bytes that is locked out of swap and core dumps and is
 * wiped when freed.  A struct scs_secret is not a string, so it cannot be
 * handed to a printf-style logger by mistake.
 */
#ifndef SCS_COMMON_SECMEM_H
#define SCS_COMMON_SECMEM_H

#include <stddef.h>
#include <stdint.h>

/* 1 when the n bytes at a and b are equal; time depends only on n. */
int scs_ct_eq(const void *a, const void *b, size_t n);
/* Equal strings of possibly different lengths; time depends only on the lengths. */
int scs_ct_streq(const char *a, const char *b);
/* Overwrite memory in a way the compiler may not remove. */
void scs_wipe(void *p, size_t n);
/* Wipe then free; NULL is allowed. */
void scs_freezero(void *p, size_t n);
/* Wipe a NUL-terminated string, then free it. */
void scs_free_str(char *s);

struct scs_secret;

/* A zero-filled secret of len bytes (plus one NUL so text secrets stay terminated). */
struct scs_secret *scs_secret_new(size_t len);
/* A secret holding a copy of len bytes. */
struct scs_secret *scs_secret_from(const void *data, size_t len);
void scs_secret_free(struct scs_secret *s);
uint8_t *scs_secret_data(struct scs_secret *s);
const uint8_t *scs_secret_cdata(const struct scs_secret *s);
size_t scs_secret_len(const struct scs_secret *s);
/* The bytes as a NUL-terminated string (for text secrets such as a PPS). */
const char *scs_secret_str(const struct scs_secret *s);
/* Shorten the secret (e.g. after reading fewer bytes); wipes the rest. */
void scs_secret_set_len(struct scs_secret *s, size_t len);

#endif
