/*
 * Hex and base64 without table look-ups indexed by secret data, so that
 * encoding a key or a password does not leak it through cache timing
 * (the wireguard-tools approach).
 */
#ifndef SCS_COMMON_ENCODING_H
#define SCS_COMMON_ENCODING_H

#include <stddef.h>
#include <stdint.h>

/* Lowercase hex of len bytes into out (2*len+1 bytes, NUL-terminated). */
void scs_hex_encode(char *out, const uint8_t *in, size_t len);
/* Decode exactly 2*outlen hex digits (either case); SCS_ERR_FORMAT on anything else. */
int scs_hex_decode(uint8_t *out, size_t outlen, const char *in, size_t inlen);

/* Length of the base64 text for len bytes, without the NUL. */
size_t scs_base64_encoded_len(size_t len);
/* Standard base64 with padding into out (scs_base64_encoded_len(len)+1 bytes). */
void scs_base64_encode(char *out, const uint8_t *in, size_t len);
/* Decode standard base64 (padding required, no white space) into out (cap outcap);
 * *outlen gets the byte count.  SCS_ERR_FORMAT on bad characters or padding,
 * SCS_ERR_TOO_LARGE if out is too small. */
int scs_base64_decode(uint8_t *out, size_t outcap, size_t *outlen, const char *in, size_t inlen);

#endif
