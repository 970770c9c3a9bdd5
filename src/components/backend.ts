/**
 * The tfjs backend in the browser. Automatic choice: the candidates are WebGPU and WebGL when
 * they run on a real GPU (a software renderer such as SwiftShader or llvmpipe is slower than
 * wasm, by 15–35× measured here), and wasm. One candidate: it is used. Several: a short probe
 * of the page's model (one forward and one forward + backward pass of one image, after a
 * warm-up) on each, and the fastest is kept, remembered per model for the session. The user can
 * force any backend. The wasm backend is loaded on demand from attached files (see
 * loaders/site/wasm-backend.ts) and gets the project's gradient kernels. Engine code only reads
 * tensors asynchronously, as WebGPU requires.
 */
/// <reference types="@webgpu/types" />
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-webgpu";
import {registerAveragePoolGradient} from "../lib/kernels/avg-pool-gradient.js";
import {registerWasmGradientKernels} from "../lib/kernels/wasm-gradients.js";
import type {ExplainableModel} from "../lib/model/adapter.js";
import {fastest, timeModel, type ProbeTiming} from "./pace.js";

export const BACKEND_CHOICES = ["auto", "webgpu", "webgl", "wasm", "cpu"] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];

export const BACKEND_LABELS: Record<BackendChoice, string> = {
  auto: "automatic",
  webgpu: "WebGPU",
  webgl: "WebGL",
  wasm: "WebAssembly",
  cpu: "plain JavaScript (cpu)"
};

export interface WasmBackendFiles {
  /** URL of the rewritten backend module. */
  module: string;
  /** .wasm file name → URL. */
  binaries: Record<string, string>;
}

export interface AdapterSummary {
  vendor: string;
  architecture: string;
  description: string;
  software: boolean;
}

export interface RendererSummary {
  /** The WebGL renderer string (unmasked where the browser allows it). */
  renderer: string;
  software: boolean;
}

export interface BackendStatus {
  requested: BackendChoice;
  /** The backend tfjs runs on now. */
  name: string;
  /** Why this backend: one sentence for the page. */
  reason: string;
  adapter: AdapterSummary | null;
  webgl: RendererSummary | null;
  /** The probe's timings, one per candidate (empty when no probe ran). */
  probes: ProbeTiming[];
  /** The choice came from an earlier probe of the same model in this session. */
  remembered: boolean;
  initMs: number;
}

/** What the automatic choice may probe: the page's model, loadable afresh on any backend. */
export interface ProbeSubject {
  /** Names the model (the session remembers the choice under it). */
  key: string;
  /** Loads a new copy of the model on the current backend; the probe disposes it. */
  load(): Promise<ExplainableModel>;
}

export interface BackendOptions {
  probe?: ProbeSubject;
  /** Probe every backend that starts, software renderers included (URL ?probe=all): to compare them. */
  probeAll?: boolean;
}

const WASM_CORE_GLOBAL = "__saliencyTfjsCore";
const SOFTWARE_PATTERN = /swiftshader|llvmpipe|lavapipe|softpipe|software|microsoft basic render|\bwarp\b/i;
const MEMORY_PREFIX = "saliency-explorer";

// WebGL keeps every released texture for reuse by default, so GPU memory only grows with each new
// batch shape; past this many bytes released textures are deleted instead.
tf.env().set("WEBGL_DELETE_TEXTURE_THRESHOLD", 128 * 1024 * 1024);

type AdapterWithInfo = GPUAdapter & {info?: GPUAdapterInfo & {isFallbackAdapter?: boolean}; isFallbackAdapter?: boolean};

let adapterPromise: Promise<AdapterSummary | null> | null = null;

/** The WebGPU adapter the browser offers (null: none), and whether it is a software one. */
export function webGpuAdapter(): Promise<AdapterSummary | null> {
  adapterPromise ??= (async () => {
    const gpu = (navigator as Navigator & {gpu?: GPU}).gpu;
    if (!gpu) return null;
    let adapter: AdapterWithInfo | null = null;
    try {
      adapter = (await gpu.requestAdapter()) as AdapterWithInfo | null;
    } catch {
      return null;
    }
    if (!adapter) return null;
    const info = adapter.info;
    const vendor = info?.vendor ?? "";
    const architecture = info?.architecture ?? "";
    const description = [info?.description, info?.device].filter(Boolean).join(" ");
    const fallback = Boolean(adapter.isFallbackAdapter ?? info?.isFallbackAdapter);
    return {vendor, architecture, description, software: fallback || SOFTWARE_PATTERN.test(`${vendor} ${architecture} ${description}`)};
  })();
  return adapterPromise;
}

