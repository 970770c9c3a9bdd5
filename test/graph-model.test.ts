import {splitAt} from "./helpers/split.js";
import * as tf from "@tensorflow/tfjs";
import {beforeAll, describe, expect, it} from "vitest";
import {ExplainableModel} from "../src/lib/model/adapter.js";
import {getMethod} from "../src/lib/methods/registry.js";
import {equivalentLayersModel, tinyGraphModel} from "./helpers/tiny-graph-model.js";
import {testImage} from "./helpers/tiny-models.js";

let graphModel: ExplainableModel;
let layersModel: ExplainableModel;

beforeAll(async () => {
  await tf.setBackend("cpu");
  graphModel = new ExplainableModel(await tinyGraphModel(), {classNames: ["a", "b", "c"]});
  layersModel = new ExplainableModel(equivalentLayersModel(), {classNames: ["a", "b", "c"]});
});

describe("GraphModel adapter", () => {
  it("lists ops with shapes and finds the block ends", () => {
    expect(graphModel.layers.map((l) => [l.name, l.className, l.outputShape])).toContainEqual(["relu1", "Relu", [4, 4, 2]]);
    expect(graphModel.blockEnds).toEqual(["relu1", "relu2"]);
    expect(graphModel.outputActivation).toBe("softmax");
  });

  it("gives the same logits, split and Grad-CAM as the equivalent LayersModel", async () => {
    const x = tf.tensor4d(Float32Array.from(testImage(4, 4, 9).rgb), [1, 4, 4, 3]);
    const a = graphModel.logits(x);
    const b = layersModel.logits(x);
    expect((await tf.max(tf.abs(tf.sub(a, b))).data())[0]).toBeLessThan(1e-5);
    const split = splitAt(graphModel, "pool");
    const head = split.head(split.activations(x));
    expect((await tf.max(tf.abs(tf.sub(head, b))).data())[0]).toBeLessThan(1e-5);
    for (const layer of ["relu1", "relu2"]) {
      for (const method of ["gradcam", "gradcampp", "layercam"]) {
        const fromGraph = await getMethod(method).explain(graphModel, testImage(4, 4, 9), {layer, classIndex: 1});
        const fromLayers = await getMethod(method).explain(layersModel, testImage(4, 4, 9), {layer, classIndex: 1});
        [...fromGraph.map.data].forEach((v, i) => expect(v).toBeCloseTo(fromLayers.map.data[i]!, 5));
      }
    }
    tf.dispose([x, a, b, head]);
  });

  it("probes several layers and the input with the same gradients as the LayersModel", async () => {
    const x = tf.tensor4d(Float32Array.from(testImage(4, 4, 11).rgb), [1, 4, 4, 3]);
    const request = {layers: ["relu1", "relu2"], classIndex: 2, score: "softmax" as const, inputGradient: true};
    const g = graphModel.probe(x, request);
    const l = layersModel.probe(x, request);
    for (let i = 0; i < 2; i++) {
      const diff = (await tf.max(tf.abs(tf.sub(g.gradients![i]!, l.gradients![i]!))).data())[0]!;
      expect(diff).toBeLessThan(1e-6);
    }
    expect((await tf.max(tf.abs(tf.sub(g.inputGradient!, l.inputGradient!))).data())[0]).toBeLessThan(1e-7);
    expect(Math.max(...(await l.inputGradient!.abs().data()))).toBeGreaterThan(0);
  });

  it("rejects unknown nodes", () => {
    expect(() => splitAt(graphModel, "nope")).toThrow(/layer "nope" does not exist/);
  });
});
