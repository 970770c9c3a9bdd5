/**
 * WebGPU in Node through Dawn (the optional `webgpu` package): make its Vulkan backend loadable,
 * find an adapter, say whether it is a real GPU or a software rasteriser, and install
 * `navigator.gpu` for tfjs. Nothing here touches tfjs; loaders/backend.ts does that.
 *
 * On Linux Dawn reaches the GPU through Vulkan: it dlopens `libvulkan.so.1` (the Khronos loader)
 * and the loader picks drivers (ICDs) from VK_ICD_FILENAMES / VK_DRIVER_FILES or the usual
 * folders. Machines without a GPU still get a working adapter from SwiftShader, the CPU Vulkan
 * driver that Debian's `chromium` package ships together with a copy of the loader: correct,
 * but far slower than the wasm backend, so only an explicit request uses it.
 */
/// <reference types="@webgpu/types" />
import {existsSync, mkdtempSync, readdirSync, statSync} from "node:fs";
import {homedir, constants as osConstants, tmpdir} from "node:os";
import {dirname, join} from "node:path";

/** What a report needs to know about an adapter. */
export interface AdapterDescription {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  isFallbackAdapter: boolean;
  /** A CPU implementation (SwiftShader, llvmpipe/lavapipe, WARP): correct but slower than wasm. */
  software: boolean;
  /** One line for logs and reports, e.g. "nvidia hopper (NVIDIA H100 80GB HBM3), hardware". */
  summary: string;
}

/** Where SwiftShader's Vulkan ICD file sits in Chromium builds, most likely first. */
const SWIFTSHADER_ICD_CANDIDATES = [
  "/usr/lib/chromium/vk_swiftshader_icd.json", // Debian's chromium
  "/usr/lib/chromium-browser/vk_swiftshader_icd.json", // Ubuntu's older chromium-browser
  "/usr/lib64/chromium-browser/vk_swiftshader_icd.json", // Fedora
  "/opt/google/chrome/vk_swiftshader_icd.json" // Google Chrome
] as const;

/** Environment variable naming the SwiftShader ICD file explicitly (overrides the candidates). */
const SWIFTSHADER_ICD_ENV = "SALIENCY_SWIFTSHADER_ICD";

const SOFTWARE_PATTERN = /swiftshader|llvmpipe|lavapipe|softpipe|software|microsoft basic render|\bwarp\b/i;

/** True for adapters that run on the CPU: the fallback flag, or a name of a known CPU driver. */
export function isSoftwareAdapter(
  info: Partial<Pick<AdapterDescription, "vendor" | "architecture" | "device" | "description">>,
  isFallbackAdapter: boolean
): boolean {
  if (isFallbackAdapter) return true;
  return [info.vendor, info.architecture, info.device, info.description].some((text) => text !== undefined && SOFTWARE_PATTERN.test(text));
}

/**
 * GPUAdapter as Dawn has it: `info` is newer than the @webgpu/types that tfjs pins, and
 * `isFallbackAdapter` moved from the adapter to its info in the spec (Dawn has the latter).
 */
export type DawnAdapter = GPUAdapter & {readonly info?: GPUAdapterInfo & {isFallbackAdapter?: boolean}; isFallbackAdapter?: boolean};

export function adapterInfo(adapter: GPUAdapter): GPUAdapterInfo | undefined {
  return (adapter as DawnAdapter).info;
}

function describeAdapter(adapter: GPUAdapter): AdapterDescription {
  const dawnAdapter = adapter as DawnAdapter;
  const info = dawnAdapter.info ?? ({} as Partial<GPUAdapterInfo> & {isFallbackAdapter?: boolean});
  const isFallbackAdapter = Boolean(info.isFallbackAdapter ?? dawnAdapter.isFallbackAdapter);
  const fields = {
    vendor: info.vendor ?? "",
    architecture: info.architecture ?? "",
    device: info.device ?? "",
    description: info.description ?? ""
  };
  const software = isSoftwareAdapter(fields, isFallbackAdapter);
  const name = [fields.vendor, fields.architecture].filter(Boolean).join(" ") || "unknown adapter";
  const detail = fields.description || fields.device;
  const summary = `${name}${detail ? ` (${detail})` : ""}, ${software ? "software" : "hardware"}${isFallbackAdapter ? " fallback" : ""}`;
  return {...fields, isFallbackAdapter, software, summary};
}