let rendererSummary: RendererSummary | null | undefined;

/**
 * The WebGL renderer (null: no WebGL), and whether it is software: by its name
 * (WEBGL_debug_renderer_info), or because the browser refuses a context without a "major
 * performance caveat" (Chromium does for SwiftShader).
 */
export function webGlRenderer(): RendererSummary | null {
  if (rendererSummary !== undefined) return rendererSummary;
  const canvas = document.createElement("canvas");
  const gl = (canvas.getContext("webgl2") ?? canvas.getContext("webgl")) as WebGLRenderingContext | null;
  if (!gl) return (rendererSummary = null);
  const info = gl.getExtension("WEBGL_debug_renderer_info");
  const renderer = String(gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER) ?? "");
  gl.getExtension("WEBGL_lose_context")?.loseContext();
  const strict = document.createElement("canvas");
  const fast = (strict.getContext("webgl2", {failIfMajorPerformanceCaveat: true}) ??
    strict.getContext("webgl", {failIfMajorPerformanceCaveat: true})) as WebGLRenderingContext | null;
  fast?.getExtension("WEBGL_lose_context")?.loseContext();
  rendererSummary = {renderer, software: SOFTWARE_PATTERN.test(renderer) || fast === null};
  return rendererSummary;
}

let wasmPromise: Promise<void> | null = null;

/** Loads and registers the wasm backend once (module + binaries from the site's files). */
export function loadWasmBackend(files: WasmBackendFiles): Promise<void> {
  wasmPromise ??= (async () => {
    // The rewritten module takes tfjs-core from this global: @tensorflow/tfjs re-exports all of it.
    (globalThis as Record<string, unknown>)[WASM_CORE_GLOBAL] = tf;
    const module = (await import(/* @vite-ignore */ files.module)) as {setWasmPaths(paths: Record<string, string>): void};
    module.setWasmPaths(files.binaries);
    registerWasmGradientKernels();
  })();
  wasmPromise.catch(() => (wasmPromise = null));
  return wasmPromise;
}

async function trySet(name: string): Promise<boolean> {
  try {
    if (!(await tf.setBackend(name))) return false;
    await tf.ready();
    return tf.getBackend() === name;
  } catch {
    return false;
  }
}

// ---------- the session's memory (sessionStorage: per tab, survives page changes) ----------

function remember(key: string, value: unknown): void {
  try {
    sessionStorage.setItem(`${MEMORY_PREFIX}:${key}`, JSON.stringify(value));
  } catch {
    // Storage disabled or full: the choice is simply made again next time.
  }
}

function recall<T>(key: string): T | null {
  try {
    const text = sessionStorage.getItem(`${MEMORY_PREFIX}:${key}`);
    return text === null ? null : (JSON.parse(text) as T);
  } catch {
    return null;
  }
}

const choiceKey = (model: string, probeAll: boolean) => `backend:${probeAll ? "all:" : ""}${model}`;
const paceKey = (model: string, backend: string) => `pace:${backend}:${model}`;

/** Times `subject` on `backend` (a fresh copy of the model, disposed after); null if it fails there. */
async function probeOn(backend: string, subject: ProbeSubject): Promise<ProbeTiming | null> {
  let model: ExplainableModel | null = null;
  try {
    model = await subject.load();
    return await timeModel(model);
  } catch (error) {
    console.warn(`backend probe on ${backend} failed: ${(error as Error).message}`);
    return null;
  } finally {
    model?.dispose();
  }
}

/**
 * How fast the loaded model runs on the current backend (remembered per model and backend for
 * the session; the probe's measurement is reused). Pages size their batches from it.
 */
