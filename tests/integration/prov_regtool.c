/*
 * prov_regtool: a test helper that reads and seeds the registry through
 * registry.h, so the end-to-end tests assert on the server's side without
 * depending on which scsctl commands exist yet.
 *
 *   prov_regtool -d DIR devices                  JSON array of devices
 *   prov_regtool -d DIR secret UUID NAME         print a device secret (tests only)
 *   prov_regtool -d DIR secret-set UUID NAME VALUE
 *   prov_regtool -d DIR cert-add NAME CHAIN.pem KEY.pem DOMAIN [SUBNETS]
 *   prov_regtool -d DIR ca-set CERT.pem KEY.pem
 *   prov_regtool -d DIR profile NAME key=value...  (require_otp configure_tls new_psk
 *                                                 time_sync set_mebx_password redirection
 *                                                 user_consent hostname_template domain
 *                                                 admin_password)
 *   prov_regtool -d DIR assign UUID PROFILE      create/update the row with that profile
 *   prov_regtool -d DIR audit                    one line per audit record
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/encoding.h"
#include "common/err.h"
#include "common/fileio.h"
#include "common/secmem.h"
#include "psk/pool.h"
#include "registry/registry.h"
#include "tls/tls.h"

static void json_str(const char *s)
{
    putchar('"');
    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            printf("\\%c", c);
        } else if (c < 0x20) {
            printf("\\u%04x", c);
        } else {
            putchar(c);
        }
    }
    putchar('"');
}

static int first = 1;

static int print_dev(void *arg, const struct scs_device *d)
{
    (void)arg;
    printf("%s{\"uuid\":", first ? "" : ",\n");
    first = 0;
    json_str(d->uuid);
    printf(",\"state\":");
    json_str(scs_device_state_name(d->state));
    printf(",\"path\":");
    json_str(scs_prov_path_name(d->path));
    printf(",\"address\":");
    json_str(d->address);
    printf(",\"step\":");
    json_str(d->step);
    printf(",\"pid\":");
    json_str(d->pid);
    printf(",\"new_pid\":");
    json_str(d->new_pid);
    printf(",\"fw_version\":");
    json_str(d->fw_version);
    printf(",\"realm\":");
    json_str(d->realm);
    printf(",\"profile\":");
    json_str(d->profile);
    printf(",\"tls_fingerprint\":");
    json_str(d->tls_fingerprint);
    printf(",\"attempts\":%u,\"last_error\":", (unsigned)d->attempts);
    json_str(d->last_error);
    printf("}");
    return 0;
}

static int print_audit(void *arg, int64_t id, int64_t t, const char *ev, const char *subj,
                       const char *detail)
{
    (void)arg;
    printf("%lld %lld %s %s %s\n", (long long)id, (long long)t, ev, subj, detail);
    return 0;
}

static int cert_add(struct scs_pool *p, int argc, char **argv)
{
    struct scs_buf *chain = NULL, *key = NULL;
    struct scs_cert_entry e;
    struct tls_identity *id = NULL;
    struct tls_cert_hashes h;
    struct scs_secret *ks;
    struct scs_diag d;
    int r;

    if (argc < 5) {
        return SCS_ERR_INVALID_ARG;
    }
    if ((r = scs_file_read(argv[2], TLS_PEM_MAX, &chain)) != 0 ||
        (r = scs_file_read(argv[3], TLS_PEM_MAX, &key)) != 0) {
        return r;
    }
    scs_diag_clear(&d);
    r = tls_identity_from_pem(scs_buf_data(chain), scs_buf_len(chain), scs_buf_data(key),
                              scs_buf_len(key), &id, &d);
    if (r != 0) {
        fprintf(stderr, "prov_regtool: %s\n", d.reason);
        return r;
    }
    (void)tls_identity_root_hashes(id, &h);
    tls_identity_free(id);
    memset(&e, 0, sizeof(e));
    snprintf(e.name, sizeof(e.name), "%s", argv[1]);
    snprintf(e.domain, sizeof(e.domain), "%s", argv[4]);
    if (argc > 5) {
        snprintf(e.subnets, sizeof(e.subnets), "%s", argv[5]);
    }
    scs_hex_encode(e.root_sha1, h.sha1, sizeof(h.sha1));
    scs_hex_encode(e.root_sha256, h.sha256, sizeof(h.sha256));
    scs_hex_encode(e.root_sha384, h.sha384, sizeof(h.sha384));
    ks = scs_secret_from(scs_buf_data(key), scs_buf_len(key));
    r = scs_cert_put(p, &e, scs_buf_cstr(chain), scs_buf_len(chain), ks);
    scs_secret_free(ks);
    scs_buf_free(chain);
    scs_buf_free(key);
    return r;
}

static int ca_set(struct scs_pool *p, int argc, char **argv)
{
    struct scs_buf *cert = NULL, *key = NULL;
    struct scs_secret *ks;
    int r;

    if (argc < 3) {
        return SCS_ERR_INVALID_ARG;
    }
    if ((r = scs_file_read(argv[1], TLS_PEM_MAX, &cert)) != 0 ||
        (r = scs_file_read(argv[2], TLS_PEM_MAX, &key)) != 0) {
        return r;
    }
    ks = scs_secret_from(scs_buf_data(key), scs_buf_len(key));
    r = scs_ca_put(p, scs_buf_cstr(cert), ks);
    scs_secret_free(ks);
    scs_buf_free(cert);
    scs_buf_free(key);
    return r;
}

static int profile(struct scs_pool *p, int argc, char **argv)
{
    struct scs_profile pr;
    int r;

    if (argc < 2) {
        return SCS_ERR_INVALID_ARG;
    }
    /* What `scsctl init` stores (user consent "all": the firmware's own default). */
    scs_profile_defaults(&pr, argv[1]);
    for (int i = 2; i < argc; i++) {
        char *eq = strchr(argv[i], '=');
        int v;
        if (eq == NULL) {
            return SCS_ERR_INVALID_ARG;
        }
        *eq = '\0';
        v = (int)strtol(eq + 1, NULL, 10);
        if (strcmp(argv[i], "require_otp") == 0) {
            pr.require_otp = v;
        } else if (strcmp(argv[i], "configure_tls") == 0) {
            pr.configure_tls = v;
        } else if (strcmp(argv[i], "new_psk") == 0) {
            pr.new_psk = v;
        } else if (strcmp(argv[i], "time_sync") == 0) {
            pr.time_sync = v;
        } else if (strcmp(argv[i], "set_mebx_password") == 0) {
            pr.set_mebx_password = v;
        } else if (strcmp(argv[i], "redirection") == 0) {
            pr.redirection = v;
        } else if (strcmp(argv[i], "user_consent") == 0) {
            pr.user_consent = v;
        } else if (strcmp(argv[i], "hostname_template") == 0) {
            snprintf(pr.hostname_template, sizeof(pr.hostname_template), "%s", eq + 1);
        } else if (strcmp(argv[i], "domain") == 0) {
            snprintf(pr.domain, sizeof(pr.domain), "%s", eq + 1);
        } else if (strcmp(argv[i], "admin_password") == 0) {
            struct scs_secret *s = scs_secret_from(eq + 1, strlen(eq + 1));
            pr.admin_password_random = 0;
            r = scs_profile_secret_set(p, pr.name, "admin_password", s);
            scs_secret_free(s);
            if (r != 0) {
                return r;
            }
        } else {
            return SCS_ERR_INVALID_ARG;
        }
    }
    return scs_profile_put(p, &pr);
}

