/**
 * The engine on WebGPU in Node (Dawn from the `webgpu` package, on Chromium's SwiftShader Vulkan
 * driver here) against wasm, plus the Node backend selector's choices.
 *
 * Tolerance: every registered method runs on the same seeded model and image on both backends;
 * maps are min-max normalised to [0, 1] and both backends compute in float32, differing only in
 * summation order and fused kernels (measured: under 1e-6 per pixel). A map passes when every
 * pixel is within MAP_TOLERANCE = 1e-4 of the wasm map and the explained class is the same.
 *
 * Needs Chromium's SwiftShader ICD (scripts/ensure-chromium.sh, or `apt-get install chromium`):
 * without it the suite fails with that instruction rather than skipping, so CI cannot pass it
 * silently. tfjs backends are process-global: this file keeps all its backend switching to itself.
 */
import * as tf from "@tensorflow/tfjs";
import {afterAll, beforeAll, describe, expect, it, vi} from "vitest";
import {releaseWebGpu, selectNodeBackend} from "../loaders/backend.js";
import {findSwiftShaderIcd, isSoftwareAdapter, loadDawn, useVulkanIcd, webgpuUnavailableReason} from "../loaders/webgpu-node.js";
import {ExplainableModel} from "../src/lib/model/adapter.js";
import {METHODS} from "../src/lib/methods/registry.js";
import type {Explanation} from "../src/lib/explain/types.js";
import {tinyGraphModel} from "./helpers/tiny-graph-model.js";
import {residualModel, testImage} from "./helpers/tiny-models.js";

const MAP_TOLERANCE = 1e-4;
/** Small settings so SwiftShader (a CPU rasteriser) runs every method in seconds; other methods ignore the keys. */
const CHEAP_OPTIONS = {steps: 8, masks: 64, seed: 3, iterations: 5};
const METHOD_NAMES = Object.keys(METHODS);
const image = testImage(20, 12, 7); // not the model's size: the upsampling runs on the backend too

/** Weights come from seeded initialisers, so building the model under each backend gives the same network (and no cross-backend reads). */
const buildModel = () => new ExplainableModel(residualModel(16, 3, 2), {name: "tiny", classNames: ["a", "b", "c"]});

/**
 * A GraphModel runs through another runner (GraphModel.execute): a few methods on it too. Not
 * SISE: its first layer is a ReLU before a max pool with all-zero windows, where the wasm
 * backend's MaxPoolGrad loses gradient (see the known-bug test below), so wasm's α differ.
 */
const GRAPH_METHODS = ["gradcam", "igcam", "sise"].filter((name) => name in METHODS);
const graphImage = testImage(6, 5, 3);
const buildGraphModel = async () => new ExplainableModel(await tinyGraphModel(), {name: "tiny graph"});

const wasmResults = new Map<string, Explanation>();
const wasmGraphResults = new Map<string, Explanation>();

beforeAll(async () => {
  const icd = findSwiftShaderIcd();
  if (!icd) {
    throw new Error(
      "WebGPU tests need Chromium's SwiftShader Vulkan driver (vk_swiftshader_icd.json, e.g. /usr/lib/chromium/): " +
        "run scripts/ensure-chromium.sh or `apt-get install -y chromium`, or set SALIENCY_SWIFTSHADER_ICD"
    );
  }
  if (!(await loadDawn())) {
    throw new Error(`WebGPU tests need the optional package "webgpu" (npm install): ${webgpuUnavailableReason()}`);
  }
  expect((await selectNodeBackend("wasm")).backend).toBe("wasm");
  const model = buildModel();
  for (const name of METHOD_NAMES) wasmResults.set(name, await METHODS[name]!.explain(model, image, CHEAP_OPTIONS));
  const graphModel = await buildGraphModel();
  for (const name of GRAPH_METHODS) wasmGraphResults.set(name, await METHODS[name]!.explain(graphModel, graphImage, CHEAP_OPTIONS));
});

/** Largest per-pixel difference between two maps of the same size. */
function maxDifference(a: Explanation, b: Explanation): number {
  expect([a.map.width, a.map.height]).toEqual([b.map.width, b.map.height]);
  let worst = 0;
  for (let i = 0; i < a.map.data.length; i++) worst = Math.max(worst, Math.abs(a.map.data[i]! - b.map.data[i]!));
  return worst;
}

// Dawn's instance may keep the worker from exiting (the `webgpu` package warns of it).
afterAll(() => releaseWebGpu());

describe("software adapter detection", () => {
  it("recognises CPU drivers by name or fallback flag, and real GPUs as hardware", () => {
    expect(isSoftwareAdapter({vendor: "google", architecture: "swiftshader", description: "SwiftShader driver 5.0.0"}, false)).toBe(true);
    expect(isSoftwareAdapter({vendor: "mesa", description: "llvmpipe (LLVM 15.0.6, 256 bits)"}, false)).toBe(true);
    expect(isSoftwareAdapter({vendor: "nvidia", architecture: "hopper", description: "NVIDIA H100 80GB HBM3"}, true)).toBe(true);
    expect(isSoftwareAdapter({vendor: "nvidia", architecture: "hopper", description: "NVIDIA H100 80GB HBM3"}, false)).toBe(false);
    expect(isSoftwareAdapter({vendor: "amd", architecture: "rdna-3", description: "AMD Radeon RX 7900"}, false)).toBe(false);
  });
});

