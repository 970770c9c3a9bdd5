/**
 * Multi-label models (card `"score": "sigmoid"`): the class probability is the class's sigmoid.
 * Methods whose default score is the probability (RISE, Score-CAM, SISE, Ada-SISE) explain the
 * sigmoid, an explicit score still wins, and the bench's Y and O (Drop, Increase, curves) are
 * sigmoids too — the SISE paper's protocol on VOC.
 */
import * as tf from "@tensorflow/tfjs";
import {beforeAll, describe, expect, it} from "vitest";
import {selectNodeBackend} from "../loaders/backend.js";
import {imageContexts} from "../loaders/bench/image-context.js";
import {benchSettings} from "../loaders/bench/settings.js";
import {ExplainableModel} from "../src/lib/model/adapter.js";
import {metaFromCard} from "../src/lib/model/load.js";
import {METHODS} from "../src/lib/methods/registry.js";
import {residualModel, testImage} from "./helpers/tiny-models.js";

const classNames = ["a", "b", "c"];
const image = {...testImage(16, 16, 4), file: "x.png"};

beforeAll(async () => {
  await selectNodeBackend("wasm");
});

describe("a model whose card says score: sigmoid", () => {
  const multiLabel = () => new ExplainableModel(residualModel(16, 3, 2), {...metaFromCard({classes: classNames, score: "sigmoid"}, "card"), name: "m"});
  const singleLabel = () => new ExplainableModel(residualModel(16, 3, 2), {...metaFromCard({classes: classNames}, "card"), name: "s"});

  it("reads the card's score; a card without one is softmax; anything else is an error", () => {
    expect(multiLabel().probabilityMode).toBe("sigmoid");
    expect(singleLabel().probabilityMode).toBe("softmax");
    expect(() => metaFromCard({classes: classNames, score: "probit"}, "card.json")).toThrow(
      /malformed model card \(card\.json\): "score" must be "softmax" or "sigmoid", got "probit"/
    );
  });

  it("probability-scored methods explain the sigmoid by default (an explicit score wins); gradient methods keep the logit", async () => {
    const model = multiLabel();
    for (const name of ["rise", "scorecam", "sise", "adasise"]) {
      const result = await METHODS[name]!.explain(model, image, {classIndex: 1, masks: 16, maxMasks: 4});
      expect(result.score.mode, name).toBe("sigmoid");
      const logit = (await model.logits(tf.tensor4d(Float32Array.from(image.rgb), [1, 16, 16, 3])).data())[1]!;
      expect(result.score.value, name).toBeCloseTo(1 / (1 + Math.exp(-logit)), 5);
      expect((await METHODS[name]!.explain(model, image, {classIndex: 1, masks: 16, maxMasks: 4, score: "softmax"})).score.mode).toBe("softmax");
    }
    expect((await METHODS.gradcam!.explain(model, image, {classIndex: 1})).score.mode).toBe("logit");
    expect((await METHODS.sise!.explain(singleLabel(), image, {classIndex: 1, maxMasks: 4})).score.mode).toBe("softmax");
  });

  it("the bench's Y is the class's sigmoid (softmax for a single-label model)", async () => {
    const settings = benchSettings({quick: true, methods: []});
    const pixels = tf.tensor4d(Float32Array.from(image.rgb), [1, 16, 16, 3]);
    const logits = await multiLabel().logits(pixels).data();
    const [multi] = await imageContexts(multiLabel(), [{image, classIndex: 2, truth: null}], settings);
    expect(multi!.probability).toBeCloseTo(1 / (1 + Math.exp(-logits[2]!)), 5);
    expect((await multi!.score([multi!.pixels]))[0]).toBeCloseTo(multi!.probability, 5);
    const [single] = await imageContexts(singleLabel(), [{image, classIndex: 2, truth: null}], settings);
    const exps = Array.from(logits, (z) => Math.exp(z));
    expect(single!.probability).toBeCloseTo(exps[2]! / exps.reduce((a, b) => a + b, 0), 5);
    pixels.dispose();
  });
});
