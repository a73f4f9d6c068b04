scs_unit_test(test_scsd_config SOURCES unit/test_scsd_config.c LIBS scs_daemon_config)
