// Contacts: the list, one contact open to read and edit (name, email, phone), a new contact, delete.
import type { NimbusRecord } from '@nimbus/protocol';
import { useState } from 'preact/hooks';
import { errorText } from '../api';
import { DeleteRecordDialog, deleteRecord, EditorFooter, type EditorMessage } from '../components/record-editor';
import { useLoad } from '../components/use-load';
import { loadZone, newRecordId, safeFileName, writeProblem, writeRecord } from '../records';
import { getProp, newCard, setName, setProp } from '../vcard';

interface Contact {
  id: string;
  version: number;
  /** The .vcf file name on devices. */
  name: string;
  vcard: string;
}

function toContact(record: NimbusRecord): Contact | null {
  const data = record.data;
  if (typeof data?.['name'] !== 'string' || typeof data['vcard'] !== 'string') return null;
  return { id: record.id, version: record.version, name: data['name'], vcard: data['vcard'] };
}

const displayName = (c: Contact): string => getProp(c.vcard, 'FN') || c.name.replace(/\.vcf$/i, '');

async function loadContacts(): Promise<Contact[]> {
  const contacts = (await loadZone('contacts')).map(toContact).filter((c): c is Contact => c !== null);
  return contacts.sort((a, b) => displayName(a).localeCompare(displayName(b)));
}

interface Fields {
  fullName: string;
  email: string;
  phone: string;
}

const fieldsOf = (c: Contact): Fields => ({ fullName: displayName(c), email: getProp(c.vcard, 'EMAIL'), phone: getProp(c.vcard, 'TEL') });

export function ContactsPage() {
  const contacts = useLoad(loadContacts);
  const [openId, setOpenId] = useState<string | null>(null);
  const [fields, setFields] = useState<Fields>({ fullName: '', email: '', phone: '' });
  const [message, setMessage] = useState<EditorMessage | null>(null);
  const [deleting, setDeleting] = useState(false);
  const [creating, setCreating] = useState(false);
  const open = contacts.value?.find((c) => c.id === openId) ?? null;

  function select(c: Contact): void {
    setOpenId(c.id);
    setCreating(false);
    setFields(fieldsOf(c));
    setMessage(null);
  }

  async function save(event: Event): Promise<void> {
    event.preventDefault();
    try {
      const id = open?.id ?? newRecordId();
      let card = open ? setName(open.vcard, fields.fullName) : newCard(id, fields.fullName);
      card = setProp(setProp(card, 'EMAIL', fields.email), 'TEL', fields.phone);
      const name = open?.name ?? `${safeFileName(fields.fullName)}.vcf`;
      const result = await writeRecord({ zone: 'contacts', id, baseVersion: open?.version ?? 0, data: { name, vcard: card } });
      const problem = writeProblem(result);
      await contacts.reload();
      setOpenId(id);
      setCreating(false);
      setMessage(problem === null ? { ok: true, text: 'Saved. Your devices get it at their next sync.' } : { ok: false, text: problem });
    } catch (e) {
      setMessage({ ok: false, text: errorText(e) });
    }
  }

  async function remove(c: Contact): Promise<void> {
    setDeleting(false);
    setMessage(await deleteRecord('contacts', c, displayName(c)));
    setOpenId(null);
    await contacts.reload();
  }

  const editing = open !== null || creating;
  const field = (key: keyof Fields, label: string, type: string, autocomplete: string) => (
    <label>
      {label}
      <input type={type} autocomplete={autocomplete} required={key === 'fullName'} value={fields[key]} onInput={(e) => setFields({ ...fields, [key]: e.currentTarget.value })} />
    </label>
  );

  return (
    <>
      <h1>Contacts</h1>
      {contacts.error && <p class="error">{contacts.error}</p>}
      <div class="split">
        <section class="card list-pane" aria-label="All contacts">
          <button
            type="button"
            onClick={() => {
              setOpenId(null);
              setCreating(true);
              setFields({ fullName: '', email: '', phone: '' });
              setMessage(null);
            }}
          >
            New contact
          </button>
          {contacts.value?.length === 0 && <p class="muted">No contacts yet.</p>}
          <ul class="pick-list">
            {contacts.value?.map((c) => (
              <li key={c.id}>
                <button type="button" class="pick" aria-current={c.id === openId ? 'true' : undefined} onClick={() => select(c)}>
                  <strong class="ellipsis">{displayName(c)}</strong>
                  <span class="muted ellipsis">{getProp(c.vcard, 'EMAIL') || getProp(c.vcard, 'TEL') || ' '}</span>
                </button>
              </li>
            ))}
          </ul>
        </section>
        <section class="card editor-pane" aria-label="Contact">
          {editing ? (
            <form onSubmit={(e) => void save(e)}>
              <h2 class="ellipsis">{open ? displayName(open) : 'New contact'}</h2>
              {field('fullName', 'Name', 'text', 'off')}
              {field('email', 'Email', 'email', 'off')}
              {field('phone', 'Phone', 'tel', 'off')}
              <EditorFooter message={message} onDelete={open ? () => setDeleting(true) : undefined} />
            </form>
          ) : (
            <p class="muted">{message?.text ?? 'Pick a contact to read or edit it.'}</p>
          )}
        </section>
      </div>
      <DeleteRecordDialog open={deleting} kind="contact" onCancel={() => setDeleting(false)} onConfirm={() => open && void remove(open)} />
    </>
  );
}
