// Notes: the list, one note open to read and edit, a new note, delete. A save reaches every device's Notes folder.
import type { NimbusRecord } from '@nimbus/protocol';
import { useState } from 'preact/hooks';
import { errorText } from '../api';
import { DeleteRecordDialog, deleteRecord, EditorFooter, type EditorMessage } from '../components/record-editor';
import { NameForm } from '../components/name-form';
import { useLoad } from '../components/use-load';
import { formatDate } from '../format';
import { loadZone, newRecordId, safeFileName, writeProblem, writeRecord } from '../records';

interface Note {
  id: string;
  version: number;
  path: string;
  text: string;
  modifiedAt: number;
}

function toNote(record: NimbusRecord): Note | null {
  const data = record.data;
  if (typeof data?.['path'] !== 'string' || typeof data['text'] !== 'string') return null;
  return { id: record.id, version: record.version, path: data['path'], text: data['text'], modifiedAt: record.modifiedAt };
}

const titleOf = (path: string): string => (path.split('/').pop() ?? path).replace(/\.(md|txt)$/i, '');

async function loadNotes(): Promise<Note[]> {
  const notes = (await loadZone('notes')).map(toNote).filter((n): n is Note => n !== null);
  return notes.sort((a, b) => b.modifiedAt - a.modifiedAt);
}

export function NotesPage() {
  const notes = useLoad(loadNotes);
  const [openId, setOpenId] = useState<string | null>(null);
  const [draft, setDraft] = useState('');
  const [newTitle, setNewTitle] = useState('');
  const [message, setMessage] = useState<EditorMessage | null>(null);
  const [deleting, setDeleting] = useState(false);
  const open = notes.value?.find((n) => n.id === openId) ?? null;

  function select(note: Note): void {
    setOpenId(note.id);
    setDraft(note.text);
    setMessage(null);
  }

  async function save(note: Note | null, path: string, text: string): Promise<void> {
    try {
      const id = note?.id ?? newRecordId();
      const result = await writeRecord({ zone: 'notes', id, baseVersion: note?.version ?? 0, data: { path, text } });
      const problem = writeProblem(result);
      await notes.reload();
      setOpenId(id);
      if (problem === null) setMessage({ ok: true, text: 'Saved. Your devices get it at their next sync.' });
      else {
        setMessage({ ok: false, text: problem });
        if (result.status === 'conflict' && result.server?.data) {
          const theirs = result.server.data['text'];
          if (typeof theirs !== 'string') return;
          setDraft(`${theirs}\n\n${text}`);
        }
      }
    } catch (e) {
      setMessage({ ok: false, text: errorText(e) });
    }
  }

  async function create(event: Event): Promise<void> {
    event.preventDefault();
    const path = `${safeFileName(newTitle)}.md`;
    setNewTitle('');
    setDraft('');
    await save(null, path, '');
  }

  async function remove(note: Note): Promise<void> {
    setDeleting(false);
    setMessage(await deleteRecord('notes', note, `“${titleOf(note.path)}”`));
    setOpenId(null);
    await notes.reload();
  }

  return (
    <>
      <h1>Notes</h1>
      {notes.error && <p class="error">{notes.error}</p>}
      <div class="split">
        <section class="card list-pane" aria-label="All notes">
          <NameForm placeholder="New note title" button="New note" value={newTitle} onInput={setNewTitle} onSubmit={(e) => void create(e)} />
          {notes.value?.length === 0 && <p class="muted">No notes yet.</p>}
          <ul class="pick-list">
            {notes.value?.map((n) => (
              <li key={n.id}>
                <button type="button" class="pick" aria-current={n.id === openId ? 'true' : undefined} onClick={() => select(n)}>
                  <strong class="ellipsis">{titleOf(n.path)}</strong>
                  <span class="muted ellipsis">{n.text.slice(0, 80) || 'Empty note'}</span>
                </button>
              </li>
            ))}
          </ul>
        </section>
        <section class="card editor-pane" aria-label="Note">
          {open ? (
            <form
              onSubmit={(e) => {
                e.preventDefault();
                void save(open, open.path, draft);
              }}
            >
              <h2 class="ellipsis">{titleOf(open.path)}</h2>
              <p class="muted">
                {open.path} · changed {formatDate(open.modifiedAt)}
              </p>
              <label>
                <span class="sr-only">Text of {titleOf(open.path)}</span>
                <textarea name="text" rows={16} value={draft} onInput={(e) => setDraft(e.currentTarget.value)} />
              </label>
              <EditorFooter message={message} onDelete={() => setDeleting(true)} />
            </form>
          ) : (
            <p class="muted">{message?.text ?? 'Pick a note to read or edit it.'}</p>
          )}
        </section>
      </div>
      <DeleteRecordDialog open={deleting} kind="note" onCancel={() => setDeleting(false)} onConfirm={() => open && void remove(open)} />
    </>
  );
}
