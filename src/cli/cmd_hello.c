/* Placeholder until this command group lands. */
#include "cli/cli.h"

int cmd_hello(struct cli_ctx *ctx, int argc, char **argv)
{
    cli_error("'hello' is not implemented yet");
    return CLI_SYSTEM;
}
