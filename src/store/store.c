/*
 * Backend table and the thin wrappers that callers use.  Adding a backend is
 * one line in store_backends[] (behind its #ifdef HAVE_X) and one store_<x>.c.
 */
#include "store/store.h"

#include <string.h>

#include "common/err.h"

static const struct store_ops *const store_backends[] = {
    &store_sqlite_ops,
    NULL,
};

const struct store_ops *store_backend(const char *name)
{
    if (name == NULL) {
        return NULL;
    }
    for (size_t i = 0; store_backends[i] != NULL; i++) {
        if (strcmp(store_backends[i]->name, name) == 0) {
            return store_backends[i];
        }
    }
    return NULL;
}

int store_open(const char *backend, const char *location, int create, struct store **out)
{
    const struct store_ops *ops = store_backend(backend != NULL ? backend : STORE_DEFAULT_BACKEND);

    *out = NULL;
    if (ops == NULL || location == NULL) {
        return SCS_ERR_INVALID_ARG;
    }
    return ops->open(location, create, out);
}

void store_close(struct store *s)
{
    if (s != NULL) {
        s->ops->close(s);
    }
}

int store_begin(struct store *s, int immediate)
{
    return s->ops->begin(s, immediate);
}

int store_commit(struct store *s)
{
    return s->ops->commit(s);
}

int store_rollback(struct store *s)
{
    return s->ops->rollback(s);
}

int store_set_durability(struct store *s, enum store_durability d)
{
    return s->ops->set_durability(s, d);
}

int store_sync(struct store *s)
{
    return s->ops->sync(s);
}

int store_set_batching(struct store *s, void (*hook)(void *arg), void *arg)
{
    return s->ops->set_batching(s, hook, arg);
}

int store_flush(struct store *s, int durable)
{
    return s->ops->flush(s, durable);
}

int store_schema_version(struct store *s, int *version)
{
    return s->ops->schema_version(s, version);
}

int store_meta_get(struct store *s, const char *key, uint8_t *val, size_t cap, size_t *len)
{
    return s->ops->meta_get(s, key, val, cap, len);
}

int store_meta_set(struct store *s, const char *key, const uint8_t *val, size_t len)
{
    return s->ops->meta_set(s, key, val, len);
}

int store_psk_insert(struct store *s, const struct store_psk_row *row)
{
    return s->ops->psk_insert(s, row);
}

int store_psk_get(struct store *s, const char *pid, int with_blob,
                  const struct store_psk_visit *visit)
{
    return s->ops->psk_get(s, pid, with_blob, visit);
}

int store_psk_set_state(struct store *s, const char *pid, unsigned from_mask, int to,
                        const char *assignee, int64_t now)
{
    return s->ops->psk_set_state(s, pid, from_mask, to, assignee, now);
}

int store_psk_take(struct store *s, size_t n, int from, int to, const char *assignee, int64_t now,
                   const struct store_psk_visit *visit)
{
    return s->ops->psk_take(s, n, from, to, assignee, now, visit);
}

int store_psk_list(struct store *s, int state, int with_blob, uint64_t limit,
                   const struct store_psk_visit *visit)
{
    return s->ops->psk_list(s, state, with_blob, limit, visit);
}

int store_psk_count(struct store *s, uint64_t *counts, size_t nstates)
{
    return s->ops->psk_count(s, counts, nstates);
}

int store_audit_append(struct store *s, int64_t time, const char *event, const char *subject,
                       const char *detail)
{
    return s->ops->audit_append(s, time, event, subject, detail);
}

int store_audit_list(struct store *s,
                     int (*fn)(void *arg, int64_t id, int64_t time, const char *event,
                               const char *subject, const char *detail),
                     void *arg)
{
    return s->ops->audit_list(s, fn, arg);
}

int store_device_put(struct store *s, const struct store_device_row *row)
{
    return s->ops->device_put(s, row);
}

int store_device_get(struct store *s, const char *uuid, struct store_device_row *out)
{
    return s->ops->device_get(s, uuid, out);
}

int store_device_list(struct store *s, int (*fn)(void *arg, const struct store_device_row *row),
                      void *arg)
{
    return s->ops->device_list(s, fn, arg);
}

int store_secret_set(struct store *s, enum store_secret_table t, const char *owner,
                     const char *name, const uint8_t *blob, size_t len, int64_t now)
{
    return s->ops->secret_set(s, t, owner, name, blob, len, now);
}

int store_secret_get(struct store *s, enum store_secret_table t, const char *owner,
                     const char *name, const struct store_blob_visit *visit)
{
    return s->ops->secret_get(s, t, owner, name, visit);
}

int store_secret_delete(struct store *s, enum store_secret_table t, const char *owner,
                        const char *name)
{
    return s->ops->secret_delete(s, t, owner, name);
}

int store_profile_put(struct store *s, const struct store_profile_row *row)
{
    return s->ops->profile_put(s, row);
}

int store_profile_get(struct store *s, const char *name, struct store_profile_row *out)
{
    return s->ops->profile_get(s, name, out);
}

int store_profile_delete(struct store *s, const char *name)
{
    return s->ops->profile_delete(s, name);
}

int store_profile_list(struct store *s, int (*fn)(void *arg, const struct store_profile_row *row),
                       void *arg)
{
    return s->ops->profile_list(s, fn, arg);
}

int store_cert_put(struct store *s, const struct store_cert_row *row)
{
    return s->ops->cert_put(s, row);
}

int store_cert_get(struct store *s, const char *name, int with_blobs,
                   int (*fn)(void *arg, const struct store_cert_row *row), void *arg)
{
    return s->ops->cert_get(s, name, with_blobs, fn, arg);
}

int store_cert_delete(struct store *s, const char *name)
{
    return s->ops->cert_delete(s, name);
}

int store_cert_list(struct store *s, int (*fn)(void *arg, const struct store_cert_row *row),
                    void *arg)
{
    return s->ops->cert_list(s, fn, arg);
}

int store_ca_put(struct store *s, const char *cert_pem, size_t cert_len, const uint8_t *key_blob,
                 size_t key_len, int64_t now)
{
    return s->ops->ca_put(s, cert_pem, cert_len, key_blob, key_len, now);
}

int store_ca_get(struct store *s,
                 int (*fn)(void *arg, const char *cert_pem, size_t cert_len,
                           const uint8_t *key_blob, size_t key_len),
                 void *arg)
{
    return s->ops->ca_get(s, fn, arg);
}
