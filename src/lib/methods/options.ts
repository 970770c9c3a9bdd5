/** Option checks shared by the methods (clear errors for out-of-range values) and default batch sizes. */
import type {ExplainableModel} from "../model/adapter.js";

export function checkIntegerOption(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${name} must be an integer from ${min} to ${max}, got ${value}`);
  }
  return value;
}

/** A finite number in [min, max]; `exclusiveMin` makes the lower end open (e.g. a probability > 0). */
export function checkNumberOption(name: string, value: number, min: number, max: number, exclusiveMin = false): number {
  const tooLow = exclusiveMin ? value <= min : value < min;
  if (typeof value !== "number" || !Number.isFinite(value) || tooLow || value > max) {
    const range = exclusiveMin ? `greater than ${min} and at most ${max}` : `from ${min} to ${max}`;
    throw new Error(`${name} must be a number ${range}, got ${value}`);
  }
  return value;
}

export function checkChoiceOption<T extends string>(name: string, value: string, choices: readonly T[]): T {
  if (!(choices as readonly string[]).includes(value)) {
    throw new Error(`unknown ${name} "${value}": choose one of ${choices.join(", ")}`);
  }
  return value as T;
}

/** Memory one batch may use for the activations tfjs keeps alive (the wasm heap tops out near 2 GB). */
const BATCH_MEMORY_BYTES = 512 * 1024 * 1024;

/** Floats one image occupies across every layer's output: what a pass keeps until it ends. */
export function activationFloatsPerImage(model: ExplainableModel): number {
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

/** The user's batch size (checked) or the default for this kind of pass. */
export function batchSizeOption(model: ExplainableModel, value: number | undefined, pass: "forward" | "backward"): number {
  return value === undefined ? defaultBatchSize(model, pass) : checkIntegerOption("batch size", value, 1, 4096);
}
