# scsctl init / psk: every command, flag check, exit code and failure message.
scs_script_test(cli_init cli/test_init_cli.sh cli)
scs_script_test(cli_psk cli/test_psk_cli.sh cli)
