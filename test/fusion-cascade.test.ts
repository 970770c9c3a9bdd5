/** SISE's step 6: the layer maps fused shallow to deep through Otsu gates. */
import {describe, expect, it} from "vitest";
import {fuseLayerMaps} from "../src/lib/maps/fusion.js";

const map4 = (data: number[]) => ({width: 2, height: 2, data: Float32Array.from(data)});

describe("step 6: Otsu gates and cascade order", () => {
  it("E = (E + V_b)·[V_b > otsu(V_b)], shallow to deep: the order changes the result", () => {
    const v1 = map4([0.2, 0.4, 0.6, 0.8]);
    const v2 = map4([0.999, 0, 0, 0]);
    // otsu(v2): bins 0 and 255 → first best edge 1/256 → gate [1,0,0,0]; E = [1.199, 0, 0, 0].
    const forward = fuseLayerMaps([v1, v2]);
    expect(forward.steps[0]!.threshold).toBe(1 / 256);
    expect([...forward.steps[0]!.gate.data]).toEqual([1, 0, 0, 0]);
    [1.199, 0, 0, 0].forEach((v, i) => expect(forward.steps[0]!.fused.data[i]).toBeCloseTo(v, 6));
    // otsu(v1): bins 51, 102, 153, 204 → split {0.2, 0.4} | {0.6, 0.8} at edge 103/256; E = [0, 0, 0.6, 0.8].
    const backward = fuseLayerMaps([v2, v1]);
    expect(backward.steps[0]!.threshold).toBe(103 / 256);
    [0, 0, 0.6, 0.8].forEach((v, i) => expect(backward.steps[0]!.fused.data[i]).toBeCloseTo(v, 6));
    expect(backward.map.data[2]).toBeCloseTo(0.75, 5);
    expect(forward.map.data[2]).toBe(0);
  });
});
