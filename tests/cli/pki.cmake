# tests/integration/make-test-pki.sh: every file it writes has exactly the property its name promises.
scs_script_test(cli_pki cli/test_pki.sh cli)
