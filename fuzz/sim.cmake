# amtsim parsers of untrusted bytes: the HTTP request parser (through the whole
# request handler) and the WS-Man request parser (through dispatch).
if(TARGET scs_sim)
  scs_fuzz_target(fuzz_sim_http scs_sim)
  scs_fuzz_target(fuzz_sim_wsman scs_sim)
endif()
