// Bench 3: committed one-record writes/s and latency under N concurrent keep-alive clients.
// Each client is a closed loop (one request in flight) on its own keep-alive connection.
import http from 'node:http';
import { baseHeaders } from './api-client.js';
import { percentile } from './stats.js';

export interface ConcurrencyResult {
  clients: number;
  accounts: number;
  /** Measured window, after the warm-up. */
  seconds: number;
  /** Requests answered 2xx whose one write came back `ok`. */
  committed: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  errors: number;
  non2xx: number;
  notOk: number;
}

interface Answer {
  status: number;
  body: string;
}

function post(agent: http.Agent, url: URL, headers: Record<string, string>, body: string): Promise<Answer> {
  return new Promise((done, fail) => {
    const req = http.request(url, { method: 'POST', agent, headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (part: string) => (text += part));
      res.on('end', () => done({ status: res.statusCode ?? 0, body: text }));
      res.on('error', fail);
    });
    req.on('error', fail);
    req.end(body);
  });
}

/**
 * `tokens[i % tokens.length]` is client i's access token: one token per account gives
 * N users writing at once, one token for all gives N devices of one account (one per-account lock).
 */
export async function benchConcurrentWrites(base: string, tokens: readonly string[], clients: number, seconds: number): Promise<ConcurrencyResult> {
  const url = new URL('/v1/records/batch', base);
  const runId = Date.now().toString(36);
  const warmupMs = Math.min(1000, (seconds * 1000) / 5);
  const started = performance.now();
  const measureFrom = started + warmupMs;
  const deadline = measureFrom + seconds * 1000;
  const latencies: number[] = [];
  let next = 0;
  let committed = 0;
  let errors = 0;
  let non2xx = 0;
  let notOk = 0;
  let lastEnd = measureFrom;
  let firstError = '';

  const client = async (index: number): Promise<void> => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const headers = { ...baseHeaders(tokens[index % tokens.length]), 'content-type': 'application/json' };
    try {
      while (performance.now() < deadline) {
        const n = next++;
        const write = { zone: 'notes', id: `small-${runId}-${n}`, baseVersion: 0, data: { title: `Quick note ${n}`, body: 'written under load' } };
        const sent = performance.now();
        let answer: Answer | undefined;
        try {
          answer = await post(agent, url, headers, JSON.stringify({ writes: [write] }));
        } catch (error) {
          firstError ||= String(error);
        }
        const ended = performance.now();
        if (sent < measureFrom) continue;
        lastEnd = Math.max(lastEnd, ended);
        if (!answer) errors++;
        else if (answer.status < 200 || answer.status >= 300) {
          non2xx++;
          firstError ||= `${answer.status} ${answer.body.slice(0, 300)}`;
        } else if (!answer.body.includes('"status":"ok"')) {
          notOk++;
          firstError ||= answer.body.slice(0, 300);
        } else {
          committed++;
          latencies.push(ended - sent);
        }
      }
    } finally {
      agent.destroy();
    }
  };

  await Promise.all(Array.from({ length: clients }, (_, i) => client(i)));
  if (firstError) process.stdout.write(`    first failure under load: ${firstError}\n`);
  latencies.sort((a, b) => a - b);
  const measured = (lastEnd - measureFrom) / 1000;
  return {
    clients,
    accounts: new Set(tokens).size,
    seconds: measured,
    committed,
    perSecond: committed / measured,
    p50Ms: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99),
    maxMs: latencies.at(-1) ?? 0,
    errors,
    non2xx,
    notOk,
  };
}
