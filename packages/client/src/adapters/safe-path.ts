// Paths that come from the server are untrusted: an item is only ever written inside its service folder.
import { mkdir, realpath } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { ItemError } from './adapter.js';

/** Most file systems cap one name at 255 bytes and a path at 4096. */
const NAME_MAX_BYTES = 255;
const PATH_MAX_BYTES = 4000;
const encoder = new TextEncoder();

/** Why a relative path from the server is refused, or null when it is acceptable. */
export function relPathProblem(value: unknown): string | null {
  if (typeof value !== 'string' || value === '') return 'the path is missing';
  if (/[\p{Cc}]/u.test(value)) return 'the path has control characters';
  if (value.includes('\\')) return 'the path has a backslash';
  if (value.startsWith('/') || /^[A-Za-z]:/.test(value) || isAbsolute(value)) return 'the path is absolute';
  if (encoder.encode(value).length > PATH_MAX_BYTES) return 'the path is too long';
  for (const segment of value.split('/')) {
    if (segment === '' || segment === '.' || segment === '..') return 'the path has an empty, "." or ".." segment';
    if (encoder.encode(segment).length > NAME_MAX_BYTES) return 'a name in the path is longer than 255 bytes';
  }
  return null;
}

/** A data path from the server, checked; throws ItemError (the record is set aside) when hostile. */
export function checkedRelPath(value: unknown, where: string): string {
  const problem = relPathProblem(value);
  if (problem) throw new ItemError(where, `refused a server path: ${problem}`);
  return value as string;
}

/** One file name (no folders) from the server, checked. */
export function checkedName(value: unknown, where: string): string {
  const name = checkedRelPath(value, where);
  if (name.includes('/')) throw new ItemError(where, 'refused a server file name: it has a "/"');
  return name;
}

/** Absolute folders already seen in normal form (resolve(f) === f): a pull asks about the same few thousands of times. */
const normalFolders = new Set<string>();
const isNormalAbsolute = (folder: string): boolean => {
  if (normalFolders.has(folder)) return true;
  if (!isAbsolute(folder) || resolve(folder) !== folder) return false;
  if (normalFolders.size < 256) normalFolders.add(folder);
  return true;
};

/** A plain relative path: no empty, "." or ".." name, no backslash, not absolute — joined to a folder, it stays inside. */
const plainRel = (rel: string): boolean =>
  rel !== '' && !rel.startsWith('/') && !rel.includes('\\') && !rel.includes('\0') && rel.split('/').every((name) => name !== '' && name !== '.' && name !== '..');

/** `folder/rel` as an absolute path, refusing anything that would land outside `folder` (defence in depth). */
export function resolveInside(folder: string, rel: string): string {
  // The common case without path.resolve and path.relative (a third of a pull's path work): plain names under a normal folder.
  if (sep === '/' && plainRel(rel) && isNormalAbsolute(folder)) return folder.endsWith('/') ? folder + rel : `${folder}/${rel}`;
  const abs = resolve(folder, ...rel.split('/'));
  const back = relative(folder, abs);
  if (back === '' || back.startsWith(`..${sep}`) || back === '..' || isAbsolute(back)) {
    throw new ItemError(rel, 'refused a path outside the library folder');
  }
  return abs;
}

/**
 * Before writing `target` (inside the service folder `folder`, made here if missing): the deepest folder of it that exists must really be inside `folder`
 * (a symlinked sub-folder pointing elsewhere would otherwise carry the write out of the library).
 */
export async function assertRealInside(folder: string, target: string, checked?: Set<string>): Promise<void> {
  // A page of writes checks each folder once (`checked`: folders found inside during this page).
  if (checked?.has(dirname(target))) return;
  // The service folder itself is made on first use (never the library root: a missing root is the engine's to report).
  await mkdir(folder).catch((error: NodeJS.ErrnoException) => (error.code === 'EEXIST' ? undefined : Promise.reject(error)));
  const realRoot = await realpath(folder);
  let probe = dirname(target);
  for (;;) {
    const real = await realpath(probe).catch(() => null);
    if (real !== null) {
      const back = relative(realRoot, real);
      if (back.startsWith('..') || isAbsolute(back)) throw new ItemError(relative(folder, target), 'refused a path that leaves the library folder through a link');
      // Folders still missing below it are made by us, inside: the target's folder counts as checked.
      checked?.add(dirname(target));
      return;
    }
    const up = dirname(probe);
    if (up === probe) return;
    probe = up;
  }
}

/** `Drive` + `a/b.pdf` → `Drive/a/b.pdf` (library-relative, `/`-separated). */
export const libraryPath = (folder: string, rel: string): string => `${folder}/${rel}`;

/** The service-relative part of a library path (`Drive/a/b.pdf` → `a/b.pdf`), or null when it is not in `folder`. */
export function serviceRel(folder: string, path: string | null): string | null {
  if (path === null || !path.startsWith(`${folder}/`)) return null;
  return path.slice(folder.length + 1);
}

export const absolute = (root: string, libraryRel: string): string => join(root, ...libraryRel.split('/'));
