import {splitAt} from "./helpers/split.js";
import * as tf from "@tensorflow/tfjs";
import {beforeAll, describe, expect, it} from "vitest";
import {ExplainableModel} from "../src/lib/model/adapter.js";
import {preprocess} from "../src/lib/model/preprocessing.js";
import {nestedModel, residualModel} from "./helpers/tiny-models.js";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

function randomPixels(n: number, size: number, seed: number): tf.Tensor4D {
  return tf.randomUniform([n, size, size, 3], 0, 255, "float32", seed) as tf.Tensor4D;
}

async function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): Promise<number> {
  const d = tf.max(tf.abs(tf.sub(a, b)));
  const v = (await d.data())[0]!;
  d.dispose();
  return v;
}

describe("layer listing and block ends", () => {
  it("marks 4-D layers and the SISE block ends of a residual model", () => {
    const model = new ExplainableModel(residualModel());
    expect(model.layers.map((l) => l.name)).toContain("block1_add");
    expect(model.layers.find((l) => l.name === "gap")!.camCapable).toBe(false);
    expect(model.layers.find((l) => l.name === "block1_out")!.outputShape).toEqual([16, 16, 8]);
    // Enters max pooling; enters a stride-2 conv; last 4-D tensor before global pooling.
    expect(model.blockEnds).toEqual(["block1_out", "pool1", "block2_out"]);
    expect(model.defaultCamLayer).toBe("block2_out");
    expect(model.outputActivation).toBe("softmax");
  });

  it("flattens nested models with qualified names", () => {
    const model = new ExplainableModel(nestedModel());
    expect(model.camLayers).toContain("backbone/block1_add");
    expect(model.blockEnds).toEqual(["backbone/block1_out", "backbone/pool1", "head_conv"]);
  });
});

describe("split", () => {
  it("head(activations(x)) equals the model at every CAM layer, skip connections included", async () => {
    const model = new ExplainableModel(residualModel());
    const x = randomPixels(2, 16, 3);
    const reference = model.model.predict(tf.div(x, 255)) as tf.Tensor;
    for (const layer of model.camLayers) {
      const split = splitAt(model, layer);
      const a = split.activations(x);
      const logits = split.headNeedsInput ? split.head(a, x) : split.head(a);
      const probabilities = tf.softmax(logits);
      expect(await maxAbsDiff(probabilities, reference), layer).toBeLessThan(1e-5);
      tf.dispose([a, logits, probabilities]);
    }
    expect(splitAt(model, "block1_dw").headNeedsInput).toBe(true);
    expect(splitAt(model, "block1_out").headNeedsInput).toBe(false);
    tf.dispose([x, reference]);
  });

  it("reports when a skip connection needs the input", () => {
    const model = new ExplainableModel(residualModel());
    const split = splitAt(model, "block1_conv1");
    const a = tf.zeros([1, 16, 16, 8]) as tf.Tensor4D;
    expect(() => split.head(a)).toThrow(/skip connection bypasses layer "block1_conv1"/);
    a.dispose();
  });

  it("splits inside a nested model", async () => {
    const model = new ExplainableModel(nestedModel());
    const x = randomPixels(1, 16, 4);
    const reference = model.model.predict(tf.div(x, 255)) as tf.Tensor;
    const split = splitAt(model, "backbone/block1_out");
    const a = split.activations(x);
    const logits = split.head(a);
    expect(await maxAbsDiff(logits, reference)).toBeLessThan(1e-5);
    tf.dispose([x, reference, a, logits]);
  });
});

