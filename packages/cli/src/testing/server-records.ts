// What the server holds for an account, read the way a device does: the whole change feed from the start.
import { ApiClient } from '@nimbus/client';
import type { NimbusRecord } from '@nimbus/protocol';

/** Every live record of the account (signs in as a separate "checker" device). */
export async function liveServerRecords(server: string, email: string, password: string): Promise<NimbusRecord[]> {
  const client = new ApiClient({ server });
  await client.login({ email, password, deviceName: 'checker' });
  const all = new Map<string, NimbusRecord>();
  let since: string | undefined;
  for (;;) {
    const page = await client.changes(since === undefined ? {} : { since });
    for (const record of page.changes) all.set(`${record.zone}/${record.id}`, record);
    since = page.token;
    if (!page.more) break;
  }
  return [...all.values()].filter((r) => !r.deleted);
}
