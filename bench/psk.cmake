# PSK pool: generate, export, import, lookup; plain SQLite as the floor.
add_executable(bench_psk ${CMAKE_CURRENT_SOURCE_DIR}/bench_psk.c)
target_link_libraries(bench_psk PRIVATE scs_psk PkgConfig::SQLITE3)
