# scsctl cert / otp / profile / device / audit / doctor and the init additions:
# every command, exit code and failure message, and no plaintext secret in the
# store or in verbose logs.  registry_seed stands in for scsd to seed devices.
if(TARGET scs_registry)
  add_executable(registry_seed cli/registry_seed.c)
  target_link_libraries(registry_seed PRIVATE scs_registry scs_psk scs_common)
  scs_script_test(cli_server cli/test_server_cli.sh cli)
  set_tests_properties(cli_server PROPERTIES DEPENDS registry_seed)
endif()