/** The SwiftShader ICD file: $SALIENCY_SWIFTSHADER_ICD, else the first Chromium location that exists. */
export function findSwiftShaderIcd(): string | null {
  const explicit = process.env[SWIFTSHADER_ICD_ENV];
  if (explicit) return existsSync(explicit) ? explicit : null;
  return SWIFTSHADER_ICD_CANDIDATES.find((path) => existsSync(path)) ?? null;
}

/** Points the Vulkan loader at one ICD file only (both the current and the legacy variable). */
export function useVulkanIcd(icdFile: string): void {
  process.env.VK_ICD_FILENAMES = icdFile;
  process.env.VK_DRIVER_FILES = icdFile;
}

/** Where NVIDIA's container toolkit mounts the driver's ICD file: outside the loader's search path. */
const NVIDIA_CONTAINER_ICD = "/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json";

/** The folders the Vulkan loader searches for ICD files on Linux when no variable names them. */
function standardIcdFolders(): string[] {
  const configDirs = (process.env.XDG_CONFIG_DIRS || "/etc/xdg").split(":");
  const dataHome = process.env.XDG_DATA_HOME || join(homedir(), ".local/share");
  const dataDirs = (process.env.XDG_DATA_DIRS || "/usr/local/share:/usr/share").split(":");
  return [...configDirs, "/etc", dataHome, ...dataDirs].filter(Boolean).map((dir) => join(dir, "vulkan", "icd.d"));
}

function jsonFilesIn(path: string): string[] {
  try {
    if (!statSync(path).isDirectory()) return path.endsWith(".json") ? [path] : [];
    return readdirSync(path)
      .filter((name) => name.endsWith(".json"))
      .map((name) => join(path, name));
  } catch {
    return [];
  }
}

export interface VulkanDrivers {
  /** ICD files the loader will consider (paths that exist). */
  icds: string[];
  /** Set when this function changed the environment, to say how. */
  note?: string;
}

/**
 * The Vulkan drivers (ICD files) the loader will see: those named by VK_DRIVER_FILES /
 * VK_ICD_FILENAMES, else those in its standard folders. When there are none but NVIDIA's
 * container ICD exists, points the loader at it (GPU containers mount it outside the search path).
 */
export function findVulkanDrivers(): VulkanDrivers {
  const named = process.env.VK_DRIVER_FILES || process.env.VK_ICD_FILENAMES;
  if (named) return {icds: named.split(":").filter(Boolean).flatMap(jsonFilesIn)};
  const icds = standardIcdFolders().flatMap(jsonFilesIn);
  if (icds.length === 0 && existsSync(NVIDIA_CONTAINER_ICD)) {
    useVulkanIcd(NVIDIA_CONTAINER_ICD);
    return {icds: [NVIDIA_CONTAINER_ICD], note: `VK_DRIVER_FILES=${NVIDIA_CONTAINER_ICD} (NVIDIA's container ICD)`};
  }
  return {icds};
}

/**
 * XDG_RUNTIME_DIR is part of the recipe known to work on these machines (containers and CI often
 * leave it unset, and desktop-oriented driver code looks for it); a private empty one is harmless.
 */
function ensureXdgRuntimeDir(): string {
  if (!process.env.XDG_RUNTIME_DIR) {
    process.env.XDG_RUNTIME_DIR = mkdtempSync(join(tmpdir(), "saliency-xdg-")); // mkdtemp makes it 0700
  }
  return process.env.XDG_RUNTIME_DIR;
}

export interface VulkanLoaderStatus {
  /** "libvulkan.so.1" (the system's), a file path (a bundled copy), or null when none loads. */
  loader: string | null;
  reason?: string;
}

// glibc's RTLD_NODELETE: keep the library mapped even though Node closes a handle that is no addon.
const RTLD_NODELETE = 0x1000;
let loaderStatus: VulkanLoaderStatus | undefined;

