# Unit tests for src/registry: CRUD, secrets bound to their row, no plaintext at rest.
# The test tampers with the database through raw SQLite, hence PkgConfig::SQLITE3.
if(TARGET scs_registry)
  scs_unit_test(test_registry SOURCES unit/test_registry.c LIBS scs_registry PkgConfig::SQLITE3)
endif()
