// `Recovered/<date time>/` in the library: where a sign-out puts the unsent changes of the services it removes.
import { copyFile, mkdir, rename, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/** The library's folder of recovery folders (no service scans it). */
export const RECOVERED_FOLDER = 'Recovered';

const pad = (n: number): string => String(n).padStart(2, '0');

/** `2026-11-24 09.05.07`, local time (a person looks for it by when they signed out; no `:` for other systems). */
export function recoveryStamp(at: Date): string {
  return `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())} ${pad(at.getHours())}.${pad(at.getMinutes())}.${pad(at.getSeconds())}`;
}

/**
 * One recovery folder, made on the first file put in it. Files keep their library path inside it
 * (`Recovered/2026-11-24 09.05.07/Drive/report.txt`); `notes` go to README.txt.
 */
export class RecoveryFolder {
  #path: string | undefined;
  readonly #lines: string[] = [];
  #files = 0;

  constructor(
    private readonly libraryRoot: string,
    private readonly at: Date,
  ) {}

  /** The folder's absolute path, or undefined while nothing was put in it. */
  get path(): string | undefined {
    return this.#path;
  }

  get files(): number {
    return this.#files;
  }

  /** Moves a library file in (same disk: a rename; else a copy and the original stays for the caller to remove). */
  async moveIn(libraryRel: string, abs: string, why: string): Promise<void> {
    const target = await this.#target(libraryRel);
    try {
      await rename(abs, target);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error;
      await copyFile(abs, target);
    }
    this.#note(libraryRel, why);
  }

  async copyIn(libraryRel: string, abs: string, why: string): Promise<void> {
    await copyFile(abs, await this.#target(libraryRel));
    this.#note(libraryRel, why);
  }

  async writeIn(libraryRel: string, content: string, why: string): Promise<void> {
    await writeFile(await this.#target(libraryRel), content);
    this.#note(libraryRel, why);
  }

  /** A line about a change with no file to keep (a delete not yet sent). */
  remark(libraryRel: string, what: string): void {
    this.#lines.push(`${libraryRel}: ${what}`);
  }

  /** Writes README.txt when there is anything to say; returns the folder (undefined when nothing was recovered). */
  async finish(): Promise<string | undefined> {
    if (this.#lines.length === 0) return this.#path;
    const root = await this.#root();
    const text = [
      'Changes this device had not sent when it signed out, for the services it stopped keeping.',
      'Their other files are on the server: they come back when you sign in again.',
      'To send one of these, move it back to its place in the library (same path): it goes up at the next sync after you sign in.',
      '',
      ...this.#lines,
      '',
    ].join('\n');
    await writeFile(join(root, 'README.txt'), text);
    return root;
  }

  #note(libraryRel: string, why: string): void {
    this.#files++;
    this.#lines.push(`${libraryRel}: ${why}`);
  }

  async #target(libraryRel: string): Promise<string> {
    const target = join(await this.#root(), ...libraryRel.split('/'));
    await mkdir(dirname(target), { recursive: true });
    return target;
  }

  /** `Recovered/<stamp>`, or `<stamp> (2)`… when a folder of that second exists already. */
  async #root(): Promise<string> {
    if (this.#path) return this.#path;
    const base = join(this.libraryRoot, RECOVERED_FOLDER, recoveryStamp(this.at));
    for (let n = 1; ; n++) {
      const candidate = n === 1 ? base : `${base} (${n})`;
      const taken = await stat(candidate).then(
        () => true,
        () => false,
      );
      if (taken) continue;
      await mkdir(candidate, { recursive: true });
      this.#path = candidate;
      return candidate;
    }
  }
}
