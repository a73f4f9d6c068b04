/*
 * Export and import of transfer bundles: the pool's side of docs/bundle.md.
 *
 * Export: records (with plaintext PPS) are built in a wiped buffer, sealed
 * with AES-256-GCM under a key scrypt derives from the passphrase, with the
 * header as associated data, and written atomically with mode 0600.
 * Import: the file is checked, opened and fully decoded first; then every
 * record is re-sealed with the master key and stored in one transaction, so
 * any failure leaves the store exactly as it was.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/fileio.h"
#include "common/log.h"
#include "common/secmem.h"
#include "crypto/crypto.h"
#include "psk/bundle.h"
#include "psk/pool.h"
#include "psk/pool_internal.h"
#include "store/store.h"

static int derive_key(const struct scs_secret *passphrase, const struct psk_bundle_header *h,
                      struct scs_secret **out)
{
    struct scs_secret *key = scs_secret_new(SCS_AEAD_KEY_LEN);
    int r;

    *out = NULL;
    if (key == NULL) {
        return SCS_ERR_NOMEM;
    }
    r = scs_scrypt(scs_secret_cdata(passphrase), scs_secret_len(passphrase), h->salt,
                   sizeof(h->salt), &h->kdf, scs_secret_data(key), SCS_AEAD_KEY_LEN);
    if (r != 0) {
        scs_secret_free(key);
        return r;
    }
    *out = key;
    return 0;
}

struct export_ctx {
    const struct scs_pool *p;
    struct scs_buf *payload;
    struct scs_secret *pps;
    uint64_t count;
};

static int export_visit(void *arg, const struct store_psk_row *row)
{
    struct export_ctx *x = arg;
    struct psk_bundle_record rec;
    int r;

    if (x->count >= PSK_BUNDLE_MAX_RECORDS) {
        return SCS_ERR_TOO_LARGE;
    }
    if ((r = psk_pps_open(x->p, row->pid, row->blob, row->blob_len, x->pps)) != 0) {
        log_warn("bundle: the stored PPS of %s does not open", row->pid);
        return r;
    }
    memset(&rec, 0, sizeof(rec));
    if ((r = psk_pid_copy(rec.pid, row->pid)) != 0) {
        return r;
    }
    rec.pps = scs_secret_str(x->pps);
    rec.state = (enum scs_psk_state)row->state;
    snprintf(rec.assignee, sizeof(rec.assignee), "%s", row->assignee);
    rec.created = row->created;
    rec.updated = row->updated;
    r = psk_bundle_encode_record(x->payload, &rec);
    scs_wipe(scs_secret_data(x->pps), SCS_PPS_LEN);
    if (r == 0) {
        x->count++;
    }
    return r;
}

int scs_pool_export(struct scs_pool *p, const char *path, const struct scs_secret *passphrase,
                    int state_filter, uint64_t *count)
{
    return scs_pool_export_params(p, path, passphrase, state_filter, &scs_scrypt_default, count);
}

int scs_pool_export_params(struct scs_pool *p, const char *path,
                           const struct scs_secret *passphrase, int state_filter,
                           const struct scs_scrypt_params *kdf, uint64_t *count)
{
    struct export_ctx x = {.p = p};
    struct store_psk_visit visit = {.fn = export_visit, .arg = &x};
    struct psk_bundle_header h;
    struct scs_secret *key = NULL;
    struct scs_buf *file = NULL;
    uint8_t hdr[PSK_BUNDLE_HEADER_LEN];
    char detail[96];
    int r;

    *count = 0;
    if (path == NULL || passphrase == NULL || scs_secret_len(passphrase) == 0 || kdf == NULL ||
        state_filter >= SCS_PSK_STATE_COUNT) {
        return SCS_ERR_INVALID_ARG;
    }
    x.payload = scs_buf_new(PSK_BUNDLE_MAX_PAYLOAD);
    x.pps = scs_secret_new(SCS_PPS_LEN);
    if (x.payload == NULL || x.pps == NULL) {
        r = SCS_ERR_NOMEM;
        goto out;
    }
    if ((r = store_psk_list(p->st, state_filter < 0 ? -1 : state_filter, 1, 0, &visit)) != 0) {
        goto out;
    }
    memset(&h, 0, sizeof(h));
    h.version = PSK_BUNDLE_VERSION;
    h.kdf = *kdf;
    h.count = (uint32_t)x.count;
    h.payload_len = (uint32_t)scs_buf_len(x.payload);
    if ((r = scs_random_bytes(h.salt, sizeof(h.salt))) != 0 ||
        (r = derive_key(passphrase, &h, &key)) != 0) {
        goto out;
    }
    file = scs_buf_new(PSK_BUNDLE_HEADER_LEN + SCS_AEAD_OVERHEAD + scs_buf_len(x.payload));
    if (file == NULL) {
        r = SCS_ERR_NOMEM;
        goto out;
    }
    if ((r = psk_bundle_encode_header(&h, file)) != 0) {
        goto out;
    }
    /* The header is the associated data: changing any parameter, count or length
     * makes the payload fail to open.  It is copied out first because sealing
     * appends to (and may move) the buffer it lives in. */
    memcpy(hdr, scs_buf_data(file), PSK_BUNDLE_HEADER_LEN);
    if ((r = scs_aead_seal(scs_secret_cdata(key), hdr, PSK_BUNDLE_HEADER_LEN,
                           scs_buf_data(x.payload), scs_buf_len(x.payload), file)) != 0) {
        goto out;
    }
    if ((r = scs_file_write_atomic(path, scs_buf_data(file), scs_buf_len(file), 0600)) != 0) {
        goto out;
    }
    snprintf(detail, sizeof(detail), "count=%llu state=%s", (unsigned long long)x.count,
             state_filter < 0 ? "all" : scs_psk_state_name((enum scs_psk_state)state_filter));
    if ((r = store_audit_append(p->st, psk_now(), "export", path, detail)) != 0) {
        goto out;
    }
    log_info("bundle: exported %llu pairs", (unsigned long long)x.count);
    *count = x.count;
