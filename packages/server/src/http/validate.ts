// zod parsing that turns a failure into BAD_REQUEST with the paths at fault.
import { NimbusError } from '@nimbus/protocol';
import type { z } from 'zod';

export function parseInput<S extends z.ZodType>(schema: S, value: unknown, what = 'request'): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = result.error.issues.slice(0, 20).map((issue) => ({
    path: issue.path.map(String).join('.') || '(root)',
    message: issue.message,
  }));
  const first = issues[0];
  const summary = first ? `${first.path}: ${first.message}` : 'invalid';
  throw new NimbusError('BAD_REQUEST', `invalid ${what}: ${summary}`, { issues });
}
