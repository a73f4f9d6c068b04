scs_unit_test(test_common SOURCES unit/test_common.c LIBS scs_common)
scs_unit_test(test_crypto SOURCES unit/test_crypto.c LIBS scs_crypto)
