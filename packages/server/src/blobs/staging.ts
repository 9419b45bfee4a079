// Staged upload bytes: `<dataDir>/uploads/<uploadId>`, appended to while hashing, on the blob store's filesystem.
import { NimbusError } from '@nimbus/protocol';
import { createHash } from 'node:crypto';
import { createReadStream, writev } from 'node:fs';
import { once } from 'node:events';
import { mkdir, open, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { IO_CHUNK_BYTES } from './blob-key.js';

const ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** Where appended bytes are hashed once they are down in the file. */
export interface HashSink {
  /** `bytes` more reached the file. */
  wrote(bytes: number): void;
  /** Resolves when the hasher can take more (a hasher far behind would read from the disk, not the page cache). */
  room(): Promise<void>;
}

export interface AppendOptions {
  /** Bytes this body may add before it is refused (the announced size, the chunk limit). */
  maxBytes: number;
  /** Error to fail with when the body goes past maxBytes. */
  tooLong: () => NimbusError;
  /** Told of every byte written, when the hash state is known to cover the file so far. */
  hash: HashSink | undefined;
  signal: AbortSignal;
}

export class Staging {
  constructor(readonly dir: string) {}

  async init(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
  }

  pathOf(id: string): string {
    if (!ID_PATTERN.test(id)) throw new NimbusError('INTERNAL', 'invalid upload id');
    return join(this.dir, id);
  }

  async create(id: string): Promise<void> {
    await writeFile(this.pathOf(id), '', { flag: 'w' });
  }

  /** Bytes staged so far; 0 when the file is missing (lost, or staged on another server process). */
  async size(id: string): Promise<number> {
    try {
      return (await stat(this.pathOf(id))).size;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
      throw error;
    }
  }

  async reset(id: string): Promise<void> {
    await truncate(this.pathOf(id), 0).catch(async (error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
      await this.create(id);
    });
  }

  async discard(id: string): Promise<void> {
    await rm(this.pathOf(id), { force: true });
  }

  async hashFile(id: string): Promise<string> {
    const hash = createHash('sha256');
    try {
      for await (const chunk of createReadStream(this.pathOf(id), { highWaterMark: IO_CHUNK_BYTES })) hash.update(chunk as Buffer);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    return hash.digest('hex');
  }

  /**
   * Appends a request body to the staged file. Whatever reached the file stays there when the
   * body fails half-way (a dropped connection): the next offset is simply the file's size.
   * Not fsync'd here: the one fsync happens when the blob is stored.
   */
  async append(id: string, body: Readable, options: AppendOptions): Promise<void> {
    const handle = await open(this.pathOf(id), 'a');
    const writer = new StagedFileWriter(handle.fd, options);
    try {
      await pipeline(body, writer, { signal: options.signal });
    } finally {
      // A failed pipeline does not wait for a write in flight; the fd must outlive it.
      if (!writer.closed) await once(writer, 'close');
      await handle.close();
    }
  }
}

/**
 * One stream that counts and writes (writev of whatever queued up while the disk was busy), then tells
 * the hasher: no copy and no extra stream stage per chunk. The fd belongs to the caller.
 */
class StagedFileWriter extends Writable {
  private received = 0;
  private inFlight: Promise<void> | undefined;

  constructor(
    private readonly fd: number,
    private readonly options: AppendOptions,
  ) {
    super({ highWaterMark: IO_CHUNK_BYTES });
  }

  override _writev(chunks: { chunk: Buffer }[], done: (error?: Error | null) => void): void {
    const buffers = chunks.map((entry) => entry.chunk);
    let bytes = 0;
    for (const buffer of buffers) bytes += buffer.length;
    if (this.received + bytes > this.options.maxBytes) return done(this.options.tooLong());
    this.received += bytes;
    const sink = this.options.hash;
    this.inFlight = new Promise((settled) =>
      writeAll(this.fd, buffers, (error) => {
        const finish = (): void => {
          this.inFlight = undefined;
          settled();
          done(error);
        };
        if (error || !sink) return finish();
        sink.wrote(bytes);
        void sink.room().then(finish);
      }),
    );
  }

  override _destroy(error: Error | null, done: (error?: Error | null) => void): void {
    if (!this.inFlight) return done(error);
    void this.inFlight.then(() => done(error));
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    this._writev([{ chunk }], done);
  }
}

/** writev until every byte is down (the kernel may take fewer than asked). */
function writeAll(fd: number, buffers: Buffer[], done: (error?: Error | null) => void): void {
  writev(fd, buffers, (error, written) => {
    if (error) return done(error);
    let rest = written;
    while (buffers.length > 0 && rest >= buffers[0]!.length) rest -= buffers.shift()!.length;
    if (buffers.length === 0) return done();
    buffers[0] = buffers[0]!.subarray(rest);
    writeAll(fd, buffers, done);
  });
}
