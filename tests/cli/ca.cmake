scs_script_test(cli_ca cli/test_ca_cli.sh cli)