/** Loads one shared library into the process for everyone (RTLD_GLOBAL); null on success, else the error. */
function preloadSharedLibrary(file: string): string | null {
  const flags = osConstants.dlopen.RTLD_NOW! | osConstants.dlopen.RTLD_GLOBAL! | RTLD_NODELETE;
  try {
    process.dlopen({exports: {}}, file, flags);
    return null;
  } catch (error) {
    const message = (error as Error).message;
    // Node dlopened it fine and then found no addon inside: the library is loaded, as wanted.
    return /did not self-register/.test(message) ? null : message;
  }
}

/**
 * Makes `libvulkan.so.1` loadable for Dawn. Dawn dlopens it by that name; once a library with
 * that soname is loaded, such a dlopen returns it. So when the system has none (Debian without
 * `libvulkan1`, NVIDIA containers without the loader), the copy Chromium ships beside its
 * SwiftShader ICD is preloaded; it is the standard Khronos loader and finds any driver.
 * Linux only: elsewhere Dawn uses Metal or Direct3D and this is a no-op.
 */
function ensureVulkanLoader(extraFolders: readonly string[] = []): VulkanLoaderStatus {
  if (process.platform !== "linux") return {loader: null, reason: `not needed on ${process.platform}`};
  if (loaderStatus?.loader) return loaderStatus;
  const systemError = preloadSharedLibrary("libvulkan.so.1");
  if (systemError === null) return (loaderStatus = {loader: "libvulkan.so.1"});
  const folders = [...extraFolders, ...SWIFTSHADER_ICD_CANDIDATES.map((icd) => dirname(icd))];
  const explicit = process.env[SWIFTSHADER_ICD_ENV];
  if (explicit) folders.unshift(dirname(explicit));
  for (const folder of folders) {
    const file = join(folder, "libvulkan.so.1");
    if (existsSync(file) && preloadSharedLibrary(file) === null) return (loaderStatus = {loader: file});
  }
  return (loaderStatus = {loader: null, reason: `no Vulkan loader: ${systemError} (install libvulkan1, or chromium for its bundled copy)`});
}

interface DawnModule {
  create(options: string[]): GPU;
  globals: Record<string, unknown>;
}

let dawn: DawnModule | null | undefined;
let dawnError = "";

/** The optional `webgpu` package, or null (with `webgpuUnavailableReason()`) when it cannot load. */
export async function loadDawn(): Promise<DawnModule | null> {
  if (dawn !== undefined) return dawn;
  const specifier = "webgpu"; // a variable: the package is optional, so neither tsc nor a bundler may require it
  try {
    const module = (await import(/* @vite-ignore */ specifier)) as DawnModule;
    // WebGPU's enums and classes (GPUBufferUsage, GPUShaderStage, ...) that tfjs expects as globals.
    for (const [name, value] of Object.entries(module.globals)) {
      if (!(name in globalThis)) Object.defineProperty(globalThis, name, {value, configurable: true, writable: true});
    }
    dawn = module;
  } catch (error) {
    dawn = null;
    dawnError = `the optional package "webgpu" could not be loaded: ${(error as Error).message}`;
  }
  return dawn;
}

export function webgpuUnavailableReason(): string {
  return dawnError;
}

export interface NodeAdapter {
  gpu: GPU;
  adapter: GPUAdapter;
  description: AdapterDescription;
  /** The ICD file forced for this adapter, or null when the Vulkan loader chose the driver. */
  icd: string | null;
}

export interface AdapterRequest {
  /** Accept a software adapter (SwiftShader): only when WebGPU is asked for explicitly. */
  allowSoftware: boolean;
  /**
   * When no adapter is found with the environment as it is, point Vulkan at Chromium's
   * SwiftShader ICD and try again (a fresh Dawn instance: Vulkan reads the variables once per instance).
   */
  swiftShaderFallback: boolean;
}

export type AdapterResult = ({ok: true; notes: string[]} & NodeAdapter) | {ok: false; reason: string; notes: string[]; description?: AdapterDescription};

async function requestHighPerformanceAdapter(module: DawnModule): Promise<{gpu: GPU; adapter: GPUAdapter | null}> {
  const gpu = module.create([]);
  const adapter = await gpu.requestAdapter({powerPreference: "high-performance"});
  return {gpu, adapter};
}