describe("probe gradients", () => {
  it("match central finite differences through the split head (total derivative across layers)", async () => {
    const model = new ExplainableModel(residualModel());
    const x = randomPixels(1, 16, 5);
    const classIndex = 1;
    const probe = model.probe(x, {layers: ["stem_relu", "block1_out"], classIndex, score: "logit", inputGradient: true});
    for (const [i, layer] of ["stem_relu", "block1_out"].entries()) {
      const split = splitAt(model, layer);
      const a = probe.activations[i]!;
      const grad = await probe.gradients![i]!.data();
      const values = await a.data();
      const shape = a.shape;
      // Perturb a handful of elements where the activation is positive (away from ReLU kinks).
      const positions = [...values.keys()].filter((k) => values[k]! > 0.05).slice(0, 6);
      expect(positions.length).toBeGreaterThan(2);
      for (const k of positions) {
        const eps = 1e-2;
        const score = (delta: number) =>
          tf.tidy(() => {
            const bumped = values.slice();
            bumped[k] = bumped[k]! + delta;
            const logits = split.head(tf.tensor4d(bumped, shape), x);
            return logits.slice([0, classIndex], [1, 1]).dataSync()[0]!;
          });
        const numeric = (score(eps) - score(-eps)) / (2 * eps);
        expect(grad[k]!).toBeCloseTo(numeric, 2);
      }
    }
    // Pixel gradient against finite differences on the input.
    const inputGrad = await probe.inputGradient!.data();
    const pixels = await x.data();
    for (const k of [0, 100, 377, 700]) {
      const score = (delta: number) =>
        tf.tidy(() => {
          const bumped = pixels.slice();
          bumped[k] = bumped[k]! + delta;
          return model.logits(tf.tensor4d(bumped, x.shape)).slice([0, classIndex], [1, 1]).dataSync()[0]!;
        });
      const numeric = (score(0.5) - score(-0.5)) / 1.0;
      expect(inputGrad[k]!).toBeCloseTo(numeric, 3);
    }
    tf.dispose([x, probe.logits, probe.scores!, probe.classes!, ...probe.activations, ...probe.gradients!, probe.inputGradient!]);
  });

  it("without an input gradient, stops the backward pass at the shallowest probed layer (same gradients)", async () => {
    const model = new ExplainableModel(residualModel());
    const x = randomPixels(2, 16, 7);
    const request = {layers: ["block1_out", "block2_out"], classIndex: 2, score: "logit"} as const;
    const full = model.probe(x, {...request, inputGradient: true});
    let partial: ReturnType<typeof model.probe> | null = null;
    const backwardKernels = async (run: () => void) =>
      (await tf.profile(run)).kernels.filter((k) => k.name === "Conv2DBackpropInput" || k.name === "DepthwiseConv2dNativeBackpropInput").length;
    const withPixels = await backwardKernels(() => tf.dispose(Object.values(model.probe(x, {...request, inputGradient: true})).flat() as tf.Tensor[]));
    const withoutPixels = await backwardKernels(() => {
      partial = model.probe(x, request);
    });
    // The stem's convolutions lie below block1_out: their input gradients are no longer taken.
    expect(withoutPixels).toBeLessThan(withPixels);
    expect(partial!.inputGradient).toBeUndefined();
    for (const [i, g] of partial!.gradients!.entries()) expect(await g.data()).toEqual(await full.gradients![i]!.data());
    tf.dispose([x, ...(Object.values(full).flat() as tf.Tensor[]), ...(Object.values(partial!).flat() as tf.Tensor[])]);
  });

  it("takes no weight gradients: the layers model's own input gradient, without Conv2DBackpropFilter", async () => {
    const layers = residualModel();
    const model = new ExplainableModel(layers);
    const x = randomPixels(2, 16, 8);
    const kernelsOf = async (run: () => tf.Tensor) => (await tf.profile(run)).kernels.map((k) => k.name);
    let probe: ReturnType<typeof model.probe> | null = null;
    const probeKernels = await kernelsOf(() => {
      probe = model.probe(x, {layers: ["block1_out"], classIndex: 1, score: "softmax", inputGradient: true});
      return probe.inputGradient!;
    });
    expect(probeKernels).toContain("Conv2DBackpropInput");
    expect(probeKernels).not.toContain("Conv2DBackpropFilter");
    // Reference: tfjs-layers' own apply, whose fused convolutions' gradients take the filter's too.
    const layersKernels = await kernelsOf(() =>
      tf.grad((p: tf.Tensor) => tf.sum(tf.slice(layers.apply(preprocess(p, model.meta.preprocessing)) as tf.Tensor, [0, 1], [-1, 1])))(x)
    );
    expect(layersKernels).toContain("Conv2DBackpropFilter");
    const reference = tf.grad((p: tf.Tensor) => tf.sum(tf.slice(layers.apply(preprocess(p, model.meta.preprocessing)) as tf.Tensor, [0, 1], [-1, 1])))(x);
    const [got, want] = [await probe!.inputGradient!.data(), await reference.data()];
    want.forEach((v, i) => expect(got[i]).toBeCloseTo(v, 6));
    tf.dispose([x, reference, ...(Object.values(probe!).flat() as tf.Tensor[])]);
  });

  it("chooses the top class in-graph and leaks no tensors", async () => {
    const model = new ExplainableModel(residualModel());
    const x = randomPixels(3, 16, 6);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) {
      const probe = model.probe(x, {layers: ["block2_out"], classIndex: "top", score: "softmax"});
      const classes = await probe.classes!.data();
      const logits = await probe.logits.array();
      logits.forEach((row, n) => expect(classes[n]).toBe(row.indexOf(Math.max(...row))));
      tf.dispose([probe.logits, probe.scores!, probe.classes!, ...probe.activations, ...probe.gradients!]);
    }
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });
});

describe("bad input", () => {
  const model = new ExplainableModel(residualModel());
  it("names unknown layers", () => {
    expect(() => splitAt(model, "no_such_layer")).toThrow(/layer "no_such_layer" does not exist/);
  });
  it("rejects layers that are not 4-D", () => {
    expect(() => splitAt(model, "gap")).toThrow(/explanations need a 4-D layer/);
  });
  it("rejects classes out of range", () => {
    const x = tf.zeros([1, 16, 16, 3]) as tf.Tensor4D;
    expect(() => model.probe(x, {layers: ["block2_out"], classIndex: 3})).toThrow(/class index 3 is out of range/);
    expect(() => model.probe(x, {layers: ["block2_out"], classIndex: -1})).toThrow(/out of range/);
    x.dispose();
  });
  it("rejects class-name lists of the wrong length", () => {
    expect(() => new ExplainableModel(residualModel(), {classNames: ["a"]})).toThrow(/3 outputs but 1 class names/);
  });
});