int main(int argc, char **argv)
{
    struct scs_pool *p = NULL;
    const char *dir;
    int r = 0;

    if (argc < 4 || strcmp(argv[1], "-d") != 0) {
        fprintf(stderr, "usage: prov_regtool -d DIR COMMAND ...\n");
        return 2;
    }
    dir = argv[2];
    argc -= 3;
    argv += 3;
    if ((r = scs_pool_open(dir, &p)) != 0) {
        fprintf(stderr, "prov_regtool: %s: %s\n", dir, scs_strerror(r));
        return 4;
    }
    if (strcmp(argv[0], "devices") == 0) {
        printf("[");
        r = scs_device_list(p, print_dev, NULL);
        printf("]\n");
    } else if (strcmp(argv[0], "secret") == 0 && argc == 3) {
        struct scs_secret *s = NULL;
        r = scs_device_secret_get(p, argv[1], argv[2], &s);
        if (r == 0) {
            printf("%s\n", scs_secret_str(s));
            scs_secret_free(s);
        }
    } else if (strcmp(argv[0], "secret-set") == 0 && argc == 4) {
        struct scs_secret *s = scs_secret_from(argv[3], strlen(argv[3]));
        r = scs_device_secret_set(p, argv[1], argv[2], s);
        scs_secret_free(s);
    } else if (strcmp(argv[0], "cert-add") == 0) {
        r = cert_add(p, argc, argv);
    } else if (strcmp(argv[0], "ca-set") == 0) {
        r = ca_set(p, argc, argv);
    } else if (strcmp(argv[0], "profile") == 0) {
        r = profile(p, argc, argv);
    } else if (strcmp(argv[0], "assign") == 0 && argc == 3) {
        struct scs_device d;
        if (scs_device_get(p, argv[1], &d) != 0) {
            memset(&d, 0, sizeof(d));
            snprintf(d.uuid, sizeof(d.uuid), "%s", argv[1]);
        }
        snprintf(d.profile, sizeof(d.profile), "%s", argv[2]);
        r = scs_device_put(p, &d);
    } else if (strcmp(argv[0], "audit") == 0) {
        r = scs_audit_list(p, print_audit, NULL);
    } else {
        fprintf(stderr, "prov_regtool: unknown command %s\n", argv[0]);
        r = SCS_ERR_INVALID_ARG;
    }
    scs_pool_close(p);
    if (r != 0) {
        fprintf(stderr, "prov_regtool: %s\n", scs_strerror(r));
        return 1;
    }
    return 0;
}
