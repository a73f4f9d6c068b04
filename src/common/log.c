#include "common/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static const char *log_prog = "scs";
static enum scs_log_level log_level = SCS_LOG_INFO;

/* Rate limit for warnings and errors, which a peer can provoke at will (a Hello flood,
 * malformed requests): the same format string more than LOG_BURST times within one
 * second is counted instead of printed, and the count is reported with the next line.
 * Info and debug lines (one per provisioning step) are bounded by the fleet, not by a
 * peer, and are never folded away. */
#define LOG_BURST 20
static const char *last_fmt;
static time_t last_sec;
static unsigned burst, suppressed;

static const char *const level_names[] = {"error", "warn", "info", "debug"};

void scs_log_init(const char *progname, enum scs_log_level level)
{
    log_prog = progname;
    log_level = level;
}

void scs_log_set_level(enum scs_log_level level)
{
    log_level = level;
}

enum scs_log_level scs_log_get_level(void)
{
    return log_level;
}

int scs_log_level_parse(const char *name)
{
    for (int i = 0; i < 4; i++) {
        if (strcmp(name, level_names[i]) == 0) {
            return i;
        }
    }
    return -1;
}

/* Printable ASCII passes; everything else becomes \xHH so peer bytes cannot add lines. */
static void log_escape(char *dst, size_t dstlen, const char *src)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;

    for (const unsigned char *p = (const unsigned char *)src; *p != 0 && o + 5 < dstlen; p++) {
        if (*p >= 0x20 && *p < 0x7f) {
            dst[o++] = (char)*p;
        } else {
            dst[o++] = '\\';
            dst[o++] = 'x';
            dst[o++] = hex[*p >> 4];
            dst[o++] = hex[*p & 15];
        }
    }
    dst[o] = 0;
}

void scs_log_write(enum scs_log_level level, const char *func, int line, const char *fmt, ...)
{
    char raw[1024], clean[2048], stamp[32];
    struct timespec ts;
    struct tm tm;
    va_list ap;

    if (level > log_level) {
        return;
    }
    clock_gettime(CLOCK_REALTIME, &ts);
    if (level <= SCS_LOG_WARN) {
        if (fmt == last_fmt && ts.tv_sec == last_sec) {
            if (++burst > LOG_BURST) {
                suppressed++;
                return;
            }
        } else {
            last_fmt = fmt;
            last_sec = ts.tv_sec;
            burst = 1;
        }
    }
    va_start(ap, fmt);
    vsnprintf(raw, sizeof(raw), fmt, ap);
    va_end(ap);
    log_escape(clean, sizeof(clean), raw);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
    if (suppressed > 0) {
        fprintf(stderr, "%s.%03ldZ %s[warn] %u similar messages suppressed\n", stamp,
                ts.tv_nsec / 1000000, log_prog, suppressed);
        suppressed = 0;
    }
    if (log_level >= SCS_LOG_DEBUG) {
        fprintf(stderr, "%s.%03ldZ %s[%s] %s:%d: %s\n", stamp, ts.tv_nsec / 1000000, log_prog,
                level_names[level], func, line, clean);
    } else {
        fprintf(stderr, "%s.%03ldZ %s[%s] %s: %s\n", stamp, ts.tv_nsec / 1000000, log_prog,
                level_names[level], func, clean);
    }
}
