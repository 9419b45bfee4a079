// The frame of every signed-in page: header with the account, the banner, the section navigation.
import type { AccountView } from '@nimbus/protocol';
import type { ComponentChildren } from 'preact';
import { onLinkClick } from '../router';
import { PausedBanner } from './banner';
import { CloudIcon } from './icons';

export const SECTIONS = [
  { path: '/storage', label: 'Storage' },
  { path: '/devices', label: 'Devices' },
  { path: '/apps', label: 'Apps using Nimbus' },
  { path: '/security', label: 'Security' },
  { path: '/notes', label: 'Notes' },
  { path: '/contacts', label: 'Contacts' },
  { path: '/photos', label: 'Photos' },
  { path: '/drive', label: 'Drive' },
] as const;

export function Layout(props: { account: AccountView; path: string; onSignOut: () => void; children: ComponentChildren }) {
  return (
    <div class="shell">
      <header class="top">
        <a class="brand" href="/storage" onClick={onLinkClick}>
          <CloudIcon /> Nimbus
        </a>
        <span class="who">{props.account.email}</span>
        <button type="button" class="link-button" onClick={props.onSignOut}>
          Sign out
        </button>
      </header>
      <PausedBanner />
      <nav class="sections" aria-label="Sections">
        {SECTIONS.map((s) => (
          <a key={s.path} href={s.path} onClick={onLinkClick} aria-current={props.path === s.path ? 'page' : undefined}>
            {s.label}
          </a>
        ))}
      </nav>
      <main class="content">{props.children}</main>
    </div>
  );
}
