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

const REFERENCE_PIXELS = 224 * 224;

/**
 * Images per batch when the caller gives none, scaled from a budget at 224×224 so memory use stays
 * about the same for any input size: forward-only batches keep no gradient state and can be larger.
 */
export function defaultBatchSize(model: ExplainableModel, pass: "forward" | "backward"): number {
  const [atReference, cap] = pass === "forward" ? [32, 256] : [8, 64];
  const scaled = Math.floor((atReference * REFERENCE_PIXELS) / (model.inputHeight * model.inputWidth));
  return Math.max(1, Math.min(cap, scaled));
}

/** The user's batch size (checked) or the default for this kind of pass. */
export function batchSizeOption(model: ExplainableModel, value: number | undefined, pass: "forward" | "backward"): number {
  return value === undefined ? defaultBatchSize(model, pass) : checkIntegerOption("batch size", value, 1, 4096);
}
