# Transfer bundles: outer header and decrypted record payload.
scs_fuzz_target(fuzz_bundle scs_psk)
