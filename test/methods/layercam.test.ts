import * as tf from "@tensorflow/tfjs";
import {beforeAll, describe, it} from "vitest";
import {expectCamClosedForm} from "../helpers/cam-closed-form.js";
import {minmax, relu} from "../helpers/reference-cases.js";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

describe("LayerCAM", () => {
  it("equals the closed form ReLU(Σ_k ReLU(g_k)·A_k)", () =>
    expectCamClosedForm("layercam", ({A, g}) => minmax(Array.from({length: 16}, (_, p) => relu(relu(g[0]!) * A[0]![p]! + relu(g[1]!) * A[1]![p]!)))));
});
