import * as tf from "@tensorflow/tfjs";
import {beforeAll, describe, it} from "vitest";
import {expectCamClosedForm} from "../helpers/cam-closed-form.js";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

describe("XGrad-CAM", () => {
  it("equals the closed form with weights Σ_p A·g / Σ_p A", () =>
    expectCamClosedForm("xgradcam", ({g, sumA, camFrom}) => camFrom(g.map((gk, k) => (gk * sumA[k]!) / (sumA[k]! + 1e-7)))));
});
