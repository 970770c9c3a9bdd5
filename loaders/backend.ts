/**
 * Node backend selection. Automatic order: tfjs-node-gpu, tfjs-node (native TensorFlow; their
 * install downloads a native library, so they are optional and absent on machines without
 * internet), then WebGPU through Dawn when a hardware adapter exists (loaders/webgpu-node.ts),
 * then wasm (with the project's gradient kernels), then cpu. A software WebGPU adapter
 * (SwiftShader) is slower than wasm, so only an explicit `webgpu` request uses it; such a request
 * points Vulkan at Chromium's SwiftShader when no other driver works. An explicit choice is
 * honoured or fails with a clear error.
 */
import * as tf from "@tensorflow/tfjs";
import {registerAveragePoolGradient} from "../src/lib/kernels/avg-pool-gradient.js";
import {registerFastBatchNormGradient} from "../src/lib/kernels/batchnorm-gradient.js";
import {registerWasmGradientKernels} from "../src/lib/kernels/wasm-gradients.js";
import {adapterInfo, findVulkanDrivers, installNavigatorGpu, removeNavigatorGpu, requestNodeAdapter, type AdapterDescription} from "./webgpu-node.js";
import {probeHardwareAdapter} from "./webgpu-probe.js";

export const NODE_BACKENDS = ["tensorflow", "webgpu", "wasm", "cpu"] as const;
export type NodeBackendName = (typeof NODE_BACKENDS)[number];

/** Optional native packages, best first. Each registers the "tensorflow" backend when imported. */
const NATIVE_PACKAGES = ["@tensorflow/tfjs-node-gpu", "@tensorflow/tfjs-node"] as const;

async function tryNative(): Promise<string | null> {
  for (const name of NATIVE_PACKAGES) {
    try {
      await import(/* @vite-ignore */ name);
      if (tf.findBackend("tensorflow") || tf.findBackendFactory("tensorflow")) return name;
    } catch {
      // Not installed (the usual case here): try the next one.
    }
  }
  return null;
}

async function tryWasm(): Promise<boolean> {
  try {
    await import("@tensorflow/tfjs-backend-wasm");
    registerWasmGradientKernels();
    return await tf.setBackend("wasm");
  } catch {
    return false;
  }
}

/** The adapter tfjs's "webgpu" backend was registered with (one per process: tfjs backends are global). */
let webgpuAdapter: AdapterDescription | null = null;

/**
 * Registers tfjs's "webgpu" backend on an adapter already vetted here. The package's own
 * registration runs only if `navigator.gpu` existed when it was first imported and would pick
 * its own adapter, so it is replaced by a factory that uses ours (same device settings).
 */
async function registerWebGpuBackend(adapter: GPUAdapter): Promise<void> {
  const {WebGPUBackend} = await import("@tensorflow/tfjs-backend-webgpu");
  if (tf.findBackendFactory("webgpu")) tf.removeBackend("webgpu");
  tf.registerBackend(
    "webgpu",
    async () => {
      const requiredFeatures: GPUFeatureName[] = [];
      if (adapter.features.has("timestamp-query")) requiredFeatures.push("timestamp-query");
      if (adapter.features.has("bgra8unorm-storage")) requiredFeatures.push("bgra8unorm-storage");
      const limits = adapter.limits;
      const device = await adapter.requestDevice({
        requiredFeatures,
        requiredLimits: {
          maxComputeWorkgroupStorageSize: limits.maxComputeWorkgroupStorageSize,
          maxComputeWorkgroupsPerDimension: limits.maxComputeWorkgroupsPerDimension,
          maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize,
          maxBufferSize: limits.maxBufferSize,
          maxComputeWorkgroupSizeX: limits.maxComputeWorkgroupSizeX,
          maxComputeInvocationsPerWorkgroup: limits.maxComputeInvocationsPerWorkgroup
        }
      });
      return new WebGPUBackend(device, adapterInfo(adapter));
    },
    3
  );
}

/** Outcome of a WebGPU attempt: the adapter in use, or why WebGPU was passed over. */
async function tryWebGpu(forced: boolean): Promise<{ok: true; adapter: AdapterDescription; notes: string[]} | {ok: false; reason: string; notes: string[]}> {
  if (webgpuAdapter && tf.findBackend("webgpu")) {
    // Already set up in this process (the adapter cannot change): reuse it if it qualifies.
    if (webgpuAdapter.software && !forced) return {ok: false, reason: `the WebGPU adapter is ${webgpuAdapter.summary}`, notes: []};
    if (await tf.setBackend("webgpu")) return {ok: true, adapter: webgpuAdapter, notes: []};
    return {ok: false, reason: 'tf.setBackend("webgpu") failed', notes: []};
  }
  const found = await requestNodeAdapter({allowSoftware: forced, swiftShaderFallback: forced});
  if (!found.ok) return found;
  installNavigatorGpu(found.gpu);
  await registerWebGpuBackend(found.adapter);
  // setBackend logs and returns false when the factory throws (device request refused, ...).
  if (!(await tf.setBackend("webgpu"))) {
    tf.removeBackend("webgpu");
    removeNavigatorGpu();
    return {ok: false, reason: `tfjs could not start WebGPU on ${found.description.summary}`, notes: found.notes};
  }
  webgpuAdapter = found.description;
  return {ok: true, adapter: found.description, notes: found.notes};
}

