// Test databases: a temp SQLite file, or a fresh PostgreSQL database per call (dropped afterwards).
import pg from 'pg';
import { randomBytes } from 'node:crypto';

export type DatabaseKind = 'sqlite' | 'postgres';

/** The PostgreSQL the project's machines run; NIMBUS_TEST_PG points elsewhere. */
export const ADMIN_PG_URL = process.env['NIMBUS_TEST_PG'] ?? 'postgres://postgres@127.0.0.1:5432/test';

let available: Promise<boolean> | undefined;

/** Whether PostgreSQL answers. In CI its absence is an error, not a skip. */
export function postgresAvailable(): Promise<boolean> {
  available ??= (async () => {
    const client = new pg.Client({ connectionString: ADMIN_PG_URL, connectionTimeoutMillis: 3000 });
    try {
      await client.connect();
      await client.query('select 1');
      return true;
    } catch (error) {
      if (process.env['CI'] === 'true') throw new Error(`PostgreSQL is required in CI but ${ADMIN_PG_URL} does not answer: ${String(error)}`, { cause: error });
      console.warn(`PostgreSQL at ${ADMIN_PG_URL} does not answer: PostgreSQL tests are skipped`);
      return false;
    } finally {
      await client.end().catch(() => undefined);
    }
  })();
  return available;
}

/** Creates an empty database and returns its URL and a drop function. */
export async function createPostgresDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `nimbus_t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: ADMIN_PG_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(ADMIN_PG_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const client = new pg.Client({ connectionString: ADMIN_PG_URL });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}
