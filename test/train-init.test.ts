/** Training from a trained model (--init): weights copied by layer name, any input size, clear errors. */
import {beforeAll, describe, expect, it} from "vitest";
import {selectNodeBackend} from "../loaders/backend.js";
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
    const copied = copyWeightsByName(target, source, "source");
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
});
