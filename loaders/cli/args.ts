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
  out: {type: "string"},
  colormap: {type: "string"},
  alpha: {type: "string"},
  "fold-batchnorm": {type: "boolean"},
  json: {type: "boolean"},
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

export const EXPLAIN_OPTIONS: Record<string, OptionConfig> = {
  ...FIXED_OPTIONS,
  ...Object.fromEntries([...PARAMETER_FLAGS.keys()].map((flag) => [flag, {type: "string"} as OptionConfig]))
};

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
