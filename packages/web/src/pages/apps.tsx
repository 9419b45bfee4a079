// Apps using Nimbus: each service on or off for the whole account, and whether it may use cellular data.
// Devices pick the account's settings up at their next sync (GET/PUT /v1/account/services: the answer is every
// service's {enabled, cellular}; a PUT carries only what changes, e.g. {"photos": {"enabled": false}}).
import type { AccountServices, Service, ServiceSetting } from '@nimbus/protocol';
import { useState } from 'preact/hooks';
import { api, errorText, optionalApi } from '../api';
import { Switch } from '../components/switch';
import { useLoad } from '../components/use-load';
import { serviceLabel } from '../format';

const SERVICES: readonly Service[] = ['contacts', 'notes', 'photos', 'drive', 'passwords', 'backups'];

const DESCRIPTIONS: Record<Service, string> = {
  contacts: 'Your address book on every device.',
  notes: 'Notes in the Notes folder, merged when edited in two places.',
  photos: 'Photos and videos; originals can stay in the cloud.',
  drive: 'Any files and folders in Drive.',
  passwords: 'Saved passwords.',
  backups: 'Device backups.',
};

export function AppsPage() {
  const loaded = useLoad(() => optionalApi<AccountServices>('GET', '/v1/account/services'));
  const [settings, setSettings] = useState<AccountServices | null>(null);
  const [error, setError] = useState<string | null>(null);
  const current = settings ?? loaded.value ?? null;
  const unavailable = !loaded.loading && loaded.value === null && loaded.error === null;

  async function change(service: Service, patch: Partial<ServiceSetting>): Promise<void> {
    if (!current) return;
    const before = current[service] ?? { enabled: true, cellular: true };
    const next = { ...current, [service]: { ...before, ...patch } };
    setSettings(next);
    try {
      setSettings(await api<AccountServices>('PUT', '/v1/account/services', { [service]: patch }));
      setError(null);
    } catch (e) {
      setSettings(current);
      setError(errorText(e));
    }
  }

  return (
    <>
      <h1>Apps using Nimbus</h1>
      <p class="muted">Turn a service off to stop it syncing on every device. Devices follow within one sync.</p>
      {unavailable && (
        <p class="muted" data-testid="services-unavailable">
          This server cannot keep per-account service settings yet; use <code>nimbus services</code> on each device.
        </p>
      )}
      {(error ?? loaded.error) && (
        <p class="error" role="alert">
          {error ?? loaded.error}
        </p>
      )}
      <ul class="card rows">
        {SERVICES.map((service) => {
          const s = current?.[service];
          return (
            <li key={service} class="row service">
              <div class="grow">
                <strong>{serviceLabel(service)}</strong>
                <div class="muted">{DESCRIPTIONS[service]}</div>
              </div>
              <div class="switches">
                <label class="switch-label">
                  <span class="muted">Sync</span>
                  <Switch label={serviceLabel(service)} checked={s?.enabled ?? false} disabled={!s} onChange={(on) => void change(service, { enabled: on })} />
                </label>
                <label class="switch-label">
                  <span class="muted">Cellular</span>
                  <Switch
                    label={`Use cellular data for ${serviceLabel(service)}`}
                    checked={(s?.enabled ?? false) && (s?.cellular ?? false)}
                    disabled={!s || !s.enabled}
                    onChange={(on) => void change(service, { cellular: on })}
                  />
                </label>
              </div>
            </li>
          );
        })}
      </ul>
    </>
  );
}
