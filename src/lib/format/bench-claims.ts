/**
 * A paper claim as the bench checks it and the Benchmark page draws it: declared here, in the
 * engine, because the bench (loaders/bench/) writes it and a page cannot import outside src/.
 */
export interface ClaimResult {
  id: string;
  statement: string;
  /** What the paper reports. */
  paper: string;
  /** The measured numbers the verdict rests on. */
  measured: Record<string, number>;
  /** Whether the means (as printed) go the claimed way; null when a method it needs was not run. */
  confirmed: boolean | null;
  /**
   * Whether the paired per-image 95% interval excludes 0 on the claimed side (the gap is larger
   * than this run's noise); null without an interval (fewer than 2 images, non-inferiority claims).
   */
  significant: boolean | null;
  detail: string;
}
