#include "cli/cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/fileio.h"
#include "common/json.h"
#include "common/secmem.h"
#include "formats/hello.h"
#include "psk/pool.h"

#define PASSPHRASE_MAX 1024

void cli_error(const char *fmt, ...)
{
    va_list ap;

    fputs("scsctl: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int cli_exit_for(int err)
{
    switch (err) {
    case SCS_OK:
        return CLI_OK;
    case SCS_ERR_INVALID_ARG:
        return CLI_USAGE;
    case SCS_ERR_TRUNCATED:
    case SCS_ERR_TRAILING:
    case SCS_ERR_TOO_LARGE:
    case SCS_ERR_FORMAT:
    case SCS_ERR_CHECKSUM:
    case SCS_ERR_AUTH:
    case SCS_ERR_VERSION:
    case SCS_ERR_PROTOCOL:
        return CLI_DATA;
    case SCS_ERR_NOT_FOUND:
    case SCS_ERR_EXISTS:
    case SCS_ERR_STATE:
    case SCS_ERR_EXHAUSTED:
    case SCS_ERR_NOT_INITIALISED:
    case SCS_ERR_PERMISSION:
        return CLI_STATE;
    default:
        return CLI_SYSTEM;
    }
}

int cli_fail(int err, const char *fmt, ...)
{
    va_list ap;
    int saved = errno;

    fputs("scsctl: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    if (err == SCS_ERR_IO && saved != 0) {
        fprintf(stderr, ": %s\n", strerror(saved));
    } else {
        fprintf(stderr, ": %s\n", scs_strerror(err));
    }
    return cli_exit_for(err);
}

int cli_usage(const char *cmd, const char *fmt, ...)
{
    va_list ap;

    fputs("scsctl: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry 'scsctl %s --help'.\n", cmd);
    return CLI_USAGE;
}

int cli_dispatch(struct cli_ctx *ctx, const char *group, const struct cli_command *table, int argc,
                 char **argv)
{
    if (argc < 1 || strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0 ||
        strcmp(argv[0], "help") == 0) {
        FILE *out = argc < 1 ? stderr : stdout;
        fprintf(out, "Usage: scsctl [-d DIR] %s COMMAND [OPTIONS]\n\nCommands:\n", group);
        for (const struct cli_command *c = table; c->name != NULL; c++) {
            fprintf(out, "  %-10s %s\n", c->name, c->summary);
        }
        fprintf(out, "\nRun 'scsctl %s COMMAND --help' for the options of a command.\n", group);
        return argc < 1 ? CLI_USAGE : CLI_OK;
    }
    for (const struct cli_command *c = table; c->name != NULL; c++) {
        if (strcmp(c->name, argv[0]) == 0) {
            /* Each sub-command parses its own argv from the start; its messages
             * are cli_getopt's, not getopt's. */
            opterr = 0;
            optind = 0;
            return c->run(ctx, argc, argv);
        }
    }
    return cli_usage(group, "unknown command '%s %s'", group, argv[0]);
}

static int read_tty_line(const char *prompt, char *buf, size_t cap)
{
    struct termios old, quiet;
    FILE *tty = fopen("/dev/tty", "r+");
    int r = 0;

    if (tty == NULL) {
        return SCS_ERR_INVALID_ARG;
    }
    fputs(prompt, tty);
    fflush(tty);
    if (tcgetattr(fileno(tty), &old) == 0) {
        quiet = old;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        tcsetattr(fileno(tty), TCSAFLUSH, &quiet);
    }
    if (fgets(buf, (int)cap, tty) == NULL) {
        r = SCS_ERR_IO;
    }
    tcsetattr(fileno(tty), TCSAFLUSH, &old);
    fputc('\n', tty);
    fclose(tty);
    buf[strcspn(buf, "\r\n")] = 0;
    return r;
}

int cli_read_secret(const char *file, const char *noun, const char *file_opt, int confirm,
                    struct scs_secret **out)
{
    struct scs_secret *s;
    int r;

    *out = NULL;
    if (file != NULL) {
        struct scs_buf *b = NULL;
        const char *text;
        size_t len;

        if ((r = scs_file_read(file, PASSPHRASE_MAX, &b)) != 0) {
            return cli_fail(r, "cannot read %s file %s", noun, file);
        }
        text = scs_buf_cstr(b);
        len = strcspn(text, "\r\n");
        if (len == 0) {
            scs_buf_free(b);
            cli_error("%s file %s is empty", noun, file);
            return CLI_DATA;
        }
        s = scs_secret_from(text, len);
        scs_buf_free(b);
    } else {
        char first[PASSPHRASE_MAX], second[PASSPHRASE_MAX], prompt[96];

        if (!isatty(STDIN_FILENO) && access("/dev/tty", R_OK) != 0) {
            cli_error("no %s: use %s FILE (no terminal to prompt on)", noun, file_opt);
            return CLI_USAGE;
        }
        /* Capitalised noun for the prompt ("Passphrase: ", "OTP: "). */
        snprintf(prompt, sizeof(prompt),
                 "%c%s: ", noun[0] >= 'a' && noun[0] <= 'z' ? noun[0] - 'a' + 'A' : noun[0],
                 noun + 1);
        if (read_tty_line(prompt, first, sizeof(first)) != 0) {
            cli_error("no %s: use %s FILE (no terminal to prompt on)", noun, file_opt);
            return CLI_USAGE;
        }
        snprintf(prompt, sizeof(prompt), "Repeat %s: ", noun);
        if (confirm &&
            (read_tty_line(prompt, second, sizeof(second)) != 0 || !scs_ct_streq(first, second))) {
            scs_wipe(first, sizeof(first));
            scs_wipe(second, sizeof(second));
            cli_error("the two %ss do not match", noun);
            return CLI_USAGE;
        }
        if (first[0] == 0) {
            cli_error("empty %s", noun);
            return CLI_USAGE;
        }
        s = scs_secret_from(first, strlen(first));
        scs_wipe(first, sizeof(first));
        scs_wipe(second, sizeof(second));
    }
    if (s == NULL) {
        return cli_fail(SCS_ERR_NOMEM, "reading the %s", noun);
    }
    *out = s;
    return CLI_OK;
}

int cli_read_passphrase(const char *file, int confirm, struct scs_secret **out)
{
    return cli_read_secret(file, "passphrase", "--passphrase-file", confirm, out);
}

int cli_getopt(const char *cmd, int argc, char **argv, const char *shortopts,
               const struct option *longopts, int *c)
{
    *c = getopt_long(argc, argv, shortopts, longopts, NULL);
    if (*c == '?') {
        if (optopt != 0 && strchr(shortopts, optopt) != NULL) {
            return cli_usage(cmd, "option '-%c' needs a value", optopt);
        }
        return cli_usage(cmd, "unknown option or missing value: '%s'", argv[optind - 1]);
    }
    if (*c == ':') {
        return cli_usage(cmd, "option '%s' needs a value", argv[optind - 1]);
    }
    return CLI_OK;
}

int cli_open_pool(struct cli_ctx *ctx, struct scs_pool **p)
{
    struct scs_diag d;
    int r;

    scs_diag_clear(&d);
    if ((r = scs_pool_open_diag(ctx->datadir, p, &d)) != 0) {
        if (d.reason[0] != 0) {
            cli_error("%s", d.reason);
            return cli_exit_for(r);
        }
        return cli_fail(r, "cannot open the data directory %s", ctx->datadir);
    }
    return CLI_OK;
}

void cli_fmt_time(int64_t t, char out[static 32])
{
    time_t tt = (time_t)t;
    struct tm tm;

    if (t == 0) {
        snprintf(out, 32, "-");
        return;
    }
    if (gmtime_r(&tt, &tm) == NULL || strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
        snprintf(out, 32, "%lld", (long long)t);
    }
}

int cli_json_emit(struct scs_json *j)
{
    struct scs_buf *b = j->out;

    if (scs_json_finish(j) != 0 ||
        fwrite(scs_buf_data(b), 1, scs_buf_len(b), stdout) != scs_buf_len(b)) {
        return cli_fail(SCS_ERR_IO, "writing the output");
    }
    fflush(stdout);
    return CLI_OK;
}

int cli_parse_uuid(const char *cmd, const char *text, char out[static 37])
{
    uint8_t raw[SCS_UUID_LEN];

    if (text == NULL || strlen(text) != SCS_UUID_TEXT_LEN || scs_uuid_from_text(text, raw) != 0) {
        return cli_usage(cmd, "'%s' is not a device UUID (8-4-4-4-12 hex digits)",
                         text != NULL ? text : "");
    }
    scs_uuid_to_text(raw, out);
    return CLI_OK;
}

int cli_parse_ulong(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
    char *end = NULL;
    unsigned long v;

    if (s == NULL || *s < '0' || *s > '9') {
        return SCS_ERR_FORMAT;
    }
    errno = 0;
    v = strtoul(s, &end, 10);
    if (errno != 0 || end == s || *end != 0 || v < min || v > max) {
        return SCS_ERR_FORMAT;
    }
    *out = v;
    return 0;
}
