// Resumable upload sessions: create (or resume, or dedupe), append at an offset, verify and store, cancel.
import { LIMITS, NimbusError, isNimbusError, uploadIdSchema, type CreateUploadRequest, type UploadChunkResponse, type UploadView } from '@nimbus/protocol';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { newId } from '../auth/tokens.js';
import type { ServerContext } from '../context.js';
import { releaseReservation, reserveBytes } from '../quota/charge.js';
import { findBlob, findUpload, findUploadBySha, insertUpload, lockAccount, deleteUpload, touchUpload, type UploadRow } from './blob-queries.js';
import { quotaError, storeUpload } from './upload-store.js';
import { Staging } from './staging.js';
import { UploadTransfers } from './upload-transfers.js';

export type CreateOutcome = { created: boolean; view: UploadView };

const services = new WeakMap<ServerContext, UploadService>();

/** The one upload service of a server context (its in-memory transfer state is per process). */
export function uploadService(ctx: ServerContext): UploadService {
  let service = services.get(ctx);
  if (!service) services.set(ctx, (service = new UploadService(ctx)));
  return service;
}

const completeView = (sha256: string, size: number): UploadView => ({ sha256, size, offset: size, complete: true });

export class UploadService {
  readonly staging: Staging;
  readonly transfers = new UploadTransfers();
  private readonly ready: Promise<void>;

  constructor(private readonly ctx: ServerContext) {
    this.staging = new Staging(join(ctx.config.dataDir, 'uploads'));
    this.ready = this.staging.init();
  }

  private get db() {
    return this.ctx.store.db;
  }

  /** The account's upload, or NOT_FOUND (also for another account's id: never reveal it exists). */
  async load(accountId: string, id: string): Promise<UploadRow> {
    const row = uploadIdSchema.safeParse(id).success ? await findUpload(this.db, accountId, id) : undefined;
    if (!row) throw new NimbusError('NOT_FOUND', 'no such upload (it may have completed, been cancelled or expired)');
    return row;
  }

  async create(accountId: string, input: CreateUploadRequest): Promise<CreateOutcome> {
    await this.ready;
    const now = this.ctx.clock.now();
    const outcome = await this.db.transaction().execute(async (trx) => {
      await lockAccount(trx, accountId);
      const blob = await findBlob(trx, accountId, input.sha256);
      if (blob) return { blob };
      const existing = await findUploadBySha(trx, accountId, input.sha256);
      if (existing && existing.size === input.size) return { resumed: existing };
      // Same hash announced with another size: the old session can never verify, start afresh.
      if (existing) {
        await deleteUpload(trx, existing.id);
        await releaseReservation(trx, accountId, existing.size);
      }
      const reserved = await reserveBytes(trx, accountId, input.size);
      if (!reserved.ok) throw quotaError(reserved);
      const row: UploadRow = { id: newId(), account_id: accountId, sha256: input.sha256, size: input.size, zone: input.zone, created_at: now, updated_at: now };
      await insertUpload(trx, row);
      return { created: row, replaced: existing?.id };
    });
    if ('blob' in outcome) return { created: false, view: completeView(outcome.blob.sha256, outcome.blob.size) };
    if ('resumed' in outcome) return { created: false, view: await this.viewOf(outcome.resumed) };
    if (outcome.replaced) await this.drop(outcome.replaced);
    await this.staging.create(outcome.created.id);
    return { created: true, view: { uploadId: outcome.created.id, sha256: input.sha256, size: input.size, offset: 0, complete: false } };
  }

  async view(accountId: string, id: string): Promise<UploadView> {
    return this.viewOf(await this.load(accountId, id));
  }

  private async viewOf(row: UploadRow): Promise<UploadView> {
    return { uploadId: row.id, sha256: row.sha256, size: row.size, offset: await this.staging.size(row.id), complete: false };
  }

