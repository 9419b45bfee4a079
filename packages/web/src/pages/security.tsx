// Security: change the password, turn on two-factor authentication (QR code + a code), sign out everywhere,
// and the recent sign-ins.
import type { AccountView, SignInView, TwoFactorSetupResponse } from '@nimbus/protocol';
import { useState } from 'preact/hooks';
import { api, errorText } from '../api';
import { ConfirmDialog } from '../components/confirm';
import { useLoad } from '../components/use-load';
import { describeAgent, formatDate } from '../format';

function ChangePassword() {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);

  async function submit(event: Event): Promise<void> {
    event.preventDefault();
    try {
      const { revokedSessions } = await api<{ revokedSessions: number }>('POST', '/v1/account/password', {
        currentPassword: current,
        newPassword: next,
      });
      setCurrent('');
      setNext('');
      setMessage({ ok: true, text: `Password changed. ${revokedSessions} other device${revokedSessions === 1 ? '' : 's'} must sign in again.` });
    } catch (e) {
      setMessage({ ok: false, text: errorText(e) });
    }
  }

  return (
    <form class="card" onSubmit={(e) => void submit(e)} aria-labelledby="password-title">
      <h2 id="password-title">Change password</h2>
      <p class="muted">Your other devices will have to sign in again with the new password. This browser stays signed in.</p>
      <label>
        Current password
        <input type="password" autocomplete="current-password" required value={current} onInput={(e) => setCurrent(e.currentTarget.value)} />
      </label>
      <label>
        New password
        <input type="password" autocomplete="new-password" required minLength={8} value={next} onInput={(e) => setNext(e.currentTarget.value)} />
      </label>
      <p class={message?.ok ? 'success' : 'error'} role="status">
        {message?.text ?? ''}
      </p>
      <button type="submit" class="primary">
        Change password
      </button>
    </form>
  );
}

function TwoFactor({ account, onChanged }: { account: AccountView; onChanged: () => void }) {
  const [setup, setSetup] = useState<TwoFactorSetupResponse | null>(null);
  const [code, setCode] = useState('');
  const [error, setError] = useState<string | null>(null);

  async function start(): Promise<void> {
    try {
      setSetup(await api<TwoFactorSetupResponse>('POST', '/v1/account/2fa/setup', {}));
      setError(null);
    } catch (e) {
      setError(errorText(e));
    }
  }

  async function confirm(event: Event): Promise<void> {
    event.preventDefault();
    try {
      await api('POST', '/v1/account/2fa/enable', { code: code.trim() });
      setSetup(null);
      setCode('');
      onChanged();
    } catch (e) {
      setError(errorText(e));
    }
  }

  return (
    <section class="card" aria-labelledby="tfa-title">
      <h2 id="tfa-title">Two-factor authentication</h2>
      {account.twoFactorEnabled ? (
        <p data-testid="tfa-on">
          <span class="badge badge-idle">On</span> Signing in on a new device asks for a code from your authenticator app.
        </p>
      ) : setup === null ? (
        <>
          <p class="muted">Ask for a code from your phone when signing in. Turning it on signs out your other devices.</p>
          <button type="button" class="primary" onClick={() => void start()}>
            Turn on two-factor authentication
          </button>
        </>
      ) : (
        <form onSubmit={(e) => void confirm(e)}>
          <p>Scan this code with your authenticator app, then enter the 6-digit code it shows.</p>
          <img class="qr" src={`data:image/svg+xml;charset=utf-8,${encodeURIComponent(setup.qrSvg)}`} width={200} height={200} alt="QR code for your authenticator app" />
          <p class="muted">
            Can't scan it? Enter this key: <code data-testid="totp-secret">{setup.secret}</code>
          </p>
          <label>
            Code from the app
            <input name="code" inputMode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" maxLength={6} required value={code} onInput={(e) => setCode(e.currentTarget.value)} />
          </label>
          <button type="submit" class="primary">
            Turn on
          </button>
        </form>
      )}
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}

function RecentSignIns() {
  const signIns = useLoad(() => api<{ signIns: SignInView[] }>('GET', '/v1/account/sign-ins'));
  return (
    <section class="card" aria-labelledby="signins-title">
      <h2 id="signins-title">Recent sign-ins</h2>
      {signIns.error && <p class="error">{signIns.error}</p>}
      <ul class="rows">
        {signIns.value?.signIns.map((s) => (
          <li key={s.sessionId} class="row">
            <div class="grow">
              <strong>{s.deviceName}</strong>
              <div class="muted ellipsis" title={s.userAgent ?? undefined}>
                {[describeAgent(s.userAgent), s.ip].filter(Boolean).join(' · ')}
              </div>
            </div>
            <div class="num">
              {formatDate(s.createdAt)}
              <div class="muted">{s.endedAt === null ? 'signed in' : 'signed out'}</div>
            </div>
          </li>
        ))}
      </ul>
    </section>
  );
}

export function SecurityPage(props: { account: AccountView; onAccountChanged: () => void; onSignedOutEverywhere: () => void }) {
  const [error, setError] = useState<string | null>(null);
  const [confirming, setConfirming] = useState(false);

  async function signOutEverywhere(): Promise<void> {
    setConfirming(false);
    try {
      await api('POST', '/v1/sessions/sign-out', { scope: 'all' });
      props.onSignedOutEverywhere();
    } catch (e) {
      setError(errorText(e));
    }
  }

  return (
    <>
      <h1>Security</h1>
      <ChangePassword />
      <TwoFactor account={props.account} onChanged={props.onAccountChanged} />
      <section class="card" aria-labelledby="everywhere-title">
        <h2 id="everywhere-title">Sign out everywhere</h2>
        <p class="muted">Every device and browser, this one included, must sign in again. Their files stay on them.</p>
        <button type="button" class="danger" onClick={() => setConfirming(true)}>
          Sign out everywhere
        </button>
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
      </section>
      {/* Read again when 2FA goes on: that ends the other sessions. */}
      <RecentSignIns key={String(props.account.twoFactorEnabled)} />
      <ConfirmDialog
        open={confirming}
        title="Sign out everywhere?"
        confirmLabel="Sign out everywhere"
        onCancel={() => setConfirming(false)}
        onConfirm={() => void signOutEverywhere()}
      >
        <p>Every device and this browser are signed out. Each needs your password (and code) to sign in again.</p>
      </ConfirmDialog>
    </>
  );
}
