# Device-facing client stack: wsman, tls, http, event (docs/client-stack.md).
if(TARGET scs_wsman)
  scs_unit_test(test_wsman SOURCES unit/test_wsman.c LIBS scs_wsman)
endif()
if(TARGET scs_tls)
  scs_unit_test(test_tls SOURCES unit/test_tls.c LIBS scs_tls scs_crypto)
  target_compile_definitions(test_tls PRIVATE SCS_TESTS_DIR="${CMAKE_CURRENT_SOURCE_DIR}")
endif()
if(TARGET scs_http)
  scs_unit_test(test_http_digest SOURCES unit/test_http_digest.c LIBS scs_http)
  # Interop on 127.0.0.1: Digest against libmicrohttpd, TLS-PSK and mutual TLS against
  # `openssl s_server`; needs the openssl CLI and libmicrohttpd.
  if(TARGET PkgConfig::MHD)
    scs_unit_test(test_client_interop SOURCES unit/test_client_interop.c
                  LIBS scs_http scs_tls scs_wsman scs_crypto PkgConfig::MHD)
    target_compile_definitions(test_client_interop PRIVATE
      SCS_TESTS_DIR="${CMAKE_CURRENT_SOURCE_DIR}" SCS_BIN_DIR="${CMAKE_BINARY_DIR}/bin")
    set_tests_properties(test_client_interop PROPERTIES LABELS integration TIMEOUT 180)
  endif()
endif()
