// The account's devices and their sync status, polled for every page (the banner) and the Devices page.
// GET /v1/devices carries each device's reported state; a server without it falls back to GET /v1/sessions.
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
  reportedAt: number | null;
}

export interface DevicesSnapshot {
  devices: DeviceStatus[];
  /** False when the server has no GET /v1/devices (devices cannot report their status to it). */
  statusReported: boolean;
}

type Reported = Partial<DeviceView> & {
  id?: string;
  name?: string;
  state?: string | null;
  failure?: SyncFailure | null;
  reportedAt?: number | null;
  status?: { state?: string | null; failure?: SyncFailure | null; reportedAt?: number | null } | null;
};

function normalize(d: Reported): DeviceStatus {
  return {
    sessionId: d.sessionId ?? d.id ?? '',
    deviceName: d.deviceName ?? d.name ?? 'unnamed device',
    lastSeenAt: d.lastSeenAt ?? 0,
    createdAt: d.createdAt ?? null,
    current: d.current ?? false,
    state: d.status?.state ?? d.state ?? null,
    failure: d.status?.failure ?? d.failure ?? null,
    reportedAt: d.status?.reportedAt ?? d.reportedAt ?? null,
  };
}

export async function loadDevices(): Promise<DevicesSnapshot> {
  const reported = await optionalApi<{ devices: Reported[] }>('GET', '/v1/devices');
  if (reported) return { devices: reported.devices.map(normalize), statusReported: true };
  const sessions = await api<{ devices: DeviceView[] }>('GET', '/v1/sessions');
  return { devices: sessions.devices.map(normalize), statusReported: false };
}

/** How often the status is read again: a resumed device clears the banner within this, with no reload. */
const POLL_MS = 4000;

let snapshot: DevicesSnapshot | null = null;
const listeners = new Set<(s: DevicesSnapshot) => void>();
let timer: ReturnType<typeof setTimeout> | undefined;

async function poll(): Promise<void> {
  clearTimeout(timer);
  try {
    snapshot = await loadDevices();
    for (const listener of listeners) listener(snapshot);
  } catch {
    // Signed out or offline: the next poll tries again; the page shows its own errors.
  }
  if (listeners.size > 0) timer = setTimeout(() => void poll(), POLL_MS);
}

/** Asks again now (after signing a device out, say). */
export function refreshDevices(): void {
  void poll();
}

export function useDevices(): DevicesSnapshot | null {
  const [value, setValue] = useState(snapshot);
  useEffect(() => {
    listeners.add(setValue);
    if (listeners.size === 1) void poll();
    const onFocus = (): void => void poll();
    addEventListener('focus', onFocus);
    return () => {
      listeners.delete(setValue);
      removeEventListener('focus', onFocus);
      if (listeners.size === 0) clearTimeout(timer);
    };
  }, []);
  return value;
}

export const pausedDevices = (s: DevicesSnapshot | null): DeviceStatus[] => s?.devices.filter((d) => d.state === 'paused') ?? [];
