/**
 * The parameters each method takes, for forms built from data (the Playground). A method the
 * registry gains later without an entry here runs with its defaults.
 */
import * as Inputs from "@observablehq/inputs";
import {setUrlParams, urlParam} from "./controls.js";
import type {ExplainableModel} from "../lib/model/adapter.js";

export type ParamSpec =
  | {name: string; label: string; kind: "int" | "number"; min: number; max: number; step: number; value: number; note?: string}
  | {name: string; label: string; kind: "choice"; choices: readonly string[]; value: string}
  | {name: string; label: string; kind: "layer"}
  | {name: string; label: string; kind: "layers"};

const layer: ParamSpec = {name: "layer", label: "Layer", kind: "layer"};
const baseline: ParamSpec = {name: "baseline", label: "Baseline", kind: "choice", choices: ["black", "blur", "noise"], value: "black"};
const maxMasks: ParamSpec = {name: "maxMasks", label: "Masks per layer, at most (0 = all)", kind: "int", min: 0, max: 4096, step: 1, value: 0};
const fusion: ParamSpec = {name: "fusion", label: "Fusion gate", kind: "choice", choices: ["hard", "soft"], value: "hard"};

export const METHOD_PARAMS: Record<string, ParamSpec[]> = {
  gradcam: [layer],
  gradcampp: [layer],
  xgradcam: [layer],
  layercam: [layer],
  scorecam: [layer],
  ig: [{name: "steps", label: "Path steps", kind: "int", min: 1, max: 256, step: 1, value: 32}, baseline],
  igcam: [
    layer,
    {name: "steps", label: "Path steps", kind: "int", min: 1, max: 256, step: 1, value: 32},
    baseline,
    {name: "variant", label: "Variant", kind: "choice", choices: ["paper", "code", "integrated-weights"], value: "paper"}
  ],
  rise: [
    {name: "masks", label: "Masks N", kind: "int", min: 16, max: 8000, step: 16, value: 1000},
    {name: "grid", label: "Grid cells s", kind: "int", min: 2, max: 16, step: 1, value: 7},
    {name: "keep", label: "Keep probability p", kind: "number", min: 0.05, max: 1, step: 0.05, value: 0.5},
    {name: "seed", label: "Seed", kind: "int", min: 0, max: 1000, step: 1, value: 0}
  ],
  sise: [{name: "mu", label: "μ", kind: "number", min: -1, max: 1, step: 0.05, value: 0}, maxMasks, fusion],
  adasise: [maxMasks, fusion]
};

/** A form of the method's parameters (values from the URL when present); value = options object. */
export function methodForm(method: string, model: ExplainableModel): HTMLElement & {value: Record<string, unknown>} {
  const specs = METHOD_PARAMS[method] ?? [];
  const inputs: Record<string, unknown> = {};
  for (const spec of specs) {
    const fromUrl = urlParam(spec.name);
    if (spec.kind === "layer") {
      const layers = model.camLayers;
      const ends = new Set(model.blockEnds);
      inputs[spec.name] = Inputs.select(layers, {
        label: spec.label,
        value: fromUrl && layers.includes(fromUrl) ? fromUrl : model.defaultCamLayer,
        format: (l: string) => (ends.has(l) ? `${l} (block end)` : l)
      });
    } else if (spec.kind === "layers") {
      inputs[spec.name] = Inputs.checkbox(model.blockEnds, {label: spec.label, value: model.blockEnds});
    } else if (spec.kind === "choice") {
      inputs[spec.name] = Inputs.select(spec.choices, {label: spec.label, value: fromUrl && spec.choices.includes(fromUrl) ? fromUrl : spec.value});
    } else {
      const v = fromUrl === null ? NaN : Number(fromUrl);
      inputs[spec.name] = Inputs.range([spec.min, spec.max], {
        label: spec.label,
        step: spec.step,
        value: Number.isFinite(v) && v >= spec.min && v <= spec.max ? v : spec.value
      });
    }
  }
  const form = Inputs.form(inputs);
  const others = new Set(Object.values(METHOD_PARAMS).flat().map((s) => s.name));
  for (const s of specs) others.delete(s.name);
  const write = () =>
    setUrlParams({...Object.fromEntries([...others].map((name) => [name, null])), ...Object.fromEntries(specs.map((s) => [s.name, String(form.value[s.name])]))});
  form.addEventListener("input", write);
  write();
  return form;
}

/** Form values → method options (0 masks = no cap). */
export function methodOptions(method: string, values: Record<string, unknown>): Record<string, unknown> {
  const options: Record<string, unknown> = {...values};
  if ((method === "sise" || method === "adasise") && !options.maxMasks) delete options.maxMasks;
  return options;
}
