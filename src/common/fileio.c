#include "common/fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/err.h"

int scs_file_read(const char *path, size_t cap, struct scs_buf **out)
{
    struct scs_buf *b;
    int fd, r = 0;

    *out = NULL;
    if (strcmp(path, "-") == 0) {
        fd = STDIN_FILENO;
    } else if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
        return SCS_ERR_IO;
    }
    if ((b = scs_buf_new(cap + 1)) == NULL) {
        r = SCS_ERR_NOMEM;
        goto done;
    }
    for (;;) {
        uint8_t chunk[4096];
        ssize_t n = read(fd, chunk, sizeof(chunk));
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            r = SCS_ERR_IO;
            break;
        }
        if (n == 0) {
            break;
        }
        if ((r = scs_buf_put(b, chunk, (size_t)n)) != 0) {
            break;
        }
    }
    if (r == 0 && scs_buf_len(b) > cap) {
        r = SCS_ERR_TOO_LARGE;
    }
done:
    if (fd != STDIN_FILENO) {
        int saved = errno;
        close(fd);
        errno = saved;
    }
    if (r != 0) {
        scs_buf_free(b);
        return r;
    }
    *out = b;
    return 0;
}

static int fsync_parent(const char *path)
{
    char *copy = strdup(path);
    int fd, r = 0;

    if (copy == NULL) {
        return SCS_ERR_NOMEM;
    }
    fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        if (fsync(fd) != 0) {
            r = SCS_ERR_IO;
        }
        close(fd);
    }
    free(copy);
    return r;
}

int scs_file_write_atomic(const char *path, const void *data, size_t len, mode_t mode)
{
    size_t plen = strlen(path);
    char *tmp = malloc(plen + 16);
    const uint8_t *p = data;
    int fd, r = 0;

    if (tmp == NULL) {
        return SCS_ERR_NOMEM;
    }
    snprintf(tmp, plen + 16, "%s.tmpXXXXXX", path);
    if ((fd = mkostemp(tmp, O_CLOEXEC)) < 0) {
        free(tmp);
        return SCS_ERR_IO;
    }
    if (fchmod(fd, mode) != 0) {
        r = SCS_ERR_IO;
    }
    while (r == 0 && len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            r = SCS_ERR_IO;
            break;
        }
        p += n;
        len -= (size_t)n;
    }
    if (r == 0 && fsync(fd) != 0) {
        r = SCS_ERR_IO;
    }
    if (close(fd) != 0 && r == 0) {
        r = SCS_ERR_IO;
    }
    if (r == 0 && rename(tmp, path) != 0) {
        r = SCS_ERR_IO;
    }
    if (r != 0) {
        int saved = errno;
        unlink(tmp);
        errno = saved;
    } else {
        r = fsync_parent(path);
    }
    free(tmp);
    return r;
}

int scs_dir_ensure(const char *path, mode_t mode)
{
    struct stat st;

    if (mkdir(path, mode) == 0) {
        return 0;
    }
    if (errno == EEXIST && stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        return 0;
    }
    return SCS_ERR_IO;
}
