#include "daemon/config.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/fileio.h"
#include "common/log.h"

#define CONFIG_MAX_BYTES (256 * 1024)
#define CONFIG_MAX_LINE  1024

enum kw_type { KW_UINT, KW_STRING, KW_LISTEN, KW_LOGLEVEL };

struct keyword {
    const char *name;
    enum kw_type type;
    size_t offset;
    size_t size;            /* strings: buffer size */
    unsigned long min, max; /* unsigned: bounds */
    const char *def;
    int reloadable;
    const char *help;
};

#define U(field, lo, hi, dflt, reload, text)                                                       \
    {                                                                                              \
#field, KW_UINT, offsetof(struct scsd_config, field), 0, lo, hi, dflt, reload, text        \
    }
#define S(field, type, dflt, reload, text)                                                         \
    {                                                                                              \
#field, type, offsetof(struct scsd_config, field),                                         \
            sizeof(((struct scsd_config *)0)->field), 0, 0, dflt, reload, text                     \
    }

static const struct keyword keywords[] = {
    {"listen", KW_LISTEN, 0, 0, 0, 0, "[::]:9971", 0, "Hello listener address (repeatable)"},
    U(device_port, 1, 65535, "16993", 1, "device TLS port to connect back to"),
    U(device_http_port, 1, 65535, "16992", 1, "device HTTP port, to confirm an interrupted commit"),
    U(max_sessions, 1, 100000, "2000", 1, "provisioning sessions in flight"),
    U(max_connecting, 1, 100000, "64", 1, "sessions opening their TLS connection at once"),
    U(session_timeout_s, 5, 3600, "300", 1, "limit for one whole session"),
    U(request_timeout_s, 1, 600, "30", 1, "limit for one WS-Man request"),
    U(retry_backoff_s, 0, 86400, "10", 1, "quiet time after a failed session"),
    U(hello_max_conns, 1, 1000000, "4096", 0, "Hello connections open at once"),
    U(hello_max_conns_per_source, 1, 1000000, "256", 0, "Hello connections per address"),
    U(hello_timeout_ms, 100, 60000, "5000", 0, "time for one Hello to arrive"),
    U(hello_rate_per_source, 1, 1000000, "200", 0, "Hellos per second per address"),
    U(hello_burst_per_source, 1, 1000000, "400", 0, "Hello burst per address"),
    S(log_level, KW_LOGLEVEL, "info", 1, "error, warn, info or debug"),
    S(default_profile, KW_STRING, "default", 1, "profile for devices no rule matches"),
};

#define NKEYWORDS (sizeof(keywords) / sizeof(keywords[0]))

static const struct keyword *keyword_find(const char *name)
{
    for (size_t i = 0; i < NKEYWORDS; i++) {
        if (strcmp(keywords[i].name, name) == 0) {
            return &keywords[i];
        }
    }
    return NULL;
}

static int set_value(struct scsd_config *c, const struct keyword *k, const char *value,
                     struct scs_diag *d)
{
    char *base = (char *)c;

    switch (k->type) {
    case KW_UINT: {
        char *end = NULL;
        unsigned long v;
        errno = 0;
        v = strtoul(value, &end, 10);
        if (value[0] < '0' || value[0] > '9' || errno != 0 || *end != 0 || v < k->min ||
            v > k->max) {
            return scs_diag_failn(d, SCS_ERR_FORMAT, "%s: '%s' is not a number from %lu to %lu",
                                  k->name, value, k->min, k->max);
        }
        *(unsigned *)(void *)(base + k->offset) = (unsigned)v;
        return 0;
    }
    case KW_LOGLEVEL:
        if (scs_log_level_parse(value) < 0) {
            return scs_diag_failn(d, SCS_ERR_FORMAT,
                                  "%s: '%s' is not one of error, warn, info, debug", k->name,
                                  value);
        }
        /* stored as a string */
        __attribute__((fallthrough));
    case KW_STRING:
        if (strlen(value) >= k->size || value[0] == 0) {
            return scs_diag_failn(d, SCS_ERR_FORMAT, "%s: value must be 1 to %zu characters",
                                  k->name, k->size - 1);
        }
        memcpy(base + k->offset, value, strlen(value) + 1);
        return 0;
    case KW_LISTEN:
        if (c->nlisten >= SCSD_MAX_LISTEN) {
            return scs_diag_failn(d, SCS_ERR_TOO_LARGE, "listen: at most %d addresses",
                                  SCSD_MAX_LISTEN);
        }
        if (strlen(value) >= sizeof(c->listen[0]) || value[0] == 0) {
            return scs_diag_failn(d, SCS_ERR_FORMAT, "listen: '%s' is too long or empty", value);
        }
        memcpy(c->listen[c->nlisten++], value, strlen(value) + 1);
        return 0;
    default:
        return SCS_ERR_INTERNAL;
    }
}

