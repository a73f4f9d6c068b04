# amtsim end-to-end tests: real clients (curl, openssl s_client) against a
# running simulator on 127.x loopback addresses.  Label "integration".
if(TARGET scs_sim)
  add_executable(amtsim_testtool ${CMAKE_CURRENT_LIST_DIR}/amtsim_testtool.c)
  target_link_libraries(amtsim_testtool PRIVATE scs_formats scs_common)
  foreach(t state hello wsman pki)
    scs_script_test(test_amtsim_${t} integration/test_amtsim_${t}.sh integration)
  endforeach()
endif()