describe("Node backend selection", () => {
  it("auto mode passes over a software WebGPU adapter (SwiftShader) and picks wasm", async () => {
    // Make SwiftShader visible to the automatic probe, so that it is found and refused, not just absent.
    useVulkanIcd(findSwiftShaderIcd()!);
    const choice = await selectNodeBackend("auto");
    expect(choice.backend).toBe("wasm"); // no tfjs-node here
    expect(tf.getBackend()).toBe("wasm");
    expect(choice.skipped.join("\n")).toMatch(/webgpu: .*swiftshader.*software/i);
  });

  it("an explicit webgpu request (argument or SALIENCY_BACKEND) runs on SwiftShader", async () => {
    delete process.env.VK_ICD_FILENAMES; // the request must find SwiftShader itself when no driver works
    delete process.env.VK_DRIVER_FILES;
    const choice = await selectNodeBackend("webgpu");
    expect(choice).toMatchObject({backend: "webgpu", adapter: {software: true, architecture: "swiftshader"}});
    expect(choice.notes.join("\n")).toMatch(/vk_swiftshader_icd\.json/);
    expect(tf.getBackend()).toBe("webgpu");
    await selectNodeBackend("wasm");
    process.env.SALIENCY_BACKEND = "webgpu";
    expect((await selectNodeBackend()).backend).toBe("webgpu");
    delete process.env.SALIENCY_BACKEND;
  });

  it("rejects unknown backend names", async () => {
    await expect(selectNodeBackend("vulkan")).rejects.toThrow(/unknown backend "vulkan": choose one of auto, tensorflow, webgpu, wasm, cpu/);
  });
});

describe(`every registered method on WebGPU (SwiftShader) matches wasm within ${MAP_TOLERANCE}`, () => {
  let model: ExplainableModel;
  const warnings: string[] = [];

  beforeAll(async () => {
    expect((await selectNodeBackend("webgpu")).backend).toBe("webgpu");
    model = buildModel();
    // tfjs warns once on a synchronous GPU read (and then fails in Node: it reads through OffscreenCanvas).
    vi.spyOn(console, "warn").mockImplementation((...args: unknown[]) => void warnings.push(args.map(String).join(" ")));
  });

  afterAll(() => vi.restoreAllMocks());

  for (const name of METHOD_NAMES) {
    it(`${name}`, async () => {
      const before = tf.memory().numTensors;
      const result = await METHODS[name]!.explain(model, image, CHEAP_OPTIONS);
      expect(tf.memory().numTensors).toBe(before);
      expect(result.backend).toBe("webgpu");
      const reference = wasmResults.get(name)!;
      expect(result.classIndex).toBe(reference.classIndex);
      expect(maxDifference(result, reference), "largest per-pixel difference from wasm").toBeLessThanOrEqual(MAP_TOLERANCE);
      // A real map, not a constant one (Extremal Perturbation's map is its mask, not min-max normalised).
      expect(Math.max(...result.map.data) - Math.min(...result.map.data)).toBeGreaterThan(0.5);
      expect(warnings.filter((w) => /synchronously reading/.test(w))).toEqual([]);
    });
  }

  it(`a GraphModel: ${GRAPH_METHODS.join(", ")}`, async () => {
    const graphModel = await buildGraphModel();
    for (const name of GRAPH_METHODS) {
      const result = await METHODS[name]!.explain(graphModel, graphImage, CHEAP_OPTIONS);
      const reference = wasmGraphResults.get(name)!;
      expect(result.backend).toBe("webgpu");
      expect(result.classIndex, name).toBe(reference.classIndex);
      expect(maxDifference(result, reference), `${name}: largest per-pixel difference from wasm`).toBeLessThanOrEqual(MAP_TOLERANCE);
    }
    expect(warnings.filter((w) => /synchronously reading/.test(w))).toEqual([]);
  });

  /** Sum of ∂/∂x Σ maxPool(x) over x: every 2x2 window passes its gradient of 1 to one input. */
  async function maxPoolGradientSum(backend: string): Promise<number> {
    await selectNodeBackend(backend);
    const x = tf.zeros([1, 4, 4, 2]); // all-zero windows, as after a ReLU
    const gradient = tf.grad((t: tf.Tensor) => tf.sum(tf.maxPool(t as tf.Tensor4D, 2, 2, "valid")))(x);
    const sum = ((await gradient.data()) as Float32Array).reduce((a, b) => a + b, 0);
    tf.dispose([x, gradient]);
    return sum;
  }

  it("WebGPU's MaxPoolGrad passes every window's gradient on, ties included", async () => {
    expect(await maxPoolGradientSum("webgpu")).toBe(8);
  });

  // tfjs-backend-wasm 4.22's own MaxPoolGrad writes every tied window's gradient to element 0
  // (Σ = 1, not 8); the project's wasm kernel (src/lib/kernels/max-pool-grad.ts) replaces it.
  it("wasm's MaxPoolGrad passes every window's gradient on, ties included", async () => {
    try {
      expect(await maxPoolGradientSum("wasm")).toBe(8);
    } finally {
      await selectNodeBackend("webgpu");
    }
  });
});
