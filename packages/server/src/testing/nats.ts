// Tests only: the NATS the project's machines run, and whether it answers (in CI its absence is an error, not a skip).
import { connect } from '@nats-io/transport-node';

/** NIMBUS_TEST_NATS points elsewhere. */
export const TEST_NATS_URL = process.env['NIMBUS_TEST_NATS'] ?? 'nats://127.0.0.1:4222';

let available: Promise<boolean> | undefined;

export function natsAvailable(): Promise<boolean> {
  available ??= (async () => {
    try {
      const nc = await connect({ servers: TEST_NATS_URL, timeout: 3000, reconnect: false });
      await nc.close();
      return true;
    } catch (error) {
      if (process.env['CI'] === 'true') throw new Error(`NATS is required in CI but ${TEST_NATS_URL} does not answer: ${String(error)}`, { cause: error });
      console.warn(`NATS at ${TEST_NATS_URL} does not answer: NATS tests are skipped`);
      return false;
    }
  })();
  return available;
}
