/**
 * The one model catalogue on the Node side: which model directories a folder holds, each one's
 * card.json, and opening a model by name or path. The CLI, the bench, training and the site's
 * precompute all read models through here, so a card is parsed (and a malformed one reported)
 * the same way everywhere.
 */
import {existsSync, readdirSync, readFileSync, statSync} from "node:fs";
import {basename, dirname, join} from "node:path";
import {CARD_JSON, MODEL_INPUT_KINDS, type ModelInputKind} from "./card.js";

/** The committed models (data/models/), where a bare catalogue name is looked up. */
export const CATALOGUE_DIR = join(import.meta.dirname, "..", "..", "data", "models");

/** One model directory: its name (the folder's), where it is, and its card (null when it has none). */
export interface CatalogueEntry {
  name: string;
  directory: string;
  card: Record<string, unknown> | null;
}

/** The directory of a model given as a directory or a model.json path. */
export function modelDirectory(path: string): string {
  return existsSync(path) && statSync(path).isDirectory() ? path : dirname(path);
}

/** card.json of a model directory (or beside a model.json path), parsed; null when there is none. */
export function readModelCard(path: string): Record<string, unknown> | null {
  const file = join(modelDirectory(path), CARD_JSON);
  if (!existsSync(file)) return null;
  let card: unknown;
  try {
    card = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new Error(`malformed model card ${file}: ${(error as Error).message}`);
  }
  if (typeof card !== "object" || card === null || Array.isArray(card)) throw new Error(`malformed model card ${file}: expected a JSON object`);
  return card as Record<string, unknown>;
}

/** Every directory under `modelsDir` that holds a model.json, sorted by name, with its card. */
export function listModels(modelsDir: string): CatalogueEntry[] {
  if (!existsSync(modelsDir)) return [];
  return readdirSync(modelsDir)
    .filter((name) => !name.startsWith("."))
    .map((name) => join(modelsDir, name))
    .filter((dir) => statSync(dir).isDirectory() && existsSync(join(dir, "model.json")))
    .sort()
    .map((directory) => ({name: basename(directory), directory, card: readModelCard(directory)}));
}

/** The data set a card names ("" when none). */
export function cardDataset(card: Record<string, unknown> | null): string {
  return typeof card?.dataset === "string" ? card.dataset : "";
}

/** A pretrained model ported from a package (card `pretrained: true`): there is no committed split of ours to test it on. */
export function isPretrained(card: Record<string, unknown> | null): boolean {
  return card?.pretrained === true;
}

/** What a card says the model takes (card `input`; absent: a whole image). A value it does not know is an error. */
export function modelInputKind(card: Record<string, unknown> | null, source = "model card"): ModelInputKind {
  const input = card?.input;
  if (input === undefined) return "image";
  if (!MODEL_INPUT_KINDS.includes(input as ModelInputKind)) {
    throw new Error(`malformed ${source}: "input" must be one of ${MODEL_INPUT_KINDS.join(", ")}, got ${JSON.stringify(input)}`);
  }
  return input as ModelInputKind;
}

/**
 * A model given as a path, or by its catalogue name ("face-expression" for data/models/face-expression):
 * an existing path wins; a bare name that is no path but a committed model's folder becomes that folder.
 */
export function resolveModelSpec(spec: string, catalogue = CATALOGUE_DIR): string {
  if (existsSync(spec) || !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(spec)) return spec;
  const directory = join(catalogue, spec);
  return existsSync(join(directory, "model.json")) ? directory : spec;
}
