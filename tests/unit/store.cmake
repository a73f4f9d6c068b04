# Unit tests for src/store and src/psk: the store backend, the PSK pool, transfer bundles.
# They open databases with raw SQLite to tamper with them, hence PkgConfig::SQLITE3.
scs_unit_test(test_store SOURCES unit/test_store.c LIBS scs_store PkgConfig::SQLITE3)
if(EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_pool.c)
  scs_unit_test(test_pool SOURCES unit/test_pool.c LIBS scs_psk PkgConfig::SQLITE3)
endif()
if(EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_bundle.c)
  scs_unit_test(test_bundle SOURCES unit/test_bundle.c LIBS scs_psk)
endif()
