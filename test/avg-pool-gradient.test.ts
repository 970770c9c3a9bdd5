/**
 * The exact AvgPool gradient (src/lib/kernels/avg-pool-gradient.ts) on cpu, wasm and WebGPU
 * (Dawn on SwiftShader), against a hand-computed case and two finite-difference references:
 * - float64: central differences of an independent float64 average pool (padding cells left out
 *   of the divisor, as every tfjs backend's forward pass does; checked against each backend's
 *   forward here) — tfjs has no float64, so this is the float64 reference;
 * - float32: central differences of the backend's own forward pass (all perturbations batched
 *   into one call), within 1e-3 relative.
 * The loss Σ w·avgPool(x) is linear in x, so central differences are exact up to rounding for
 * any step; a large step keeps float32 rounding small.
 */
import * as tf from "@tensorflow/tfjs";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {releaseWebGpu, selectNodeBackend} from "../loaders/backend.js";
import {findSwiftShaderIcd} from "../loaders/webgpu-node.js";
import {registerAveragePoolGradient} from "../src/lib/kernels/avg-pool-gradient.js";
import {CASES, describeCase, float64Gradient, referencePool, relativeError, values, type PoolCase} from "./helpers/avg-pool-reference.js";

/** Central differences of Σ w·avgPool(x) on the current backend, float32: all 2·|x| perturbed inputs in one batch. */
async function float32Gradient(x: Float64Array, weights: Float64Array, c: PoolCase): Promise<Float64Array> {
  const step = 0.5;
  const size = x.length;
  const batch = new Float32Array(2 * size * size);
  for (let i = 0; i < size; i++) {
    for (const [j, sign] of [
      [2 * i, 1],
      [2 * i + 1, -1]
    ] as const) {
      batch.set(x, j * size);
      batch[j * size + i] = x[i]! + sign * step;
    }
  }
  const [n, h, w, ch] = c.shape;
  const losses = tf.tidy(() => {
    const pooled = tf.avgPool(tf.tensor4d(batch, [2 * size * n, h, w, ch]), c.filter, c.stride, c.pad);
    const perImage = tf.reshape(pooled, [2 * size, -1]);
    return tf.sum(tf.mul(perImage, tf.tensor2d(Float32Array.from(weights), [1, weights.length])), 1);
  });
  const loss = await losses.data();
  losses.dispose();
  const gradient = new Float64Array(size);
  for (let i = 0; i < size; i++) gradient[i] = (loss[2 * i]! - loss[2 * i + 1]!) / (2 * step);
  return gradient;
}

/** tf.grad of Σ w·avgPool(x) on the current backend, and the forward output. */
async function tfjsGradient(x: Float64Array, weights: Float64Array, c: PoolCase): Promise<{gradient: Float32Array; forward: Float32Array}> {
  const [input, w] = [tf.tensor4d(Float32Array.from(x), c.shape), tf.tensor1d(Float32Array.from(weights))];
  const forward = tf.avgPool(input, c.filter, c.stride, c.pad);
  const gradient = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.reshape(tf.avgPool(t as tf.Tensor4D, c.filter, c.stride, c.pad), [-1]), w)))(input);
  const result = {gradient: (await gradient.data()) as Float32Array, forward: (await forward.data()) as Float32Array};
  tf.dispose([input, w, forward, gradient]);
  return result;
}

/** Largest errors per backend, printed at the end for the record. */
const worst = new Map<string, {float64: number; float32: number}>();

afterAll(() => {
  for (const [backend, e] of worst)
    console.log(`AvgPool gradient on ${backend}: max relative error vs float64 FD ${e.float64.toExponential(2)}, vs float32 FD ${e.float32.toExponential(2)}`);
  releaseWebGpu();
});

// tfjs's own gradient, captured before selectNodeBackend registers the exact one.
const builtInGradient = tf.getGradient(tf.AvgPool)!;

beforeAll(async () => {
  await selectNodeBackend("cpu");
});

describe("the built-in AvgPool gradient (the bug this replaces)", () => {
  it("gives a padded corner 4/9 instead of 1/4 + 1/6 + 1/6 + 1/9", async () => {
    const ours = tf.getGradient(tf.AvgPool)!;
    expect(ours).not.toBe(builtInGradient);
    tf.registerGradient(builtInGradient);
    try {
      const x = tf.ones([1, 4, 4, 1]);
      const g = tf.grad((t: tf.Tensor) => tf.sum(tf.avgPool(t as tf.Tensor4D, 3, 1, "same")))(x);
      expect((await g.data())[0]).toBeCloseTo(4 / 9, 6);
      tf.dispose([x, g]);
    } finally {
      tf.registerGradient(ours);
    }
  });
});

