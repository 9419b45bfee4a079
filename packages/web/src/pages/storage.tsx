// Storage: the bar by service (warning above 90 %), Manage Storage with backups, and the largest items.
import type { NimbusRecord, SnapshotListResponse, SnapshotView, StorageItem, StorageResponse } from '@nimbus/protocol';
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, errorText, optionalApi } from '../api';
import { ConfirmDialog } from '../components/confirm';
import { useLoad } from '../components/use-load';
import { useDevices, type DevicesSnapshot } from '../device-status';
import { formatBytes, formatDate, serviceLabel } from '../format';
import { getProp } from '../vcard';

const SERVICE_ORDER = ['photos', 'drive', 'backups', 'notes', 'contacts', 'keychain'];

function StorageBar({ report }: { report: StorageResponse }) {
  const quota = Math.max(report.quotaBytes, 1);
  const parts = SERVICE_ORDER.map((zone) => ({ zone, bytes: report.byService[zone] ?? 0 })).filter((p) => p.bytes > 0);
  const percent = Math.min(100, (report.usedBytes / quota) * 100);
  return (
    <section class="card" aria-labelledby="storage-title">
      <h2 id="storage-title">Account storage</h2>
      <p class="figure">
        {formatBytes(report.usedBytes)} of {formatBytes(report.quotaBytes)} used
      </p>
      <div
        class="bar"
        role="meter"
        aria-label="Storage used"
        aria-valuemin={0}
        aria-valuemax={report.quotaBytes}
        aria-valuenow={report.usedBytes}
        aria-valuetext={`${Math.round(percent)} % used`}
      >
        {parts.map((p) => (
          <span key={p.zone} class={`seg seg-${p.zone}`} style={{ width: `${(p.bytes / quota) * 100}%` }} title={serviceLabel(p.zone)} />
        ))}
      </div>
      <ul class="legend">
        {SERVICE_ORDER.map((zone) => (
          <li key={zone}>
            <span class={`dot seg-${zone}`} aria-hidden="true" /> {serviceLabel(zone)} <span class="muted">{formatBytes(report.byService[zone] ?? 0)}</span>
          </li>
        ))}
      </ul>
      {report.warning && (
        <p class="warning" role="alert" data-testid="storage-warning">
          Your storage is almost full ({Math.round(percent)} %). When it is full, photos, files and backups stop syncing
          (contacts and notes go on). Delete old backups or large items below to free space.
        </p>
      )}
    </section>
  );
}

