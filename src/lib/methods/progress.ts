/** Shared progress and cancellation for long runs: one mechanism for every method. */
import type {Progress} from "./types.js";

export class AbortedError extends Error {
  constructor(message = "explanation was cancelled") {
    super(message);
    this.name = "AbortError";
  }
}

export class WorkTracker {
  private done = 0;
  private readonly start = performance.now();

  constructor(
    readonly total: number,
    private readonly signal?: AbortSignal,
    private readonly onProgress?: (p: Progress) => void,
    private readonly stage?: string
  ) {
    this.throwIfAborted();
  }

  throwIfAborted(): void {
    if (this.signal?.aborted) throw new AbortedError();
  }

  /** Records finished work, reports progress, and stops here if cancelled. */
  advance(amount: number): void {
    this.done = Math.min(this.total, this.done + amount);
    const elapsedMs = performance.now() - this.start;
    const rate = this.done > 0 ? elapsedMs / this.done : 0;
    this.onProgress?.({
      done: this.done,
      total: this.total,
      elapsedMs,
      remainingMs: rate * (this.total - this.done),
      ...(this.stage ? {stage: this.stage} : {})
    });
    this.throwIfAborted();
  }
}

/** Lets the event loop breathe between batches so pages stay responsive and aborts are seen. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}
