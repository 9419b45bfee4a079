// Network causes: a fault proxy pair in front of the server (refused, black hole, captive portal, blocked port, 503,
// 429), and a name only the user's DNS servers know (DNS_FAILURE, fixed by `nimbus config set dns`).
import { join } from 'node:path';
import type { FaultModeInput } from '../../cli/src/testing/faults/fault-mode.js';
import type { FaultProxyOptions } from '../../cli/src/testing/faults/fault-proxy.js';
import { DnsStub } from '../../cli/src/testing/faults/dns-stub.js';
import { FaultDevice, type FaultStage } from '../../cli/src/testing/faults/paused-case.js';
import { spawnServer } from '../../cli/src/testing/spawn-server.js';
import { createAccount, type RecoveryCause, type Stages } from './stages.js';

/** The stage whose server the proxies front, and how the sync proxy answers TLS. */
export type StageChoice = (stages: Stages) => Promise<{ stage: FaultStage; syncOptions?: Omit<FaultProxyOptions, 'target'> }>;

export interface ProxiedOptions {
  /** Seconds within which the agent must name it (a captive portal: 5). */
  readonly nameWithinS?: number;
  /** The plain network stage by default. */
  readonly on?: StageChoice;
  /** Added to the device's CLI and agent runs (a request deadline of its own). */
  readonly env?: NodeJS.ProcessEnv;
}

/** A device behind its own proxy pair; the fault sets both proxies, the heal sets them back to pass. */
export function proxied(label: string, cause: string, sync: FaultModeInput, probe: FaultModeInput, options: ProxiedOptions = {}): (stages: Stages) => RecoveryCause {
  return (stages) => ({
    label,
    cause,
    kind: 'network',
    ...(options.nameWithinS !== undefined ? { nameWithinS: options.nameWithinS } : {}),
    async prepare() {
      const { stage, syncOptions } = options.on ? await options.on(stages) : { stage: stages.network, syncOptions: {} };
      const { device, proxies } = await stage.proxiedDevice(label.replace(/\W+/g, '-'), syncOptions, options.env);
      return {
        device,
        async fault(round) {
          await proxies.setMode(sync, probe);
          await device.write(`Notes/${device.name}-${round}.md`, `written under ${cause}\n`);
        },
        heal: () => proxies.setMode('pass'),
        close: () => proxies.close(),
      };
    },
  });
}

/** Reserved by RFC 2606: no system resolver answers it, and it fails at once. */
const DNS_NAME = 'nimbus-bench.invalid';

/**
 * The server by a name only the user's DNS servers (a DNS stub) resolve. The fault: the configured servers are gone
 * (`nimbus config unset dns`); the fix: `nimbus config set dns` (a configuration change the agent acts on).
 */
const dnsConfigured = (stages: Stages): RecoveryCause => ({
  label: 'DNS servers unset → nimbus config set dns',
  cause: 'DNS_FAILURE',
  kind: 'network',
  async prepare() {
    const [server, stub] = await Promise.all([spawnServer(), DnsStub.start({ records: { [DNS_NAME]: '127.0.0.1' } })]);
    const email = 'dns@example.org';
    const password = 'dns passphrase';
    await createAccount(server.url, email, password, join(stages.root, 'dns-admin'));
    const device = new FaultDevice('dns-device', stages.root, stages.env);
    await device.init();
    const config = async (...args: string[]): Promise<void> => {
      const run = await device.cli(['config', ...args]);
      if (run.code !== 0) throw new Error(`nimbus config ${args.join(' ')}: ${run.stderr}`);
    };
    await config('set', 'dns', stub.server);
    await device.login(server.url.replace('127.0.0.1', DNS_NAME), email, password);
    return {
      device,
      async fault(round, mark) {
        await config('unset', 'dns');
        mark();
        await device.write(`Notes/dns-${round}.md`, 'written while the name could not be looked up\n');
      },
      async heal(_round, mark) {
        await config('set', 'dns', stub.server);
        mark();
      },
      close: async () => {
        await Promise.all([server.dispose(), stub.close()]);
      },
    };
  },
});

export function networkCauses(stages: Stages): RecoveryCause[] {
  return [
    proxied('server refused', 'SERVER_UNAVAILABLE', 'refuse', 'refuse'),
    proxied('server black-holed', 'NETWORK_OFFLINE', 'blackhole', 'blackhole'),
    // The default deadline: the lone sync gives up after it, the agent names the cause from the probe meanwhile.
    proxied('server black-holed, 30 s request deadline', 'NETWORK_OFFLINE', 'blackhole', 'blackhole', { env: { NIMBUS_REQUEST_TIMEOUT_MS: '30000' } }),
    proxied('captive portal (redirect)', 'NETWORK_CAPTIVE_PORTAL', { kind: 'portal', answer: 'redirect' }, { kind: 'portal', answer: 'redirect' }, { nameWithinS: 5 }),
    proxied('captive portal (login page)', 'NETWORK_CAPTIVE_PORTAL', { kind: 'portal', answer: 'page' }, { kind: 'portal', answer: 'page' }, { nameWithinS: 5 }),
    proxied('sync port refused, probe answers', 'NETWORK_BLOCKED', 'refuse', 'pass'),
    proxied('503, Retry-After: 1', 'SERVER_UNAVAILABLE', { kind: 'status', status: 503, retryAfter: 1 }, 'pass'),
    proxied('429, Retry-After: 1', 'RATE_LIMITED', { kind: 'status', status: 429, retryAfter: 1 }, 'pass'),
  ]
    .map((make) => make(stages))
    .concat([dnsConfigured(stages)]);
}