function Backups({ onChanged }: { onChanged: () => void }) {
  const backups = useLoad(() => optionalApi<SnapshotListResponse>('GET', '/v1/backups'));
  const [doomed, setDoomed] = useState<SnapshotView | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [freed, setFreed] = useState<string | null>(null);

  async function remove(backup: SnapshotView): Promise<void> {
    setDoomed(null);
    try {
      const { freedBytes } = await api<{ freedBytes: number }>('DELETE', `/v1/backups/${encodeURIComponent(backup.id)}`);
      setError(null);
      setFreed(`Deleted the backup from ${formatDate(backup.createdAt)}: ${formatBytes(freedBytes)} freed.`);
      await backups.reload();
      onChanged();
    } catch (e) {
      setError(errorText(e));
    }
  }

  const list = backups.value?.snapshots ?? [];
  const pruned = backups.value?.pruned ?? [];
  return (
    <section class="card" aria-labelledby="backups-title">
      <h2 id="backups-title">Manage Storage: backups</h2>
      {backups.error && <p class="error">{backups.error}</p>}
      {!backups.loading && backups.value === null && !backups.error && (
        <p class="muted" data-testid="backups-unavailable">
          Backups are not available on this server yet.
        </p>
      )}
      {backups.value !== null && list.length === 0 && <p class="muted">No device backups.</p>}
      {list.length > 0 && (
        <ul class="rows">
          {list.map((b) => (
            <li key={b.id} class="row">
              <div class="grow">
                <strong>{b.host}</strong> <span class="muted">{formatDate(b.createdAt)}</span>
                <div class="muted ellipsis">
                  {b.fileCount} file{b.fileCount === 1 ? '' : 's'} from {b.sources.join(', ') || 'the device'}
                </div>
              </div>
              <div class="num">
                {formatBytes(b.totalBytes)}
                <div class="muted">frees {formatBytes(b.freesBytes)}</div>
              </div>
              <button type="button" class="danger" onClick={() => setDoomed(b)} aria-label={`Delete the backup of ${b.host} from ${formatDate(b.createdAt)}`}>
                Delete
              </button>
            </li>
          ))}
        </ul>
      )}
      {pruned.length > 0 && (
        <p class="muted">
          Removed automatically: {pruned.length} older backup{pruned.length === 1 ? '' : 's'} (latest {formatDate(pruned[0]?.removedAt ?? 0)}, by the
          retention policy or to make room).
        </p>
      )}
      {backups.value !== null && (
        <p class="success" role="status">
          {freed ?? ''}
        </p>
      )}
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <ConfirmDialog
        open={doomed !== null}
        title="Delete this backup?"
        confirmLabel="Delete backup"
        onCancel={() => setDoomed(null)}
        onConfirm={() => doomed && void remove(doomed)}
      >
        <p>
          The backup of {doomed?.host} from {doomed ? formatDate(doomed.createdAt) : ''} is deleted from the cloud for good, freeing{' '}
          {formatBytes(doomed?.freesBytes ?? 0)}. The files on your devices are not touched.
        </p>
      </ConfirmDialog>
    </section>
  );
}

/** What a person calls an item: its file name, or a contact's name; the record id only as a last resort. */
async function itemName(item: StorageItem): Promise<string> {
  try {
    const record = await api<NimbusRecord>('GET', `/v1/records/${encodeURIComponent(item.zone)}/${encodeURIComponent(item.id)}`);
    const data = record.data ?? {};
    const vcard = data['vcard'];
    if (typeof vcard === 'string' && getProp(vcard, 'FN') !== '') return getProp(vcard, 'FN');
    for (const key of ['path', 'name']) {
      const value = data[key];
      if (typeof value === 'string') return value;
    }
  } catch {
    // Deleted meanwhile, or unreadable: the id still identifies it.
  }
  return item.id;
}

async function loadReport(): Promise<{ report: StorageResponse; names: string[] }> {
  const report = await api<StorageResponse>('GET', '/v1/storage');
  return { report, names: await Promise.all(report.largest.map(itemName)) };
}

/** Changes whenever a device reports something new: its uploads may have changed what is used. */
function devicesKey(snapshot: DevicesSnapshot | null): string {
  return snapshot?.devices.map((d) => `${d.sessionId}:${d.state}:${d.reportedAt}`).join(',') ?? '';
}

export function StoragePage() {
  const report = useLoad(loadReport);
  const devices = devicesKey(useDevices());
  const seen = useRef(devices);
  useEffect(() => {
    if (seen.current === devices) return;
    seen.current = devices;
    void report.reload();
  }, [devices, report]);
  const r = report.value?.report;
  const names = report.value?.names ?? [];
  return (
    <>
      <h1>Storage</h1>
      {report.error && <p class="error">{report.error}</p>}
      {r ? <StorageBar report={r} /> : <section class="card placeholder" aria-busy="true" />}
      <Backups onChanged={() => void report.reload()} />
      <section class="card" aria-labelledby="largest-title">
        <h2 id="largest-title">Largest items</h2>
        {r && r.largest.length === 0 && <p class="muted">Nothing stored yet.</p>}
        <ul class="rows">
          {r?.largest.map((item, i) => (
            <li key={`${item.zone}/${item.id}`} class="row">
              <span class="grow ellipsis" title={names[i]}>
                {names[i]}
              </span>
              <span class="muted">{serviceLabel(item.zone)}</span>
              <span class="num">{formatBytes(item.bytes)}</span>
            </li>
          ))}
        </ul>
      </section>
    </>
  );
}
