// Sign in or create an account; when two-factor authentication is on, a second step asks for the code.
import type { AccountView } from '@nimbus/protocol';
import { useState } from 'preact/hooks';
import { ApiError, api, errorText } from '../api';
import { CloudIcon } from '../components/icons';

type Step = 'password' | 'code';

export function SignInPage(props: { notice: string | null; onSignedIn: (account: AccountView) => void }) {
  const [creating, setCreating] = useState(false);
  const [step, setStep] = useState<Step>('password');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: Event): Promise<void> {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      if (creating) await api('POST', '/v1/accounts', { email, password });
      const body = { email, password, ...(step === 'code' ? { otp: code.trim() } : {}) };
      const { account } = await api<{ account: AccountView }>('POST', '/v1/web/session', body);
      props.onSignedIn(account);
    } catch (e) {
      if (e instanceof ApiError && e.kind === 'OTP_REQUIRED') {
        setStep('code');
        setCreating(false);
      } else setError(errorText(e));
    } finally {
      setBusy(false);
    }
  }

  const title = step === 'code' ? 'Two-factor authentication' : creating ? 'Create your Nimbus account' : 'Sign in to Nimbus';
  return (
    <main class="sign-in">
      <form class="card sign-in-card" onSubmit={(e) => void submit(e)} aria-labelledby="sign-in-title">
        <div class="sign-in-logo">
          <CloudIcon size={48} />
        </div>
        <h1 id="sign-in-title">{title}</h1>
        {props.notice && step === 'password' && (
          <p class="notice" role="status">
            {props.notice}
          </p>
        )}
        {step === 'password' ? (
          <>
            <label>
              Email
              <input type="email" name="email" autocomplete="username" required value={email} onInput={(e) => setEmail(e.currentTarget.value)} />
            </label>
            <label>
              Password
              <input
                type="password"
                name="password"
                autocomplete={creating ? 'new-password' : 'current-password'}
                required
                minLength={creating ? 8 : 1}
                value={password}
                onInput={(e) => setPassword(e.currentTarget.value)}
              />
            </label>
            {creating && <p class="hint">At least 8 characters; a long passphrase is best.</p>}
          </>
        ) : (
          <>
            <p>Enter the 6-digit code from your authenticator app.</p>
            <label>
              Code
              <input
                name="otp"
                inputMode="numeric"
                autocomplete="one-time-code"
                pattern="[0-9]{6}"
                maxLength={6}
                required
                autoFocus
                value={code}
                onInput={(e) => setCode(e.currentTarget.value)}
              />
            </label>
          </>
        )}
        <p class="error" role="alert">
          {error ?? ''}
        </p>
        <button type="submit" class="primary" disabled={busy}>
          {step === 'code' ? 'Verify' : creating ? 'Create account' : 'Sign in'}
        </button>
        {step === 'password' ? (
          <button type="button" class="link-button" onClick={() => (setCreating(!creating), setError(null))}>
            {creating ? 'I have an account: sign in' : 'Create an account'}
          </button>
        ) : (
          <button type="button" class="link-button" onClick={() => (setStep('password'), setCode(''), setError(null))}>
            Back
          </button>
        )}
      </form>
    </main>
  );
}
