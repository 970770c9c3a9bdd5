/** Running independent jobs either all at once (a worker pool queues them) or one at a time. */

/**
 * Runs the tasks all at once when `parallel` (a pool spreads them over its workers) or one after
 * another otherwise (explanations interleaved in one thread would only add memory); results in
 * task order either way.
 */
export async function inParallelIf<T>(parallel: boolean, tasks: readonly (() => Promise<T>)[]): Promise<T[]> {
  if (parallel) return Promise.all(tasks.map((task) => task()));
  const results: T[] = [];
  for (const task of tasks) results.push(await task());
  return results;
}
