/*
 * One error namespace for the whole tree (style.md §2.8): functions return 0 on
 * success or a negative SCS_ERR_* code, never exit, and never print.  Parsers of
 * untrusted bytes also fill a struct scs_diag with the byte offset and a reason
 * so that the caller can tell an administrator exactly what was wrong.
 */
#ifndef SCS_COMMON_ERR_H
#define SCS_COMMON_ERR_H

#include <stddef.h>

enum scs_err {
    SCS_OK = 0,
    SCS_ERR_NOMEM = -1,            /* allocation failed */
    SCS_ERR_INVALID_ARG = -2,      /* caller passed something out of range */
    SCS_ERR_TRUNCATED = -3,        /* input ended before the format said it would */
    SCS_ERR_TRAILING = -4,         /* bytes left over after a complete message */
    SCS_ERR_TOO_LARGE = -5,        /* input or output over a named limit */
    SCS_ERR_FORMAT = -6,           /* input is not in the expected format */
    SCS_ERR_CHECKSUM = -7,         /* a check character or checksum is wrong */
    SCS_ERR_IO = -8,               /* a read, write, open or rename failed (see errno) */
    SCS_ERR_CRYPTO = -9,           /* the crypto library failed */
    SCS_ERR_AUTH = -10,            /* authentication or integrity check failed */
    SCS_ERR_NOT_FOUND = -11,       /* no such object */
    SCS_ERR_EXISTS = -12,          /* object already exists */
    SCS_ERR_STATE = -13,           /* object is in the wrong state for this */
    SCS_ERR_DB = -14,              /* the database failed */
    SCS_ERR_EXHAUSTED = -15,       /* nothing left to hand out */
    SCS_ERR_VERSION = -16,         /* unsupported format or schema version */
    SCS_ERR_PROTOCOL = -17,        /* the peer broke the protocol */
    SCS_ERR_TIMEOUT = -18,         /* the peer took too long */
    SCS_ERR_NETWORK = -19,         /* connect, send or receive failed */
    SCS_ERR_NOT_INITIALISED = -20, /* data directory has no store yet */
    SCS_ERR_PERMISSION = -21,      /* file mode or ownership is unsafe */
    SCS_ERR_INTERNAL = -22,        /* a bug: an invariant did not hold */
    SCS_ERR_MAX_ = -23
};

/* A short, stable, human-readable description of an SCS_ERR_* code. */
const char *scs_strerror(int err);

/* Where and why a parser rejected its input. */
struct scs_diag {
    size_t offset;    /* byte offset into the input where the problem is */
    int has_offset;   /* 0 when the problem is not tied to a byte position */
    char reason[240]; /* plain-language reason; never contains secret bytes */
};

void scs_diag_clear(struct scs_diag *d);
/* Record offset and reason; returns err so parsers can `return scs_diag_fail(...)`. */
int scs_diag_fail(struct scs_diag *d, int err, size_t offset, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* The same without a byte position. */
int scs_diag_failn(struct scs_diag *d, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
