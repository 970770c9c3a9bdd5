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
    /** The run's cancellation, also handed to executors (they drop queued batches). */
    readonly signal?: AbortSignal,
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

const immediate = (globalThis as {setImmediate?: (resume: () => void) => unknown}).setImmediate;

/** One message through a fresh MessageChannel: its own task, and no port left open afterwards. */
function messageChannelTurn(): Promise<void> {
  return new Promise((resolve) => {
    const {port1, port2} = new MessageChannel();
    port1.onmessage = () => {
      port1.close();
      resolve();
    };
    port2.postMessage(null);
  });
}

/**
 * Lets the event loop breathe between batches so pages stay responsive and aborts are seen.
 * A task without setTimeout's clamp (at least 1 ms in Node, 4 ms when nested in browsers), which
 * added a millisecond or more to every batch: setImmediate in Node, a MessageChannel message in
 * browsers (both let timers, I/O and rendering run first).
 */
export function yieldToEventLoop(): Promise<void> {
  if (immediate) return new Promise((resolve) => immediate(resolve));
  if (typeof MessageChannel !== "undefined") return messageChannelTurn();
  return new Promise((resolve) => setTimeout(resolve, 0));
}
