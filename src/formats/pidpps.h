/*
 * PID/PPS pairs for PSK provisioning (protocol.md §4.1).
 *
 * Raw form: PID 8 characters, PPS 32 characters, alphabet A-Z 0-9.  Display
 * form: a dash every 4 characters.  The last PID character is the check
 * character of the previous 7; the 4th character of every PPS group is the
 * check character of the previous 3:  C = alphabet36[(sum of ASCII codes) % 36]
 * with '0'..'9' for 0..9 and 'A'..'Z' for 10..35.
 */
#ifndef SCS_FORMATS_PIDPPS_H
#define SCS_FORMATS_PIDPPS_H

#include <stddef.h>

struct scs_diag;
struct scs_secret;

#define SCS_PID_LEN      8
#define SCS_PPS_LEN      32
#define SCS_PID_TEXT_LEN 9  /* with dash */
#define SCS_PPS_TEXT_LEN 39 /* with dashes: 32 + 7 */

/* The check character for n characters of s. */
char scs_pidpps_check_char(const char *s, size_t n);

/* Fresh values from the CSPRNG, raw form, NUL-terminated. */
int scs_pid_generate(char out[static SCS_PID_LEN + 1]);
/* The PPS is a secret: it is returned in a struct scs_secret (32 chars + NUL). */
int scs_pps_generate(struct scs_secret **out);

/*
 * For bulk generation: one CSPRNG call fills a batch of bytes (kept in a
 * scs_secret, since PPS characters come from it), and each byte below 252
 * (7 * 36) gives one uniform alphabet character.  A CSPRNG call per character
 * (31 per pair) would dominate the cost of a million pairs.
 */
struct scs_pidpps_rng {
    struct scs_secret *bytes;
    size_t off;
};
int scs_pidpps_rng_init(struct scs_pidpps_rng *g);
void scs_pidpps_rng_free(struct scs_pidpps_rng *g);
int scs_pid_generate_rng(struct scs_pidpps_rng *g, char out[static SCS_PID_LEN + 1]);
/* Fill pps, a secret of at least SCS_PPS_LEN bytes (plus the NUL scs_secret keeps). */
int scs_pps_generate_rng(struct scs_pidpps_rng *g, struct scs_secret *pps);

/*
 * Parse a PID or PPS typed by a person: dashes optional (but if present, every
 * 4 characters), case-insensitive (normalised to upper case).  On error the
 * diagnostic names the character position or the group whose check character
 * is wrong ("PPS group 3 (E9YZ) ..." would leak a secret, so PPS messages name
 * the group number only).
 */
int scs_pid_parse(const char *text, char out[static SCS_PID_LEN + 1], struct scs_diag *d);
int scs_pps_parse(const char *text, struct scs_secret **out, struct scs_diag *d);

/* Validate raw forms (exact length, alphabet, check characters). */
int scs_pid_check(const char *raw, size_t len, struct scs_diag *d);
int scs_pps_check(const char *raw, size_t len, struct scs_diag *d);

/* Display forms with dashes, NUL-terminated. */
void scs_pid_format(const char raw[static SCS_PID_LEN], char out[static SCS_PID_TEXT_LEN + 1]);
void scs_pps_format(const char raw[static SCS_PPS_LEN], char out[static SCS_PPS_TEXT_LEN + 1]);

#endif
