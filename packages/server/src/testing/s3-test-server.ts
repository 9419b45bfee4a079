// Tests only: an s3rver (the S3 stand-in) on a free loopback port over a temp folder.
import type { AddressInfo } from 'node:net';
import S3rver from 's3rver';
import type { S3Config } from '../config.js';
import { tempDir } from '../blobs/blob-store.suite.js';

export interface TestS3 {
  config: S3Config;
  close(): Promise<void>;
}

export async function startTestS3(bucket = 'nimbus-test'): Promise<TestS3> {
  const dir = await tempDir('nimbus-s3rver-');
  const server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: dir.path });
  const address = (await server.run()) as AddressInfo;
  return {
    config: {
      endpoint: `http://127.0.0.1:${address.port}`,
      region: 'us-east-1',
      bucket,
      accessKeyId: 'S3RVER',
      secretAccessKey: 'S3RVER',
      forcePathStyle: true,
    },
    close: async () => {
      await server.close();
      await dir.remove();
    },
  };
}
