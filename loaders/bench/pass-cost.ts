/**
 * The speed model behind "time / (passes × per-image pass time)" (pure). An explanation reports
 * how many images went forward and how many of those also went backward; the ideal time is
 * what those passes cost on the bare model in batches of the size the method used:
 *   ideal = backward images × t_fwd+bwd(b_bwd) + forward-only images × t_fwd(b_fwd)
 * where t(b) is the measured per-image time at batch size b. The bare backward pass runs down to
 * the pixels; a method whose gradient is taken at a layer (Grad-CAM family, SISE, Integrated
 * Grad-CAM) stops its backward pass there, so its real cost can be below this ideal.
 * Batch sizes: a method with several backward images batches them by its recorded `batchSize`
 * (its forward-only passes are a path's anchors, run as one batch); a method with at most one
 * backward image runs that one alone and batches its forward-only passes by `batchSize`.
 */

export type PassKind = "forward" | "forwardBackward";

export interface PassPlanPart {
  kind: PassKind;
  images: number;
  batch: number;
}

export function passPlan(
  passes: {forward: number; backward: number},
  recordedBatch: number | undefined,
  defaults: {forward: number; backward: number}
): PassPlanPart[] {
  const backward = Math.max(0, Math.round(passes.backward));
  const forwardOnly = Math.max(0, Math.round(passes.forward) - backward);
  const parts: PassPlanPart[] = [];
  if (backward > 1) {
    parts.push({kind: "forwardBackward", images: backward, batch: Math.min(backward, recordedBatch ?? defaults.backward)});
    if (forwardOnly > 0) parts.push({kind: "forward", images: forwardOnly, batch: forwardOnly});
  } else {
    if (backward === 1) parts.push({kind: "forwardBackward", images: 1, batch: 1});
    if (forwardOnly > 0) parts.push({kind: "forward", images: forwardOnly, batch: Math.min(forwardOnly, recordedBatch ?? defaults.forward)});
  }
  return parts;
}

/** Σ images × per-image time at the part's batch size. */
export function idealMs(plan: readonly PassPlanPart[], msPerImage: (kind: PassKind, batch: number) => number): number {
  return plan.reduce((total, part) => total + part.images * msPerImage(part.kind, part.batch), 0);
}

/** measured / ideal; NaN when the ideal is 0 (a method that makes no pass). */
export function speedRatio(measuredMs: number, ideal: number): number {
  return ideal > 0 ? measuredMs / ideal : Number.NaN;
}

/** Distinct (kind, batch) pairs a set of plans needs measured, in a stable order. */
export function batchesToMeasure(plans: readonly PassPlanPart[][]): {kind: PassKind; batch: number}[] {
  const seen = new Map<string, {kind: PassKind; batch: number}>();
  for (const plan of plans) for (const {kind, batch} of plan) seen.set(`${kind}:${batch}`, {kind, batch});
  return [...seen.values()].sort((a, b) => a.kind.localeCompare(b.kind) || a.batch - b.batch);
}
