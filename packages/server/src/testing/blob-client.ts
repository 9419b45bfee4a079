// Tests only: a tiny blob/upload client over a TestServer (inject), for the blob and sweeper tests.
import { UPLOAD_OFFSET_HEADER, type UploadView } from '@nimbus/protocol';
import { createHash } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import type { TestServer } from './test-server.js';

export const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

type Send = TestServer['request'];

export function blobClient(send: Send, token: string) {
  return {
    create: (bytes: Buffer, zone = 'drive', hash = sha256(bytes)): Promise<LightMyRequestResponse> =>
      send({ method: 'POST', url: '/v1/uploads', token, payload: { sha256: hash, size: bytes.length, zone } }),
    view: (id: string) => send({ method: 'GET', url: `/v1/uploads/${id}`, token }),
    put: (id: string, offset: number, bytes: Buffer) =>
      send({
        method: 'PUT',
        url: `/v1/uploads/${id}`,
        token,
        payload: bytes,
        headers: { 'content-type': 'application/octet-stream', [UPLOAD_OFFSET_HEADER]: String(offset) },
      }),
    complete: (id: string) => send({ method: 'POST', url: `/v1/uploads/${id}/complete`, token }),
    cancel: (id: string) => send({ method: 'DELETE', url: `/v1/uploads/${id}`, token }),
    download: (hash: string, headers: Record<string, string> = {}) => send({ method: 'GET', url: `/v1/blobs/${hash}`, token, headers }),
    check: (hashes: string[]) => send({ method: 'POST', url: '/v1/blobs/check', token, payload: { hashes } }),
    /** The whole dance: create, PUT in `parts` pieces, complete. */
    async upload(bytes: Buffer, parts = 1, zone = 'drive'): Promise<UploadView> {
      const created = await this.create(bytes, zone);
      const view = created.json<UploadView>();
      if (view.complete) return view;
      const id = view.uploadId!;
      const step = Math.ceil(bytes.length / parts) || 1;
      for (let offset = view.offset; offset < bytes.length; offset += step) {
        const answer = await this.put(id, offset, bytes.subarray(offset, offset + step));
        if (answer.statusCode !== 200) throw new Error(`PUT failed: ${answer.statusCode} ${answer.body}`);
      }
      const done = await this.complete(id);
      if (done.statusCode !== 200) throw new Error(`complete failed: ${done.statusCode} ${done.body}`);
      return done.json<UploadView>();
    },
  };
}

export async function accountUsage(server: Pick<TestServer, 'ctx'>, token: string): Promise<{ used: number; reserved: number }> {
  const sessionId = token.split('.')[0]!;
  const row = await server.ctx.store.db
    .selectFrom('sessions')
    .innerJoin('accounts', 'accounts.id', 'sessions.account_id')
    .select(['accounts.used_bytes', 'accounts.reserved_bytes'])
    .where('sessions.id', '=', sessionId)
    .executeTakeFirstOrThrow();
  return { used: row.used_bytes, reserved: row.reserved_bytes };
}
