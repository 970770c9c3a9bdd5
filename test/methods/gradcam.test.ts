import * as tf from "@tensorflow/tfjs";
import {beforeAll, describe, it} from "vitest";
import {expectCamClosedForm} from "../helpers/cam-closed-form.js";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

describe("Grad-CAM", () => {
  it("equals the closed form ReLU(Σ_k mean(∂y/∂A_k)·A_k)", () => expectCamClosedForm("gradcam", ({g, camFrom}) => camFrom(g)));
});