out:
    scs_secret_free(key);
    scs_secret_free(x.pps);
    scs_buf_free(x.payload);
    scs_buf_free(file);
    return r;
}

struct import_ctx {
    struct scs_pool *p;
    struct scs_buf *ct;
    struct scs_secret *pps; /* an existing row's PPS, for the comparison */
    struct scs_import_result res;
    struct scs_diag *d;
    const struct psk_bundle_record *rec;
    int same;
};

/* An existing row with the record's PID: is it the same pair? */
static int import_compare(void *arg, const struct store_psk_row *row)
{
    struct import_ctx *m = arg;
    int r = psk_pps_open(m->p, row->pid, row->blob, row->blob_len, m->pps);

    if (r != 0) {
        return r;
    }
    m->same = scs_ct_eq(scs_secret_cdata(m->pps), m->rec->pps, SCS_PPS_LEN);
    scs_wipe(scs_secret_data(m->pps), SCS_PPS_LEN);
    return 0;
}

static int import_record(void *arg, uint32_t index, const struct psk_bundle_record *rec)
{
    struct import_ctx *m = arg;
    struct store_psk_visit visit = {.fn = import_compare, .arg = m};
    struct store_psk_row row;
    char text[SCS_PID_TEXT_LEN + 1];
    int r;

    if ((r = psk_pps_seal(m->p, rec->pid, rec->pps, m->ct)) != 0) {
        return scs_diag_failn(m->d, r, "record %u: cannot seal the PPS", index + 1);
    }
    memset(&row, 0, sizeof(row));
    snprintf(row.pid, sizeof(row.pid), "%s", rec->pid);
    row.state = (int)rec->state;
    snprintf(row.assignee, sizeof(row.assignee), "%s", rec->assignee);
    row.blob = scs_buf_data(m->ct);
    row.blob_len = scs_buf_len(m->ct);
    row.created = rec->created;
    row.updated = rec->updated;
    r = store_psk_insert(m->p->st, &row);
    if (r == 0) {
        m->res.imported++;
        return 0;
    }
    scs_pid_format(rec->pid, text);
    if (r != SCS_ERR_EXISTS) {
        return scs_diag_failn(m->d, r, "record %u (PID %s): cannot store it", index + 1, text);
    }
    /* Present already: the same pair (a re-import) is skipped; a different PPS under the
     * same PID is a conflict that an administrator must resolve. */
    m->rec = rec;
    m->same = 0;
    if ((r = store_psk_get(m->p->st, rec->pid, 1, &visit)) != 0) {
        return scs_diag_failn(m->d, r, "record %u (PID %s): cannot compare with the stored pair",
                              index + 1, text);
    }
    if (!m->same) {
        return scs_diag_failn(m->d, SCS_ERR_EXISTS,
                              "record %u: PID %s is already in the store with a different PPS",
                              index + 1, text);
    }
    m->res.skipped++;
    return 0;
}

