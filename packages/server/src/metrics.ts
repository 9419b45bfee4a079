// Prometheus metrics: process defaults plus request latency by route and status.
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface Metrics {
  registry: Registry;
  httpDuration: Histogram<'method' | 'route' | 'status'>;
  recordsWritten: Counter<'zone' | 'status'>;
  blobBytesUploaded: Counter;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'nimbus_' });
  return {
    registry,
    httpDuration: new Histogram({
      name: 'nimbus_http_request_duration_seconds',
      help: 'HTTP request latency',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
      registers: [registry],
    }),
    recordsWritten: new Counter({
      name: 'nimbus_records_written_total',
      help: 'Record writes by zone and outcome',
      labelNames: ['zone', 'status'],
      registers: [registry],
    }),
    blobBytesUploaded: new Counter({ name: 'nimbus_blob_bytes_uploaded_total', help: 'Blob bytes received', registers: [registry] }),
  };
}
