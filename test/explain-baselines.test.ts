/** The integration path shared by Integrated Gradients and Integrated Grad-CAM. */
import {describe, expect, it} from "vitest";
import {pathFractions} from "../src/lib/explain/baselines.js";

describe("integration path", () => {
  it("path fractions: j/m for j = 1..m (paper), j = 0..m−1 (code)", () => {
    expect([...pathFractions(4)]).toEqual([0.25, 0.5, 0.75, 1]); // paper, integrated weights, IG
    expect([...pathFractions(4, true)]).toEqual([0, 0.25, 0.5, 0.75]); // the authors' code
  });
});
