# Provisioning engine: pure policy (passwords, subnets, chain choice, PID admission).
if(TARGET scs_prov)
  scs_unit_test(test_prov_policy SOURCES unit/test_prov_policy.c
                LIBS scs_prov scs_tls scs_psk scs_crypto scs_common)
endif()