int scs_pool_import(struct scs_pool *p, const char *path, const struct scs_secret *passphrase,
                    struct scs_import_result *res, struct scs_diag *d)
{
    struct import_ctx m = {.p = p, .d = d};
    struct psk_bundle_header h;
    struct scs_buf *file = NULL;
    struct scs_secret *key = NULL, *payload = NULL;
    const uint8_t *data;
    size_t len, ptlen = 0;
    char detail[96];
    int r, in_tx = 0;

    scs_diag_clear(d);
    memset(res, 0, sizeof(*res));
    if (path == NULL || passphrase == NULL) {
        return scs_diag_failn(d, SCS_ERR_INVALID_ARG, "no bundle or no passphrase");
    }
    if ((r = scs_file_read(path, PSK_BUNDLE_MAX_FILE, &file)) != 0) {
        if (r == SCS_ERR_TOO_LARGE) {
            return scs_diag_failn(d, r, "%s is larger than the %zu-byte bundle limit", path,
                                  PSK_BUNDLE_MAX_FILE);
        }
        return scs_diag_failn(d, r, "cannot read %s", path);
    }
    data = scs_buf_data(file);
    len = scs_buf_len(file);
    if ((r = psk_bundle_parse_header(data, len, &h, d)) != 0) {
        goto out;
    }
    if ((r = derive_key(passphrase, &h, &key)) != 0) {
        scs_diag_failn(d, r, "cannot derive the bundle key");
        goto out;
    }
    /* secret_new(0) is fine for an empty bundle: the tag still authenticates it. */
    if ((payload = scs_secret_new(h.payload_len)) == NULL) {
        r = SCS_ERR_NOMEM;
        goto out;
    }
    r = scs_aead_open(scs_secret_cdata(key), data, PSK_BUNDLE_HEADER_LEN,
                      data + PSK_BUNDLE_HEADER_LEN, len - PSK_BUNDLE_HEADER_LEN,
                      scs_secret_data(payload), h.payload_len, &ptlen);
    if (r != 0 || ptlen != h.payload_len) {
        /* AES-GCM cannot tell a wrong key from a changed byte, so neither can we. */
        r = scs_diag_failn(d, SCS_ERR_AUTH, "wrong passphrase or corrupted file");
        goto out;
    }
    /* Validate every record before the store is touched. */
    if ((r = psk_bundle_decode_records(scs_secret_cdata(payload), ptlen, h.count, NULL, NULL, d)) !=
        0) {
        goto out;
    }
    m.ct = scs_buf_new(STORE_BLOB_MAX);
    m.pps = scs_secret_new(SCS_PPS_LEN);
    if (m.ct == NULL || m.pps == NULL) {
        r = SCS_ERR_NOMEM;
        goto out;
    }
    if ((r = store_begin(p->st, 1)) != 0) {
        scs_diag_failn(d, r, "cannot start a transaction on the store");
        goto out;
    }
    in_tx = 1;
    if ((r = psk_bundle_decode_records(scs_secret_cdata(payload), ptlen, h.count, import_record, &m,
                                       d)) != 0) {
        goto out;
    }
    snprintf(detail, sizeof(detail), "imported=%llu skipped=%llu",
             (unsigned long long)m.res.imported, (unsigned long long)m.res.skipped);
    if ((r = store_audit_append(p->st, psk_now(), "import", path, detail)) != 0) {
        scs_diag_failn(d, r, "cannot write the audit record");
        goto out;
    }
    in_tx = 0;
    if ((r = store_commit(p->st)) != 0) {
        scs_diag_failn(d, r, "cannot commit the import");
        goto out;
    }
    log_info("bundle: %s", detail);
    *res = m.res;
out:
    if (in_tx) {
        store_rollback(p->st);
    }
    scs_buf_free(m.ct);
    scs_secret_free(m.pps);
    scs_secret_free(payload);
    scs_secret_free(key);
    scs_buf_free(file);
    return r;
}
