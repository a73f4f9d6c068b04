/*
 * The master key: 32 random bytes in <datadir>/master.key that seal every
 * secret column of the store.  It is created 0600 and written atomically; on
 * load, a key file that anyone but its owner could read, or that belongs to
 * another user, is refused rather than used, because a leaked key opens every
 * PPS in the database.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/err.h"
#include "common/fileio.h"
#include "common/secmem.h"
#include "crypto/crypto.h"
#include "psk/pool_internal.h"

char *psk_path_join(const char *dir, const char *name)
{
    size_t n = strlen(dir) + 1 + strlen(name) + 1;
    char *s = malloc(n);

    if (s != NULL) {
        snprintf(s, n, "%s/%s", dir, name);
    }
    return s;
}

int psk_masterkey_create(const char *path)
{
    struct scs_secret *key = scs_secret_new(PSK_MASTER_KEY_LEN);
    int r;

    if (key == NULL) {
        return SCS_ERR_NOMEM;
    }
    if ((r = scs_random_bytes(scs_secret_data(key), PSK_MASTER_KEY_LEN)) == 0) {
        r = scs_file_write_atomic(path, scs_secret_cdata(key), PSK_MASTER_KEY_LEN, 0600);
    }
    scs_secret_free(key);
    return r;
}

int psk_masterkey_load(const char *path, struct scs_secret **out, struct scs_diag *d)
{
    struct scs_secret *key = NULL;
    struct stat st;
    size_t got = 0;
    int fd, r = 0;

    *out = NULL;
    if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0) {
        if (errno == ENOENT) {
            return scs_diag_failn(d, SCS_ERR_NOT_INITIALISED, "%s does not exist", path);
        }
        return scs_diag_failn(d, SCS_ERR_IO, "cannot open %s: %s", path, strerror(errno));
    }
    if (fstat(fd, &st) != 0) {
        r = scs_diag_failn(d, SCS_ERR_IO, "cannot stat %s", path);
        goto done;
    }
    if (!S_ISREG(st.st_mode)) {
        r = scs_diag_failn(d, SCS_ERR_PERMISSION, "%s is not a regular file", path);
        goto done;
    }
    if ((st.st_mode & 077) != 0) {
        r = scs_diag_failn(d, SCS_ERR_PERMISSION,
                           "%s is accessible by group or others (mode %04o); "
                           "it must be 0600 (chmod 600 %s)",
                           path, (unsigned)(st.st_mode & 07777), path);
        goto done;
    }
    if (st.st_uid != geteuid()) {
        r = scs_diag_failn(d, SCS_ERR_PERMISSION, "%s belongs to uid %u, not to this user (%u)",
                           path, (unsigned)st.st_uid, (unsigned)geteuid());
        goto done;
    }
    if (st.st_size != PSK_MASTER_KEY_LEN) {
        r = scs_diag_failn(d, SCS_ERR_FORMAT, "%s must be exactly %d bytes, not %lld", path,
                           PSK_MASTER_KEY_LEN, (long long)st.st_size);
        goto done;
    }
    if ((key = scs_secret_new(PSK_MASTER_KEY_LEN)) == NULL) {
        r = SCS_ERR_NOMEM;
        goto done;
    }
    while (got < PSK_MASTER_KEY_LEN) {
        ssize_t n = read(fd, scs_secret_data(key) + got, PSK_MASTER_KEY_LEN - got);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            r = scs_diag_failn(d, SCS_ERR_IO, "cannot read %s", path);
            goto done;
        }
        got += (size_t)n;
    }
done:
    close(fd);
    if (r != 0) {
        scs_secret_free(key);
        return r;
    }
    *out = key;
    return 0;
}
