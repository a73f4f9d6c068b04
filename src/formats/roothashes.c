/*
 * The root-certificate hashes of protocol.md §5.2, in the order given there.
 *
 * Entries 1-23 are the SHA-256 defaults of a 2018-era device (in_default_set).
 * Then, not in the default set: a267c480..., present only in the 24-hash
 * captures and probably user-added; the extra SHA-256 hashes an AMT 11.8 device
 * reports; and the SHA-1 hashes of the AMT 2.x-3.x era.  A NULL name means no
 * public source confirms which CA it is: never guess a name for a trust anchor.
 * Names are copied from the document, including its en dashes (UTF-8).
 */
#include "formats/roothashes.h"

#include <string.h>

#include "common/encoding.h"
#include "formats/hello.h"

const struct scs_root_hash scs_root_hashes[] = {
    /* The 23 SHA-256 defaults (§5.2 rows 1-23). */
    {SCS_HASH_SHA256, "c3846bf24b9e93ca64274c0ec67c1ecc5e024ffcacd2d74019350e81fe546ae4",
     "Go Daddy Class 2 Certification Authority", 1},
    {SCS_HASH_SHA256, "45140b3247eb9cc8c5b4f0d7b53091f73292089e6e5a63e2749dd3aca9198eda",
     "Go Daddy Root Certificate Authority – G2", 1},
    {SCS_HASH_SHA256, "d7a7a0fb5d7e2731d771e9484ebcdef71d5f0c3e0a2948782bc83ee0ea699ef4",
     "Comodo AAA Certificate Services", 1},
    {SCS_HASH_SHA256, "1465fa205397b876faa6f0a9958e5590e40fcc7faa4fb7c2c8677521fb5fb658",
     "Starfield Class 2 Certification Authority", 1},
    {SCS_HASH_SHA256, "2ce1cb0bf9d2f9e102993fbe215152c3b2dd0cabde1c68e5319b839154dbb7f5",
     "Starfield Root Certificate Authority – G2", 1},
    {SCS_HASH_SHA256, "9acfab7e43c8d880d06b262a94deeee4b4659989c3d0caf19baf6405e41ab7df",
     "VeriSign Class 3 Public Primary CA – G5", 1},
    {SCS_HASH_SHA256, "16af57a9f676b0ab126095aa5ebadef22ab31119d644ac95cd4b93dbf3f26aeb",
     "Baltimore CyberTrust Root", 1},
    {SCS_HASH_SHA256, "960adf0063e96356750c2965dd0a0867da0b9cbd6e77714aeafb2349ab393da3",
     "Cybertrust Global Root", 1},
    {SCS_HASH_SHA256, "68ad50909b04363c605ef13581a939ff2c96372e3f12325b0a6861e1d59f6603", NULL,
     1}, /* 9, name not confirmed */
    {SCS_HASH_SHA256, "6dc47172e01cbcb0bf62580d895fe2b8ac9ad4f873801e0c10b9c837d21eb177",
     "Entrust.net Certification Authority (2048)", 1},
    {SCS_HASH_SHA256, "73c176434f1bc6d5adf45b0e76e727287c8de57616c1e6e6141a2b2cbc7d8e4c",
     "Entrust Root Certification Authority", 1},
    {SCS_HASH_SHA256, "43df5774b03e7fef5fe40d931a7bedf1bb2e6b42738c4e6d3841103d3aa7f339",
     "Entrust Root Certification Authority – G2", 1},
    {SCS_HASH_SHA256, "2399561127a57125de8cefea610ddf2fa078b5c8067f4e828290bfb860e84b3c",
     "VeriSign Universal Root Certification Authority", 1},
    {SCS_HASH_SHA256, "70a73f7f376b60074248904534b11482d5bf0e698ecc498df52577ebf2e93b9a",
     "AffirmTrust Premium", 1},
    {SCS_HASH_SHA256, "4348a0e9444c78cb265e058d5e8944b4d84f9662bd26db257f8934a443c70161",
     "DigiCert Global Root CA", 1},
    {SCS_HASH_SHA256, "cb3ccbb76031e5e0138f8dd39a23f9de47ffc35e43c1144cea27d46a5ab1cb5f",
     "DigiCert Global Root G2", 1},
    {SCS_HASH_SHA256, "31ad6648f8104138c738f39ea4320133393e3a18cc02296ef97c2ac9ef6731d0",
     "DigiCert Global Root G3", 1},
    {SCS_HASH_SHA256, "552f7bdcf1a7af9e6ce672017f4f12abf77240c78e761ac203d1d9d20ac89988",
     "DigiCert Trusted Root G4", 1},
    {SCS_HASH_SHA256, "67540a47aa5b9f34570a99723cfefa96a96ee3f0d9b8bf4def9440b8065d665d", NULL,
     1}, /* 19, name not confirmed */
    {SCS_HASH_SHA256, "7224395222cd588c4f2683716922addb41e39b581ac34fa87b39efa896fbb39e", NULL,
     1}, /* 20, name not confirmed */
    {SCS_HASH_SHA256, "cbb522d7b7f127ad6a0113865bdf1cd4102e7d0759af635a7cf4720dc963c53b",
     "GlobalSign Root CA – R3", 1},
    {SCS_HASH_SHA256, "179fbc148a3dd00fd24ea13458cc43bfa7f59c8182d783a513f6ebec100c8924",
     "GlobalSign ECC Root CA – R5", 1},
    {SCS_HASH_SHA256, "2cabeafe37d06ca22aba7391c0033d25982952c453647349763a3ab5ad6ccf69",
     "GlobalSign Root CA – R6", 1},
    /* Row (24): only in the 24-hash captures, likely user-added [INF]. */
    {SCS_HASH_SHA256, "a267c480b0b29056eb5e8aa7c93add804f5a7df516e969e77bcacafe8d456079", NULL, 0},
    /* Older firmware (AMT 11.8, RPS test fixtures). */
    {SCS_HASH_SHA256, "e7685634efacf69ace939a6b255b7b4fabef42935b50a265acb5cb6027e44e70", NULL,
     0}, /* name not confirmed */
    {SCS_HASH_SHA256, "eb04cf5eb1f39afa762f2bb120f296cba520c1b97db1589565b81cb9a17b7244",
     "VeriSign Class 3 PPCA – G3", 0},
    {SCS_HASH_SHA256, "83ce3c1229688a593d485f81973c0f9195431eda37cc5e36430e79c7a888638b",
     "VeriSign Class 3 PPCA – G2", 0},
    {SCS_HASH_SHA256, "a4b6b3996fc2f306b3fd8681bd63413d8c5009cc4fa329c2ccf0e2fa1b140305",
     "VeriSign Class 3 PPCA (G1)", 0},
    {SCS_HASH_SHA256, "a53125188d2110aa964b02c7b7c6da3203170894e5fb71fffb6667d5e6810a36", NULL,
     0}, /* name not confirmed */
    /* AMT 2.x-3.x era SHA-1 list (Symantec Connect, 2010). */
    {SCS_HASH_SHA1, "742c3192e607e424eb4549542be1bbc53e6174e2", "VeriSign Class 3 PPCA (G1)", 0},
    {SCS_HASH_SHA1, "132d0d45534b6997cdb2d5c339e25576609b5cc6", "VeriSign Class 3 PPCA – G3", 0},
    {SCS_HASH_SHA1, "85371ca6e550143dce2803471bde3a09e8f8770f", "VeriSign Class 3 PPCA – G2", 0},
    {SCS_HASH_SHA1, "2796bae63f1801e277261ba0d77770028f20eee4",
     "Go Daddy Class 2 Certification Authority", 0},
    {SCS_HASH_SHA1, "d1eb23a46d17d68fd92564c2f1f1601764d8e349", "Comodo AAA Certificate Services",
     0},
    {SCS_HASH_SHA1, "ad7e1c28b064ef8f6003402014c3d0e3370eb58a",
     "Starfield Class 2 Certification Authority", 0},
};

const size_t scs_root_hashes_count = sizeof(scs_root_hashes) / sizeof(scs_root_hashes[0]);

const struct scs_root_hash *scs_root_hash_lookup(unsigned alg, const uint8_t *digest, size_t len)
{
    char hex[2 * 48 + 1];

    /* Hashes of public roots are not secret: a plain comparison is fine. */
    if (digest == NULL || len == 0 || len != scs_hash_alg_len(alg)) {
        return NULL;
    }
    scs_hex_encode(hex, digest, len);
    for (size_t i = 0; i < scs_root_hashes_count; i++) {
        if (scs_root_hashes[i].alg == alg && strcmp(scs_root_hashes[i].hex, hex) == 0) {
            return &scs_root_hashes[i];
        }
    }
    return NULL;
}
