/** Training from a trained model (--init): weights copied by layer name, any input size, clear errors. */
import {beforeAll, describe, expect, it} from "vitest";
import {selectNodeBackend} from "../loaders/backend.js";
import * as tf from "@tensorflow/tfjs";
import {buildResnet} from "../loaders/models/resnet.js";
import {buildVgg} from "../loaders/models/vgg.js";
import {copyWeightsByName} from "../loaders/train/init-weights.js";

const small = {filters: [4, 4, 8, 8, 8], convsPerBlock: [1, 1, 1, 1, 1]} as const;

beforeAll(async () => {
  await selectNodeBackend("wasm");
});

describe("copyWeightsByName", () => {
  it("starts a 64x64 model from a 32x32 one (global pooling: same weight shapes): every weight equal", async () => {
    const source = buildVgg({classes: 3, seed: 1, inputSize: 32, ...small});
    const target = buildVgg({classes: 3, seed: 2, inputSize: 64, ...small});
    const {copied, grownBlocks} = copyWeightsByName(target, source, "source");
    expect(grownBlocks).toEqual([]);
    expect(copied).toBe(source.getWeights().length);
    source.getWeights().forEach((w, i) => expect(Array.from(target.getWeights()[i]!.dataSync())).toEqual(Array.from(w.dataSync())));
    source.dispose();
    target.dispose();
  });

  it("names the layer whose weights do not fit, and a layer the source lacks", () => {
    const source = buildVgg({classes: 3, seed: 1, inputSize: 32, ...small});
    const otherClasses = buildVgg({classes: 4, seed: 1, inputSize: 32, ...small});
    expect(() => copyWeightsByName(otherClasses, source, "m")).toThrow(/--init m: layer "logits" has weights \[8, 3\] \[3\], this model needs \[8, 4\] \[4\]/);
    const deeper = buildVgg({classes: 3, seed: 1, inputSize: 32, filters: [4, 4, 8, 8, 8], convsPerBlock: [1, 1, 1, 1, 2]});
    expect(() => copyWeightsByName(deeper, source, "m")).toThrow(/--init m: it has no layer "block5_conv2"/);
    source.dispose();
    otherClasses.dispose();
    deeper.dispose();
  });

  it("grows a ResNet: whole new residual blocks start as the identity, so the grown net computes what the source did", () => {
    const shape = {classes: 3, inputSize: 32, stemFilters: 4, stageFilters: [4, 8, 8]} as const;
    const source = buildResnet({...shape, seed: 1, blocksPerStage: [1, 1, 1]});
    const grown = buildResnet({...shape, seed: 2, blocksPerStage: [1, 2, 2]});
    // Train-like moving statistics, so inference-mode batch norm is not the identity by accident.
    for (const layer of source.layers.filter((l) => l.name.endsWith("_bn"))) {
      const [gamma, beta, mean, variance] = layer.getWeights() as tf.Tensor[];
      layer.setWeights([gamma!.add(0.3), beta!.add(0.1), mean!.add(0.2), variance!.mul(1.5)]);
    }
    const {copied, grownBlocks} = copyWeightsByName(grown, source, "small");
    expect(copied).toBe(source.getWeights().length);
    expect(grownBlocks).toEqual(["conv3_block2", "conv4_block2"]);
    const input = tf.randomUniform([2, 32, 32, 3], 0, 1, "float32", 5);
    const expected = (source.predict(input) as tf.Tensor).arraySync() as number[][];
    const actual = (grown.predict(input) as tf.Tensor).arraySync() as number[][];
    actual.flat().forEach((v, i) => expect(v).toBeCloseTo(expected.flat()[i]!, 5));
    // A grown block is not a copy: its convolutions keep their own (fresh) weights.
    expect(grown.getLayer("conv4_block2_1_conv").getWeights()[0]!.abs().sum().dataSync()[0]).toBeGreaterThan(0);
    tf.dispose([input]);
    source.dispose();
    grown.dispose();
  });

  it("refuses a missing layer inside a block the source has, and a new block that changes shape", () => {
    const source = buildResnet({classes: 3, inputSize: 32, stemFilters: 4, stageFilters: [4, 8], blocksPerStage: [1, 1], seed: 1});
    const wider = buildResnet({classes: 3, inputSize: 32, stemFilters: 4, stageFilters: [4, 8, 8], blocksPerStage: [1, 1, 1], seed: 1});
    expect(() => copyWeightsByName(wider, source, "m")).toThrow(/new block "conv4_block1" changes shape/);
    source.dispose();
    wider.dispose();
  });
});
