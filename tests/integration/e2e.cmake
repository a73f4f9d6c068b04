# End-to-end: a real scsd against real amtsim processes over loopback.
# prov_regtool reads and seeds the registry through registry.h.
if(TARGET scsd AND TARGET amtsim)
  add_executable(prov_regtool integration/prov_regtool.c)
  target_link_libraries(prov_regtool PRIVATE scs_prov scs_http scs_wsman scs_tls scs_psk scs_common)
  file(GLOB SCS_E2E_TESTS RELATIVE ${CMAKE_CURRENT_SOURCE_DIR}
       ${CMAKE_CURRENT_SOURCE_DIR}/integration/test_e2e_*.sh)
  foreach(t ${SCS_E2E_TESTS})
    get_filename_component(n ${t} NAME_WE)
    scs_script_test(${n} ${t} integration)
    set_tests_properties(${n} PROPERTIES TIMEOUT 300)
  endforeach()
endif()
