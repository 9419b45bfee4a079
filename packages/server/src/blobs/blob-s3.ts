// The S3 blob store adapter: staged files are streamed up (multipart above a threshold), read back with Range.
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
  UploadPartCommand,
  type CompletedPart,
} from '@aws-sdk/client-s3';
import { NimbusError } from '@nimbus/protocol';
import { createReadStream } from 'node:fs';
import { unlink } from 'node:fs/promises';
import { Readable } from 'node:stream';
import type { S3Config } from '../config.js';
import { assertValidKey, IO_CHUNK_BYTES } from './blob-key.js';
import type { BlobStore, ByteRange, ObjectBytes } from './blob-store.js';
import { eachLimited } from './each-limited.js';

/** Objects up to this size go up in one PutObject; larger ones in parts of this size (S3 allows 10,000 parts). */
const DEFAULT_PART_BYTES = 64 * 1024 * 1024;
const PARTS_IN_FLIGHT = 4;
/** Small objects of one putObjects sent at once. */
const PUTS_IN_FLIGHT = 16;

export class S3BlobStore implements BlobStore {
  readonly kind = 's3' as const;

  private constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
    private readonly partBytes: number,
  ) {}

  /** Connects and creates the bucket when it does not exist yet. */
  static async open(config: S3Config, options: { partBytes?: number } = {}): Promise<S3BlobStore> {
    const client = new S3Client({
      region: config.region,
      forcePathStyle: config.forcePathStyle,
      ...(config.endpoint ? { endpoint: config.endpoint } : {}),
      ...(config.accessKeyId && config.secretAccessKey
        ? { credentials: { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey } }
        : {}),
      // Plain signed bodies: S3-compatible servers (MinIO, s3rver, Ceph) do not all accept aws-chunked trailers.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    const store = new S3BlobStore(client, config.bucket, options.partBytes ?? DEFAULT_PART_BYTES);
    try {
      await store.ensureBucket();
    } catch (error) {
      client.destroy();
      throw error;
    }
    return store;
  }

  private async ensureBucket(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
    } catch (error) {
      if (!isMissing(error)) throw error;
      try {
        await this.client.send(new CreateBucketCommand({ Bucket: this.bucket }));
      } catch (createError) {
        // Another server process created it first.
        if (!(createError instanceof S3ServiceException && createError.name === 'BucketAlreadyOwnedByYou')) throw createError;
      }
    }
  }

  /** Durable once S3 acknowledges the object; the staged file is removed afterwards. */
  async putFile(key: string, stagedPath: string, size: number): Promise<void> {
    assertValidKey(key);
    if (size <= this.partBytes) {
      await this.client.send(
        new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: fileSlice(stagedPath, 0, size), ContentLength: size }),
      );
    } else {
      await this.putMultipart(key, stagedPath, size);
    }
    await unlink(stagedPath);
  }

  /** Each object is put on its own (S3 has no batch put), a few at a time; durable once S3 acknowledges it. */
  async putObjects(objects: readonly ObjectBytes[]): Promise<void> {
    await eachLimited(objects, PUTS_IN_FLIGHT, async ({ key, bytes }) => {
      assertValidKey(key);
      await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: bytes, ContentLength: bytes.length }));
    });
  }

  private async putMultipart(key: string, stagedPath: string, size: number): Promise<void> {
    const created = await this.client.send(new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: key }));
    const uploadId = created.UploadId;
    if (!uploadId) throw new Error('S3 did not return a multipart upload id');
    try {
      const partBytes = this.partBytes;
      const count = Math.ceil(size / partBytes);
      const parts: CompletedPart[] = new Array<CompletedPart>(count);
      let next = 0;
      const worker = async (): Promise<void> => {
        while (next < count) {
          const index = next++;
          const start = index * partBytes;
          const length = Math.min(partBytes, size - start);
          const answer = await this.client.send(
            new UploadPartCommand({
              Bucket: this.bucket,
              Key: key,
              UploadId: uploadId,
              PartNumber: index + 1,
              Body: fileSlice(stagedPath, start, length),
              ContentLength: length,
            }),
          );
          parts[index] = { PartNumber: index + 1, ETag: answer.ETag };
        }
      };
      await Promise.all(Array.from({ length: Math.min(PARTS_IN_FLIGHT, count) }, worker));
      await this.client.send(
        new CompleteMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId, MultipartUpload: { Parts: parts } }),
      );
    } catch (error) {
      await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId })).catch(() => undefined);
      throw error;
    }
  }

  async get(key: string, range?: ByteRange): Promise<Readable> {
    assertValidKey(key);
    try {
      const answer = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: key, ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}) }),
      );
      const body = answer.Body;
      const stream =
        body instanceof Readable
          ? body
          : body && 'transformToWebStream' in body
            ? Readable.fromWeb(body.transformToWebStream() as never)
            : Readable.from([]);
      const wanted = range ? range.end - range.start + 1 : undefined;
      // Some S3 stand-ins answer `bytes=0-0` with the whole object: never hand out more than was asked for.
      if (wanted !== undefined && (answer.ContentLength ?? 0) > wanted) return Readable.from(limitBytes(wanted)(stream), { objectMode: false });
      return stream;
    } catch (error) {
      if (isMissing(error)) throw new NimbusError('NOT_FOUND', 'no such blob');
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    assertValidKey(key);
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
    } catch (error) {
      if (!isMissing(error)) throw error;
    }
  }

  async has(key: string): Promise<boolean> {
    assertValidKey(key);
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return true;
    } catch (error) {
      if (isMissing(error)) return false;
      throw error;
    }
  }

  close(): Promise<void> {
    this.client.destroy();
    return Promise.resolve();
  }
}

function fileSlice(path: string, start: number, length: number): Readable | Uint8Array {
  if (length === 0) return new Uint8Array(0);
  return createReadStream(path, { start, end: start + length - 1, highWaterMark: IO_CHUNK_BYTES });
}

function limitBytes(limit: number): (source: AsyncIterable<Buffer>) => AsyncGenerator<Buffer> {
  return async function* (source: AsyncIterable<Buffer>) {
    let left = limit;
    for await (const chunk of source) {
      if (left <= 0) break;
      const part = chunk.length > left ? chunk.subarray(0, left) : chunk;
      left -= part.length;
      yield part;
    }
  };
}

function isMissing(error: unknown): boolean {
  if (!(error instanceof S3ServiceException)) return false;
  return error.name === 'NoSuchKey' || error.name === 'NotFound' || error.name === 'NoSuchBucket' || error.$metadata.httpStatusCode === 404;
}
