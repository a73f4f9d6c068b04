/*
 * A small streaming JSON writer for --json output.  It only emits (nothing in
 * the project parses JSON), escapes every string correctly, and tracks commas
 * so callers cannot produce invalid documents.  Errors are sticky and reported
 * once by scs_json_finish().
 */
#ifndef SCS_COMMON_JSON_H
#define SCS_COMMON_JSON_H

#include <stddef.h>
#include <stdint.h>

struct scs_buf;

#define SCS_JSON_MAX_DEPTH 32

struct scs_json {
    struct scs_buf *out;
    int depth;
    int err;
    uint8_t count[SCS_JSON_MAX_DEPTH]; /* values written at each level (saturating) */
    uint8_t after_key;
};

void scs_json_init(struct scs_json *j, struct scs_buf *out);
void scs_json_obj_begin(struct scs_json *j);
void scs_json_obj_end(struct scs_json *j);
void scs_json_arr_begin(struct scs_json *j);
void scs_json_arr_end(struct scs_json *j);
void scs_json_key(struct scs_json *j, const char *key);
void scs_json_str(struct scs_json *j, const char *s);
void scs_json_strn(struct scs_json *j, const char *s, size_t n);
void scs_json_int(struct scs_json *j, long long v);
void scs_json_bool(struct scs_json *j, int v);
void scs_json_null(struct scs_json *j);
void scs_json_kv_str(struct scs_json *j, const char *key, const char *s);
void scs_json_kv_int(struct scs_json *j, const char *key, long long v);
void scs_json_kv_bool(struct scs_json *j, const char *key, int v);
/* 0, or the first error; adds a final newline. */
int scs_json_finish(struct scs_json *j);

#endif
