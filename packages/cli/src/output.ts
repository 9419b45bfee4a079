// The CLI's only door to the terminal: results on stdout, problems on stderr.
import pc from 'picocolors';

/**
 * `nimbus status | head -1`: the reader leaves early and the next write fails with EPIPE. That is the reader's
 * choice, not our failure: stop quietly, as other Unix tools do (the exit code of a pipe's writer is not shown).
 */
export function quietOnClosedPipe(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      throw error;
    });
  }
}

export const out = {
  line(text = ''): void {
    process.stdout.write(`${text}\n`);
  },
  json(value: unknown): void {
    process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  },
  error(text: string): void {
    process.stderr.write(`${pc.red('error:')} ${text}\n`);
  },
  warn(text: string): void {
    process.stderr.write(`${pc.yellow('warning:')} ${text}\n`);
  },
};

/** Exit codes of the public contract. */
export const EXIT = {
  ok: 0,
  /** Internal failure. */
  failure: 1,
  /** Wrong flags or arguments. */
  usage: 2,
  /** Sync is paused; the banner says why. */
  paused: 3,
} as const;

/** An error meant for the user: printed as one line, exits with `code`. */
export class UserError extends Error {
  constructor(
    message: string,
    readonly code: number = EXIT.failure,
  ) {
    super(message);
    this.name = 'UserError';
  }
}

/** Ends a command with `code` after it printed what it had to say (e.g. `nimbus sync` → 3 when paused). */
export class Exit extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
    this.name = 'Exit';
  }
}
