// `nimbus sync` while an agent runs on this home: ask the agent for a pass and print its answer. Loaded by
// bin/nimbus.js before the CLI's bundle, so it imports only Node's modules (a no-change sync through a running
// agent is mostly this process starting). No agent listening → undefined, and the CLI runs the pass itself.
import { nimbusHome } from '@nimbus/client/home';
import { connect } from 'node:net';
import { controlSocketPath, isSyncAnswer, readLine, SOCKET_PATH_MAX, type SyncAnswer, type SyncRequest } from './control-socket.js';

/** The exit code of a pass the running agent made, or undefined when no agent answers. */
export async function syncThroughAgent(env: NodeJS.ProcessEnv = process.env): Promise<number | undefined> {
  const path = controlSocketPath(nimbusHome(env));
  if (Buffer.byteLength(path) > SOCKET_PATH_MAX) return undefined;
  const answer = await ask(path, { op: 'sync' });
  if (!answer) return undefined;
  for (const line of answer.lines) process.stdout.write(`${line}\n`);
  for (const error of answer.errors) process.stderr.write(`error: ${error}\n`);
  return answer.exitCode;
}

/** One request, one answer line. Any failure (no socket, a stale one, the agent gone mid-pass) → undefined. */
function ask(path: string, request: SyncRequest): Promise<SyncAnswer | undefined> {
  return new Promise((resolve) => {
    const socket = connect(path);
    socket.once('error', () => resolve(undefined));
    socket.once('connect', () => {
      readLine(socket, (line) => {
        socket.destroy();
        try {
          const answer: unknown = line === undefined ? undefined : JSON.parse(line);
          resolve(isSyncAnswer(answer) ? answer : undefined);
        } catch {
          resolve(undefined);
        }
      });
      socket.write(`${JSON.stringify(request)}\n`);
    });
  });
}