export async function modelPace(key: string, model: ExplainableModel): Promise<ProbeTiming> {
  const backend = tf.getBackend();
  const known = recall<ProbeTiming>(paceKey(key, backend));
  if (known && known.backend === backend) return known;
  const timing = await timeModel(model);
  remember(paceKey(key, backend), timing);
  return timing;
}

/** Switches tfjs to the requested backend (or the automatic choice) and says what happened. */
export async function useBackend(requested: BackendChoice, wasm: WasmBackendFiles, options: BackendOptions = {}): Promise<BackendStatus> {
  const started = performance.now();
  // tfjs's AvgPool gradient is wrong next to "same" padding on every backend (WebGL included); ours is exact.
  registerAveragePoolGradient();
  const adapter = await webGpuAdapter();
  const webgl = webGlRenderer();
  let probes: ProbeTiming[] = [];
  let remembered = false;
  const done = (name: string, reason: string): BackendStatus => ({
    requested,
    name,
    reason,
    adapter,
    webgl,
    probes,
    remembered,
    initMs: performance.now() - started
  });
  const wasmReady = async () => {
    try {
      await loadWasmBackend(wasm);
      return trySet("wasm");
    } catch (error) {
      console.warn(`wasm backend unavailable: ${(error as Error).message}`);
      return false;
    }
  };
  const start = (name: string) => (name === "wasm" ? wasmReady() : trySet(name));
  if (requested !== "auto") {
    if (await start(requested)) {
      const software = (requested === "webgpu" && adapter?.software) || (requested === "webgl" && webgl?.software);
      return done(requested, `${BACKEND_LABELS[requested]}, as chosen${software ? " (a software renderer: correct but slow)" : ""}.`);
    }
    for (const fallback of ["wasm", "webgl", "cpu"]) {
      if (fallback !== requested && (await start(fallback))) {
        return done(fallback, `${BACKEND_LABELS[requested]} is not available here; using ${BACKEND_LABELS[fallback as BackendChoice]}.`);
      }
    }
    return done(tf.getBackend(), `${BACKEND_LABELS[requested]} is not available here.`);
  }

  const probeAll = options.probeAll === true;
  const excluded: string[] = [];
  const candidates: string[] = [];
  if (adapter && (!adapter.software || probeAll)) candidates.push("webgpu");
  else excluded.push(adapter ? "the WebGPU adapter is a software renderer" : "this browser has no WebGPU adapter");
  if (webgl && (!webgl.software || probeAll)) candidates.push("webgl");
  else excluded.push(webgl ? `WebGL runs on a software renderer (${webgl.renderer})` : "this browser has no WebGL");
  candidates.push("wasm");
  const why = excluded.length ? `, because ${excluded.join(" and ")}` : "";

  const subject = options.probe;
  if (candidates.length > 1 && subject) {
    const key = choiceKey(subject.key, probeAll);
    const earlier = recall<{name: string; probes: ProbeTiming[]}>(key);
    if (earlier && candidates.includes(earlier.name) && (await start(earlier.name))) {
      probes = earlier.probes;
      remembered = true;
      return done(earlier.name, `${BACKEND_LABELS[earlier.name as BackendChoice]}: the fastest for this model in this session's probe${why}.`);
    }
    for (const name of candidates) {
      if (!(await start(name))) continue;
      const timing = await probeOn(name, subject);
      if (timing) {
        probes.push(timing);
        remember(paceKey(subject.key, name), timing);
      }
    }
    const best = fastest(probes);
    if (best && (await start(best.backend))) {
      remember(key, {name: best.backend, probes});
      return done(best.backend, `${BACKEND_LABELS[best.backend as BackendChoice]}: the fastest for this model in a short probe${why}.`);
    }
  }
  for (const name of candidates) {
    if (await start(name)) {
      const reason =
        name === "wasm"
          ? `WebAssembly${why}.`
          : `${BACKEND_LABELS[name as BackendChoice]} on a ${name === "webgpu" ? "hardware GPU adapter" : "hardware GPU"}${why}.`;
      return done(name, reason);
    }
  }
  await trySet("cpu");
  return done("cpu", "Plain JavaScript: no accelerated backend could start.");
}
