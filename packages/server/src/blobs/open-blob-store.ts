// Picks the blob store adapter from configuration.
import { join } from 'node:path';
import type { ServerConfig } from '../config.js';
import type { BlobStore } from './blob-store.js';
import { FsBlobStore } from './blob-fs.js';
import { S3BlobStore } from './blob-s3.js';

export async function openBlobStore(config: ServerConfig): Promise<BlobStore> {
  if (config.s3) return S3BlobStore.open(config.s3);
  return FsBlobStore.open(join(config.dataDir, 'blobs'));
}
