import * as tf from "@tensorflow/tfjs";
import {rgb, interpolateViridis} from "d3";
import {beforeAll, describe, expect, it} from "vitest";
import {
  colorize,
  colormapTable,
  createMap,
  fuseLayerMaps,
  minmax,
  otsu,
  otsuDetails,
  otsuGate,
  otsuThreshold,
  overlay,
  quantizedOtsuThreshold,
  relu,
  resizeBilinear,
  resizeBilinearArray,
  resizeMaskNearest,
  resizeNearest,
  softGate,
  sum,
  type SaliencyMap
} from "../src/lib/maps/index.js";
import {seededRandom} from "../src/lib/random.js";

const approx = (actual: ArrayLike<number>, expected: readonly number[], digits = 6) => {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) expect(actual[i]).toBeCloseTo(expected[i]!, digits);
};

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

describe("createMap", () => {
  it("zeros by default, checks sizes", () => {
    expect(createMap(3, 2).data).toEqual(new Float32Array(6));
    expect(() => createMap(2, 2, [1, 2, 3])).toThrow(/length 3/);
    expect(() => createMap(0, 2)).toThrow(/positive integers/);
    expect(createMap(2, 1, [1, 2]).data).toBeInstanceOf(Float32Array);
  });
});

describe("resizeBilinear (half-pixel centres)", () => {
  it("2x2 -> 4x4 by hand", () => {
    // src = 0.5·(dst + 0.5) − 0.5 = −0.25, 0.25, 0.75, 1.25 → clamped to 0, 0.25, 0.75, 1.
    const out = resizeBilinear(createMap(2, 2, [0, 1, 2, 3]), 4, 4);
    approx(out.data, [0, 0.25, 0.75, 1, 0.5, 0.75, 1.25, 1.5, 1.5, 1.75, 2.25, 2.5, 2, 2.25, 2.75, 3]);
  });

  it("3x3 -> 2x2 by hand", () => {
    // src = 1.5·(dst + 0.5) − 0.5 = 0.25, 1.75.
    const linear = resizeBilinear(createMap(3, 3, [0, 1, 2, 3, 4, 5, 6, 7, 8]), 2, 2);
    approx(linear.data, [1, 2.5, 5.5, 7]);
    const corners = resizeBilinear(createMap(3, 3, [1, 0, 0, 0, 0, 0, 0, 0, 4]), 2, 2);
    approx(corners.data, [0.5625, 0, 0, 2.25]);
  });

  it("same size is an identity copy", () => {
    const map = createMap(2, 2, [1, 2, 3, 4]);
    const out = resizeBilinear(map, 2, 2);
    expect(out.data).toEqual(map.data);
    expect(out.data).not.toBe(map.data);
  });

  describe("equals tf.image.resizeBilinear(x, size, false, true) on the cpu backend", () => {
    beforeAll(async () => {
      await tf.setBackend("cpu");
    });
    const cases: Array<[number, number, number, number]> = [
      [2, 2, 4, 4],
      [3, 3, 2, 2],
      [7, 7, 224, 224],
      [5, 7, 13, 11],
      [14, 10, 3, 4],
      [1, 6, 5, 1],
      [9, 4, 9, 17]
    ];
    for (const [inW, inH, outW, outH] of cases) {
      it(`${inW}x${inH} -> ${outW}x${outH}`, () => {
        const random = seededRandom(inW * 100 + outW);
        const data = Float32Array.from({length: inW * inH}, () => random.uniform(-2, 5));
        const ours = resizeBilinear(createMap(inW, inH, data), outW, outH).data;
        const theirs = tf.tidy(() => tf.image.resizeBilinear(tf.tensor3d(data, [inH, inW, 1]), [outH, outW], false, true).dataSync()) as Float32Array;
        expect(ours.length).toBe(theirs.length);
        let maxDiff = 0;
        for (let i = 0; i < ours.length; i++) maxDiff = Math.max(maxDiff, Math.abs(ours[i]! - theirs[i]!));
        expect(maxDiff).toBeLessThan(1e-6);
      });
    }
    it("multi-channel images match too", () => {
      const random = seededRandom(7);
      const data = Float32Array.from({length: 5 * 4 * 3}, () => random.uniform(0, 255));
      const ours = resizeBilinearArray(data, 5, 4, 8, 9, 3);
      const theirs = tf.tidy(() => tf.image.resizeBilinear(tf.tensor3d(data, [4, 5, 3]), [9, 8], false, true).dataSync());
      for (let i = 0; i < ours.length; i++) expect(ours[i]).toBeCloseTo(theirs[i]!, 3);
    });
  });
});

