// Picks the change notifier from the configuration: NATS when several server processes share the database, else in-process.
import type { ServerConfig } from '../config.js';
import type { ChangeNotifier } from './change-notifier.js';
import { NatsChangeNotifier, type NotifierLog } from './notifier-nats.js';
import { MemoryChangeNotifier } from './notifier-memory.js';

/** Rejects (NatsUnreachableError, naming the URL) when NATS is configured but does not answer. */
export async function openChangeNotifier(config: Pick<ServerConfig, 'natsUrl'>, log: NotifierLog): Promise<ChangeNotifier> {
  if (config.natsUrl === null) return new MemoryChangeNotifier();
  return NatsChangeNotifier.connect({ url: config.natsUrl, log });
}
