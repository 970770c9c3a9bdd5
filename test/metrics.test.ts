import {describe, expect, it} from "vitest";
import {createMap, type SaliencyMap} from "../src/lib/maps/index.js";
import {
  applyMask,
  averageRanks,
  bboxScore,
  boxesToMask,
  buildDeletionInsertionImages,
  cascadingRandomization,
  curveAuc,
  deletionInsertionCurve,
  deletionInsertionOrder,
  dropIncrease,
  dropPercent,
  ebpg,
  gaussianBlurImage,
  increasePercent,
  keepTopFraction,
  maskIou,
  passesSanityCheck,
  pointingGame,
  rankPixelsDescending,
  scaleBoxes,
  spearman,
  topFractionIou,
  topFractionMask,
  unionMasks
} from "../src/lib/metrics/index.js";
import {seededRandom} from "../src/lib/random.js";

// 4x4 map; G = box [1, 1, 3, 3] = pixels 5, 6, 9, 10.
const W = 4;
const H = 4;
const G = boxesToMask([[1, 1, 3, 3]], W, H);
const mapOf = (values: ArrayLike<number>): SaliencyMap => createMap(W, H, Float32Array.from(values));
const indicesOf = (mask: ArrayLike<number>) => Array.from(mask).flatMap((v, i) => (v ? [i] : []));

describe("boxes and masks", () => {
  it("boxesToMask: x1/y1 exclusive, clipped, pixel centres for fractional boxes", () => {
    expect(indicesOf(G)).toEqual([5, 6, 9, 10]);
    expect(indicesOf(boxesToMask([[-1, -1, 1, 1]], W, H))).toEqual([0]);
    expect(indicesOf(boxesToMask([[0.4, 0, 1.6, 1]], W, H))).toEqual([0, 1]);
    expect(indicesOf(boxesToMask([[2, 2, 2, 3]], W, H))).toEqual([]);
    expect(indicesOf(boxesToMask([[3, 0, 9, 1]], W, H))).toEqual([3]);
  });
  it("unionMasks and scaleBoxes", () => {
    const a = boxesToMask([[0, 0, 1, 1]], W, H);
    expect(indicesOf(unionMasks([a, G]))).toEqual([0, 5, 6, 9, 10]);
    expect(
      indicesOf(
        boxesToMask(
          [
            [0, 0, 2, 2],
            [3, 3, 4, 4]
          ],
          W,
          H
        )
      )
    ).toEqual([0, 1, 4, 5, 15]);
    expect(scaleBoxes([[0, 0, 224, 112]], 224, 224, 7, 7)).toEqual([[0, 0, 7, 3.5]]);
    expect(() => unionMasks([a, new Uint8Array(3)])).toThrow(/length/);
  });
});

describe("ranking and top-fraction masks", () => {
  it("descending, ties in row-major order", () => {
    expect(Array.from(rankPixelsDescending(createMap(5, 1, [1, 3, 1, 3, 2])))).toEqual([1, 3, 4, 0, 2]);
  });
  it("top fraction: round(f·n) pixels, never S ≤ 0", () => {
    const map = mapOf([0, 0.9, 0.8, 0.7, 0.6, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0.5]);
    expect(indicesOf(topFractionMask(map, 0.2))).toEqual([1, 2, 3]); // round(3.2) = 3
    expect(indicesOf(topFractionMask(map, 0.5))).toEqual([1, 2, 3, 4, 15]); // only 5 positive pixels
    expect(indicesOf(topFractionMask(mapOf(new Array(16).fill(0)), 0.5))).toEqual([]);
  });
});