  /** Appends `body` at `offset`, which must be exactly the bytes staged so far. */
  async write(accountId: string, id: string, offset: number, body: Readable, contentLength: number | undefined): Promise<UploadChunkResponse> {
    const upload = await this.load(accountId, id);
    if (contentLength !== undefined && contentLength > LIMITS.uploadChunkMaxBytes) {
      throw new NimbusError('PAYLOAD_TOO_LARGE', `one PUT carries at most ${LIMITS.uploadChunkMaxBytes} bytes`, { limit: LIMITS.uploadChunkMaxBytes });
    }
    if (contentLength !== undefined && offset + contentLength > upload.size) throw pastEnd(upload.size);
    await this.ready;
    return this.transfers.exclusive(id, true, async (signal) => {
      const current = await this.staging.size(id);
      if (offset !== current) {
        throw new NimbusError('UPLOAD_MISMATCH', `the server holds ${current} bytes of this upload: send from offset ${current}`, { offset: current });
      }
      await touchUpload(this.db, id, this.ctx.clock.now());
      const room = upload.size - current;
      const maxBytes = Math.min(room, LIMITS.uploadChunkMaxBytes);
      let staged: number;
      try {
        await this.staging.append(id, body, {
          maxBytes,
          tooLong: () =>
            maxBytes === room
              ? pastEnd(upload.size)
              : new NimbusError('PAYLOAD_TOO_LARGE', `one PUT carries at most ${maxBytes} bytes`, { limit: maxBytes }),
          hash: this.transfers.hashAt(id, current, this.staging.pathOf(id)),
          signal,
        });
      } catch (error) {
        if (isNimbusError(error)) throw error;
        // The client hung up, or a newer PUT of this upload took over: what arrived is kept.
        const kept = await this.staging.size(id);
        throw new NimbusError('UPLOAD_MISMATCH', `the transfer was interrupted: resume from offset ${kept}`, { offset: kept });
      } finally {
        staged = await this.staging.size(id);
        this.transfers.settle(id, staged);
        await touchUpload(this.db, id, this.ctx.clock.now());
      }
      return { offset: staged };
    });
  }

  /** Verifies the hash and moves the bytes into the blob store, charged once however many devices raced. */
  async complete(accountId: string, id: string): Promise<UploadView> {
    const first = await this.load(accountId, id);
    return this.transfers.exclusive(id, false, async () => {
      const upload = await findUpload(this.db, accountId, id);
      if (!upload) {
        // Completed meanwhile by another request of the same session.
        const blob = await findBlob(this.db, accountId, first.sha256);
        if (blob) return completeView(blob.sha256, blob.size);
        throw new NimbusError('NOT_FOUND', 'no such upload (it was cancelled or expired)');
      }
      const staged = await this.staging.size(id);
      if (staged !== upload.size) {
        throw new NimbusError('UPLOAD_MISMATCH', `${staged} of ${upload.size} bytes received: send the rest from offset ${staged}`, { offset: staged });
      }
      const digest = (await this.transfers.takeDigest(id, staged)) ?? (await this.staging.hashFile(id));
      if (digest !== upload.sha256) {
        await this.staging.reset(id);
        await touchUpload(this.db, id, this.ctx.clock.now());
        throw new NimbusError('UPLOAD_MISMATCH', 'the bytes received do not hash to the announced SHA-256: the upload starts again from offset 0', { offset: 0 });
      }
      await storeUpload(this.ctx, upload, this.staging.pathOf(id));
      return completeView(upload.sha256, upload.size);
    });
  }

  async cancel(accountId: string, id: string): Promise<void> {
    await this.load(accountId, id);
    await this.transfers.exclusive(id, true, async () => {
      await this.db.transaction().execute(async (trx) => {
        await lockAccount(trx, accountId);
        const row = await findUpload(trx, accountId, id);
        if (row && (await deleteUpload(trx, id))) await releaseReservation(trx, accountId, row.size);
      });
    });
    await this.drop(id);
  }

  /** Forgets a session's bytes and state (its row is gone already). */
  async drop(id: string): Promise<void> {
    this.transfers.forget(id);
    await this.staging.discard(id);
  }
}

function pastEnd(size: number): NimbusError {
  return new NimbusError('UPLOAD_MISMATCH', `this upload is ${size} bytes long: the body goes past its end`);
}
