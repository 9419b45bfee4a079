// Real `nimbus serve` processes set up for fault tests: a tiny quota, or HTTPS with a test certificate.
import { spawnServer, type SpawnedServer } from '../spawn-server.js';
import { writeCertificateFiles, type TestCertificate } from './certificates.js';

/** The quota a tiny-quota server gives new accounts unless told otherwise: a few small files fill it. */
export const TINY_QUOTA = '64KB';

/** `nimbus serve --default-quota QUOTA`: accounts created on it get that quota (QUOTA_EXCEEDED comes fast). */
export function spawnTinyQuotaServer(quota: string = TINY_QUOTA, args: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<SpawnedServer> {
  return spawnServer(['--default-quota', quota, ...args], env);
}

/**
 * `nimbus serve` over HTTPS with `certificate` (its files written into `dir`). Its `url` is https://127.0.0.1:PORT,
 * so the certificate should name 127.0.0.1 (or point the client at a name the DNS stub resolves). The probe port
 * stays plain HTTP.
 */
export async function spawnHttpsServer(
  certificate: TestCertificate,
  dir: string,
  args: string[] = [],
  env: NodeJS.ProcessEnv = {},
): Promise<SpawnedServer> {
  const { certPath, keyPath } = await writeCertificateFiles(dir, 'server', certificate);
  return spawnServer(['--tls-cert', certPath, '--tls-key', keyPath, ...args], env);
}
