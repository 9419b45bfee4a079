// What the Notes and Contacts editors share: the foot of the form (what the last save or delete said, Delete, Save),
// the question before a delete, and the delete itself.
import { errorText } from '../api';
import { writeProblem, writeRecord } from '../records';
import { ConfirmDialog } from './confirm';

export interface EditorMessage {
  readonly ok: boolean;
  readonly text: string;
}

export function EditorFooter(props: { message: EditorMessage | null; onDelete?: (() => void) | undefined }) {
  return (
    <>
      <p class={props.message?.ok ? 'success' : 'error'} role="status">
        {props.message?.text ?? ''}
      </p>
      <div class="actions">
        {props.onDelete && (
          <button type="button" class="danger" onClick={props.onDelete}>
            Delete
          </button>
        )}
        <button type="submit" class="primary">
          Save
        </button>
      </div>
    </>
  );
}

/** "Delete this note?" — a record deleted here is deleted on every device. */
export function DeleteRecordDialog(props: { open: boolean; kind: 'note' | 'contact'; onCancel: () => void; onConfirm: () => void }) {
  return (
    <ConfirmDialog open={props.open} title={`Delete this ${props.kind}?`} confirmLabel={`Delete ${props.kind}`} onCancel={props.onCancel} onConfirm={props.onConfirm}>
      <p>It is deleted on every device.</p>
    </ConfirmDialog>
  );
}

/** Deletes a record (at the version shown, so a newer edit elsewhere is not lost) and says how it went. */
export async function deleteRecord(zone: 'notes' | 'contacts', record: { id: string; version: number }, label: string): Promise<EditorMessage> {
  try {
    const problem = writeProblem(await writeRecord({ zone, id: record.id, baseVersion: record.version, delete: true }));
    return problem === null ? { ok: true, text: `Deleted ${label}.` } : { ok: false, text: problem };
  } catch (e) {
    return { ok: false, text: errorText(e) };
  }
}
