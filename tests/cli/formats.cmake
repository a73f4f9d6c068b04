# scsctl hello / usb: every failure path with its exit code and message.
scs_script_test(cli_hello cli/test_hello_cli.sh cli)
scs_script_test(cli_usb cli/test_usb_cli.sh cli)
