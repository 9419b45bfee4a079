// The banner on top of every page while any device is paused: what stopped, on which device, and a link to the fix.
import { pausedDevices, useDevices } from '../device-status';
import { onLinkClick } from '../router';
import { CloudAlertIcon } from './icons';

export function PausedBanner() {
  const paused = pausedDevices(useDevices());
  // The slot is always there (empty when all is well) so the page below never jumps when it appears.
  const first = paused[0];
  return (
    <div class="banner-slot" aria-live="polite">
      {first && (
        <div class="banner" role="status" data-testid="paused-banner">
          <CloudAlertIcon />
          <span class="banner-text">
            <strong>Sync is paused on {paused.length === 1 ? first.deviceName : `${paused.length} devices`}.</strong>{' '}
            {first.failure?.message ?? 'The device said it is paused.'}
          </span>
          <a class="banner-link" href={`/devices#device-${first.sessionId}`} onClick={onLinkClick}>
            How to fix it
          </a>
        </div>
      )}
    </div>
  );
}