describe("resizeNearest", () => {
  it("2x2 -> 4x4 duplicates pixels; masks keep their type", () => {
    expect(Array.from(resizeNearest(createMap(2, 2, [1, 2, 3, 4]), 4, 4).data)).toEqual([1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4]);
    const mask = resizeMaskNearest(Uint8Array.from([1, 0, 0, 0, 0, 0, 0, 0, 1]), 3, 3, 2, 2);
    expect(mask).toBeInstanceOf(Uint8Array);
    // floor((dst + 0.5)·1.5) = 0, 2
    expect(Array.from(mask)).toEqual([1, 0, 0, 1]);
  });
});

describe("normalize", () => {
  it("minmax is (X − min)/(max − min + 1e-6)", () => {
    approx(minmax(createMap(3, 1, [1, 2, 3])).data, [0, 1 / 2.000001, 2 / 2.000001], 7);
    approx(minmax(createMap(2, 1, [-4, 6])).data, [0, 10 / 10.000001], 7);
  });
  it("minmax of a constant map is 0", () => {
    expect(Array.from(minmax(createMap(2, 2, [5, 5, 5, 5])).data)).toEqual([0, 0, 0, 0]);
  });
  it("NaN and infinities throw clear errors", () => {
    expect(() => minmax(createMap(2, 1, [1, NaN]))).toThrow(/map contains NaN/);
    expect(() => minmax(createMap(2, 1, [1, Infinity]))).toThrow(/Infinity/);
    expect(() => relu(createMap(2, 1, [NaN, 1]))).toThrow(/NaN/);
  });
  it("relu and sum", () => {
    expect(Array.from(relu(createMap(3, 1, [-1, 0, 2])).data)).toEqual([0, 0, 2]);
    expect(sum(createMap(3, 1, [1, 2, 3.5]))).toBe(6.5);
  });
});

/** Direct transcription of the Otsu rule, recomputing each candidate from the raw values. */
function bruteForceOtsu(values: readonly number[], lo = 0, hi = 1, bins = 256): number {
  const width = (hi - lo) / bins;
  const binOf = (v: number) => Math.min(bins - 1, Math.max(0, Math.floor((v - lo) / width)));
  const centre = (v: number) => lo + (binOf(v) + 0.5) * width;
  let best = 0;
  let bestScore = -1;
  for (let k = 0; k <= bins; k++) {
    const c0 = values.filter((v) => binOf(v) < k).map(centre);
    const c1 = values.filter((v) => binOf(v) >= k).map(centre);
    let score = 0;
    if (c0.length > 0 && c1.length > 0) {
      const m0 = c0.reduce((a, b) => a + b, 0) / c0.length;
      const m1 = c1.reduce((a, b) => a + b, 0) / c1.length;
      score = (c0.length / values.length) * (c1.length / values.length) * (m0 - m1) ** 2;
    }
    if (score > bestScore) {
      bestScore = score;
      best = k;
    }
  }
  return lo + best * width;
}

describe("otsu", () => {
  it("bimodal data with a gap: the first edge above the lower cluster", () => {
    const map = createMap(10, 1, [0.1, 0.1, 0.1, 0.1, 0.1, 0.9, 0.9, 0.9, 0.9, 0.9]);
    // 0.1 lies in bin 25; every edge 26..230 ties, the first wins.
    expect(otsu(map)).toBe(26 / 256);
    expect(Array.from(otsuGate(map).gate.data)).toEqual([0, 0, 0, 0, 0, 1, 1, 1, 1, 1]);
  });

  it("agrees with a brute-force transcription on random maps", () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const random = seededRandom(seed);
      const values = Array.from({length: 300}, () => (random.bernoulli(0.3) ? 0.7 + 0.3 * random.next() : 0.5 * random.next() ** 2));
      expect(otsuThreshold(values)).toBe(bruteForceOtsu(values));
    }
  });

  it("exact ties resolve to the first maximum", () => {
    // Bin centres 25.5, 128.5, 231.5 (/256) are equally spaced: both splits score the same.
    const values = [25.5 / 256, 128.5 / 256, 231.5 / 256];
    const details = otsuDetails(values);
    expect(details.scores[26]).toBe(details.scores[129]);
    expect(details.threshold).toBe(26 / 256);
    expect(bruteForceOtsu(values)).toBe(26 / 256);
  });

  it("1.0 falls in the last bin", () => {
    const details = otsuDetails([0, 1]);
    expect(details.counts[255]).toBe(1);
    expect(details.counts[0]).toBe(1);
    expect(details.threshold).toBe(1 / 256);
  });

  it("constant input: no split scores above 0, so t = lo", () => {
    expect(otsu(createMap(2, 2, [0.5, 0.5, 0.5, 0.5]))).toBe(0);
    expect(Array.from(otsuGate(createMap(2, 2, [0, 0, 0, 0])).gate.data)).toEqual([0, 0, 0, 0]);
  });

  it("a general range for 1-D lists", () => {
    expect(otsuThreshold([1, 1, 9, 9], 0, 10)).toBe((26 * 10) / 256);
    // Ada-SISE: a single positive normalised gradient keeps itself (t = 0).
    expect(otsuThreshold([1])).toBe(0);
    expect(() => otsuThreshold([0.5, NaN])).toThrow(/NaN/);
  });
});

