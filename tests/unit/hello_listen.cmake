if(TARGET scs_hello)
  scs_unit_test(test_hello_listen SOURCES unit/test_hello_listen.c LIBS scs_hello PkgConfig::LIBEVENT)
endif()
