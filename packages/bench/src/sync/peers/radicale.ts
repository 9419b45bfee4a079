// Radicale 3 headless: filesystem storage in a temp folder, auth none, on a free loopback port; one addressbook
// made with an extended MKCOL (RFC 5689), as PEERS.md describes.
import { spawn } from 'node:child_process';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { freePort } from './free-port.js';

export const RADICALE_USER = 'bench';
const COLLECTION = 'contacts';

export interface Radicale {
  /** The addressbook's URL, ending in a slash. */
  collectionUrl: string;
  /** How many cards the addressbook holds on disk. */
  countCards(): Promise<number>;
  stop(): Promise<void>;
}

const MKCOL_BODY = `<?xml version="1.0" encoding="utf-8" ?>
<D:mkcol xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav">
  <D:set><D:prop>
    <D:resourcetype><D:collection/><C:addressbook/></D:resourcetype>
    <D:displayname>Bench contacts</D:displayname>
  </D:prop></D:set>
</D:mkcol>`;

const authorization = `Basic ${Buffer.from(`${RADICALE_USER}:${RADICALE_USER}`).toString('base64')}`;

export async function startRadicale(dir: string): Promise<Radicale> {
  const port = await freePort();
  const storage = join(dir, 'storage');
  await mkdir(storage, { recursive: true });
  const config = join(dir, 'radicale.conf');
  await writeFile(
    config,
    ['[server]', `hosts = 127.0.0.1:${port}`, '[auth]', 'type = none', '[storage]', `filesystem_folder = ${storage}`, '[web]', 'type = none', '[logging]', 'level = warning', ''].join('\n'),
  );
  const child = spawn('radicale', ['--config', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-5000)));
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const base = `http://127.0.0.1:${port}`;
  const collectionUrl = `${base}/${RADICALE_USER}/${COLLECTION}/`;
  const stop = async (): Promise<void> => {
    if (child.exitCode === null) child.kill('SIGTERM');
    await exited;
  };
  try {
    await waitUntilAnswering(base, () => (child.exitCode !== null ? `radicale exited: ${stderr}` : null));
    const made = await fetch(collectionUrl, { method: 'MKCOL', headers: { authorization, 'content-type': 'application/xml; charset=utf-8' }, body: MKCOL_BODY });
    if (made.status !== 201) throw new Error(`MKCOL ${collectionUrl} answered ${made.status}: ${(await made.text()).slice(0, 300)}`);
  } catch (error) {
    await stop();
    throw error;
  }
  const folder = join(storage, 'collection-root', RADICALE_USER, COLLECTION);
  return {
    collectionUrl,
    countCards: async () => (await readdir(folder)).filter((name) => !name.startsWith('.')).length,
    stop,
  };
}

async function waitUntilAnswering(base: string, dead: () => string | null): Promise<void> {
  const until = Date.now() + 20_000;
  for (;;) {
    const why = dead();
    if (why) throw new Error(why);
    try {
      await fetch(`${base}/`, { headers: { authorization } });
      return;
    } catch {
      if (Date.now() > until) throw new Error('radicale did not answer within 20 s');
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
