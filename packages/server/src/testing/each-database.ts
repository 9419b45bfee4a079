// Runs one describe block on SQLite and on PostgreSQL (skipped with one line when PostgreSQL is absent, except in CI).
import { describe } from 'vitest';
import { postgresAvailable, type DatabaseKind } from './databases.js';

const pgUp = await postgresAvailable();

export function describeEachDatabase(name: string, body: (kind: DatabaseKind) => void): void {
  describe(`${name} [sqlite]`, () => body('sqlite'));
  describe.skipIf(!pgUp)(`${name} [postgres]`, () => body('postgres'));
}
