/* Placeholder until this command group lands. */
#include "cli/cli.h"

int cmd_init(struct cli_ctx *ctx, int argc, char **argv)
{
    cli_error("'init' is not implemented yet");
    return CLI_SYSTEM;
}
