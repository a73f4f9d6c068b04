# WS-Man response parser (src/wsman/wsman_xml.c); seeds in corpus/wsman_response/.
if(TARGET scs_wsman)
  scs_fuzz_target(fuzz_wsman_response scs_wsman)
endif()
