/**
 * Ctrl-C (SIGINT) and a scheduler's stop (SIGTERM: Slurm at its time limit, Kubernetes on
 * eviction) as an AbortSignal: the first one asks the run to stop after what is running now
 * (finished results are kept, nothing is left half-written); a second one exits at once.
 */

export const INTERRUPTED_EXIT = 130;

export class InterruptedError extends Error {
  constructor(message = "interrupted") {
    super(message);
    this.name = "InterruptedError";
  }
}

export function interruptSignal(onFirst: (signal: NodeJS.Signals) => void): {signal: AbortSignal; release: () => void} {
  const controller = new AbortController();
  const handler = (name: NodeJS.Signals) => {
    if (controller.signal.aborted) process.exit(INTERRUPTED_EXIT);
    onFirst(name);
    controller.abort(new InterruptedError(`stopped by ${name}`));
  };
  process.on("SIGINT", handler);
  process.on("SIGTERM", handler);
  return {
    signal: controller.signal,
    release: () => {
      process.off("SIGINT", handler);
      process.off("SIGTERM", handler);
    }
  };
}
