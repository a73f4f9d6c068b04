# amtsim unit tests: one cmocka program per module.
if(TARGET scs_sim)
  foreach(t http digest wsman state x509)
    scs_unit_test(test_sim_${t} SOURCES unit/test_sim_${t}.c LIBS scs_sim)
  endforeach()
endif()
