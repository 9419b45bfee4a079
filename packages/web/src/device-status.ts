// The account's devices and their sync status, for every page (the banner) and the Devices page. GET /v1/devices
// carries each device's last report; with `since=REVISION&wait=N` it answers as soon as anything changes, so a
// device that resumes clears the banner at once. A server without that route falls back to GET /v1/sessions.
import type { DeviceView, SyncFailure } from '@nimbus/protocol';
import { useEffect, useState } from 'preact/hooks';
import { api, optionalApi } from './api';

export interface DeviceStatus {
  sessionId: string;
  deviceName: string;
  lastSeenAt: number;
  createdAt: number | null;
  current: boolean;
  /** idle · syncing · paused · signed_out, as the device last reported; null when it never did. */
  state: string | null;
  failure: SyncFailure | null;
  /** The line `nimbus status` shows on that device (cause and fix in plain words). */
  banner: string | null;
  reportedAt: number | null;
}

export interface DevicesSnapshot {
  devices: DeviceStatus[];
  /** False when the server has no GET /v1/devices (devices cannot report their status to it). */
  statusReported: boolean;
}

/** A listed device; `status` is absent from servers older than device status reports. */
type Listed = Omit<DeviceView, 'status'> & { status?: DeviceView['status'] };

function normalize(d: Listed): DeviceStatus {
  return {
    sessionId: d.sessionId,
    deviceName: d.deviceName,
    lastSeenAt: d.lastSeenAt,
    createdAt: d.createdAt,
    current: d.current,
    state: d.status?.state ?? null,
    failure: d.status?.failure ?? null,
    banner: d.status?.banner ?? null,
    reportedAt: d.status?.reportedAt ?? null,
  };
}

/** Long-poll length: short enough that a dropped connection is noticed soon. */
const WAIT_SECONDS = 25;
/** Between reads when the server cannot long-poll (or a read failed). */
const RETRY_MS = 5000;

let snapshot: DevicesSnapshot | null = null;
let revision: string | undefined;
const listeners = new Set<(s: DevicesSnapshot) => void>();
let running: AbortController | null = null;

async function read(signal: AbortSignal): Promise<boolean> {
  const query = revision === undefined ? '' : `?since=${encodeURIComponent(revision)}&wait=${WAIT_SECONDS}`;
  const listed = await optionalApi<{ devices: Listed[]; revision?: string }>('GET', `/v1/devices${query}`, undefined, signal);
  if (listed) {
    revision = listed.revision;
    snapshot = { devices: listed.devices.map(normalize), statusReported: true };
  } else {
    const sessions = await api<{ devices: DeviceView[] }>('GET', '/v1/sessions', undefined, signal);
    snapshot = { devices: sessions.devices.map(normalize), statusReported: false };
  }
  for (const listener of listeners) listener(snapshot);
  return revision !== undefined;
}

const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
  });

/** Reads until nobody listens: back to back while the server long-polls, every few seconds otherwise. */
function start(): void {
  running?.abort();
  const controller = new AbortController();
  running = controller;
  void (async () => {
    revision = undefined;
    while (!controller.signal.aborted) {
      const longPolled = await read(controller.signal).catch(() => false);
      if (!longPolled) await sleep(RETRY_MS, controller.signal);
    }
  })();
}

/** Asks again now (after signing a device out, say). */
export function refreshDevices(): void {
  if (listeners.size > 0) start();
}

export function useDevices(): DevicesSnapshot | null {
  const [value, setValue] = useState(snapshot);
  useEffect(() => {
    listeners.add(setValue);
    if (listeners.size === 1) start();
    return () => {
      listeners.delete(setValue);
      if (listeners.size === 0) {
        running?.abort();
        running = null;
      }
    };
  }, []);
  return value;
}

export const pausedDevices = (s: DevicesSnapshot | null): DeviceStatus[] => s?.devices.filter((d) => d.state === 'paused') ?? [];
