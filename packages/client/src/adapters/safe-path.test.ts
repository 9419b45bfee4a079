import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { relative, resolve } from 'node:path';
import { relPathProblem, resolveInside } from './safe-path.js';

describe('server paths', () => {
  it('accepts ordinary, unicode and dash-leading names', () => {
    for (const p of ['a.txt', 'docs/Ünïcödé 日本.md', '--rm -rf', 'a/.hidden', '...', 'x'.repeat(255)]) expect(relPathProblem(p)).toBeNull();
  });
  it('refuses absolute paths, dot segments, control characters, backslashes, over-long names', () => {
    for (const p of ['/etc/passwd', 'C:/x', 'c:x', '..', '../x', 'a/../../x', 'a/./b', 'a//b', 'a/', '', 'a\u0000b', 'a\nb', 'a\\b', 'x'.repeat(256), 42, null]) {
      expect(relPathProblem(p)).not.toBeNull();
    }
  });
  it('property: an accepted path always resolves inside the folder', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('a', '..', '.', '', '/', '\\', 'b c', 'é', '\u0000'), { maxLength: 8 }).map((parts) => parts.join('/')), (p) => {
        if (relPathProblem(p) === null) expect(resolveInside('/lib/Drive', p).startsWith('/lib/Drive/')).toBe(true);
      }),
    );
  });
  it('property: the quick join gives what path.resolve gives, and refuses what it refuses', () => {
    const viaResolve = (folder: string, rel: string): string | null => {
      const abs = resolve(folder, ...rel.split('/'));
      const back = relative(folder, abs);
      return back === '' || back === '..' || back.startsWith('../') || back.startsWith('/') ? null : abs;
    };
    const attempt = (folder: string, rel: string): string | null => {
      try {
        return resolveInside(folder, rel);
      } catch {
        return null;
      }
    };
    const part = fc.constantFrom('a', '..', '.', '', '/', '\\', 'b c', 'é', '\u0000', '...', '.x');
    fc.assert(
      fc.property(fc.constantFrom('/lib/Drive', '/lib/Drive/', '/', '/lib/../lib/Notes', 'relative/Notes'), fc.array(part, { maxLength: 8 }).map((p) => p.join('/')), (folder, rel) => {
        expect(attempt(folder, rel)).toBe(viaResolve(folder, rel));
      }),
    );
  });
});