describe("softGate (authors' code)", () => {
  it("quantised Otsu level on round(V·256): the first level j of the upper class {q ≥ j}", () => {
    // q = 51 and 154: every split j in 52..154 ties, the first wins.
    expect(quantizedOtsuThreshold([0.2, 0.2, 0.6])).toBe(52 / 256);
    // q = 10, 10, 20, 200, 210: ω0·ω1·(μ0 − μ1)² over j, by hand:
    // j = 11..20 → {10,10} | {20,200,210}: 0.4·0.6·(10 − 143.33)² = 4266.7
    // j = 21..200 → {10,10,20} | {200,210}: 0.6·0.4·(13.33 − 205)² = 8816.7 (the maximum)
    // j = 201..210 → {10,10,20,200} | {210}: 0.8·0.2·(60 − 210)² = 3600
    expect(quantizedOtsuThreshold([10, 10, 20, 200, 210].map((q) => q / 256))).toBe(21 / 256);
    // Rounding: 0.5/256 rounds up to level 1, which is then the upper class's first level.
    expect(quantizedOtsuThreshold([0, 0.5 / 256])).toBe(1 / 256);
    expect(quantizedOtsuThreshold([0.3, 0.3])).toBe(0);
  });

  it("keeps t when at least 10% of pixels reach 1.5·t", () => {
    const values = [...Array(8).fill(0.2), 0.6, 0.6];
    const {gate, threshold, otsuThreshold: t} = softGate(createMap(10, 1, values));
    // t = 52/256; 1.5·t = 78/256 ≈ 0.305, reached by 2 of 10 pixels (20% ≥ 10%): t stays.
    expect(t).toBe(52 / 256);
    expect(threshold).toBe(52 / 256);
    expect(gate.data[0]).toBeCloseTo(sigmoid(100 * (0.2 - 52 / 256)), 6);
    expect(gate.data[0]).toBeCloseTo(0.4225, 4); // sigmoid(−0.3125) = 1 / (1 + e^0.3125)
    expect(gate.data[9]).toBeCloseTo(sigmoid(100 * (0.6 - 52 / 256)), 6);
  });

  it("raises to 1.5·t when fewer than 10% of pixels reach it", () => {
    const values = [...Array(19).fill(0.2), 0.6];
    const {gate, threshold} = softGate(createMap(20, 1, values));
    // t = 52/256; 1 of 20 pixels (5%) reaches 1.5·t = 78/256, so t' = 78/256.
    expect(threshold).toBe(78 / 256);
    expect(gate.data[0]).toBeCloseTo(sigmoid(100 * (0.2 - 78 / 256)), 6);
    expect(gate.data[0]).toBeLessThan(1e-3);
    expect(gate.data[19]).toBeGreaterThan(0.999);
  });
});

