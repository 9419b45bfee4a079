// TLS certificates made for a test: a test CA, and leaf certificates with a chosen validity window and names.
// node-forge builds them (any notBefore/notAfter, SANs, CA flags; pure JS, so no openssl binary is needed on
// CI); node:crypto makes the RSA keys and signs, which is far faster than forge's pure-JS RSA.
// (@peculiar/x509 was tried first: it needs a global reflect-metadata polyfill.)
import forge from 'node-forge';
import { generateKeyPairSync, randomBytes, sign as cryptoSign } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';

/** A certificate and its private key, both PEM. Pass `cert`/`key` to tls/https servers, `cert` of a CA as `ca`. */
export interface TestCertificate {
  readonly cert: string;
  readonly key: string;
}

export interface CertificateOptions {
  readonly commonName: string;
  /** DNS names and IP addresses the certificate is valid for; defaults to the common name. */
  readonly altNames?: readonly string[];
  /** Defaults to one hour ago. */
  readonly notBefore?: Date;
  /** Defaults to one day from now. */
  readonly notAfter?: Date;
  /** The CA that signs it; without one the certificate is self-signed. */
  readonly ca?: TestCertificate;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

interface KeyPair {
  readonly publicKey: forge.pki.rsa.PublicKey;
  /** PEM, for node:crypto (which signs) and for the TLS server. */
  readonly privatePem: string;
}

function rsaKeys(): KeyPair {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const privatePem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  const forgeKey = forge.pki.privateKeyFromPem(privatePem) as forge.pki.rsa.PrivateKey;
  return { publicKey: forge.pki.setRsaPublicKey(forgeKey.n, forgeKey.e), privatePem };
}

/** Leaf certificates share one key per process: a 2048-bit RSA key takes a good part of a second on a busy machine. */
let leafKeys: KeyPair | undefined;

/** forge has it (its own `cert.sign` uses it); @types/node-forge leaves it out. */
type ForgeTbs = typeof forge.pki & { getTBSCertificate(cert: forge.pki.Certificate): forge.asn1.Asn1 };

/** Signs like forge's `cert.sign`, but with node:crypto (forge's pure-JS RSA takes ~0.5 s per signature). */
function sign(cert: forge.pki.Certificate, signerPem: string): void {
  const oid = forge.pki.oids['sha256WithRSAEncryption'];
  if (oid === undefined) throw new Error('node-forge does not know sha256WithRSAEncryption');
  cert.signatureOid = oid;
  cert.siginfo.algorithmOid = oid;
  const tbs = (forge.pki as ForgeTbs).getTBSCertificate(cert);
  (cert as forge.pki.Certificate & { tbsCertificate: forge.asn1.Asn1 }).tbsCertificate = tbs;
  const der = Buffer.from(forge.asn1.toDer(tbs).getBytes(), 'binary');
  cert.signature = cryptoSign('sha256', der, signerPem).toString('binary');
}

function build(options: CertificateOptions, extensions: object[], keys: KeyPair): TestCertificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  // A positive serial: a leading 0x01 byte keeps the DER integer from reading as negative.
  cert.serialNumber = `01${randomBytes(15).toString('hex')}`;
  cert.validity.notBefore = options.notBefore ?? new Date(Date.now() - HOUR_MS);
  cert.validity.notAfter = options.notAfter ?? new Date(Date.now() + DAY_MS);
  const subject = [{ name: 'commonName', value: options.commonName }, { name: 'organizationName', value: 'Nimbus tests' }];
  cert.setSubject(subject);
  cert.setIssuer(options.ca ? forge.pki.certificateFromPem(options.ca.cert).subject.attributes : subject);
  cert.setExtensions(extensions);
  sign(cert, options.ca?.key ?? keys.privatePem);
  return { cert: forge.pki.certificateToPem(cert), key: keys.privatePem };
}

/** A CA for the test run; trust it with `ca: [authority.cert]` or NODE_EXTRA_CA_CERTS, then sign leaves with it. */
export function makeCertificateAuthority(options: { commonName?: string; notBefore?: Date; notAfter?: Date } = {}): TestCertificate {
  return build(
    {
      commonName: options.commonName ?? 'Nimbus Test CA',
      notBefore: options.notBefore ?? new Date(Date.now() - DAY_MS),
      notAfter: options.notAfter ?? new Date(Date.now() + 3650 * DAY_MS),
    },
    [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
    rsaKeys(), // each CA its own key, so one CA never vouches for another's certificates
  );
}

/**
 * A server certificate for `commonName`/`altNames`, valid from `notBefore` to `notAfter` (past dates make an
 * expired one, future ones a not-yet-valid one), signed by `ca` or else self-signed.
 */
export function makeCertificate(options: CertificateOptions): TestCertificate {
  const altNames = (options.altNames ?? [options.commonName]).map((name) =>
    isIP(name) === 0 ? { type: 2, value: name } : { type: 7, ip: name },
  );
  return build(options, [
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    { name: 'subjectAltName', altNames },
  ], (leafKeys ??= rsaKeys()));
}

/** Writes `NAME.crt` and `NAME.key` into `dir` (for `nimbus serve --tls-cert/--tls-key` and NODE_EXTRA_CA_CERTS). */
export async function writeCertificateFiles(dir: string, name: string, certificate: TestCertificate): Promise<{ certPath: string; keyPath: string }> {
  await mkdir(dir, { recursive: true });
  const certPath = join(dir, `${name}.crt`);
  const keyPath = join(dir, `${name}.key`);
  await writeFile(certPath, certificate.cert);
  await writeFile(keyPath, certificate.key, { mode: 0o600 });
  return { certPath, keyPath };
}
