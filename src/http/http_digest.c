/*
 * RFC 2617 §3.2.2 Digest arithmetic with MD5 and qop=auth.  libcurl computes
 * the client side itself; this is here so that tests (and a future server-side
 * check) can recompute what curl sent, and it is checked against the vector of
 * protocol.md §6.7.
 */
#include <string.h>

#include "common/buf.h"
#include "common/encoding.h"
#include "common/err.h"
#include "common/secmem.h"
#include "crypto/crypto.h"
#include "http/http.h"

#define DIGEST_INPUT_MAX 2048

static int md5_hex_of(struct scs_buf *b, char out[static HTTP_MD5_HEX_LEN + 1])
{
    uint8_t md[SCS_MD5_LEN];
    int rc = scs_md5(scs_buf_data(b), scs_buf_len(b), md);
    if (rc == 0) {
        scs_hex_encode(out, md, sizeof(md));
    }
    scs_wipe(md, sizeof(md));
    return rc;
}

int http_digest_ha1(const char *user, const char *realm, const char *password,
                    char out[static HTTP_MD5_HEX_LEN + 1])
{
    struct scs_buf *b;
    int rc;
    if (user == NULL || realm == NULL || password == NULL) {
        return SCS_ERR_INVALID_ARG;
    }
    b = scs_buf_new(DIGEST_INPUT_MAX);
    if (b == NULL) {
        return SCS_ERR_NOMEM;
    }
    /* HA1 = MD5(username ":" realm ":" password) */
    rc = scs_buf_printf(b, "%s:%s:%s", user, realm, password);
    if (rc == 0) {
        rc = md5_hex_of(b, out);
    }
    scs_buf_free(b);
    return rc;
}

int http_digest_response(const char *ha1_hex, const char *method, const char *uri,
                         const char *nonce, const char *nc, const char *cnonce, const char *qop,
                         char out[static HTTP_MD5_HEX_LEN + 1])
{
    char ha2[HTTP_MD5_HEX_LEN + 1];
    struct scs_buf *b;
    int rc;
    if (ha1_hex == NULL || method == NULL || uri == NULL || nonce == NULL || nc == NULL ||
        cnonce == NULL || qop == NULL || strcmp(qop, "auth") != 0) {
        return SCS_ERR_INVALID_ARG;
    }
    b = scs_buf_new(DIGEST_INPUT_MAX);
    if (b == NULL) {
        return SCS_ERR_NOMEM;
    }
    /* HA2 = MD5(method ":" digest-uri) for qop=auth */
    rc = scs_buf_printf(b, "%s:%s", method, uri);
    if (rc == 0) {
        rc = md5_hex_of(b, ha2);
    }
    if (rc == 0) {
        scs_buf_reset(b);
        /* response = MD5(HA1 ":" nonce ":" nc ":" cnonce ":" qop ":" HA2) */
        rc = scs_buf_printf(b, "%s:%s:%s:%s:%s:%s", ha1_hex, nonce, nc, cnonce, qop, ha2);
    }
    if (rc == 0) {
        rc = md5_hex_of(b, out);
    }
    scs_buf_free(b);
    return rc;
}
