/**
 * The DOM-free logic behind the live pages: the backend probe's choice and batch pacing
 * (src/components/pace.ts) and the compact map exports (src/components/map-export.ts).
 */
import * as tf from "@tensorflow/tfjs";
import {beforeAll, describe, expect, it} from "vitest";
import {ExplainableModel} from "../src/lib/model/adapter.js";
import {defaultBatchSize} from "../src/lib/explain/params.js";
import {BATCH_TARGET_MS, fastest, pacedBatchSize, pacedOptions, timeModel, type ProbeTiming} from "../src/components/pace.js";
import {base64, decodeMap, encodeMap, float16Bits, float16Value, fromBase64, mapRecord, npyBytes} from "../src/components/map-export.js";
import type {Explanation} from "../src/lib/explain/types.js";

const timing = (backend: string, forwardMs: number, backwardMs: number): ProbeTiming => ({backend, forwardMs, backwardMs, warmupMs: 0});

describe("backend probe and pacing", () => {
  let model: ExplainableModel;
  beforeAll(async () => {
    await tf.setBackend("cpu");
    const input = tf.input({shape: [16, 16, 3]});
    const conv = tf.layers.conv2d({filters: 4, kernelSize: 3, padding: "same", activation: "relu", name: "conv"}).apply(input) as tf.SymbolicTensor;
    const pool = tf.layers.globalAveragePooling2d({}).apply(conv) as tf.SymbolicTensor;
    const out = tf.layers.dense({units: 3}).apply(pool) as tf.SymbolicTensor;
    model = new ExplainableModel(tf.model({inputs: input, outputs: out}), {name: "pace-test"});
  });

  it("keeps the candidate with the least forward + backward time", () => {
    expect(fastest([timing("webgl", 30, 90), timing("wasm", 5, 20), timing("webgpu", 4, 40)])?.backend).toBe("wasm");
    expect(fastest([])).toBeNull();
  });

  it("sizes batches to the target time, within the memory cap and at least 1", () => {
    expect(pacedBatchSize(10, 256)).toBe(Math.floor(BATCH_TARGET_MS / 10));
    expect(pacedBatchSize(0.01, 256)).toBe(256);
    expect(pacedBatchSize(10_000, 256)).toBe(1);
    expect(pacedBatchSize(NaN, 64)).toBe(64);
  });

  it("gives each method's batch parameter a paced size, and nothing to methods without one", () => {
    const slow = timing("cpu", 50, 100);
    expect(pacedOptions("sise", model, slow)).toEqual({batchSize: 3});
    expect(pacedOptions("igcam", model, slow)).toEqual({batchSize: 1});
    expect(pacedOptions("gradcam", model, slow)).toEqual({});
    expect(pacedOptions("sise", model, null)).toEqual({});
    expect(pacedOptions("sise", model, timing("cpu", 1e-6, 1e-6)).batchSize).toBe(defaultBatchSize(model, "forward"));
  });

  it("times a real forward and backward pass and leaves no tensor behind", async () => {
    const before = tf.memory().numTensors;
    const t = await timeModel(model);
    expect(tf.memory().numTensors).toBe(before);
    expect(t.backend).toBe("cpu");
    expect(t.forwardMs).toBeGreaterThan(0);
    expect(t.backwardMs).toBeGreaterThan(0);
  });
});

describe("map exports", () => {
  it("rounds to the nearest half float, ties to even, with subnormals, infinities and NaN", () => {
    expect(float16Bits(0)).toBe(0);
    expect(float16Bits(-0)).toBe(0x8000);
    expect(float16Bits(1)).toBe(0x3c00);
    expect(float16Bits(0.5)).toBe(0x3800);
    expect(float16Bits(65504)).toBe(0x7bff);
    expect(float16Bits(1e6)).toBe(0x7c00);
    expect(float16Bits(2 ** -24)).toBe(1);
    expect(float16Bits(2 ** -26)).toBe(0);
    expect(float16Bits(1 + 2 ** -11)).toBe(0x3c00); // a tie: to the even mantissa
    expect(float16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02);
    expect(float16Value(float16Bits(NaN))).toBeNaN();
    expect(float16Value(0x7c00)).toBe(Infinity);
    for (let i = 0; i <= 1000; i++) {
      const v = i / 1000;
      expect(Math.abs(float16Value(float16Bits(v)) - v)).toBeLessThanOrEqual(2 ** -12);
    }
  });

  it("base64 round-trips every length", () => {
    for (let n = 0; n < 10; n++) {
      const bytes = Uint8Array.from({length: n}, (_, i) => (i * 97 + 13) & 255);
      expect(Buffer.from(base64(bytes), "base64")).toEqual(Buffer.from(bytes));
      expect(fromBase64(base64(bytes))).toEqual(bytes);
    }
  });

  it("encodes a map compactly and decodes it within half-float precision", () => {
    const map = {width: 768, height: 576, data: Float32Array.from({length: 768 * 576}, (_, i) => ((i * 7919) % 1000) / 999)};
    const encoded = encodeMap(map);
    expect(encoded.shape).toEqual([576, 768]);
    expect(encoded.data.length).toBe(Math.ceil((768 * 576 * 2) / 3) * 4);
    const back = decodeMap(encoded);
    let worst = 0;
    for (let i = 0; i < map.data.length; i++) worst = Math.max(worst, Math.abs(back.data[i]! - map.data[i]!));
    expect(worst).toBeLessThanOrEqual(2 ** -12);
    const record = mapRecord(
      {
        method: "gradcam",
        map,
        classIndex: 1,
        className: "b",
        score: {mode: "logit", value: 1},
        layer: "conv",
        options: {},
        backend: "cpu",
        timings: {totalMs: 1},
        passes: {forward: 1, backward: 1},
        intermediates: {big: new Float32Array(10)}
      } as Explanation,
      {model: "m", image: "i"}
    );
    expect(record.intermediates).toBeUndefined();
    // The whole record of a 768×576 map stays near 1.2 MB (a number list was 4 MB).
    expect(JSON.stringify(record).length).toBeLessThan(1.25e6);
    expect(() => decodeMap({...encoded, data: encoded.data.slice(8)})).toThrow(/bytes/);
  });

  it("writes a NumPy 1.0 file: magic, 64-byte aligned header, exact float32 values", () => {
    const map = {width: 3, height: 2, data: Float32Array.from([0, 0.25, 0.5, 0.75, 1, 0.125])};
    const bytes = npyBytes(map);
    expect(Array.from(bytes.subarray(0, 8))).toEqual([0x93, 78, 85, 77, 80, 89, 1, 0]);
    const headerLength = bytes[8]! | (bytes[9]! << 8);
    expect((10 + headerLength) % 64).toBe(0);
    const header = new TextDecoder().decode(bytes.subarray(10, 10 + headerLength));
    expect(header).toMatch(/^\{'descr': '<f4', 'fortran_order': False, 'shape': \(2, 3\), \} *\n$/);
    expect(Array.from(new Float32Array(bytes.slice(10 + headerLength).buffer))).toEqual(Array.from(map.data));
  });
});
