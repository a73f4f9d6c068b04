/*
 * Pure provisioning decisions: password generation and strength, subnet
 * mapping, provisioning-chain selection, PID admission.  No I/O here, so the
 * unit tests drive every branch directly.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/secmem.h"
#include "crypto/crypto.h"
#include "formats/setupbin.h"
#include "prov/prov_internal.h"

/* AMT refuses ':' ',' '"' in passwords, and '_' does not count as its required
 * symbol; these symbols are safe in Digest, XML and shells alike. */
static const char pw_upper[] = "ABCDEFGHJKLMNPQRSTUVWXYZ";
static const char pw_lower[] = "abcdefghijkmnopqrstuvwxyz";
static const char pw_digit[] = "23456789";
static const char pw_symbol[] = "!#$%*+-.=?@";

static int pick(struct scs_random_stream *rs, const char *set, char *out)
{
    uint32_t v = 0;
    size_t n = strlen(set);
    int r = scs_random_uniform(rs, (uint32_t)n, &v);
    if (r != 0) {
        return r;
    }
    *out = set[v];
    return 0;
}

int prov_password_generate(struct scs_secret **out)
{
    static const char *const sets[] = {pw_upper, pw_lower, pw_digit, pw_symbol};
    char all[sizeof(pw_upper) + sizeof(pw_lower) + sizeof(pw_digit) + sizeof(pw_symbol)];
    struct scs_random_stream rs;
    struct scs_secret *s;
    char *p;
    int r = 0;

    if (out == NULL) {
        return SCS_ERR_INVALID_ARG;
    }
    s = scs_secret_new(PROV_PASSWORD_LEN);
    if (s == NULL) {
        return SCS_ERR_NOMEM;
    }
    p = (char *)scs_secret_data(s);
    scs_random_stream_init(&rs);
    (void)snprintf(all, sizeof(all), "%s%s%s%s", pw_upper, pw_lower, pw_digit, pw_symbol);
    /* One character of each class first, the rest from all classes, then a
     * Fisher-Yates shuffle so the classes are not in fixed positions. */
    for (size_t i = 0; r == 0 && i < PROV_PASSWORD_LEN; i++) {
        r = pick(&rs, i < 4 ? sets[i] : all, &p[i]);
    }
    for (size_t i = PROV_PASSWORD_LEN - 1; r == 0 && i > 0; i--) {
        uint32_t j = 0;
        char t;
        r = scs_random_uniform(&rs, (uint32_t)(i + 1), &j);
        if (r == 0) {
            t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
    }
    scs_random_stream_wipe(&rs);
    if (r != 0) {
        scs_secret_free(s);
        return r;
    }
    p[PROV_PASSWORD_LEN] = '\0';
    *out = s;
    return 0;
}

int prov_password_strong(const char *pw)
{
    /* One rule for every password the server sets or accepts: Intel's, as MEBx and the
     * SDK state it (formats/setupbin.c), so a profile that scsctl accepts is never
     * refused at session time. */
    return pw != NULL && scs_mebx_password_check(pw, strlen(pw), NULL) == 0;
}

/* One CIDR ("10.1.0.0/16", "fd00::/8", or a bare address) against addr. */
static int cidr_contains(const char *cidr, size_t len, const char *addr)
{
    char net[64];
    const char *slash;
    unsigned long bits;
    uint8_t a[16], b[16];
    int fam;
    size_t alen;

    if (len == 0 || len >= sizeof(net)) {
        return 0;
    }
    memcpy(net, cidr, len);
    net[len] = '\0';
    slash = strchr(net, '/');
    fam = strchr(net, ':') != NULL ? AF_INET6 : AF_INET;
    alen = fam == AF_INET6 ? 16 : 4;
    bits = alen * 8;
    if (slash != NULL) {
        char *end = NULL;
        bits = strtoul(slash + 1, &end, 10);
        if (end == slash + 1 || *end != '\0' || bits > alen * 8) {
            return 0;
        }
        net[slash - net] = '\0';
    }
    if (inet_pton(fam, net, a) != 1 || inet_pton(fam, addr, b) != 1) {
        return 0;
    }
    for (size_t i = 0; i < alen && bits > 0; i++) {
        unsigned take = bits >= 8 ? 8u : (unsigned)bits;
        uint8_t mask = (uint8_t)(0xffu << (8 - take));
        if ((a[i] & mask) != (b[i] & mask)) {
            return 0;
        }
        bits -= take;
    }
    return 1;
}

int prov_cidr_list_contains(const char *list, const char *addr)
{
    const char *p = list;

    if (list == NULL || addr == NULL) {
        return 0;
    }
    while (*p != '\0') {
        const char *end = strchr(p, ',');
        size_t n = end != NULL ? (size_t)(end - p) : strlen(p);
        while (n > 0 && *p == ' ') {
            p++;
            n--;
        }
        while (n > 0 && p[n - 1] == ' ') {
            n--;
        }
        if (cidr_contains(p, n, addr)) {
            return 1;
        }
        if (end == NULL) {
            break;
        }
        p = end + 1;
    }
    return 0;
}

static int root_in_hello(const struct tls_cert_hashes *root, const struct scs_hello *h)
{
    for (unsigned i = 0; i < h->hash_count && i < SCS_HELLO_MAX_HASHES; i++) {
        const struct scs_hello_hash *x = &h->hashes[i];
        const uint8_t *mine = NULL;
        size_t n = 0;
        switch (x->alg) {
        case SCS_HASH_SHA1:
            mine = root->sha1;
            n = sizeof(root->sha1);
            break;
        case SCS_HASH_SHA256:
            mine = root->sha256;
            n = sizeof(root->sha256);
            break;
        case SCS_HASH_SHA384:
            mine = root->sha384;
            n = sizeof(root->sha384);
            break;
        default:
            break;
        }
        /* Hashes of public certificates: no need for constant time, but it costs nothing. */
        if (mine != NULL && x->len == n && scs_ct_eq(mine, x->data, n)) {
            return 1;
        }
    }
    return 0;
}

static void describe_hashes(const struct scs_hello *h, char *out, size_t cap)
{
    unsigned c1 = 0, c256 = 0, c384 = 0;
    size_t used;

    for (unsigned i = 0; i < h->hash_count && i < SCS_HELLO_MAX_HASHES; i++) {
        switch (h->hashes[i].alg) {
        case SCS_HASH_SHA1:
            c1++;
            break;
        case SCS_HASH_SHA256:
            c256++;
            break;
        case SCS_HASH_SHA384:
            c384++;
            break;
        default:
            break;
        }
    }
    out[0] = '\0';
    used = 0;
    if (c256 > 0) {
        used += (size_t)snprintf(out + used, cap - used, "%u SHA256", c256);
    }
    if (c1 > 0 && used < cap) {
        used += (size_t)snprintf(out + used, cap - used, "%s%u SHA1", used ? ", " : "", c1);
    }
    if (c384 > 0 && used < cap) {
        used += (size_t)snprintf(out + used, cap - used, "%s%u SHA384", used ? ", " : "", c384);
    }
    if (used == 0) {
        (void)snprintf(out, cap, "no");
    }
}

enum prov_chain_pick prov_chain_select(const struct prov_chain *chains, size_t n,
                                       const struct scs_hello *h, const char *peer,
                                       const char *host_name, size_t *idx, char *why,
                                       size_t why_len)
{
    size_t roots = 0, open = 0, last_open = 0, domain_hits = 0, last_domain = 0;
    char hashes[64];

    for (size_t i = 0; i < n; i++) {
        if (chains[i].id == NULL || !root_in_hello(&chains[i].root, h)) {
            continue;
        }
        roots++;
        /* A chain mapped to subnets serves those subnets only; a match wins at once. */
        if (chains[i].entry.subnets[0] != '\0') {
            if (prov_cidr_list_contains(chains[i].entry.subnets, peer)) {
                *idx = i;
                return PROV_PICK_OK;
            }
            continue;
        }
        open++;
        last_open = i;
        if (host_name != NULL && tls_identity_domain_matches(chains[i].id, host_name)) {
            domain_hits++;
            last_domain = i;
        }
    }
    if (roots == 0) {
        describe_hashes(h, hashes, sizeof(hashes));
        (void)snprintf(why, why_len,
                       "no provisioning certificate matches the device's trusted roots (%s hashes)",
                       hashes);
        return PROV_PICK_NO_ROOT;
    }
    if (open == 0) {
        (void)snprintf(why, why_len,
                       "%zu provisioning certificate(s) match the device's trusted roots, but "
                       "their subnets do not include %s",
                       roots, peer);
        return PROV_PICK_NO_SUBNET;
    }
    if (domain_hits >= 1) {
        *idx = last_domain;
        return PROV_PICK_OK;
    }
    if (open == 1) {
        *idx = last_open;
        return PROV_PICK_OK;
    }
    (void)snprintf(why, why_len,
                   "%zu provisioning certificates match the device's trusted roots and neither "
                   "a subnet mapping nor the device's DNS name (%s) tells them apart",
                   open, host_name != NULL ? host_name : "none");
    return PROV_PICK_AMBIGUOUS;
}

int prov_pid_acceptable(int found, const struct scs_psk_entry *e, const char *uuid,
                        const char *pid_text, int returning, char *why, size_t why_len)
{
    char mine[128];

    if (!found || e == NULL) {
        (void)snprintf(why, why_len, "unknown PID %s", pid_text);
        return 0;
    }
    (void)snprintf(mine, sizeof(mine), "device:%s", uuid);
    /* A device we provisioned and an administrator unprovisioned comes back with
     * the pair it was left holding; when that pair was already spent (no new PSK
     * was given) it is "used" by this very device, and still only its own. */
    if (returning && e->state == SCS_PSK_USED && strcmp(e->assignee, mine) == 0) {
        return 1;
    }
    if (e->state != SCS_PSK_ASSIGNED) {
        (void)snprintf(why, why_len, "PID %s is %s, not assigned", pid_text,
                       scs_psk_state_name(e->state));
        return 0;
    }
    /* A USB pair may be consumed by any device; a pair given to a device by
     * SetTLSPSK belongs to that device only. */
    if (strncmp(e->assignee, "device:", 7) == 0 && strcmp(e->assignee, mine) != 0) {
        (void)snprintf(why, why_len, "PID %s is assigned to another device", pid_text);
        return 0;
    }
    return 1;
}

int prov_hostname_expand(const char *tmpl, const char *uuid, char *out, size_t cap)
{
    size_t n = 0;

    if (tmpl == NULL || uuid == NULL || out == NULL || cap == 0 || strlen(uuid) < 8) {
        return SCS_ERR_INVALID_ARG;
    }
    for (const char *t = tmpl; *t != '\0'; t++) {
        const char *piece = t;
        size_t len = 1;

        if (*t == '%') {
            switch (t[1]) {
            case 'u':
                piece = uuid; /* the first 8 hex digits: unique enough within a site */
                len = 8;
                break;
            case '%':
                len = 1;
                break;
            default:
                return SCS_ERR_FORMAT;
            }
            t++;
        }
        if (n + len >= cap || n + len > PROV_HOSTNAME_MAX) {
            return SCS_ERR_TOO_LARGE;
        }
        memcpy(out + n, piece, len);
        n += len;
    }
    out[n] = '\0';
    /* One DNS label (the domain goes to DomainName): letters, digits, inner hyphens. */
    if (n == 0 || out[0] == '-' || out[n - 1] == '-') {
        return SCS_ERR_FORMAT;
    }
    for (size_t i = 0; i < n; i++) {
        char c = out[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-')) {
            return SCS_ERR_FORMAT;
        }
    }
    return 0;
}

/* The version from "Intel(R) Active Management Technology X.Y.Z[.B]": 1 and
 * the version in out, or 0 when hdr is not that. */
int prov_server_header_version(const char *hdr, char *out, size_t cap)
{
    static const char prefix[] = "Intel(R) Active Management Technology ";
    const char *v;
    size_t n, dots = 0;

    if (hdr == NULL || strncmp(hdr, prefix, sizeof(prefix) - 1) != 0) {
        return 0;
    }
    v = hdr + sizeof(prefix) - 1;
    n = strlen(v);
    if (n == 0 || n >= cap || v[0] == '.' || v[n - 1] == '.') {
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        if (v[i] == '.') {
            if (v[i + 1] == '.') {
                return 0;
            }
            dots++;
        } else if (v[i] < '0' || v[i] > '9') {
            return 0;
        }
    }
    if (dots < 2) {
        return 0;
    }
    memcpy(out, v, n + 1);
    return 1;
}