export interface BackendChoice {
  backend: string;
  /** Which package provided it, for reports. */
  provider: string;
  /** The WebGPU adapter, when the backend is "webgpu". */
  adapter?: AdapterDescription;
  /** Why better backends were passed over in automatic mode (one line each). */
  skipped: string[];
  /** Changes made to the process environment on the way (Vulkan variables, preloaded loader). */
  notes: string[];
}

export interface BackendOptions {
  /**
   * Automatic choice only: try WebGPU in this process even when no hardware adapter may be
   * there, letting Dawn print its Vulkan warnings (the CLI's --verbose). Default: a child process
   * asks first (loaders/webgpu-probe.ts), so those warnings stay out of the output.
   */
  verbose?: boolean;
}

/**
 * Selects and initialises a backend. `requested` may be "auto" (default), or one of
 * NODE_BACKENDS; environment variable SALIENCY_BACKEND is used when `requested` is undefined.
 */
export async function selectNodeBackend(requested?: string, options: BackendOptions = {}): Promise<BackendChoice> {
  const want = requested ?? process.env.SALIENCY_BACKEND ?? "auto";
  if (want !== "auto" && !(NODE_BACKENDS as readonly string[]).includes(want)) {
    throw new Error(`unknown backend "${want}": choose one of auto, ${NODE_BACKENDS.join(", ")}`);
  }
  // Same values as tfjs's batch-norm gradient without its full-size broadcast copies (about 40%
  // of a ResNet training step on wasm); every backend benefits, so it is registered for all.
  registerFastBatchNormGradient();
  // tfjs's AvgPool gradient is wrong next to "same" padding on every backend; ours is exact.
  registerAveragePoolGradient();
  const skipped: string[] = [];
  const notes: string[] = [];
  if (want === "auto" || want === "tensorflow") {
    const native = await tryNative();
    if (native && (await tf.setBackend("tensorflow"))) {
      await tf.ready();
      return {backend: "tensorflow", provider: native, skipped, notes};
    }
    if (want === "tensorflow") {
      throw new Error('backend "tensorflow" needs @tensorflow/tfjs-node-gpu or @tensorflow/tfjs-node, which are not installed');
    }
    skipped.push("tensorflow: @tensorflow/tfjs-node(-gpu) not installed");
  }
  if (want === "auto" && !options.verbose && !webgpuAdapter && findVulkanDrivers().icds.length > 0) {
    // Drivers are installed, so Dawn would load and might warn: ask a child first.
    const probe = probeHardwareAdapter();
    if (!probe.hardware) skipped.push(`webgpu: ${probe.reason}`);
  }
  if (want === "webgpu" || (want === "auto" && !skipped.some((s) => s.startsWith("webgpu:")))) {
    const webgpu = await tryWebGpu(want === "webgpu");
    notes.push(...webgpu.notes);
    if (webgpu.ok) {
      await tf.ready();
      return {backend: "webgpu", provider: "@tensorflow/tfjs-backend-webgpu on Dawn (webgpu)", adapter: webgpu.adapter, skipped, notes};
    }
    if (want === "webgpu") throw new Error(`backend "webgpu" could not be initialised: ${webgpu.reason}`);
    skipped.push(`webgpu: ${webgpu.reason}`);
  }
  if (want === "auto" || want === "wasm") {
    if (await tryWasm()) {
      await tf.ready();
      return {backend: "wasm", provider: "@tensorflow/tfjs-backend-wasm", skipped, notes};
    }
    if (want === "wasm") throw new Error('backend "wasm" could not be initialised');
    skipped.push("wasm: could not be initialised");
  }
  if (!(await tf.setBackend("cpu"))) throw new Error('backend "cpu" could not be initialised');
  await tf.ready();
  return {backend: "cpu", provider: "@tensorflow/tfjs (cpu)", skipped, notes};
}

/**
 * Disposes the "webgpu" backend (switching to cpu if it was current) and drops Dawn's instance,
 * which the `webgpu` package warns can keep Node from exiting: for tools done with WebGPU.
 */
export function releaseWebGpu(): void {
  if (tf.findBackendFactory("webgpu")) {
    if (tf.getBackend() === "webgpu") void tf.setBackend("cpu");
    tf.removeBackend("webgpu");
  }
  webgpuAdapter = null;
  removeNavigatorGpu();
}