describe("localisation metrics", () => {
  const inside = mapOf(G);
  const outside = mapOf(Array.from({length: 16}, (_, i) => (i === 15 ? 1 : 0)));
  const empty = mapOf(new Array(16).fill(0));

  it("a map equal to the mask", () => {
    expect(ebpg(inside, G)).toBe(1);
    expect(bboxScore(inside, G)).toBe(1);
    // Top round(0.2·16) = 3 pixels: 5, 6, 9 (ties in row-major order); IoU = 3/4.
    expect(topFractionIou(inside, G)).toBe(0.75);
    expect(pointingGame(inside, G)).toEqual({hit: true, point: {x: 1, y: 1}});
  });

  it("a map outside the mask; tolerance turns a near miss into a hit", () => {
    expect(ebpg(outside, G)).toBe(0);
    expect(bboxScore(outside, G)).toBe(0);
    expect(topFractionIou(outside, G)).toBe(0);
    expect(pointingGame(outside, G)).toEqual({hit: false, point: {x: 3, y: 3}});
    // Nearest G pixel (2, 2) is √2 ≈ 1.41 away.
    expect(pointingGame(outside, G, {tolerance: 1}).hit).toBe(false);
    expect(pointingGame(outside, G, {tolerance: 1.5}).hit).toBe(true);
  });

  it("an empty map: EBPG 0, Bbox 0, IoU 0, pointing miss without a point", () => {
    expect(ebpg(empty, G)).toBe(0);
    expect(bboxScore(empty, G)).toBe(0);
    expect(topFractionIou(empty, G)).toBe(0);
    expect(pointingGame(empty, G, {tolerance: 10})).toEqual({hit: false, point: null});
  });

  it("partial energy and ties", () => {
    const partial = mapOf(Array.from({length: 16}, (_, i) => (G[i] ? 1 : i === 0 ? 2 : 0)));
    expect(ebpg(partial, G)).toBeCloseTo(4 / 6, 12);
    // Top 4 = pixel 0 (value 2), then 5, 6, 9: 3 of 4 in G.
    expect(bboxScore(partial, G)).toBe(0.75);
    // Constant map: top 4 is the first row, outside G; argmax is the first pixel.
    const flat = mapOf(new Array(16).fill(1));
    expect(bboxScore(flat, G)).toBe(0);
    expect(pointingGame(flat, G)).toEqual({hit: false, point: {x: 0, y: 0}});
    expect(pointingGame(flat, G, {tolerance: Math.SQRT2}).hit).toBe(true);
  });

  it("errors and degenerate ground truth", () => {
    expect(() => ebpg(mapOf([-1, ...new Array(15).fill(0)]), G)).toThrow(/non-negative/);
    expect(() => ebpg(inside, new Uint8Array(3))).toThrow(/length/);
    expect(bboxScore(inside, new Uint8Array(16))).toBe(0);
    expect(maskIou(new Uint8Array(4), new Uint8Array(4))).toBe(0);
    expect(maskIou([1, 1, 0, 0], [0, 1, 1, 0])).toBeCloseTo(1 / 3, 12);
  });
});

describe("Drop % and Increase %", () => {
  it("hand numbers", () => {
    const Y = [0.8, 0.5, 0.4];
    const O = [0.4, 0.6, 0.4];
    // Drops: 0.4/0.8 = 0.5, 0 (rose), 0 (equal) → 100·0.5/3; increase: 1 of 3 (strict).
    expect(dropPercent(Y, O)).toBeCloseTo(50 / 3, 10);
    expect(increasePercent(Y, O)).toBeCloseTo(100 / 3, 10);
    expect(dropIncrease(Y, O)).toEqual({drop: dropPercent(Y, O), increase: increasePercent(Y, O), count: 3});
  });
  it("Y = 0 has nothing to drop; bad input throws", () => {
    expect(dropPercent([0, 1], [0.5, 0])).toBe(50);
    expect(() => dropPercent([1], [1, 2])).toThrow();
    expect(() => dropPercent([-0.1], [0])).toThrow(/negative/);
    expect(() => increasePercent([], [])).toThrow(/at least one/);
  });
  it("applyMask and keepTopFraction act in pixel space", () => {
    const image = Float32Array.from([10, 20, 30, 40, 50, 60]); // 2 pixels RGB
    expect(Array.from(applyMask(image, [1, 0]))).toEqual([10, 20, 30, 0, 0, 0]);
    expect(Array.from(applyMask(image, [0.5, 1]))).toEqual([5, 10, 15, 40, 50, 60]);
    expect(Array.from(keepTopFraction(image, createMap(2, 1, [0.1, 0.9]), 0.5))).toEqual([0, 0, 0, 40, 50, 60]);
    expect(() => applyMask(image, [1, 0, 1, 1])).toThrow(/whole number of channels/);
  });
});

