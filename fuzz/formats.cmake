# Parsers of src/formats: Hello (network), setup.bin (USB files), PID/PPS (typed text).
scs_fuzz_target(fuzz_hello scs_formats)
scs_fuzz_target(fuzz_setupbin scs_formats)
scs_fuzz_target(fuzz_pidpps scs_formats)
