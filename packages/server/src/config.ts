// Server configuration: flags win over environment variables, which win over defaults.
import { DEFAULT_QUOTA_BYTES, MIN_CLIENT_PROTOCOL, parseByteSize } from '@nimbus/protocol';
import { resolve } from 'node:path';

export interface S3Config {
  endpoint: string | undefined;
  region: string;
  bucket: string;
  accessKeyId: string | undefined;
  secretAccessKey: string | undefined;
  forcePathStyle: boolean;
}

export interface ServerConfig {
  host: string;
  /** 0 picks a free port (tests). */
  port: number;
  /** Plain-HTTP port that answers only /v1/probe (and /healthz); null turns it off. */
  probePort: number | null;
  dataDir: string;
  /** `postgres://…`, or a SQLite file path. */
  db: string;
  defaultQuotaBytes: number;
  /** When closed, only the first account (the admin) and accounts made by an admin can be created. */
  registration: 'open' | 'closed';
  tls: { cert: string; key: string } | null;
  /** Blob bytes: under dataDir/blobs, or in an S3 bucket. */
  s3: S3Config | null;
  accessTtlMs: number;
  refreshTtlMs: number;
  /** Upload sessions idle this long are abandoned and their reservation released. */
  uploadExpiryMs: number;
  logLevel: string;
  /** Trust X-Forwarded-For (behind a reverse proxy) for the per-address login limit. */
  trustProxy: boolean;
  /** `nats://…`: change notifications cross to the other server processes on this database; null = in-process only. */
  natsUrl: string | null;
  /** Clients speaking an older protocol get 426 CLIENT_OUTDATED ("update Nimbus"): raised by operators who retire old clients. */
  minClientProtocol: number;
  /** The built dashboard (index.html and assets) served at `/`; null finds @nimbus/web's dist/ (NIMBUS_WEB_ROOT). */
  webRoot: string | null;
}

export interface ServerFlags {
  host?: string | undefined;
  port?: string | undefined;
  probePort?: string | undefined;
  data?: string | undefined;
  db?: string | undefined;
  defaultQuota?: string | undefined;
  registration?: string | undefined;
  tlsCert?: string | undefined;
  tlsKey?: string | undefined;
  nats?: string | undefined;
}

/** "5GB" → 5,000,000,000 (decimal, like phones and iCloud show); "5GiB" → binary; "123" → bytes. */
export function parseSize(text: string): number {
  const bytes = parseByteSize(text);
  if (bytes === null) throw new ConfigError(`"${text}" is not a size (try 5GB, 500MB or 1073741824)`);
  return bytes;
}

/** "15m", "90d", "30s", "500ms" or plain milliseconds. */
export function parseDuration(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/.exec(text);
  if (!match) throw new ConfigError(`"${text}" is not a duration (try 15m, 12h or 90d)`);
  const factor = { ms: 1, s: 1e3, m: 60e3, h: 3600e3, d: 86_400e3 }[(match[2] ?? 'ms') as 'ms'];
  return Math.round(Number(match[1]) * factor);
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

function parseProtocol(text: string): number {
  const version = Number(text);
  if (!Number.isInteger(version) || version < MIN_CLIENT_PROTOCOL) {
    throw new ConfigError(`NIMBUS_MIN_CLIENT_PROTOCOL must be a protocol version (an integer, ${MIN_CLIENT_PROTOCOL} or more), not "${text}"`);
  }
  return version;
}

function parsePort(text: string, what: string): number {
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError(`${what} must be a port number (0–65535), not "${text}"`);
  return port;
}

export function resolveServerConfig(flags: ServerFlags, env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const pick = (flag: string | undefined, name: string): string | undefined => flag ?? env[name] ?? undefined;
  const port = parsePort(pick(flags.port, 'NIMBUS_PORT') ?? '7070', '--port');
  const probeText = pick(flags.probePort, 'NIMBUS_PROBE_PORT');
  const probePort =
    probeText === 'off' ? null : probeText !== undefined ? parsePort(probeText, '--probe-port') : port === 0 ? 0 : port + 1;
  const dataDir = resolve(pick(flags.data, 'NIMBUS_DATA') ?? './nimbus-data');
  const registration = pick(flags.registration, 'NIMBUS_REGISTRATION') ?? 'open';
  if (registration !== 'open' && registration !== 'closed') throw new ConfigError(`--registration is open or closed, not "${registration}"`);
  const cert = pick(flags.tlsCert, 'NIMBUS_TLS_CERT');
  const key = pick(flags.tlsKey, 'NIMBUS_TLS_KEY');
  if ((cert === undefined) !== (key === undefined)) throw new ConfigError('--tls-cert and --tls-key go together');
  const bucket = env['NIMBUS_S3_BUCKET'];
  return {
    host: pick(flags.host, 'NIMBUS_HOST') ?? '127.0.0.1',
    port,
    probePort,
    dataDir,
    db: pick(flags.db, 'NIMBUS_DB') ?? resolve(dataDir, 'nimbus.sqlite'),
    defaultQuotaBytes: parseSize(pick(flags.defaultQuota, 'NIMBUS_DEFAULT_QUOTA') ?? String(DEFAULT_QUOTA_BYTES)),
    registration,
    tls: cert !== undefined && key !== undefined ? { cert, key } : null,
    s3: bucket
      ? {
          bucket,
          endpoint: env['NIMBUS_S3_ENDPOINT'],
          region: env['NIMBUS_S3_REGION'] ?? 'us-east-1',
          accessKeyId: env['AWS_ACCESS_KEY_ID'],
          secretAccessKey: env['AWS_SECRET_ACCESS_KEY'],
          forcePathStyle: env['NIMBUS_S3_PATH_STYLE'] !== 'false',
        }
      : null,
    accessTtlMs: parseDuration(env['NIMBUS_ACCESS_TTL'] ?? '15m'),
    refreshTtlMs: parseDuration(env['NIMBUS_REFRESH_TTL'] ?? '90d'),
    uploadExpiryMs: parseDuration(env['NIMBUS_UPLOAD_EXPIRY'] ?? '24h'),
    logLevel: env['NIMBUS_LOG_LEVEL'] ?? 'info',
    trustProxy: env['NIMBUS_TRUST_PROXY'] === 'true',
    // An empty NIMBUS_NATS_URL= is "off", like leaving it out.
    natsUrl: pick(flags.nats, 'NIMBUS_NATS_URL') || null,
    minClientProtocol: env['NIMBUS_MIN_CLIENT_PROTOCOL'] ? parseProtocol(env['NIMBUS_MIN_CLIENT_PROTOCOL']) : MIN_CLIENT_PROTOCOL,
    webRoot: env['NIMBUS_WEB_ROOT'] ? resolve(env['NIMBUS_WEB_ROOT']) : null,
  };
}
