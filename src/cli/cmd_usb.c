/* Placeholder until this command group lands. */
#include "cli/cli.h"

int cmd_usb(struct cli_ctx *ctx, int argc, char **argv)
{
    cli_error("'usb' is not implemented yet");
    return CLI_SYSTEM;
}
