// The dashboard: who is signed in (asked of the server through the cookie), then the page for the path.
import type { AccountView } from '@nimbus/protocol';
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ApiError, api, setSignedOutHandler } from './api';
import { Layout, SECTIONS } from './components/layout';
import { AppsPage } from './pages/apps';
import { ContactsPage } from './pages/contacts';
import { DevicesPage } from './pages/devices';
import { DrivePage } from './pages/drive';
import { NotesPage } from './pages/notes';
import { PhotosPage } from './pages/photos';
import { SecurityPage } from './pages/security';
import { SignInPage } from './pages/sign-in';
import { StoragePage } from './pages/storage';
import { navigate, usePath } from './router';

type Session = { state: 'checking' } | { state: 'signed-out'; notice: string | null } | { state: 'signed-in'; account: AccountView };

export function App() {
  const [session, setSession] = useState<Session>({ state: 'checking' });
  const path = usePath();

  const loadAccount = async (): Promise<void> => {
    try {
      setSession({ state: 'signed-in', account: await api<AccountView>('GET', '/v1/account') });
    } catch (e) {
      const quiet = e instanceof ApiError && (e.kind === 'UNAUTHENTICATED' || e.status === 401);
      setSession({ state: 'signed-out', notice: quiet ? null : e instanceof Error ? e.message : null });
    }
  };

  useEffect(() => {
    setSignedOutHandler((reason) => setSession({ state: 'signed-out', notice: reason }));
    void loadAccount();
  }, []);

  useEffect(() => {
    const section = SECTIONS.find((s) => s.path === path);
    document.title = section ? `${section.label} — Nimbus` : 'Nimbus';
    if (session.state === 'signed-in' && !section) navigate('/storage');
  }, [path, session.state]);

  async function signOut(): Promise<void> {
    await api('DELETE', '/v1/web/session').catch(() => undefined);
    // The next person to sign in here starts from the top, not on the page the last one left open.
    navigate('/');
    setSession({ state: 'signed-out', notice: 'You are signed out.' });
  }

  if (session.state === 'checking') return <div class="boot" aria-busy="true" />;
  if (session.state === 'signed-out') {
    return <SignInPage notice={session.notice} onSignedIn={(account) => setSession({ state: 'signed-in', account })} />;
  }
  const account = session.account;
  const pages: Record<string, () => JSX.Element> = {
    '/devices': () => <DevicesPage />,
    '/apps': () => <AppsPage />,
    '/security': () => (
      <SecurityPage account={account} onAccountChanged={() => void loadAccount()} onSignedOutEverywhere={() => void signOut()} />
    ),
    '/notes': () => <NotesPage />,
    '/contacts': () => <ContactsPage />,
    '/photos': () => <PhotosPage />,
    '/drive': () => <DrivePage />,
  };
  const page = pages[path] ?? (() => <StoragePage />);
  return (
    <Layout account={account} path={path} onSignOut={() => void signOut()}>
      {page()}
    </Layout>
  );
}
