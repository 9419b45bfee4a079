// `nimbus config get|set|unset KEY`: this device's settings. `dns`: the DNS servers that resolve the server's name
// instead of the system resolver (a network whose DNS fails or lies). A running agent picks a change up by itself.
import { DnsServersError, parseDnsServers, readDnsServers, writeDnsServers } from '@nimbus/client';
import type { Command } from 'commander';
import { withStore } from '../device.js';
import { EXIT, UserError, out } from '../output.js';

/** The keys `nimbus config` knows. */
const KEYS = ['dns'] as const;
type Key = (typeof KEYS)[number];

function parseKey(key: string): Key {
  if ((KEYS as readonly string[]).includes(key)) return key as Key;
  throw new UserError(`unknown setting "${key}" (settings: ${KEYS.join(', ')})`, EXIT.usage);
}

function describeDns(servers: readonly string[]): string {
  return servers.length === 0
    ? 'dns: the system resolver (set others with nimbus config set dns 1.1.1.1,8.8.8.8)'
    : `dns: ${servers.join(',')} (the server's name is looked up through these)`;
}

export function registerConfig(program: Command): void {
  const config = program
    .command('config')
    .description("this device's settings: dns (the DNS servers that look up the server's name)")
    .addHelpText('after', '\nExamples:\n  nimbus config set dns 1.1.1.1,8.8.8.8     (IP addresses, each with an optional :PORT)\n  nimbus config get dns\n  nimbus config unset dns                   (back to the system resolver)');
  config
    .command('get [key]')
    .description('show a setting (all of them without KEY)')
    .option('--json', 'machine-readable: {"dns": [SERVER…]}')
    .action(async (key: string | undefined, flags: { json?: boolean }) => {
      if (key !== undefined) parseKey(key);
      await withStore((store) => {
        const dns = readDnsServers(store);
        if (flags.json) return out.json({ dns });
        out.line(describeDns(dns));
      });
    });
  config
    .command('set <key> <value>')
    .description('change a setting: dns SERVER[:PORT],… (IP addresses); a running agent resumes with it by itself')
    .action(async (key: string, value: string) => {
      parseKey(key);
      let servers: string[];
      try {
        servers = parseDnsServers(value);
      } catch (error) {
        if (error instanceof DnsServersError) throw new UserError(`dns: ${error.message}`, EXIT.usage);
        throw error;
      }
      await withStore((store) => writeDnsServers(store, servers));
      out.line(describeDns(servers));
    });
  config
    .command('unset <key>')
    .description('back to the default: dns → the system resolver')
    .action(async (key: string) => {
      parseKey(key);
      await withStore((store) => writeDnsServers(store, []));
      out.line(describeDns([]));
    });
}
