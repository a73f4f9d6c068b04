# amtsim fleet benchmark: 1,000 devices in one process against a counting
# Hello listener; prints RSS, descriptors and the sustained Hello rate.
# Run with `cmake --build BUILD --target bench_amtsim` (never by ctest).
if(TARGET amtsim AND TARGET amtsim_testtool)
  add_custom_target(bench_amtsim
    COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/bench_amtsim.sh ${CMAKE_BINARY_DIR}/bin
    DEPENDS amtsim amtsim_testtool USES_TERMINAL)
endif()
