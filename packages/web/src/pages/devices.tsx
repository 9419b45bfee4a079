// Devices: each signed-in device, when it was last seen, its sync state and — when paused — why and the fix,
// in the words `nimbus status` uses on that device. Any other device can be signed out from here.
import { useState } from 'preact/hooks';
import { api, errorText } from '../api';
import { ConfirmDialog } from '../components/confirm';
import { refreshDevices, useDevices, type DeviceStatus } from '../device-status';
import { serviceLabel, timeAgo } from '../format';
import { onLinkClick } from '../router';

const STATE_LABELS: Record<string, string> = {
  idle: 'Up to date',
  syncing: 'Syncing',
  paused: 'Paused',
  signed_out: 'Signed out',
};

function StateBadge({ device }: { device: DeviceStatus }) {
  const state = device.state;
  if (state === null) return device.current ? null : <span class="badge">No status reported</span>;
  return <span class={`badge badge-${state}`}>{STATE_LABELS[state] ?? state}</span>;
}

function PausedDetail({ device }: { device: DeviceStatus }) {
  const failure = device.failure;
  if (device.state !== 'paused' || failure === null) return null;
  return (
    <div class="paused-detail" data-testid="device-failure">
      <p>
        <strong>{device.banner ?? failure.message}</strong> <span class="muted">({failure.cause})</span>
      </p>
      {failure.affects.length > 0 && <p class="muted">Waiting: {failure.affects.map(serviceLabel).join(', ')}</p>}
      {failure.remedies.length > 0 && (
        <>
          <p>How to fix it:</p>
          <ol class="remedies">
            {failure.remedies.map((r) => (
              <li key={r.id}>
                {r.text}
                {r.command && !r.text.includes(r.command) && (
                  <>
                    {' '}
                    <code>{r.command}</code>
                  </>
                )}
              </li>
            ))}
          </ol>
        </>
      )}
      {failure.family === 'storage' && (
        <p>
          <a href="/storage" onClick={onLinkClick}>
            Manage Storage
          </a>{' '}
          — delete old backups or large items here.
        </p>
      )}
      <p class="muted">It resumes by itself once the cause is gone.</p>
    </div>
  );
}

export function DevicesPage() {
  const snapshot = useDevices();
  const [leaving, setLeaving] = useState<DeviceStatus | null>(null);
  const [error, setError] = useState<string | null>(null);

  async function signOut(device: DeviceStatus): Promise<void> {
    setLeaving(null);
    try {
      await api('DELETE', `/v1/sessions/${encodeURIComponent(device.sessionId)}`);
      setError(null);
      refreshDevices();
    } catch (e) {
      setError(errorText(e));
    }
  }

  return (
    <>
      <h1>Devices</h1>
      {snapshot && !snapshot.statusReported && (
        <p class="muted" data-testid="status-unavailable">
          This server does not collect devices' sync status yet; run <code>nimbus status</code> on a device to see it.
        </p>
      )}
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {snapshot === null && <section class="card placeholder" aria-busy="true" />}
      <ul class="device-list">
        {snapshot?.devices.map((d) => (
          <li key={d.sessionId} id={`device-${d.sessionId}`} class={`card device ${d.state === 'paused' ? 'is-paused' : ''}`}>
            <div class="row">
              <div class="grow">
                <h2 class="device-name">
                  {d.deviceName}
                  {d.current && <span class="muted"> (this browser)</span>}
                </h2>
                <div class="muted">
                  Last seen {timeAgo(d.lastSeenAt)}
                  {d.reportedAt !== null && d.state !== null && ` · status from ${timeAgo(d.reportedAt)}`}
                </div>
              </div>
              <StateBadge device={d} />
              {!d.current && (
                <button type="button" onClick={() => setLeaving(d)} aria-label={`Sign out ${d.deviceName}`}>
                  Sign out
                </button>
              )}
            </div>
            <PausedDetail device={d} />
          </li>
        ))}
      </ul>
      <ConfirmDialog
        open={leaving !== null}
        title={`Sign out ${leaving?.deviceName ?? ''}?`}
        confirmLabel="Sign out device"
        onCancel={() => setLeaving(null)}
        onConfirm={() => leaving && void signOut(leaving)}
      >
        <p>The device stops syncing and keeps its files; it needs the password to sign in again.</p>
      </ConfirmDialog>
    </>
  );
}
