// Causes over HTTPS: a captive portal on the HTTPS port, an intercepting proxy, a server certificate from a CA the
// device does not trust yet, and a clock days ahead (libfaketime, so the certificate really reads as expired).
import { mkdtemp, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeCertificate, makeCertificateAuthority, writeCertificateFiles } from '../../cli/src/testing/faults/certificates.js';
import { fakedClockEnv, faketimePreload } from '../../cli/src/testing/faults/device-conditions.js';
import { proxied, type StageChoice } from './network-causes.js';
import { pair, restartableServer, type RecoveryCause, type Stages } from './stages.js';

/** The HTTPS stage, its sync proxy answering TLS with a certificate nobody trusts while it plays a portal. */
const intercepted: StageChoice = async (stages) => {
  const tls = await stages.tls.get();
  return { stage: tls.stage, syncOptions: { answerTls: tls.intercepting } };
};

/**
 * The server moved to a certificate from its own new CA (restarted on the same port and data); the fix is what a
 * user does: add the CA to the file NODE_EXTRA_CA_CERTS names, and restart the agent (Node reads it once, at start).
 */
const newCaTrusted = (stages: Stages): RecoveryCause => ({
  label: "server's new CA → trusted, agent restarted",
  cause: 'TLS_UNTRUSTED',
  kind: 'network',
  async prepare() {
    const dir = await mkdtemp(join(stages.root, 'new-ca-'));
    const authorities = [0, 1, 2].map((i) => makeCertificateAuthority({ commonName: `Nimbus Bench CA ${i}` }));
    const serverFiles = (i: number) => {
      const ca = authorities[i];
      if (ca === undefined) throw new Error(`no CA ${i}`);
      return writeCertificateFiles(dir, `server-${i}`, makeCertificate({ commonName: '127.0.0.1', ca }));
    };
    const trustFile = join(dir, 'trusted.pem');
    const trustUpTo = (i: number) => writeFile(trustFile, authorities.slice(0, i + 1).map((ca) => ca.cert).join(''));
    await trustUpTo(0);
    const first = await serverFiles(0);
    const server = await restartableServer(['--tls-cert', first.certPath, '--tls-key', first.keyPath]);
    const { device } = await pair(stages, server.url, 'new-ca', 'new ca passphrase', { env: { NODE_EXTRA_CA_CERTS: trustFile } });
    return {
      device,
      async fault(round, mark) {
        const files = await serverFiles(round);
        await server.restart(['--tls-cert', files.certPath, '--tls-key', files.keyPath]);
        mark();
        await device.write(`Notes/new-ca-${round}.md`, 'written after the certificate changed\n');
      },
      async heal(round, mark, agent) {
        await trustUpTo(round);
        mark();
        await agent?.restart();
      },
      close: () => server.close(),
    };
  },
});

/** The device's clock 3 days ahead, read by libfaketime from a file at every call; set right while the agent runs. */
const clockAhead = (stages: Stages): RecoveryCause => ({
  label: 'clock 3 days ahead (faketime) → set right',
  cause: 'CLOCK_SKEW',
  kind: 'device',
  async prepare() {
    const preload = faketimePreload();
    if (preload === undefined) throw new Error('faketime is not installed (apt-get install faketime)');
    const tls = await stages.tls.get();
    const clockFile = join(tls.dir, 'faketime');
    await writeFile(clockFile, '+0\n');
    const { device, proxies } = await tls.stage.proxiedDevice('skewed', {}, fakedClockEnv(preload, clockFile));
    return {
      device,
      async fault(round) {
        await writeFile(clockFile, '+3d\n');
        await device.write(`Notes/skewed-${round}.md`, 'written while the clock was wrong\n');
      },
      heal: () => writeFile(clockFile, '+0\n'),
      close: () => proxies.close(),
    };
  },
});

export function tlsCauses(stages: Stages): RecoveryCause[] {
  return [
    proxied('captive portal on HTTPS (wrong certificate, probe shows it)', 'NETWORK_CAPTIVE_PORTAL', 'portal', 'portal', { nameWithinS: 5, on: intercepted }),
    proxied('TLS intercepted → interceptor gone', 'TLS_UNTRUSTED', 'portal', 'pass', { on: intercepted }),
  ]
    .map((make) => make(stages))
    .concat([newCaTrusted(stages), clockAhead(stages)]);
}
