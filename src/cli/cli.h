/*
 * scsctl: the administrator's command-line tool.  Commands are data (a table of
 * name, handler, summary) in the wireguard-tools manner; each group lives in
 * its own cmd_<group>.c.  Handlers return an exit code from enum cli_exit and
 * print their own messages through cli_fail()/cli_error().
 */
#ifndef SCS_CLI_CLI_H
#define SCS_CLI_CLI_H

#include <stdint.h>
#include <stdio.h>

struct option;
struct scs_json;
struct scs_pool;
struct scs_secret;

/* Exit codes, documented in README.md and scsctl(8). */
enum cli_exit {
    CLI_OK = 0,     /* success */
    CLI_FAIL = 1,   /* the answer is "no": a check failed, nothing to do */
    CLI_USAGE = 2,  /* bad command line */
    CLI_DATA = 3,   /* bad input data: malformed file, wrong passphrase, tampering */
    CLI_STATE = 4,  /* store missing or not initialised, object not found or in the wrong state */
    CLI_SYSTEM = 5, /* I/O, database or crypto library failure */
};

struct cli_ctx {
    const char *prog;    /* "scsctl" */
    const char *datadir; /* -d DIR, $SCS_HOME or the default */
};

struct cli_command {
    const char *name;
    int (*run)(struct cli_ctx *ctx, int argc, char **argv);
    const char *summary;
};

/* Run the command named by argv[0] from a NULL-terminated table; prints group help. */
int cli_dispatch(struct cli_ctx *ctx, const char *group, const struct cli_command *table, int argc,
                 char **argv);
/* Print "scsctl: message" to stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print "scsctl: message: <what err means>" and return the matching exit code. */
int cli_fail(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The exit code for an SCS_ERR_* value. */
int cli_exit_for(int err);
/* Usage error: print the message and a pointer to --help; returns CLI_USAGE. */
int cli_usage(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Read a passphrase from a file (first line, without the newline) or, when file
 * is NULL, from the terminal without echo (twice when confirm is set).  With no
 * file and no terminal it fails: a passphrase is never taken from the command line.
 */
int cli_read_passphrase(const char *file, int confirm, struct scs_secret **out);
/* The same for any secret: noun names it in prompts and messages ("OTP"), file_opt is the
 * option that gives it from a file ("--file"). */
int cli_read_secret(const char *file, const char *noun, const char *file_opt, int confirm,
                    struct scs_secret **out);

/* getopt_long with our own messages: an unknown option or a missing value is a usage
 * error naming cmd.  CLI_OK with *c the option (-1 at the end), or CLI_USAGE. */
int cli_getopt(const char *cmd, int argc, char **argv, const char *shortopts,
               const struct option *longopts, int *c);
/* Open the data directory; prints why and returns the exit code when it cannot. */
int cli_open_pool(struct cli_ctx *ctx, struct scs_pool **p);
/* Unix seconds as ISO 8601 UTC; "-" for 0 (never). */
void cli_fmt_time(int64_t t, char out[static 32]);
/* Finish a JSON document and write it to stdout. */
int cli_json_emit(struct scs_json *j);
/* A device UUID as typed (any case) in canonical form; CLI_USAGE (with a message) if not. */
int cli_parse_uuid(const char *cmd, const char *text, char out[static 37]);

/* Strict decimal parsing with bounds; 0 or SCS_ERR_FORMAT. */
int cli_parse_ulong(const char *s, unsigned long min, unsigned long max, unsigned long *out);

/* Command groups. */
int cmd_init(struct cli_ctx *ctx, int argc, char **argv);
int cmd_psk(struct cli_ctx *ctx, int argc, char **argv);
int cmd_usb(struct cli_ctx *ctx, int argc, char **argv);
int cmd_hello(struct cli_ctx *ctx, int argc, char **argv);
int cmd_cert(struct cli_ctx *ctx, int argc, char **argv);
int cmd_otp(struct cli_ctx *ctx, int argc, char **argv);
int cmd_ca(struct cli_ctx *ctx, int argc, char **argv);
int cmd_profile(struct cli_ctx *ctx, int argc, char **argv);
int cmd_device(struct cli_ctx *ctx, int argc, char **argv);
int cmd_audit(struct cli_ctx *ctx, int argc, char **argv);
int cmd_doctor(struct cli_ctx *ctx, int argc, char **argv);

#endif
