#include "common/json.h"

#include <string.h>

#include "common/buf.h"
#include "common/err.h"

void scs_json_init(struct scs_json *j, struct scs_buf *out)
{
    memset(j, 0, sizeof(*j));
    j->out = out;
}

static void json_put(struct scs_json *j, const char *s, size_t n)
{
    if (j->err == 0) {
        j->err = scs_buf_put(j->out, s, n);
    }
}

/* Comma before every value except the first at its level, and none right after a key. */
static void json_value_prefix(struct scs_json *j)
{
    if (j->after_key) {
        j->after_key = 0;
        return;
    }
    if (j->count[j->depth] > 0) {
        json_put(j, ",", 1);
    }
    if (j->count[j->depth] < 255) {
        j->count[j->depth]++;
    }
}

static void json_open(struct scs_json *j, char c)
{
    json_value_prefix(j);
    json_put(j, &c, 1);
    if (j->depth + 1 >= SCS_JSON_MAX_DEPTH) {
        j->err = SCS_ERR_TOO_LARGE;
        return;
    }
    j->count[++j->depth] = 0;
}

static void json_close(struct scs_json *j, char c)
{
    if (j->depth == 0) {
        j->err = SCS_ERR_INTERNAL;
        return;
    }
    j->depth--;
    json_put(j, &c, 1);
}

void scs_json_obj_begin(struct scs_json *j)
{
    json_open(j, '{');
}

void scs_json_obj_end(struct scs_json *j)
{
    json_close(j, '}');
}

void scs_json_arr_begin(struct scs_json *j)
{
    json_open(j, '[');
}

void scs_json_arr_end(struct scs_json *j)
{
    json_close(j, ']');
}

static void json_quoted(struct scs_json *j, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";

    json_put(j, "\"", 1);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            char esc[2] = {'\\', (char)c};
            json_put(j, esc, 2);
        } else if (c == '\n' || c == '\t' || c == '\r') {
            char esc[2] = {'\\', c == '\n' ? 'n' : c == '\t' ? 't' : 'r'};
            json_put(j, esc, 2);
        } else if (c < 0x20 || c == 0x7f) {
            char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            json_put(j, esc, 6);
        } else {
            json_put(j, (const char *)&s[i], 1);
        }
    }
    json_put(j, "\"", 1);
}

void scs_json_key(struct scs_json *j, const char *key)
{
    json_value_prefix(j);
    json_quoted(j, key, strlen(key));
    json_put(j, ":", 1);
    j->after_key = 1;
}

void scs_json_strn(struct scs_json *j, const char *s, size_t n)
{
    json_value_prefix(j);
    json_quoted(j, s, n);
}

void scs_json_str(struct scs_json *j, const char *s)
{
    if (s == NULL) {
        scs_json_null(j);
        return;
    }
    scs_json_strn(j, s, strlen(s));
}

void scs_json_int(struct scs_json *j, long long v)
{
    json_value_prefix(j);
    if (j->err == 0) {
        j->err = scs_buf_printf(j->out, "%lld", v);
    }
}

void scs_json_bool(struct scs_json *j, int v)
{
    json_value_prefix(j);
    json_put(j, v ? "true" : "false", v ? 4 : 5);
}

void scs_json_null(struct scs_json *j)
{
    json_value_prefix(j);
    json_put(j, "null", 4);
}

void scs_json_kv_str(struct scs_json *j, const char *key, const char *s)
{
    scs_json_key(j, key);
    scs_json_str(j, s);
}

void scs_json_kv_int(struct scs_json *j, const char *key, long long v)
{
    scs_json_key(j, key);
    scs_json_int(j, v);
}

void scs_json_kv_bool(struct scs_json *j, const char *key, int v)
{
    scs_json_key(j, key);
    scs_json_bool(j, v);
}

int scs_json_finish(struct scs_json *j)
{
    if (j->err == 0 && j->depth != 0) {
        j->err = SCS_ERR_INTERNAL;
    }
    json_put(j, "\n", 1);
    return j->err;
}
