/**
 * Every method with its forward passes on ONNX Runtime (loaders/onnx/executor.ts) against the
 * same method on tfjs alone, on every committed model (face-expression on a committed photograph,
 * which the methods resize to its 112² input): maps within 1e-4 (max abs), the same class
 * and the same pass counts. Gradient passes stay on tfjs in both runs, so the difference comes only
 * from the masked inputs' logits (float rounding of two implementations). Quick settings keep the
 * run short; the passes they make are the same kind as at full size.
 */
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {selectNodeBackend} from "../loaders/backend.js";
import {readImageFile} from "../loaders/image-io.js";
import {openModel} from "../loaders/model-files.js";
import {listModels} from "../loaders/models/catalogue.js";
import {createForwardEngine, type ForwardEngine} from "../loaders/onnx/engine.js";
import {onnxPassExecutor} from "../loaders/onnx/executor.js";
import {quickOptions} from "../src/lib/explain/params.js";
import type {PassExecutor} from "../src/lib/explain/types.js";
import {METHODS} from "../src/lib/methods/registry.js";
import type {ExplainableModel} from "../src/lib/model/adapter.js";

const MAP_TOLERANCE = 1e-4;
/** Every committed model with an image of its kind: its test split's, or a committed photograph for a face-crop model. */
const MODELS = listModels("data/models").flatMap((entry) => {
  if (typeof entry.card?.testSplit === "object") return [{...entry, image: `${(entry.card.testSplit as {directory: string}).directory}/0001.png`}];
  return entry.card?.input === "face-crop" ? [{...entry, image: "data/photos/grace-hopper.jpg"}] : [];
});

beforeAll(async () => {
  expect((await selectNodeBackend("wasm")).backend).toBe("wasm");
});

describe.each(MODELS.map((entry) => entry.name))("%s: every method, forward passes on ONNX Runtime vs tfjs", (name) => {
  let model: ExplainableModel;
  let engine: ForwardEngine;
  let executor: PassExecutor;
  let scored = 0;
  const entry = MODELS.find((m) => m.name === name)!;
  const image = readImageFile(entry.image);

  beforeAll(async () => {
    model = await openModel(entry.directory);
    engine = await createForwardEngine(model, {engine: "onnx", threads: 1});
    const inner = onnxPassExecutor(model, engine);
    // Count the batches that really went to ONNX Runtime, so a method cannot pass by not using it.
    executor = {...inner, scoreBatch: (...args) => (scored++, inner.scoreBatch(...args))};
  });
  afterAll(async () => {
    await engine?.dispose();
    model?.dispose();
  });

  it.each(Object.keys(METHODS))("%s", async (method) => {
    // Extremal Perturbation makes no forward-only batch (its passes are gradient steps): 10 iterations suffice here.
    const options = {...quickOptions(METHODS[method]!.params), maxMasks: 24, iterations: 10};
    const before = scored;
    const onTfjs = await METHODS[method]!.explain(model, await image, options);
    const onOnnx = await METHODS[method]!.explain(model, await image, {...options, executor});
    expect(onOnnx.classIndex).toBe(onTfjs.classIndex);
    expect(onOnnx.passes).toEqual(onTfjs.passes);
    let worst = 0;
    onTfjs.map.data.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - onOnnx.map.data[i]!))));
    expect(worst, "largest per-pixel difference").toBeLessThanOrEqual(MAP_TOLERANCE);
    // The perturbation methods score their masked inputs through the executor.
    if (["rise", "scorecam", "sise", "adasise"].includes(method)) expect(scored).toBeGreaterThan(before);
  });
});