void scsd_config_defaults(struct scsd_config *c)
{
    memset(c, 0, sizeof(*c));
    for (size_t i = 0; i < NKEYWORDS; i++) {
        if (keywords[i].type != KW_LISTEN) {
            (void)set_value(c, &keywords[i], keywords[i].def, NULL);
        }
    }
    /* "listen" defaults only when nothing names one; see scsd_config_finish in scsd.c. */
}

int scsd_config_set(struct scsd_config *c, const char *key, const char *value, struct scs_diag *d)
{
    const struct keyword *k = keyword_find(key);

    if (k == NULL) {
        return scs_diag_failn(d, SCS_ERR_FORMAT, "unknown keyword '%s'", key);
    }
    return set_value(c, k, value, d);
}

static char *trim(char *s)
{
    char *end;
    while (*s == ' ' || *s == '\t') {
        s++;
    }
    end = s + strlen(s);
    while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r')) {
        *--end = 0;
    }
    return s;
}

int scsd_config_load(struct scsd_config *c, const char *path, struct scs_diag *d)
{
    struct scs_buf *b = NULL;
    char *text, *line, *save = NULL;
    unsigned lineno = 0;
    int r;

    if ((r = scs_file_read(path, CONFIG_MAX_BYTES, &b)) != 0) {
        return scs_diag_failn(d, r, "%s: cannot read: %s", path,
                              r == SCS_ERR_IO ? strerror(errno) : scs_strerror(r));
    }
    if (strlen(scs_buf_cstr(b)) != scs_buf_len(b)) {
        scs_buf_free(b);
        return scs_diag_failn(d, SCS_ERR_FORMAT, "%s: contains a NUL byte", path);
    }
    /* strtok_r needs a writable copy. */
    if ((text = strdup(scs_buf_cstr(b))) == NULL) {
        scs_buf_free(b);
        return SCS_ERR_NOMEM;
    }
    for (line = strtok_r(text, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
        char *eq, *key, *value;
        struct scs_diag inner;
        lineno++;
        if (strlen(line) > CONFIG_MAX_LINE) {
            r = scs_diag_failn(d, SCS_ERR_TOO_LARGE, "%s:%u: line too long", path, lineno);
            break;
        }
        line = trim(line);
        if (line[0] == 0 || line[0] == '#') {
            continue;
        }
        if ((eq = strchr(line, '=')) == NULL) {
            r = scs_diag_failn(d, SCS_ERR_FORMAT, "%s:%u: expected 'keyword = value'", path,
                               lineno);
            break;
        }
        *eq = 0;
        key = trim(line);
        value = trim(eq + 1);
        scs_diag_clear(&inner);
        if ((r = scsd_config_set(c, key, value, &inner)) != 0) {
            scs_diag_failn(d, r, "%s:%u: %s", path, lineno, inner.reason);
            break;
        }
    }
    free(text);
    scs_buf_free(b);
    return r;
}

void scsd_config_dump(const struct scsd_config *c, FILE *out)
{
    const char *base = (const char *)c;

    for (size_t i = 0; i < NKEYWORDS; i++) {
        const struct keyword *k = &keywords[i];
        switch (k->type) {
        case KW_UINT:
            fprintf(out, "%s = %u\n", k->name, *(const unsigned *)(const void *)(base + k->offset));
            break;
        case KW_STRING:
        case KW_LOGLEVEL:
            fprintf(out, "%s = %s\n", k->name, base + k->offset);
            break;
        case KW_LISTEN:
            for (unsigned j = 0; j < c->nlisten; j++) {
                fprintf(out, "listen = %s\n", c->listen[j]);
            }
            break;
        default:
            break;
        }
    }
}

unsigned scsd_config_keep_fixed(struct scsd_config *next, const struct scsd_config *running,
                                void (*report)(const char *key))
{
    char *pn = (char *)next;
    const char *pr = (const char *)running;
    unsigned kept = 0;

    if (next->nlisten != running->nlisten ||
        memcmp(next->listen, running->listen, sizeof(next->listen)) != 0) {
        memcpy(next->listen, running->listen, sizeof(next->listen));
        next->nlisten = running->nlisten;
        report("listen");
        kept++;
    }
    for (size_t i = 0; i < NKEYWORDS; i++) {
        const struct keyword *k = &keywords[i];
        size_t size = k->type == KW_UINT ? sizeof(unsigned) : k->size;
        if (k->type == KW_LISTEN || k->reloadable) {
            continue;
        }
        if (memcmp(pn + k->offset, pr + k->offset, size) != 0) {
            memcpy(pn + k->offset, pr + k->offset, size);
            report(k->name);
            kept++;
        }
    }
    return kept;
}
