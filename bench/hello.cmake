# Hello storm: the real listener (src/hello) against a forked load generator, beside a bare
# accept/read/close floor.  Needs libevent, like the listener itself.
if(TARGET scs_hello AND TARGET PkgConfig::LIBEVENT)
  # Same shared fixtures as the tests (tests/CMakeLists.txt); -DSCS_FIXTURES_DIR names a copy.
  if(SCS_FIXTURES_DIR)
    set(SCS_BENCH_FIXTURES ${SCS_FIXTURES_DIR})
  else()
    get_filename_component(SCS_BENCH_FIXTURES ${CMAKE_SOURCE_DIR}/../shared/fixtures ABSOLUTE)
  endif()
  add_executable(bench_hello ${CMAKE_CURRENT_SOURCE_DIR}/bench_hello.c)
  target_link_libraries(bench_hello PRIVATE scs_hello scs_formats scs_common PkgConfig::LIBEVENT)
  target_compile_definitions(bench_hello PRIVATE SCS_FIXTURES="${SCS_BENCH_FIXTURES}")
endif()
