// (a) N vCards: upload, no-change sync, sync after 10 edits — Nimbus (`nimbus sync`) and vdirsyncer against Radicale.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { BenchDevice } from '../device.js';
import { ensurePeers } from '../peers/install.js';
import { startRadicale } from '../peers/radicale.js';
import { setUpVdirsyncer } from '../peers/vdirsyncer.js';
import { log, type Settings } from '../settings.js';
import { editCards, writeCards } from '../vcards.js';

/** Seconds of each step. */
export interface ThreeSteps {
  upload: number;
  /** The median of three runs. */
  noChange: number;
  edits: number;
}

/** The middle of three timed runs (one run is at the mercy of whatever else the machine does that moment). */
async function medianOfThree(run: () => Promise<number>): Promise<number> {
  const times = [await run(), await run(), await run()].sort((x, y) => x - y);
  return times[1] ?? Number.NaN;
}

export interface ContactsResult {
  cards: number;
  nimbus: ThreeSteps & {
    peakRssMB: number | null;
    startupSeconds: number;
    /** A no-change `nimbus sync` while `nimbus agent` runs on the device (the agent makes the pass): its first three. */
    noChangeWithAgent: number;
    /** The same, the next three (the agent's code compiled by then, as in an agent that has run for a while). */
    noChangeWithWarmAgent: number;
  };
  peer?: ThreeSteps & { discover: number; cardsOnServer: number };
  peerSkipped?: string;
  /** Counts that differ from what the step should have sent (never asserted, shown). */
  warnings: string[];
}

export async function benchContacts(server: string, root: string, settings: Settings, profileDir: string | undefined): Promise<ContactsResult> {
  const { cards, edits } = settings;
  const warnings: string[] = [];
  const device = await BenchDevice.create(root, 'contacts-device');
  await device.createAccountAndLogin(server);
  const peerDir = join(root, 'peer');
  await mkdir(peerDir, { recursive: true });
  const peerCards = join(peerDir, 'cards');
  await writeCards([device.folder('Contacts'), peerCards], cards);
  log(`  ${cards} vCards written to ${device.folder('Contacts')} and ${peerCards}`);

  const step = async (what: string, expected: number): Promise<{ seconds: number; peak: number | null }> => {
    const run = await device.sync(profileDir);
    if (run.sent !== expected) warnings.push(`nimbus ${what}: sent ${run.sent}, expected ${expected}`);
    log(`  nimbus ${what}: ${run.seconds.toFixed(2)} s (${run.sent} sent, ${run.received} received)`);
    return { seconds: run.seconds, peak: run.peakRssBytes };
  };
  // The floor under every `nimbus sync`: a CLI process that starts, loads its modules and exits.
  const startup = await device.cli(['--help']);
  log(`  nimbus --help (process start-up floor): ${startup.seconds.toFixed(2)} s`);
  const upload = await step('upload', cards);
  const noChange = await medianOfThree(async () => (await step('no-change sync', 0)).seconds);
  const agent = await device.startAgent();
  let noChangeWithAgent: number;
  let noChangeWithWarmAgent: number;
  try {
    // The first passes after the agent starts include compiling its code; an agent runs for days, so the next three
    // are its usual no-change sync.
    noChangeWithAgent = await medianOfThree(async () => (await step('no-change sync, agent just started', 0)).seconds);
    noChangeWithWarmAgent = await medianOfThree(async () => (await step('no-change sync, agent warm', 0)).seconds);
  } finally {
    await agent.stop();
  }
  await editCards([device.folder('Contacts')], cards, edits);
  const edited = await step(`sync after ${edits} edits`, Math.min(edits, cards));
  const result: ContactsResult = {
    cards,
    nimbus: { upload: upload.seconds, noChange, noChangeWithAgent, noChangeWithWarmAgent, edits: edited.seconds, startupSeconds: startup.seconds, peakRssMB: upload.peak === null ? null : upload.peak / 1e6 },
    warnings,
  };

  const peers = ensurePeers();
  if (!peers.ok) {
    result.peerSkipped = peers.reason;
    log(`  vdirsyncer + radicale skipped: ${peers.reason}`);
    return result;
  }
  const radicale = await startRadicale(join(peerDir, 'radicale'));
  try {
    const vdirsyncer = await setUpVdirsyncer(peerDir, radicale.collectionUrl);
    const discover = await vdirsyncer.discover();
    log(`  vdirsyncer discover: ${discover.seconds.toFixed(2)} s`);
    const peerUpload = await vdirsyncer.sync();
    const cardsOnServer = await radicale.countCards();
    if (cardsOnServer !== cards) warnings.push(`radicale holds ${cardsOnServer} cards after the upload, expected ${cards}`);
    log(`  vdirsyncer upload: ${peerUpload.seconds.toFixed(2)} s (${cardsOnServer} cards in radicale)`);
    const peerNoChange = await medianOfThree(async () => {
      const run = await vdirsyncer.sync();
      log(`  vdirsyncer no-change sync: ${run.seconds.toFixed(2)} s`);
      return run.seconds;
    });
    await editCards([vdirsyncer.folder], cards, edits);
    const peerEdits = await vdirsyncer.sync();
    const uploads = (peerEdits.stdout + peerEdits.stderr).match(/Copying \(updating\)/g)?.length;
    log(`  vdirsyncer sync after ${edits} edits: ${peerEdits.seconds.toFixed(2)} s${uploads === undefined ? '' : ` (${uploads} updated)`}`);
    result.peer = { discover: discover.seconds, upload: peerUpload.seconds, noChange: peerNoChange, edits: peerEdits.seconds, cardsOnServer };
  } finally {
    await radicale.stop();
  }
  return result;
}