describe("fuseLayerMaps", () => {
  const V1 = createMap(2, 2, [0.2, 0.4, 0.6, 0.8]);
  const V2 = createMap(2, 2, [0, 1, 0, 1]);
  const V3 = createMap(2, 2, [1, 1, 0, 0]);

  it("cascade shallow to deep, by hand", () => {
    const result = fuseLayerMaps([V1, V2, V3]);
    // Gate(V2) = [0,1,0,1] (t = 1/256): E = (V1 + V2)·gate = [0, 1.4, 0, 1.8].
    approx(result.steps[0]!.gate.data, [0, 1, 0, 1]);
    expect(result.steps[0]!.threshold).toBe(1 / 256);
    approx(result.steps[0]!.fused.data, [0, 1.4, 0, 1.8]);
    // Gate(V3) = [1,1,0,0]: E = (E + V3)·gate = [1, 2.4, 0, 0].
    approx(result.steps[1]!.gate.data, [1, 1, 0, 0]);
    approx(result.steps[1]!.fused.data, [1, 2.4, 0, 0]);
    approx(result.map.data, [1 / (2.4 + 1e-6), 2.4 / (2.4 + 1e-6), 0, 0]);
    approx(result.initial.data, [0.2, 0.4, 0.6, 0.8]);
    expect(result.steps.map((s) => s.layer)).toEqual([1, 2]);
    expect(result.gateMode).toBe("hard");
  });

  it("order matters", () => {
    const swapped = fuseLayerMaps([V1, V3, V2]);
    // (V1 + V3)·[1,1,0,0] = [1.2, 1.4, 0, 0]; (E + V2)·[0,1,0,1] = [0, 2.4, 0, 1].
    approx(swapped.steps[1]!.fused.data, [0, 2.4, 0, 1]);
  });

  it("one layer gives minmax(V1); size mismatches throw", () => {
    approx(fuseLayerMaps([V1]).map.data, Array.from(minmax(V1).data));
    expect(() => fuseLayerMaps([V1, createMap(1, 4)])).toThrow(/differ in size/);
    expect(() => fuseLayerMaps([])).toThrow(/at least one/);
  });

  it("soft gate by hand", () => {
    const result = fuseLayerMaps([V1, V2, V3], {gate: "soft"});
    expect(result.gateMode).toBe("soft");
    // V2: levels 0 and 256 → the first split is j = 1, t = 1/256; half the pixels are ≥ 1.5·t,
    // so t' = t. Gate = sigmoid(100·(V2 − 1/256)) = [g, 1, g, 1], g = sigmoid(−0.390625) ≈ 0.40357
    // (sigmoid(99.6) is 1 in float32).
    const g = sigmoid(-100 / 256);
    expect(g).toBeCloseTo(0.40357, 5);
    expect(result.steps[0]!.threshold).toBe(1 / 256);
    approx(result.steps[0]!.gate.data, [g, 1, g, 1]);
    approx(result.steps[0]!.fused.data, [0.2 * g, 1.4, 0.6 * g, 1.8]);
    // V3 likewise: gate [1, 1, g, g]; E = (E + V3)·gate.
    const fused = [0.2 * g + 1, 2.4, 0.6 * g * g, 1.8 * g];
    approx(result.steps[1]!.fused.data, fused);
    const lo = Math.min(...fused);
    approx(
      result.map.data,
      fused.map((v) => (v - lo) / (Math.max(...fused) - lo + 1e-6))
    );
  });
});

describe("colormap", () => {
  it("endpoints equal d3's interpolators; values clamp", () => {
    const out = colorize(createMap(4, 1, [0, 1, -3, 7]), "viridis");
    const lo = rgb(interpolateViridis(0));
    const hi = rgb(interpolateViridis(1));
    expect(Array.from(out.slice(0, 4))).toEqual([lo.r, lo.g, lo.b, 255]);
    expect(Array.from(out.slice(4, 8))).toEqual([hi.r, hi.g, hi.b, 255]);
    expect(Array.from(out.slice(8, 12))).toEqual(Array.from(out.slice(0, 4)));
    expect(Array.from(out.slice(12, 16))).toEqual(Array.from(out.slice(4, 8)));
    expect(Array.from(out.slice(0, 3))).toEqual([68, 1, 84]);
  });

  it("gray and custom domains", () => {
    expect(Array.from(colorize(createMap(2, 1, [0, 1]), "gray"))).toEqual([0, 0, 0, 255, 255, 255, 255, 255]);
    expect(Array.from(colorize(createMap(1, 1, [10]), "gray", {domain: [0, 20]}).slice(0, 3))).toEqual([128, 128, 128]);
    expect(colormapTable("turbo").length).toBe(256 * 3);
  });
});

describe("overlay", () => {
  const image = Uint8Array.from([10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120]); // 2x2 RGB
  const map: SaliencyMap = createMap(2, 2, [0, 1, 0.5, 0.25]);

  it("alpha 0 is the image, alpha 1 the coloured map", () => {
    const none = overlay(image, 3, 2, 2, map, {alpha: 0, colormap: "gray"});
    expect(Array.from(none)).toEqual([10, 20, 30, 255, 40, 50, 60, 255, 70, 80, 90, 255, 100, 110, 120, 255]);
    const full = overlay(image, 3, 2, 2, map, {alpha: 1, colormap: "viridis"});
    expect(Array.from(full)).toEqual(Array.from(colorize(map, "viridis")));
  });

  it("blends linearly, keeps RGBA alpha, resizes the map", () => {
    const rgba = Uint8Array.from([100, 100, 100, 7]);
    const half = overlay(rgba, 4, 1, 1, createMap(1, 1, [1]), {alpha: 0.5, colormap: "gray"});
    expect(Array.from(half)).toEqual([178, 178, 178, 7]); // 0.5·100 + 0.5·255 = 177.5 → 178
    const small = overlay(image, 3, 2, 2, createMap(1, 1, [1]), {alpha: 1, colormap: "gray"});
    expect(Array.from(small)).toEqual([255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255]);
  });
});