/**
 * An adapter for tfjs: the driver Vulkan finds as the environment stands, else (when allowed)
 * SwiftShader. Software adapters are refused unless `allowSoftware`. `notes` lists every change
 * made to the process environment, for logs.
 */
export async function requestNodeAdapter(request: AdapterRequest): Promise<AdapterResult> {
  const notes: string[] = [];
  const linux = process.platform === "linux";
  const drivers = linux ? findVulkanDrivers() : {icds: []};
  if (drivers.note) notes.push(drivers.note);
  const softwareFallback = request.swiftShaderFallback && request.allowSoftware;
  if (linux && drivers.icds.length === 0 && !softwareFallback) {
    // Nothing for Dawn to find: skip loading it (and the Vulkan warnings it would print).
    return {ok: false, reason: "no Vulkan driver (ICD file) installed", notes};
  }
  const module = await loadDawn();
  if (!module) return {ok: false, reason: dawnError, notes};
  if (!process.env.XDG_RUNTIME_DIR) notes.push(`XDG_RUNTIME_DIR=${ensureXdgRuntimeDir()}`);
  let loader: VulkanLoaderStatus = linux ? ensureVulkanLoader() : {loader: null, reason: `Dawn needs no Vulkan loader on ${process.platform}`};
  if (loader.loader && loader.loader !== "libvulkan.so.1") notes.push(`Vulkan loader preloaded from ${loader.loader}`);
  let found = drivers.icds.length > 0 || !linux ? await requestHighPerformanceAdapter(module) : {gpu: null, adapter: null};
  let icd: string | null = null;
  if (!found.adapter && softwareFallback) {
    icd = findSwiftShaderIcd();
    if (!icd) {
      return {
        ok: false,
        reason:
          "no WebGPU adapter: no Vulkan driver works here and Chromium's SwiftShader ICD was not found " +
          `(looked in ${SWIFTSHADER_ICD_CANDIDATES.join(", ")}; install chromium, e.g. scripts/ensure-chromium.sh, or set ${SWIFTSHADER_ICD_ENV})`,
        notes
      };
    }
    useVulkanIcd(icd);
    notes.push(`VK_ICD_FILENAMES=VK_DRIVER_FILES=${icd} (SwiftShader)`);
    if (!loader.loader) {
      loader = ensureVulkanLoader([dirname(icd)]);
      if (loader.loader) notes.push(`Vulkan loader preloaded from ${loader.loader}`);
    }
    found = await requestHighPerformanceAdapter(module);
  }
  const {gpu, adapter} = found;
  if (!gpu || !adapter) {
    const why = loader.loader || !linux ? "" : `: ${loader.reason}`;
    const tried = icd ? `SwiftShader (${icd})` : `Vulkan drivers ${JSON.stringify(findVulkanDrivers().icds)}`;
    return {ok: false, reason: `no WebGPU adapter with ${tried}${why}`, notes};
  }
  const description = describeAdapter(adapter);
  if (description.software && !request.allowSoftware) {
    return {ok: false, reason: `the only WebGPU adapter is ${description.summary}: slower than wasm, so not chosen automatically`, notes, description};
  }
  return {ok: true, gpu, adapter, description, icd, notes};
}

/**
 * Makes `navigator.gpu` the given Dawn instance (tfjs's WebGPU backend and its feature checks
 * read it there). Node 20 has no `navigator`; Node 21+ has one without `gpu`.
 */
export function installNavigatorGpu(gpu: GPU): void {
  const global = globalThis as {navigator?: object};
  if (!global.navigator) {
    Object.defineProperty(globalThis, "navigator", {value: {}, configurable: true, writable: true});
  }
  Object.defineProperty(global.navigator, "gpu", {value: gpu, configurable: true, writable: true});
}

/**
 * Drops `navigator.gpu`. The `webgpu` package warns that a referenced Dawn instance can keep Node
 * from exiting (not seen with 0.6.2 here), so tools that used WebGPU drop it when done.
 */
export function removeNavigatorGpu(): void {
  const navigator = (globalThis as {navigator?: {gpu?: unknown}}).navigator;
  if (navigator && "gpu" in navigator) delete navigator.gpu;
}