describe("deletion and insertion", () => {
  // Region R = G = pixels 5, 6, 9, 10. Toy model: mean over R of the image (all channels).
  const REGION = [5, 6, 9, 10];
  const image = new Float32Array(16 * 3).fill(1);
  const score = (img: Float32Array) => REGION.reduce((s, p) => s + img[3 * p]! + img[3 * p + 1]! + img[3 * p + 2]!, 0) / 12;
  const scoreBatch = async (images: Float32Array[]) => images.map(score);
  // Best order: R first (1.0, 0.9, 0.8, 0.7), everything else 0.05.
  const good = mapOf(Array.from({length: 16}, (_, i) => (REGION.includes(i) ? 1 - 0.1 * REGION.indexOf(i) : 0.05)));
  // Worst order: R last.
  const bad = mapOf(Array.from(good.data, (v) => 1 - v));

  it("order: descending S, ties by index", () => {
    expect(Array.from(deletionInsertionOrder(good)).slice(0, 6)).toEqual([5, 6, 9, 10, 0, 1]);
    expect(Array.from(deletionInsertionOrder(bad)).slice(-4)).toEqual([10, 9, 6, 5]);
  });

  it("image sequence: step 0 is the start, the last step the full swap", () => {
    const canvas = new Float32Array(48).fill(0.25);
    const deletion = buildDeletionInsertionImages(image, good, 8, "deletion", canvas);
    expect(deletion.length).toBe(9);
    expect(deletion[0]).toEqual(image);
    expect(deletion[8]).toEqual(canvas);
    // Step 1 changes round(16/8) = 2 pixels: 5 and 6.
    expect(indicesOf(Array.from({length: 16}, (_, p) => (deletion[1]![3 * p] === 0.25 ? 1 : 0)))).toEqual([5, 6]);
    const insertion = buildDeletionInsertionImages(image, good, 8, "insertion", canvas);
    expect(insertion[0]).toEqual(canvas);
    expect(insertion[8]).toEqual(image);
  });

  it("curves and AUC by hand", async () => {
    const del = await deletionInsertionCurve(image, good, scoreBatch, {mode: "deletion", steps: 8});
    expect(del.scores).toEqual([1, 0.5, 0, 0, 0, 0, 0, 0, 0]);
    expect(del.fractions).toEqual([0, 0.125, 0.25, 0.375, 0.5, 0.625, 0.75, 0.875, 1]);
    // 0.125·(1 + 0.5)/2 + 0.125·(0.5 + 0)/2
    expect(del.auc).toBeCloseTo(0.125, 12);
    const ins = await deletionInsertionCurve(image, good, scoreBatch, {mode: "insertion", steps: 8});
    expect(ins.scores).toEqual([0, 0.5, 1, 1, 1, 1, 1, 1, 1]);
    expect(ins.auc).toBeCloseTo(0.875, 12);
    const worst = await deletionInsertionCurve(image, bad, scoreBatch, {mode: "deletion", steps: 8});
    expect(worst.scores).toEqual([1, 1, 1, 1, 1, 1, 1, 0.5, 0]);
    expect(worst.auc).toBeCloseTo(0.875, 12);
  });

  it("calls the model in batches, reports progress, fractions for uneven steps", async () => {
    const sizes: number[] = [];
    const progress: number[] = [];
    const curve = await deletionInsertionCurve(
      image,
      good,
      (images) => {
        sizes.push(images.length);
        return images.map(score);
      },
      {mode: "deletion", steps: 3, batchSize: 3, onProgress: (done) => progress.push(done)}
    );
    expect(sizes).toEqual([3, 1]);
    expect(progress).toEqual([3, 4]);
    // round(16/3) = 5, round(32/3) = 11.
    expect(curve.fractions).toEqual([0, 5 / 16, 11 / 16, 1]);
    expect(curve.auc).toBeCloseTo(curveAuc(curve.scores, curve.fractions), 12);
  });

  it("checks the callback and honours an abort signal", async () => {
    await expect(deletionInsertionCurve(image, good, async () => [1], {mode: "deletion", steps: 4})).rejects.toThrow(/returned 1 scores/);
    const controller = new AbortController();
    controller.abort();
    await expect(deletionInsertionCurve(image, good, scoreBatch, {mode: "deletion", signal: controller.signal})).rejects.toThrow();
  });

  it("curveAuc: trapezoids on [0, 1]", () => {
    expect(curveAuc([0, 1])).toBe(0.5);
    expect(curveAuc([1, 1, 1])).toBe(1);
    expect(curveAuc([0, 1, 0])).toBe(0.5);
    expect(curveAuc([0, 1], [0, 0.5])).toBe(0.25);
    expect(() => curveAuc([1])).toThrow(/at least 2/);
  });

  it("blurred canvas: constant images stay constant, mass is preserved", () => {
    expect(Array.from(gaussianBlurImage(new Float32Array(48).fill(3), 4, 4, 3, 1)).every((v) => Math.abs(v - 3) < 1e-5)).toBe(true);
    const impulse = new Float32Array(81);
    impulse[40] = 1;
    const blurred = gaussianBlurImage(impulse, 9, 9, 1, 1, 3);
    expect(blurred.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    expect(blurred[40]).toBeGreaterThan(blurred[41]!);
  });
});

describe("spearman", () => {
  it("average ranks for ties", () => {
    expect(Array.from(averageRanks([10, 20, 20, 30]))).toEqual([1, 2.5, 2.5, 4]);
    expect(Array.from(averageRanks([5, 5, 5]))).toEqual([2, 2, 2]);
  });
  it("hand values", () => {
    expect(spearman([1, 2, 3, 4], [1, 8, 27, 64])).toBeCloseTo(1, 12);
    expect(spearman([1, 2, 3, 4], [4, 3, 2, 1])).toBeCloseTo(-1, 12);
    // Ranks b = [1, 2, 3.5, 5, 3.5]: cov 8, var 10 and 9.5 → 8/√95.
    expect(spearman([1, 2, 3, 4, 5], [5, 6, 7, 8, 7])).toBeCloseTo(8 / Math.sqrt(95), 12);
    // Classic d² formula without ties: 1 − 6·Σd²/(n(n²−1)); d = [0, 2, −1, −1] → 1 − 36/60 = 0.4.
    expect(spearman([1, 2, 3, 4], [1, 4, 2, 3])).toBeCloseTo(0.4, 12);
  });
  it("constant input gives NaN; bad input throws", () => {
    expect(spearman([1, 1, 1], [1, 2, 3])).toBeNaN();
    expect(() => spearman([1, 2], [1, 2, 3])).toThrow(/equal lengths/);
    expect(() => spearman([1, NaN], [1, 2])).toThrow(/NaN/);
  });
});

describe("sanity check (cascading randomisation)", () => {
  const size = 8;
  const layers = ["dense", "conv3", "conv2", "conv1"];

  it("an explanation that ignores the weights stays at ρ = 1 and fails", async () => {
    // Image: a bright square; explanation: gradient magnitude of the image (an edge detector).
    const picture = Float32Array.from({length: size * size}, (_, i) => (i % size >= 2 && i % size < 6 && i >= 16 && i < 48 ? 1 : 0));
    const edges = (): SaliencyMap => {
      const out = new Float32Array(size * size);
      for (let y = 0; y < size; y++) {
        for (let x = 0; x < size; x++) {
          const at = (xx: number, yy: number) => picture[Math.min(size - 1, Math.max(0, yy)) * size + Math.min(size - 1, Math.max(0, xx))]!;
          out[y * size + x] = Math.hypot(at(x + 1, y) - at(x - 1, y), at(x, y + 1) - at(x, y - 1)) + 0.01 * x;
        }
      }
      return createMap(size, size, out);
    };
    let randomized = -1;
    const result = await cascadingRandomization({
      layerNamesTopDown: layers,
      randomizeUpTo: (k) => {
        randomized = k;
      },
      explain: edges
    });
    expect(randomized).toBe(3);
    expect(result.correlations).toEqual([1, 1, 1, 1]);
    expect(result.steps.map((s) => s.layer)).toEqual(layers);
    expect(passesSanityCheck(result.correlations)).toBe(false);
  });

  it("an explanation built from the randomised weights decorrelates and passes", async () => {
    const random = seededRandom(42);
    // One weight vector per layer; the explanation is their sum, so it depends on all of them.
    const ramp = Array.from({length: size * size}, (_, i) => i / (size * size));
    const weights = layers.map(() => Float32Array.from(ramp));
    const result = await cascadingRandomization({
      layerNamesTopDown: layers,
      randomizeUpTo: (k) => {
        weights[k] = Float32Array.from({length: size * size}, () => random.next());
      },
      explain: async () =>
        createMap(
          size,
          size,
          Float32Array.from(ramp, (_, i) => weights.reduce((s, w) => s + w[i]!, 0))
        ),
      keepMaps: false
    });
    expect(result.steps[0]!.map).toBeUndefined();
    expect(result.correlations[0]!).toBeGreaterThan(result.correlations[3]!);
    expect(Math.abs(result.correlations[3]!)).toBeLessThan(0.5);
    expect(passesSanityCheck(result.correlations)).toBe(true);
  });

  it("rule: |ρ| of the last step below the threshold; NaN (constant map) passes", () => {
    expect(passesSanityCheck([0.9, 0.6, 0.4])).toBe(true);
    expect(passesSanityCheck([0.9, -0.7])).toBe(false);
    expect(passesSanityCheck([0.9, 0.6], 0.7)).toBe(true);
    expect(passesSanityCheck([0.5, NaN])).toBe(true);
    expect(() => passesSanityCheck([])).toThrow();
  });
});
