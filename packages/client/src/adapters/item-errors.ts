// File system errors that concern one item (a name too long, a file where a folder should be) become ItemErrors.
import { ItemError } from './adapter.js';

const ITEM_CODES = new Set(['ENAMETOOLONG', 'EILSEQ', 'ENOTDIR', 'EISDIR', 'ELOOP']);

/** Runs `work`; per-item file system failures are rethrown as ItemError for `where`, the rest unchanged. */
export async function asItemErrors<T>(where: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException | null)?.code;
    if (typeof code === 'string' && ITEM_CODES.has(code)) throw new ItemError(where, `cannot be written here (${code})`, { cause: error });
    throw error;
  }
}
