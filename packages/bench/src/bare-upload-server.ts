// The baseline: a plain node:http server that writes the request body to a file and fsyncs it
// before answering — the best a durable upload can do on this disk. Run as a child process:
// `node bare-upload-server.js DIR`; it prints `listening PORT`.
import { close, createWriteStream, fsync, open } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';

const dir = process.argv[2];
if (!dir) throw new Error('usage: bare-upload-server DIR');
let uploads = 0;

const server = http.createServer((req, res) => {
  void (async () => {
    // A numeric fd: a FileHandle lent to a stream with autoClose off never finishes closing.
    const fd = await promisify(open)(join(dir, `upload-${uploads++}`), 'w');
    let bytes: number;
    try {
      // A 1 MiB write buffer, like Nimbus's staging writer: the ratio then measures Nimbus, not a buffer size.
      const file = createWriteStream('', { fd, autoClose: false, highWaterMark: 1024 * 1024 });
      await pipeline(req, file);
      bytes = file.bytesWritten;
      await promisify(fsync)(fd);
    } finally {
      await promisify(close)(fd);
    }
    res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ bytes }));
  })().catch((error: unknown) => {
    res.writeHead(500).end(String(error));
  });
});

server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`listening ${typeof address === 'object' && address ? address.port : 0}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
