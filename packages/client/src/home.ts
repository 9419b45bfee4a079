// The client's state folder. Its own module with no dependencies: `nimbus sync` reads it before loading anything
// else, to find a running agent (see packages/cli/src/agent-control/).
import { homedir } from 'node:os';
import { join } from 'node:path';

/** The client's state folder: NIMBUS_HOME, or ~/.nimbus. */
export function nimbusHome(env: NodeJS.ProcessEnv = process.env): string {
  const home = env['NIMBUS_HOME'];
  return home !== undefined && home !== '' ? home : join(homedir(), '.nimbus');
}
