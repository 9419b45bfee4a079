// The agent's side of the control socket: each `nimbus sync` gets a pass that starts after it asked, and the
// report that pass makes (the same lines and exit code as a pass run by `nimbus sync` itself).
import type { AgentPassOutcome, SyncAgent, TriggerSource } from '@nimbus/client';
import { chmodSync, rmSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { EXIT } from '../output.js';
import { controlSocketPath, readLine, SOCKET_PATH_MAX, type SyncAnswer } from './control-socket.js';

export interface ControlOptions {
  readonly home: string;
  /** The report of a finished pass (null: it threw, or the agent is stopping). */
  readonly report: (outcome: AgentPassOutcome | null) => Promise<SyncAnswer>;
  /** The socket could not be opened: `nimbus sync` will refuse to run beside this agent, as before. */
  readonly onUnavailable?: (reason: string) => void;
}

export function controlSocket(options: ControlOptions): TriggerSource {
  return (_trigger, agent) => {
    const path = controlSocketPath(options.home);
    if (Buffer.byteLength(path) > SOCKET_PATH_MAX) {
      options.onUnavailable?.(`the path ${path} is too long for a socket`);
      return () => undefined;
    }
    // This process holds the agent lock: a socket file left here is a dead agent's.
    rmSync(path, { force: true });
    const clients = new Set<Socket>();
    const server = createServer((socket) => {
      clients.add(socket);
      socket.once('close', () => clients.delete(socket));
      socket.on('error', () => undefined);
      readLine(socket, (line) => {
        if (line === undefined) return void socket.destroy();
        void answer(agent, line, options).then((reply) => socket.end(`${JSON.stringify(reply)}\n`));
      });
    });
    server.on('error', (error) => options.onUnavailable?.(error.message));
    server.listen(path, () => {
      try {
        chmodSync(path, 0o600);
      } catch {
        // The folder is the owner's already; the mode is a second lock on the door.
      }
    });
    return () => {
      server.close();
      for (const socket of clients) socket.destroy();
      rmSync(path, { force: true });
    };
  };
}

async function answer(agent: SyncAgent, line: string, options: ControlOptions): Promise<SyncAnswer> {
  let op: unknown;
  try {
    op = (JSON.parse(line) as { op?: unknown }).op;
  } catch {
    op = undefined;
  }
  if (op !== 'sync') return { lines: [], errors: [`the agent does not know the request ${JSON.stringify(line.slice(0, 80))}`], exitCode: EXIT.usage };
  const settled = agent.settled();
  agent.trigger('request');
  return options.report(await settled);
}
