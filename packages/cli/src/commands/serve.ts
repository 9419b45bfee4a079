// `nimbus serve`: runs the server until SIGINT/SIGTERM, then shuts down gracefully.
import type { ServerFlags } from '@nimbus/server';
import type { Command } from 'commander';
import { EXIT, UserError, out } from '../output.js';

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('start the Nimbus server (SQLite and local blobs under --data unless --db/NIMBUS_S3_BUCKET say otherwise)')
    .option('--host <host>', 'address to listen on (NIMBUS_HOST)', undefined)
    .option('--port <port>', 'port for the API (NIMBUS_PORT, default 7070; 0 picks a free one)')
    .option('--probe-port <port|off>', 'plain-HTTP probe port (NIMBUS_PROBE_PORT, default: port + 1)')
    .option('--data <dir>', 'data folder (NIMBUS_DATA, default ./nimbus-data)')
    .option('--db <url>', 'postgres://… for PostgreSQL (NIMBUS_DB, default: SQLite in the data folder)')
    .option('--default-quota <size>', 'quota of new accounts, e.g. 5GB (NIMBUS_DEFAULT_QUOTA)')
    .option('--registration <open|closed>', 'whether anyone may create an account (NIMBUS_REGISTRATION, default open)')
    .option('--tls-cert <file>', 'PEM certificate for HTTPS (NIMBUS_TLS_CERT)')
    .option('--tls-key <file>', 'PEM private key for HTTPS (NIMBUS_TLS_KEY)')
    .option('--nats <url>', 'nats://… to wake long-polls across several server processes on one database (NIMBUS_NATS_URL)')
    .action(async (flags: ServerFlags) => {
      // Loaded here so that device commands do not pay for the server's start-up.
      const { ConfigError, resolveServerConfig, startServer } = await import('@nimbus/server');
      let config;
      try {
        config = resolveServerConfig(flags);
      } catch (error) {
        if (error instanceof ConfigError) throw new UserError(error.message, EXIT.usage);
        throw error;
      }
      const server = await startServer(config).catch((error: unknown) => {
        throw new UserError(`the server could not start: ${error instanceof Error ? error.message : String(error)}`);
      });
      const storage = config.db.startsWith('postgres') ? 'PostgreSQL' : `SQLite at ${config.db}`;
      out.line(`Nimbus is serving at ${server.url}`);
      if (server.probeUrl) out.line(`Probe (plain HTTP) at ${server.probeUrl}/v1/probe`);
      out.line(`Storage: ${storage}; blobs ${config.s3 ? `in S3 bucket ${config.s3.bucket}` : `under ${config.dataDir}/blobs`}`);
      await new Promise<void>((resolve) => {
        const stop = (): void => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          out.line('Shutting down: finishing requests in flight…');
          void server.close().then(resolve, resolve);
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
    });
}
