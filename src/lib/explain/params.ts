/**
 * Parameter declarations (param-types.ts) put to work: builders for the common ones, the one
 * range check every caller uses, defaults filled in from the model, and text parsing for the
 * CLI and URLs. Batch sizes default from the model's activation size.
 */
import type {ExplainableModel} from "../model/adapter.js";
import {SCORE_MODES, type ScoreMode} from "../model/score.js";
import type {BatchParam, ChoiceParam, ParamSchema, ParamSpec, ParamValues} from "./param-types.js";

/** A choice whose type is the union of its choices. */
export function choice<const C extends string>(choices: readonly C[], value: C, help: string, extra: Partial<ChoiceParam<C>> = {}): ChoiceParam<C> {
  return {kind: "choice", choices, default: value, help, ...extra};
}

export const classParam = {kind: "class", flag: "class", help: "class to explain (default: the top prediction)"} as const;
/**
 * The score a method explains. A "softmax" default means "the class probability": a multi-label
 * model (card score "sigmoid") gets its sigmoid instead (see resolveParams).
 */
export const scoreParam = (value: ScoreMode) =>
  ({
    kind: "score",
    default: value,
    help:
      value === "softmax"
        ? "score explained: logit, softmax or sigmoid (default: the class probability, softmax, or sigmoid for a multi-label model)"
        : "score explained: logit, softmax or sigmoid"
  }) as const;
export const layerParam = {kind: "layer", help: "layer to explain (default: the deepest block end)"} as const;
export const seedParam = {kind: "int", min: 0, max: 2 ** 32 - 1, default: 0, help: "seed of every random choice", slider: {max: 1000, step: 1}} as const;
export const batchParam = (pass: BatchParam["pass"]): BatchParam => ({
  kind: "batch",
  pass,
  max: 4096,
  flag: "batch",
  label: "batch size",
  help: `images per ${pass} batch (default: from the model's activation size)`
});

/** The CLI flag of a parameter. */
export function flagOf(name: string, spec: ParamSpec): string {
  return spec.flag ?? name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

function labelOf(name: string, spec: ParamSpec): string {
  return spec.label ?? name;
}

/** Memory one batch may use for the activations tfjs keeps alive (the wasm heap tops out near 2 GB). */
const BATCH_MEMORY_BYTES = 512 * 1024 * 1024;

/** Floats one image occupies across every layer's output: what a pass keeps until it ends. */
function activationFloatsPerImage(model: ExplainableModel): number {
  let total = model.inputHeight * model.inputWidth * 3;
  for (const layer of model.layers) total += layer.outputShape.reduce<number>((n, d) => n * (d ?? 1), 1);
  return total;
}

/**
 * Images per batch when the caller gives none, from the model's activation size so memory use
 * stays bounded for any architecture (ResNet-50 at 224² gets 1–2, a 64² VGG dozens): a backward
 * pass also holds gradients and temporaries, about three times the forward's footprint.
 */
export function defaultBatchSize(model: ExplainableModel, pass: "forward" | "backward"): number {
  const cap = pass === "forward" ? 256 : 64;
  const bytesPerImage = activationFloatsPerImage(model) * 4 * (pass === "forward" ? 1 : 3);
  return Math.max(1, Math.min(cap, Math.floor(BATCH_MEMORY_BYTES / bytesPerImage)));
}

/** The valid range of a numeric parameter, in words. */
function rangeText(spec: ParamSpec & {min: number; max: number; exclusiveMin?: boolean}): string {
  return spec.exclusiveMin ? `greater than ${spec.min} and at most ${spec.max}` : `from ${spec.min} to ${spec.max}`;
}

/**
 * Checks one value against its declaration; `label` names it in the error ("steps", or "--steps"
 * from the CLI). Model-dependent kinds (layer, layers, class) are checked against `model`.
 */
function checkParam(name: string, spec: ParamSpec, value: unknown, label = labelOf(name, spec)): unknown {
  switch (spec.kind) {
    case "int":
    case "batch": {
      const max = spec.max;
      const min = spec.kind === "batch" ? 1 : spec.min;
      if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
        throw new Error(`${label} must be an integer from ${min} to ${max}, got ${value}`);
      }
      return value;
    }
    case "number": {
      const tooLow = spec.exclusiveMin ? (value as number) <= spec.min : (value as number) < spec.min;
      if (typeof value !== "number" || !Number.isFinite(value) || tooLow || value > spec.max) {
        throw new Error(`${label} must be a number ${rangeText(spec)}, got ${value}`);
      }
      return value;
    }
    case "choice":
      if (typeof value !== "string" || !spec.choices.includes(value)) {
        throw new Error(`unknown ${label} "${value}": choose one of ${spec.choices.join(", ")}`);
      }
      return value;
    case "score":
      if (typeof value !== "string" || !(SCORE_MODES as readonly string[]).includes(value)) {
        throw new Error(`unknown score "${value}": choose one of ${SCORE_MODES.join(", ")}`);
      }
      return value;
    case "class":
      if (typeof value !== "number" || !Number.isInteger(value) || value < 0) {
        throw new Error(`${label} must be a class index (an integer from 0), got ${value}`);
      }
      return value;
    case "layer":
      if (typeof value !== "string" || value === "") throw new Error(`${label} must name a layer`);
      return value;
    case "layers":
      if (!Array.isArray(value) || value.some((v) => typeof v !== "string")) throw new Error(`${label} must be a list of layer names`);
      if (value.length === 0) throw new Error(`${label} must name at least one layer`);
      return value;
  }
}

