/**
 * Pieces every live page shares: the backend, model and class inputs (each kept in the URL),
 * the backend status line, and a hook through which tests read the last result.
 */
import * as Inputs from "@observablehq/inputs";
import {BACKEND_CHOICES, BACKEND_LABELS, type BackendChoice, type BackendStatus} from "./backend.js";
import {bindUrl, parseChoice, urlValue} from "./controls.js";
import type {Prediction} from "./images.js";
import type {Explanation} from "../lib/explain/types.js";
import type {SiteModelEntry} from "../lib/format/site-data.js";

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

export function modelInput(models: readonly SiteModelEntry[], options: {preferDataset?: string} = {}): HTMLElement & {value: SiteModelEntry} {
  const names = models.map((m) => m.name);
  const preferred = models.find((m) => m.dataset === options.preferDataset)?.name ?? names[0];
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

/** Class to explain: every class, predictions shown; default from the URL, else `fallback`. */
export function classInput(classNames: readonly string[], predictions: readonly Prediction[] | null, fallback: number): HTMLElement & {value: number} {
  const probability = new Map((predictions ?? []).map((p) => [p.classIndex, p.probability]));
  const indices = classNames.map((_, i) => i);
  const value = urlValue("class", fallback, (t) => {
    const i = Number(t);
    return Number.isInteger(i) && i >= 0 && i < classNames.length ? i : undefined;
  });
  return bindUrl(
    Inputs.select(indices, {
      label: "Class",
      value,
      format: (i: number) => `${classNames[i]}${probability.has(i) ? ` · p = ${probability.get(i)!.toFixed(2)}` : ""}`
    }),
    "class"
  );
}

export function backendSummary(status: BackendStatus): HTMLElement {
  const root = document.createElement("div");
  root.className = "sx-status";
  root.dataset.backend = status.name;
  const strong = document.createElement("strong");
  strong.textContent = status.name;
  const adapter = status.adapter
    ? ` WebGPU adapter: ${[status.adapter.vendor, status.adapter.architecture, status.adapter.description].filter(Boolean).join(" ") || "unnamed"}${status.adapter.software ? " (software)" : ""}.`
    : " No WebGPU adapter.";
  root.append("Running on ", strong, ` — ${status.reason}${adapter}`);
  return root;
}

/** What the tests read: the last explanation per key, with the backend that computed it. */
export function publishResult(key: string, explanation: Explanation | null): void {
  const hook = ((globalThis as Record<string, unknown>).saliencyExplorer ??= {results: {}}) as {results: Record<string, unknown>};
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
