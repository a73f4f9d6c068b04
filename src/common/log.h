/*
 * Operational logging to stderr (the journal captures it under systemd).
 *
 * Every line carries time, level and the calling function; the message is
 * printf-checked and escaped so that bytes from a peer cannot forge lines.
 * Secrets are held in struct scs_secret and are never formatted: no logger
 * call may take one.  Repeated identical messages are rate-limited.
 */
#ifndef SCS_COMMON_LOG_H
#define SCS_COMMON_LOG_H

enum scs_log_level { SCS_LOG_ERROR = 0, SCS_LOG_WARN, SCS_LOG_INFO, SCS_LOG_DEBUG };

void scs_log_init(const char *progname, enum scs_log_level level);
void scs_log_set_level(enum scs_log_level level);
enum scs_log_level scs_log_get_level(void);
/* Parse "error", "warn", "info" or "debug"; -1 if unknown. */
int scs_log_level_parse(const char *name);

void scs_log_write(enum scs_log_level level, const char *func, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#define log_error(...) scs_log_write(SCS_LOG_ERROR, __func__, __LINE__, __VA_ARGS__)
#define log_warn(...)  scs_log_write(SCS_LOG_WARN, __func__, __LINE__, __VA_ARGS__)
#define log_info(...)  scs_log_write(SCS_LOG_INFO, __func__, __LINE__, __VA_ARGS__)
#define log_debug(...) scs_log_write(SCS_LOG_DEBUG, __func__, __LINE__, __VA_ARGS__)

#endif
