/*
 * scsctl: the administrator's command-line tool.  Commands are data (a table of
 * name, handler, summary) in the wireguard-tools manner; each group lives in
 * its own cmd_<group>.c.  Handlers return an exit code from enum cli_exit and
 * print their own messages through cli_fail()/cli_error().
 */
#ifndef SCS_CLI_CLI_H
#define SCS_CLI_CLI_H

#include <stdio.h>

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

/* Strict decimal parsing with bounds; 0 or SCS_ERR_FORMAT. */
int cli_parse_ulong(const char *s, unsigned long min, unsigned long max, unsigned long *out);

/* Command groups. */
int cmd_init(struct cli_ctx *ctx, int argc, char **argv);
int cmd_psk(struct cli_ctx *ctx, int argc, char **argv);
int cmd_usb(struct cli_ctx *ctx, int argc, char **argv);
int cmd_hello(struct cli_ctx *ctx, int argc, char **argv);

#endif
