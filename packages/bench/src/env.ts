// Bench knobs from the environment.

/** A positive whole number from `name`, or `fallback` when unset; anything else stops the bench with a clear error. */
export function positiveInt(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer, not "${text}"`);
  return value;
}
