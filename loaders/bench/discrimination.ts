/**
 * Class discrimination on images holding two classes A and B (shapes-pairs), pure: the map
 * explaining A should put more energy (Σ S) on A's objects than on B's. Each image counts
 * twice, once per class, so a method blind to the class scores about 50%.
 */
import type {SaliencyMap} from "../../src/lib/maps/types.js";
import type {DiscriminationSummary} from "./types.js";

/** Σ S over the mask's pixels. */
export function energyInside(map: SaliencyMap, mask: ArrayLike<number>): number {
  if (mask.length !== map.data.length) throw new Error(`mask has length ${mask.length}, map has ${map.data.length} pixels`);
  let total = 0;
  for (let i = 0; i < mask.length; i++) if (mask[i]) total += map.data[i]!;
  return total;
}

/** True when the map for class A puts strictly more energy on A's objects than on B's. */
export function favoursOwnClass(mapForA: SaliencyMap, maskA: ArrayLike<number>, maskB: ArrayLike<number>): boolean {
  return energyInside(mapForA, maskA) > energyInside(mapForA, maskB);
}

export function summariseDiscrimination(method: string, outcomes: readonly boolean[]): DiscriminationSummary {
  const wins = outcomes.filter(Boolean).length;
  return {method, cases: outcomes.length, wins, fraction: outcomes.length > 0 ? wins / outcomes.length : Number.NaN};
}
