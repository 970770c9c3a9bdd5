/**
 * Loading a model from files the reader picks or drops (components/models.ts, the Playground's
 * "files" source), with the File objects a browser hands over (Node 20 has the same class):
 * the committed vgg-shapes model must load with its card's class names and give the same logits
 * as the Node loader, and every missing or broken file must be named in the error.
 */
import {readFileSync} from "node:fs";
import {join} from "node:path";
import * as tf from "@tensorflow/tfjs";
import {beforeAll, describe, expect, it} from "vitest";
import {selectNodeBackend} from "../loaders/backend.js";
import {openModel} from "../loaders/model-files.js";
import {loadModelFromFiles} from "../src/components/models.js";

const DIR = join(import.meta.dirname, "..", "data", "models", "vgg-shapes");
const file = (name: string, bytes: Uint8Array<ArrayBuffer> | string = new Uint8Array(readFileSync(join(DIR, name)))) => new File([bytes], name);

beforeAll(async () => {
  await selectNodeBackend("wasm");
});

describe("a model from dropped files", () => {
  it("loads model.json + weights + card.json: the card's classes, and the Node loader's logits", async () => {
    const dropped = await loadModelFromFiles([file("weights.bin"), file("card.json"), file("model.json")]);
    const reference = await openModel(DIR);
    expect(dropped.model.meta.classNames).toEqual(reference.meta.classNames);
    expect(dropped.notes).toEqual([]);
    expect(dropped.source).toBe("dropped files (weights.bin, card.json, model.json)");
    const input = tf.randomUniform([2, reference.inputHeight, reference.inputWidth, 3], 0, 1, "float32", 3);
    const a = dropped.model.model.predict(input) as tf.Tensor;
    const b = reference.model.predict(input) as tf.Tensor;
    expect(tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]).toBe(0);
    tf.dispose([input, a, b]);
    dropped.model.model.dispose();
    reference.model.dispose();
  });

  it("without card.json: numbered classes and a note saying so", async () => {
    const dropped = await loadModelFromFiles([file("model.json"), file("weights.bin")]);
    expect(dropped.model.meta.classNames[0]).toBe("class 0");
    expect(dropped.notes.join(" ")).toMatch(/No card.json among the files/);
    dropped.model.model.dispose();
  });

  it("names what is missing or broken", async () => {
    await expect(loadModelFromFiles([file("weights.bin")])).rejects.toThrow(/no model.json among the 1 file\(s\) given \(weights.bin\)/);
    await expect(loadModelFromFiles([file("model.json")])).rejects.toThrow(/weights.bin.*drop it together with model.json/);
    await expect(loadModelFromFiles([file("model.json"), file("weights.bin"), file("card.json", "{not json")])).rejects.toThrow(/card.json is not valid JSON/);
  });
});
