/** SISE's step 2: which channels a layer keeps (fixed threshold μ·β, or Ada-SISE's Otsu threshold). */
import {describe, expect, it} from "vitest";
import {adaptiveSelection, capByGradient, thresholdSelection} from "../src/lib/explain/selection.js";
import {seededRandom} from "../src/lib/random.js";

describe("step 2: selection", () => {
  const alphas = [0.2, -0.1, 0.5, 0, 0.05];

  it("SISE keeps α_k > μ·β", () => {
    expect(thresholdSelection(0).select(alphas)).toEqual({kept: [0, 2, 4], beta: 0.5, threshold: 0, relativeThreshold: 0, skipped: null});
    expect(thresholdSelection(0.5).select(alphas)).toMatchObject({kept: [2], threshold: 0.25});
    expect(thresholdSelection(0.3).select(alphas)).toMatchObject({kept: [0, 2]}); // 0.2 > 0.15
    expect(thresholdSelection(-0.5).select(alphas)).toMatchObject({kept: [0, 1, 2, 3, 4], threshold: -0.25});
    expect(thresholdSelection(1).select(alphas)).toMatchObject({kept: []}); // strict: β itself is not > β
  });

  it("a layer with β ≤ 0 keeps nothing and says why", () => {
    for (const select of [thresholdSelection(-1), adaptiveSelection()]) {
      const result = select.select([-1, 0, -0.5]);
      expect(result).toMatchObject({kept: [], beta: 0, threshold: null, relativeThreshold: null});
      expect(result.skipped).toMatch(/no channel has a positive average gradient/);
    }
  });

  it("Ada-SISE: τ = Otsu of the positive â_k = α_k/β on 256 bins; keep â_k > τ", () => {
    // â = [1, 0.9, 0.1, 0.05, −0.3]; positives fall in bins 255, 230, 25, 12. The best split is
    // {0.05, 0.1} | {0.9, 1} (0.25·0.875² beats 0.1875·0.617² and 0.1875·0.65²); its first edge is 26/256.
    const result = adaptiveSelection().select([2, 1.8, 0.2, 0.1, -0.6]);
    expect(result.relativeThreshold).toBe(26 / 256);
    expect(result.threshold).toBeCloseTo((26 / 256) * 2, 12);
    expect(result.kept).toEqual([0, 1]);
    // A single positive value: no split has a positive score, τ = 0, the positive channel is kept.
    expect(adaptiveSelection().select([-1, 0.3, 0])).toMatchObject({kept: [1], relativeThreshold: 0});
  });

  it("Ada-SISE's kept set ⊆ SISE's kept set at μ = 0 (random gradients)", () => {
    const random = seededRandom(11);
    let smaller = 0;
    for (let trial = 0; trial < 200; trial++) {
      const values = Array.from({length: 1 + random.int(0, 64)}, () => random.normal() * 1e-3 + (trial % 2 ? 2e-4 : 0));
      const ada = adaptiveSelection().select(values).kept;
      const fixed = new Set(thresholdSelection(0).select(values).kept);
      expect(ada.every((k) => fixed.has(k))).toBe(true);
      if (ada.length < fixed.size) smaller++;
    }
    expect(smaller).toBeGreaterThan(150);
  });

  it("the per-layer cap keeps the largest α (ties: lower index), ascending", () => {
    const alphasByChannel = [0.5, 9, 0.9, 0.1, 9, 0.9];
    expect(capByGradient([0, 2, 3, 5], alphasByChannel, 2)).toEqual([2, 5]);
    expect(capByGradient([0, 2, 3, 5], alphasByChannel, 3)).toEqual([0, 2, 5]);
    expect(capByGradient([0, 2, 3, 5], alphasByChannel, 10)).toEqual([0, 2, 3, 5]);
    expect(capByGradient([3, 0], alphasByChannel, undefined)).toEqual([3, 0]);
  });
});
