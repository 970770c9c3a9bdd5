/**
 * Pieces every live page shares: the backend, model and colormap inputs (each kept in the URL),
 * the backend status line, and a hook through which tests and the browser benchmark read the
 * last result and tfjs's memory.
 */
import * as tf from "@tensorflow/tfjs";
import * as Inputs from "@observablehq/inputs";
import {BACKEND_CHOICES, BACKEND_LABELS, type BackendChoice, type BackendStatus} from "./backend.js";
import {bindUrl, parseChoice, urlValue} from "./controls.js";
import type {Explanation} from "../lib/explain/types.js";
import type {SiteModelEntry} from "../lib/format/site-data.js";
import {COLORMAP_NAMES, type ColormapName} from "../lib/maps/index.js";

export function backendInput(): HTMLElement & {value: BackendChoice} {
  return bindUrl(
    Inputs.select(BACKEND_CHOICES, {
      label: "Backend",
      value: urlValue("backend", "auto", parseChoice(BACKEND_CHOICES)),
      format: (b: BackendChoice) => BACKEND_LABELS[b]
    }),
    "backend"
  );
}

/** The site's models, kept in the URL; default: `prefer` (a model name), else the first of `preferDataset`, else the first. */
export function modelInput(models: readonly SiteModelEntry[], options: {prefer?: string; preferDataset?: string} = {}): HTMLElement & {value: SiteModelEntry} {
  const names = models.map((m) => m.name);
  const preferred = models.find((m) => m.name === options.prefer)?.name ?? models.find((m) => m.dataset === options.preferDataset)?.name ?? names[0];
  const chosen = urlValue("model", preferred, parseChoice(names));
  return bindUrl(
    Inputs.select(models, {
      label: "Model",
      value: models.find((m) => m.name === chosen),
      format: (m: SiteModelEntry) => `${m.name}${m.testAccuracy !== null ? ` (${(m.testAccuracy * 100).toFixed(0)}% test accuracy)` : ""}`
    }),
    "model",
    (m: SiteModelEntry) => m.name
  );
}

const COLORMAP_LABELS: Record<ColormapName, string> = {
  turbo: "turbo (rainbow)",
  viridis: "viridis (colour-blind safe)",
  inferno: "inferno",
  magma: "magma",
  plasma: "plasma",
  gray: "grey"
};

/**
 * The maps' colours, kept in the URL ("colormap"). viridis (like inferno, magma and plasma) is
 * perceptually uniform and readable with colour-blindness; turbo is the familiar rainbow.
 */
export function colormapInput(fallback: ColormapName = "turbo"): HTMLElement & {value: ColormapName} {
  return bindUrl(
    Inputs.select(COLORMAP_NAMES, {
      label: "Colours",
      value: urlValue("colormap", fallback, parseChoice(COLORMAP_NAMES)),
      format: (c: ColormapName) => COLORMAP_LABELS[c]
    }),
    "colormap"
  );
}

export function backendSummary(status: BackendStatus): HTMLElement {
  const root = document.createElement("div");
  root.className = "sx-status";
  root.dataset.backend = status.name;
  root.dataset.probes = JSON.stringify(status.probes);
  root.dataset.remembered = String(status.remembered);
  const strong = document.createElement("strong");
  strong.textContent = status.name;
  const adapter = status.adapter
    ? ` WebGPU adapter: ${[status.adapter.vendor, status.adapter.architecture, status.adapter.description].filter(Boolean).join(" ") || "unnamed"}${status.adapter.software ? " (software)" : ""}.`
    : " No WebGPU adapter.";
  const renderer = status.webgl ? ` WebGL renderer: ${status.webgl.renderer || "unnamed"}${status.webgl.software ? " (software)" : ""}.` : " No WebGL.";
  root.append("Running on ", strong, ` — ${status.reason}${adapter}${renderer}`);
  if (status.probes.length > 0) {
    const probe = document.createElement("span");
    probe.className = "sx-probe sx-muted";
    const timings = status.probes.map((p) => `${p.backend} ${formatMs(p.forwardMs + p.backwardMs)}`).join(", ");
    probe.textContent = ` Probe (one image forward + backward${status.remembered ? ", earlier this session" : ""}): ${timings}.`;
    root.append(probe);
  }
  return root;
}

interface TestHook {
  results: Record<string, unknown>;
  /** How many results were published per key (a new run's result raises it). */
  counts: Record<string, number>;
  /** When the first result per key was published, in ms since the page started loading (the browser benchmark's "time to first map"). */
  firstAt: Record<string, number>;
  /** tfjs's memory now (tensors, bytes; on WebGL also the GPU bytes in use and allocated). */
  memory(): tf.MemoryInfo & {backend: string};
}

function testHook(): TestHook {
  const global = globalThis as Record<string, unknown>;
  global.saliencyExplorer ??= {results: {}, counts: {}, firstAt: {}, memory: () => ({...tf.memory(), backend: tf.getBackend()})} satisfies TestHook;
  return global.saliencyExplorer as TestHook;
}

/** What the tests read: the last explanation per key, with the backend that computed it. */
export function publishResult(key: string, explanation: Explanation | null): void {
  const hook = testHook();
  if (explanation) {
    hook.counts[key] = (hook.counts[key] ?? 0) + 1;
    hook.firstAt[key] ??= performance.now();
  }
  hook.results[key] = explanation && {
    method: explanation.method,
    backend: explanation.backend,
    classIndex: explanation.classIndex,
    width: explanation.map.width,
    height: explanation.map.height,
    map: Array.from(explanation.map.data),
    totalMs: explanation.timings.totalMs,
    options: explanation.options,
    score: explanation.score,
    // SISE / Ada-SISE: what each layer selected and scored (for cross-backend diagnosis).
    layers: (explanation.intermediates?.layers as {layer: string; selected: number[]; alphas: Float32Array; scores: Float32Array}[] | undefined)?.map((l) => ({
      layer: l.layer,
      selected: l.selected,
      alphas: Array.from(l.alphas),
      scores: Array.from(l.scores)
    }))
  };
}

/** Milliseconds for people. */
export function formatMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}
