/*
 * Whole-file helpers.  Reads are capped; writes are atomic (temporary file in
 * the same directory, fsync, rename, fsync of the directory) so a crash or a
 * failed write never leaves a half-written file where a good one was.
 */
#ifndef SCS_COMMON_FILEIO_H
#define SCS_COMMON_FILEIO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct scs_buf;

/* Read a whole file (or standard input for "-") into a new buffer of at most cap bytes.
 * SCS_ERR_TOO_LARGE if it is longer, SCS_ERR_IO (errno kept) if it cannot be read. */
int scs_file_read(const char *path, size_t cap, struct scs_buf **out);
/* Atomically replace path with len bytes, created with the given mode. */
int scs_file_write_atomic(const char *path, const void *data, size_t len, mode_t mode);
/* mkdir -p for one level, with mode; an existing directory is fine. */
int scs_dir_ensure(const char *path, mode_t mode);

#endif
