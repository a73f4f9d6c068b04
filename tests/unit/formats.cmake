# Unit tests for src/formats: PID/PPS, Hello + root hashes, setup.bin.
scs_unit_test(test_pidpps SOURCES unit/test_pidpps.c LIBS scs_formats)
scs_unit_test(test_hello SOURCES unit/test_hello.c LIBS scs_formats)
scs_unit_test(test_setupbin SOURCES unit/test_setupbin.c LIBS scs_formats)
