/**
 * Side-by-side timing of one method (pure helpers). Each run of an image's explanation is
 * followed at once by the bare passes that explanation made (its own pass count, at its batch
 * sizes), run for run: a drift in machine load then hits both sides of that image's ratio alike.
 * The image's time and ideal are the medians of its runs; the method's ratio is the median of the
 * per-image ratios, so one disturbed image does not decide it.
 */
import {median} from "./aggregate.js";
import {speedRatio} from "./pass-cost.js";

/**
 * Repetitions per image from the warm-up time: a 10 ms explanation is at the mercy of one
 * garbage collection, so fast methods are timed several times (median), slow ones once.
 */
export function repetitionsFor(warmupMs: number): number {
  if (!(warmupMs >= 0)) throw new Error(`warm-up time must be a non-negative number, got ${warmupMs}`);
  return warmupMs < 50 ? 5 : warmupMs < 250 ? 3 : 1;
}

export interface PairedTime {
  /** Explanation time of the image (median of its repetitions), ms. */
  ms: number;
  /** The same passes on the bare model, each run right after an explanation run (median), ms. */
  idealMs: number;
}

/** Mean times and the median of the per-image ratios (NaN where an ideal is 0). */
export function pairedSpeed(times: readonly PairedTime[]): {msPerImage: number; idealMsPerImage: number; ratio: number} {
  if (times.length === 0) throw new Error("no timed images");
  const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
  const ratios = times.map((t) => speedRatio(t.ms, t.idealMs));
  return {
    msPerImage: mean(times.map((t) => t.ms)),
    idealMsPerImage: mean(times.map((t) => t.idealMs)),
    ratio: ratios.some(Number.isNaN) ? Number.NaN : median(ratios)
  };
}
