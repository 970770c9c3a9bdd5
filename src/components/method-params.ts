/**
 * A method's controls, built from its parameter declaration (src/lib/explain/param-types.ts):
 * the same names, ranges, defaults, choices and help as the engine's checks and the CLI. The
 * class and score have their own pickers on the pages, and batch sizes are the engine's to choose.
 */
import * as Inputs from "@observablehq/inputs";
import {setUrlParams, urlParam} from "./controls.js";
import type {ExplainableModel} from "../lib/model/adapter.js";
import type {ParamSpec} from "../lib/explain/param-types.js";
import {getMethod, METHODS} from "../lib/methods/registry.js";

/** Parameters a page offers as controls (class, score and batch size are set elsewhere). */
export function controlledParams(method: string): [string, ParamSpec][] {
  return Object.entries(getMethod(method).params).filter(([, spec]) => spec.kind !== "class" && spec.kind !== "score" && spec.kind !== "batch");
}

/** Does the method need a layer with spatial extent (a convolutional feature map)? The others work from the pixels. */
export function needsSpatialLayer(method: string): boolean {
  return Object.values(getMethod(method).params).some((spec) => spec.kind === "layer" || spec.kind === "layers");
}

/** The range a slider explores: the declaration's slider hint inside its valid range. */
export function sliderRange(spec: ParamSpec & {kind: "int" | "number"}): {min: number; max: number; step: number} {
  const step = spec.slider?.step ?? (spec.kind === "int" ? 1 : (spec.max - spec.min) / 100);
  const openLow = spec.kind === "number" && spec.exclusiveMin === true;
  return {min: spec.slider?.min ?? (openLow ? spec.min + step : spec.min), max: spec.slider?.max ?? spec.max, step};
}

/** One parameter's control (null: a kind with no control here); `fromUrl`: a starting value as text. */
export function control(name: string, spec: ParamSpec, model: ExplainableModel, fromUrl: string | null): unknown {
  const label = spec.label ?? name;
  switch (spec.kind) {
    case "layer": {
      const layers = model.camLayers;
      const ends = new Set(model.blockEnds);
      return Inputs.select(layers, {
        label,
        value: fromUrl && layers.includes(fromUrl) ? fromUrl : model.defaultCamLayer,
        format: (l: string) => (ends.has(l) ? `${l} (block end)` : l)
      });
    }
    case "layers":
      return Inputs.checkbox(model.blockEnds, {label, value: model.blockEnds});
    case "choice":
      return Inputs.select(spec.choices, {
        label,
        value: fromUrl && spec.choices.includes(fromUrl) ? fromUrl : spec.default,
        format: (c: string) => spec.labels?.[c] ?? c
      });
    case "int":
    case "number": {
      // An optional integer (no default) has "0 = not applied" at the slider's start.
      const {min, max, step} = sliderRange(spec);
      const fallback = spec.default ?? 0;
      const v = fromUrl === null ? NaN : Number(fromUrl);
      const note = spec.default === undefined ? `${label} (0 = none)` : label;
      return Inputs.range([spec.default === undefined ? 0 : min, max], {label: note, step, value: Number.isFinite(v) && v >= min && v <= max ? v : fallback});
    }
    default:
      return null;
  }
}

/** A form of the method's parameters (values from the URL when present); value = options object. */
export function methodForm(method: string, model: ExplainableModel): HTMLElement & {value: Record<string, unknown>} {
  const specs = controlledParams(method);
  const inputs = Object.fromEntries(specs.map(([name, spec]) => [name, control(name, spec, model, urlParam(name))]));
  const form = Inputs.form(inputs);
  // Parameters of the other methods leave the URL, so a link carries only this method's.
  const others = new Set(Object.keys(METHODS).flatMap((m) => controlledParams(m).map(([name]) => name)));
  for (const [name] of specs) others.delete(name);
  const write = () =>
    setUrlParams({
      ...Object.fromEntries([...others].map((name) => [name, null])),
      ...Object.fromEntries(specs.map(([name]) => [name, String(form.value[name])]))
    });
  form.addEventListener("input", write);
  write();
  return form;
}

/** Form values → method options (an optional parameter at 0 is not applied). */
export function methodOptions(method: string, values: Record<string, unknown>): Record<string, unknown> {
  const options: Record<string, unknown> = {...values};
  for (const [name, spec] of controlledParams(method)) if (spec.kind === "int" && spec.default === undefined && !options[name]) delete options[name];
  return options;
}
