// Preloaded into MeshCentral (NODE_OPTIONS=--require) by tests/interop/meshcentral.sh.
//
// Works around MeshCentral bug #4901 (still present in 1.1.55): the Hello
// server (amtprovisioningserver.js) passes its ACM client chain root-first
// (`certs.reverse().join('')`) as the TLS `cert` option.  Node takes the first
// PEM certificate as the leaf, so with OpenSSL 3 createSecureContext throws
// "key values mismatch" and the MeshCentral process dies on every Hello.
//
// This shim only reorders a multi-certificate `cert` PEM string so that the
// certificate whose public key matches `key` comes first (leaf-first, as a
// TLS Certificate message must be).  It changes nothing else.
'use strict';
const tls = require('tls');
const crypto = require('crypto');

const PEM_RE = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

function spki(keyish) {
    return crypto.createPublicKey(keyish).export({ type: 'spki', format: 'der' });
}

function fixChainOrder(opts) {
    if (!opts || typeof opts !== 'object' || typeof opts.cert !== 'string' || !opts.key) return;
    const pems = opts.cert.match(PEM_RE);
    if (!pems || pems.length < 2) return;
    try {
        const want = spki(opts.key);
        const has = (p) => new crypto.X509Certificate(p).publicKey.export({ type: 'spki', format: 'der' }).equals(want);
        if (has(pems[0])) return;                 // already leaf-first
        if (!has(pems[pems.length - 1])) return;  // not a reversed chain: leave alone
        opts.cert = pems.reverse().join('\n') + '\n';
        if (process.env.SCS_INTEROP_SHIM_LOG) {
            console.log('SCS-INTEROP-SHIM: reordered root-first client chain to leaf-first (' + pems.length + ' certs)');
        }
    } catch (e) { /* leave the options untouched */ }
}

const origConnect = tls.connect;
tls.connect = function (...args) {
    for (const a of args) fixChainOrder(a);
    return origConnect.apply(this, args);
};