/** Requested layers, validated, de-duplicated and in graph order (a cascade runs shallow to deep). */
function orderedLayers(model: ExplainableModel, requested: readonly string[] | undefined): string[] {
  const names = requested ?? model.blockEnds;
  if (names.length === 0) throw new Error(`model "${model.meta.name}" has no block ends to sample: pass layers`);
  const nodes = [...new Set(names)].map((name) => model.camNode(name));
  return nodes.sort((a, b) => a.index - b.index).map((n) => n.name);
}

/** Every declared parameter checked, defaults filled in from the declaration and the model. */
export function resolveParams<S extends ParamSchema>(schema: S, options: Record<string, unknown>, model: ExplainableModel): ParamValues<S> {
  const values: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(schema)) {
    const given = options[name];
    const value = given === undefined ? undefined : checkParam(name, spec, given);
    switch (spec.kind) {
      case "layer":
        values[name] = (value as string | undefined) ?? model.defaultCamLayer;
        model.camNode(values[name] as string);
        break;
      case "layers":
        values[name] = orderedLayers(model, value as string[] | undefined);
        break;
      case "class":
        values[name] = value === undefined ? undefined : model.checkClass(value as number);
        break;
      case "batch":
        values[name] = value ?? defaultBatchSize(model, spec.pass);
        break;
      case "score":
        values[name] = value ?? (spec.default === "softmax" ? model.probabilityMode : spec.default);
        break;
      case "int":
        values[name] = value ?? spec.default;
        break;
      default:
        values[name] = value ?? spec.default;
    }
  }
  return values as ParamValues<S>;
}

/** A parameter's value from text (CLI flag, URL): parsed and range-checked, errors name `--flag`. */
export function parseParamText(name: string, spec: ParamSpec, text: string): unknown {
  const label = `--${flagOf(name, spec)}`;
  const quoted = JSON.stringify(text);
  switch (spec.kind) {
    case "int":
    case "batch":
    case "class": {
      const n = Number(text);
      if (!/^-?\d+$/.test(text.trim()) || !Number.isSafeInteger(n)) {
        const range = spec.kind === "class" ? "from 0" : `from ${spec.kind === "batch" ? 1 : spec.min} to ${spec.max}`;
        throw new Error(`${label} must be an integer ${range}, got ${quoted}`);
      }
      return checkParam(name, spec, n, label);
    }
    case "number": {
      const n = text.trim() === "" ? NaN : Number(text);
      if (!Number.isFinite(n)) throw new Error(`${label} must be a number ${rangeText(spec)}, got ${quoted}`);
      return checkParam(name, spec, n, label);
    }
    case "layers":
      return checkParam(
        name,
        spec,
        text
          .split(",")
          .map((s) => s.trim())
          .filter(Boolean),
        label
      );
    default:
      return checkParam(name, spec, text, label);
  }
}

/** A method's cheap settings for smoke runs: every parameter that declares a `quick` value. */
export function quickOptions(schema: ParamSchema): Record<string, unknown> {
  return Object.fromEntries(Object.entries(schema).flatMap(([name, spec]) => (spec.kind === "int" && spec.quick !== undefined ? [[name, spec.quick]] : [])));
}