for (const backend of ["cpu", "wasm", "webgpu"] as const) {
  describe(`AvgPool gradient on ${backend}`, () => {
    beforeAll(async () => {
      if (backend === "webgpu" && !findSwiftShaderIcd()) {
        throw new Error("the WebGPU cases need Chromium's SwiftShader Vulkan driver: run scripts/ensure-chromium.sh or apt-get install -y chromium");
      }
      expect((await selectNodeBackend(backend)).backend).toBe(backend);
    });

    it("is the hand-computed one on a 4x4 input, 3x3 window, stride 1, same", async () => {
      const c = CASES[0]!;
      const {gradient} = await tfjsGradient(new Float64Array(16), new Float64Array(16).fill(1), c);
      // Cell (y, x) is in the windows centred on its 3x3 neighbourhood; a window centred at a
      // corner covers 4 cells, at an edge 6, inside 9.
      const share = (i: number) => (i === 0 || i === 3 ? 2 : 3);
      const expected = Array.from({length: 16}, (_, k) => {
        const [y, x] = [Math.floor(k / 4), k % 4];
        let sum = 0;
        for (let cy = Math.max(y - 1, 0); cy <= Math.min(y + 1, 3); cy++) {
          for (let cx = Math.max(x - 1, 0); cx <= Math.min(x + 1, 3); cx++) sum += 1 / (share(cy) * share(cx));
        }
        return sum;
      });
      expect(expected[0]).toBeCloseTo(1 / 4 + 1 / 6 + 1 / 6 + 1 / 9, 12);
      expect(expected[5]).toBeCloseTo((1 / 2 + 1 / 3 + 1 / 3) ** 2, 12);
      for (let k = 0; k < 16; k++) expect(gradient[k]).toBeCloseTo(expected[k]!, 6);
      // Every window passes on exactly its gradient of 1: the total is the window count.
      expect(gradient.reduce((a, b) => a + b, 0)).toBeCloseTo(16, 4);
    });

    for (const [index, c] of CASES.entries()) {
      it(`equals finite differences: ${describeCase(c)}`, async () => {
        const size = c.shape.reduce((a, b) => a * b, 1);
        const x = values(size, 100 + index);
        const reference = referencePool(x, c);
        const weights = values(reference.data.length, 200 + index);
        const {gradient, forward} = await tfjsGradient(x, weights, c);
        // The float64 reference is the backend's forward pass (same divisor rule).
        expect(relativeError(forward, reference.data)).toBeLessThan(1e-6);
        const e64 = relativeError(gradient, float64Gradient(x, weights, c));
        const e32 = relativeError(gradient, await float32Gradient(x, weights, c));
        expect(e64).toBeLessThan(1e-5);
        expect(e32).toBeLessThan(1e-3);
        const record = worst.get(backend) ?? {float64: 0, float32: 0};
        worst.set(backend, {float64: Math.max(record.float64, e64), float32: Math.max(record.float32, e32)});
      });
    }

    it("leaves valid pooling bit-identical to tfjs's kernel and leaks no tensors", async () => {
      const c = CASES[7]!;
      const size = c.shape.reduce((a, b) => a * b, 1);
      const x = tf.tensor4d(Float32Array.from(values(size, 5)), c.shape);
      const dyShape = referencePool(new Float64Array(size), c).shape;
      const dy = tf.tensor4d(
        Float32Array.from(
          values(
            dyShape.reduce((a, b) => a * b, 1),
            6
          )
        ),
        dyShape
      );
      const before = tf.memory().numTensors;
      const [ours, ofDy] = tf.grads((t: tf.Tensor, d: tf.Tensor) => tf.sum(tf.mul(tf.avgPool(t as tf.Tensor4D, c.filter, c.stride, c.pad), d)))([x, dy]);
      expect(tf.memory().numTensors).toBe(before + 2);
      const direct = tf.engine().runKernel(tf.AvgPoolGrad, {dy, input: x}, {filterSize: c.filter, strides: c.stride, pad: c.pad}) as tf.Tensor;
      const [a, b] = [await ours!.data(), await direct.data()];
      expect(Array.from(a)).toEqual(Array.from(b));
      tf.dispose([x, dy, ours!, ofDy!, direct]);
    });

    it("refuses a rounding mode that changes the output size, with a clear error", () => {
      const x = tf.ones([1, 4, 4, 1]) as tf.Tensor4D;
      expect(() => tf.grad((t: tf.Tensor) => tf.sum(tf.avgPool(t as tf.Tensor4D, 3, 2, 1, "ceil")))(x)).toThrow(
        /dimRoundingMode "ceil" changes the output size/
      );
      x.dispose();
    });
  });
}

describe("registration", () => {
  it("is idempotent", () => {
    registerAveragePoolGradient();
    const config = tf.getGradient(tf.AvgPool);
    registerAveragePoolGradient();
    expect(tf.getGradient(tf.AvgPool)).toBe(config);
  });
});
