/**
 * Command-line options of `saliency explain`: the fixed ones, plus every method parameter's
 * flag, read from the methods' declarations (src/lib/explain/param-types.ts) — so a new method
 * or option reaches the CLI and `--help` without an edit here.
 */
import {flagOf, parseParamText} from "../../src/lib/explain/params.js";
import type {ParamSpec} from "../../src/lib/explain/param-types.js";
import type {Method} from "../../src/lib/explain/types.js";
import {METHODS} from "../../src/lib/methods/registry.js";

type OptionConfig = {type: "string" | "boolean"; short?: string};

/** Options of `explain` that are not method parameters. */
const FIXED_OPTIONS = {
  model: {type: "string"},
  image: {type: "string"},
  method: {type: "string"},
  backend: {type: "string"},
  engine: {type: "string"},
  out: {type: "string"},
  face: {type: "string"},
  "whole-image": {type: "boolean"},
  colormap: {type: "string"},
  alpha: {type: "string"},
  "fold-batchnorm": {type: "boolean"},
  json: {type: "boolean"},
  quiet: {type: "boolean", short: "q"},
  verbose: {type: "boolean"},
  help: {type: "boolean", short: "h"}
} satisfies Record<string, OptionConfig>;

/** Every method parameter by its flag (methods share a flag only for the same parameter name). */
function parameterFlags(): Map<string, string> {
  const flags = new Map<string, string>();
  for (const method of Object.values(METHODS)) {
    for (const [name, spec] of Object.entries(method.params)) {
      const flag = flagOf(name, spec);
      const known = flags.get(flag);
      if (known !== undefined && known !== name) throw new Error(`flag --${flag} is declared for both ${known} and ${name}`);
      flags.set(flag, name);
    }
  }
  return flags;
}

export const PARAMETER_FLAGS = parameterFlags();

function methodParameterOptions(): Record<string, OptionConfig> {
  return Object.fromEntries([...PARAMETER_FLAGS.keys()].map((flag) => [flag, {type: "string"} as OptionConfig]));
}

export const EXPLAIN_OPTIONS: Record<string, OptionConfig> = {...FIXED_OPTIONS, ...methodParameterOptions()};

export function parseNumber(name: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || n < min || n > max) {
    throw new Error(`--${name} must be a number from ${min} to ${max}, got "${value}"`);
  }
  return n;
}

/** The method's options from CLI values: only flags given, each parsed and range-checked by its declaration. */
export function methodOptionsFromArgs(method: Method, values: Record<string, string | boolean | undefined>): Record<string, unknown> {
  const options: Record<string, unknown> = {};
  for (const [flag, name] of PARAMETER_FLAGS) {
    const text = values[flag];
    if (typeof text !== "string") continue;
    const spec = method.params[name];
    if (!spec) {
      const own = Object.entries(method.params).map(([n, s]) => `--${flagOf(n, s)}`);
      throw new Error(`--${flag} does not apply to ${method.name} (its options: ${own.join(" ")})`);
    }
    options[name] = parseParamText(name, spec, text);
  }
  return options;
}

/** Options of `saliency batch`: the run's, plus every method parameter's flag. */
export const BATCH_OPTIONS: Record<string, OptionConfig> = {
  model: {type: "string"},
  images: {type: "string"},
  methods: {type: "string"},
  classes: {type: "string"},
  out: {type: "string"},
  workers: {type: "string"},
  shard: {type: "string"},
  "shard-count": {type: "string"},
  backend: {type: "string"},
  engine: {type: "string"},
  quiet: {type: "boolean", short: "q"},
  verbose: {type: "boolean"},
  help: {type: "boolean", short: "h"},
  ...methodParameterOptions()
};

/** Options of `saliency evaluate`: batch's, with a dataset instead of images. */
export const EVALUATE_OPTIONS: Record<string, OptionConfig> = {
  ...Object.fromEntries(Object.entries(BATCH_OPTIONS).filter(([name]) => name !== "images" && name !== "classes")),
  dataset: {type: "string"},
  "class-map": {type: "string"},
  truth: {type: "string"},
  "curve-steps": {type: "string"},
  limit: {type: "string"},
  json: {type: "string"},
  csv: {type: "string"}
};

/** A comma-separated list, trimmed, none empty. */
export function parseList(name: string, value: string): string[] {
  const items = value.split(",").map((s) => s.trim());
  if (items.length === 0 || items.some((s) => s === "")) throw new Error(`--${name} must be a comma-separated list, got "${value}"`);
  return items;
}

export function parseInteger(name: string, value: string, min: number, max: number): number {
  if (!/^\s*\d+\s*$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new Error(`--${name} must be an integer from ${min} to ${max}, got "${value}"`);
  }
  return Number(value);
}

/**
 * Options of several methods from one command line: each method gets the flags it declares; a
 * flag that no chosen method declares is an error.
 */
export function methodsOptionsFromArgs(
  methods: readonly Method[],
  values: Record<string, string | boolean | undefined>
): Record<string, Record<string, unknown>> {
  const options: Record<string, Record<string, unknown>> = Object.fromEntries(methods.map((m) => [m.name, {}]));
  for (const [flag, name] of PARAMETER_FLAGS) {
    const text = values[flag];
    if (typeof text !== "string") continue;
    const takers = methods.filter((m) => m.params[name]);
    if (takers.length === 0) throw new Error(`--${flag} does not apply to ${methods.map((m) => m.name).join(", ")}`);
    for (const method of takers) options[method.name]![name] = parseParamText(name, method.params[name]!, text);
  }
  return options;
}

/** One parameter in `--help`: flag, kind and range, default, help. */
function describe(name: string, spec: ParamSpec): string {
  const kind =
    spec.kind === "int" || spec.kind === "batch"
      ? `${spec.kind === "batch" ? 1 : spec.min}..${spec.max}`
      : spec.kind === "number"
        ? `${spec.exclusiveMin ? "(" : "["}${spec.min}, ${spec.max}]`
        : spec.kind === "choice"
          ? spec.choices.join("|")
          : spec.kind === "score"
            ? "logit|softmax|sigmoid"
            : spec.kind === "layers"
              ? "L1,L2,…"
              : spec.kind === "layer"
                ? "LAYER"
                : "N";
  const fallback = "default" in spec && spec.default !== undefined ? ` (default ${spec.default})` : "";
  return `    --${flagOf(name, spec)} ${kind}`.padEnd(36) + ` ${spec.help}${fallback}`;
}

/** Every method with its parameters, for `--help`. */
export function methodsHelp(): string {
  return Object.entries(METHODS)
    .map(([key, method]) => [`  ${key}: ${method.title} — ${method.summary}`, ...Object.entries(method.params).map(([n, s]) => describe(n, s))].join("\n"))
    .join("\n");
}
