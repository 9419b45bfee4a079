// Progress of a backup or restore: a bar on a terminal, JSON events (one object a line on stderr) otherwise.
import { BarView, type ProgressUpdate } from './progress.js';

export interface PhaseProgress extends ProgressUpdate {
  readonly phase: string;
}

export interface PhaseView {
  update(progress: PhaseProgress): void;
  stop(): void;
}

/** At most this often a JSON event while the phase stays the same (a script wants news, not a flood). */
const EVENT_EVERY_MS = 500;

export function phaseView(label: string, stream: NodeJS.WriteStream = process.stderr, now: () => number = Date.now): PhaseView {
  if (stream.isTTY) {
    const bar = new BarView(stream, now, label);
    return { update: (p) => bar.update(p), stop: () => bar.stop() };
  }
  return new JsonEventView(stream, now);
}

/** `{"event":"progress","phase":"read","done":3,"total":10,"bytesDone":…,"bytesTotal":…}` lines. */
export class JsonEventView implements PhaseView {
  #lastPhase = '';
  #lastAt = -Infinity;
  /** The newest progress not written yet: stop() writes it, so the last event shows where it ended. */
  #unsent: PhaseProgress | undefined;

  constructor(
    private readonly stream: Pick<NodeJS.WritableStream, 'write'>,
    private readonly now: () => number = Date.now,
  ) {}

  update(p: PhaseProgress): void {
    const at = this.now();
    if (p.phase === this.#lastPhase && at - this.#lastAt < EVENT_EVERY_MS) {
      this.#unsent = p;
      return;
    }
    this.#lastPhase = p.phase;
    this.#lastAt = at;
    this.#unsent = undefined;
    this.#write(p);
  }

  stop(): void {
    if (this.#unsent) this.#write(this.#unsent);
    this.#unsent = undefined;
    this.#lastPhase = '';
  }

  #write(p: PhaseProgress): void {
    this.stream.write(`${JSON.stringify({ event: 'progress', ...p })}\n`);
  }
}
