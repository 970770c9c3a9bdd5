import * as tf from "@tensorflow/tfjs";
import {beforeAll, describe, it} from "vitest";
import {expectCamClosedForm} from "../helpers/cam-closed-form.js";
import {relu} from "../helpers/reference-cases.js";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

describe("Grad-CAM++", () => {
  it("equals the closed form with α = g²/(2g² + Σ_p A·g³)", () =>
    expectCamClosedForm("gradcampp", ({g, sumA, camFrom}) =>
      camFrom(g.map((gk, k) => (gk === 0 ? 0 : 16 * ((gk * gk) / (2 * gk * gk + sumA[k]! * gk ** 3 + 1e-6)) * relu(gk))))
    ));
});
