// Bounded concurrency for transfers: at most `limit` pieces of work in flight.

/** Runs `work` over `items`, `limit` at a time; the first error stops new work and is thrown once all settle. */
export async function inParallel<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let error: { e: unknown } | undefined;
  const runner = async (): Promise<void> => {
    while (error === undefined && next < items.length) {
      try {
        await work(items[next++] as T);
      } catch (e) {
        error ??= { e };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, runner));
  if (error) throw error.e;
}
