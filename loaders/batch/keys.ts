/**
 * Content keys of results: one result per (model, method, options, image, class) is named by a
 * hash of all of them, so a rerun, another shard or the site's build finds it again, and any
 * change to what a map depends on gives a new name. The parts:
 * - model: its topology, weights and the card's preprocessing and class names (not its name),
 *   taken from the loaded model, so a model read from files and the same one read from the site's
 *   packed copy agree;
 * - method and options: the method's name and every declared parameter with defaults filled in
 *   from the model, so `--steps 16` and the default 16 agree (the class is its own part);
 * - image: the decoded pixels with their size, so the same picture in PNG or re-saved agrees;
 * - class: an index, or "top" (the model's top prediction);
 * - engine: a hash of the engine's own files (src/lib), so a changed method recomputes.
 * Not a part: the forward engine (ONNX Runtime or tfjs for the masked inputs; the record says
 * which). Its maps match tfjs's within 1e-4 on every method and committed model (float rounding of
 * the logits; test/onnx-methods.test.ts), below the site's 1/255 quantisation and any metric's
 * resolution, so a map made either way is the same result: runs with and without onnxruntime-node
 * share one cache, and shards made on both kinds of machine merge.
 */
import {createHash, type Hash} from "node:crypto";
import {existsSync, readdirSync, readFileSync, statSync} from "node:fs";
import {dirname, join, relative, resolve} from "node:path";
import {fileURLToPath} from "node:url";
import type {ExplainableModel} from "../../src/lib/model/adapter.js";
import {resolveParams} from "../../src/lib/explain/params.js";
import type {Method, RgbImage} from "../../src/lib/explain/types.js";
import {modelPayload} from "../pool/model-transfer.js";

export const KEY_SCHEMA = "saliency-result/1";

/** The class asked for: an index, or the model's top prediction. */
export type ClassRequest = number | "top";

const sha256 = (): Hash => createHash("sha256");

/** JSON with object keys sorted at every level (the same options always give the same text). */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === "object" && !Array.isArray(v) && !ArrayBuffer.isView(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v
  );
}

function* filesUnder(path: string): Generator<string> {
  if (!existsSync(path)) return;
  if (statSync(path).isFile()) {
    yield path;
    return;
  }
  for (const name of readdirSync(path).sort()) yield* filesUnder(join(path, name));
}

let engineHash: string | null = null;

/** Hash of the engine's files (src/lib, or its compiled copy in a package), once per process. */
export function engineFingerprint(): string {
  if (engineHash) return engineHash;
  const engine = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "src", "lib");
  const hash = sha256();
  let files = 0;
  for (const file of filesUnder(engine)) {
    hash.update(relative(engine, file)).update("\0").update(readFileSync(file)).update("\0");
    files++;
  }
  if (files === 0) throw new Error(`the engine's files were not found at ${engine}`);
  engineHash = hash.digest("hex").slice(0, 16);
  return engineHash;
}

/** Hash of what the model computes: topology, weights, preprocessing and class names. */
export async function modelFingerprint(model: ExplainableModel): Promise<string> {
  const saved = await modelPayload(model);
  if (saved.kind !== "artifacts") throw new Error(`model "${model.meta.name}" could not be serialised for its content key`);
  return sha256()
    .update(saved.format)
    .update("\0")
    .update(canonicalJson(saved.modelTopology))
    .update("\0")
    .update(canonicalJson(saved.weightSpecs))
    .update("\0")
    .update(new Uint8Array(saved.weightData))
    .update("\0")
    .update(canonicalJson({preprocessing: model.meta.preprocessing, classNames: model.meta.classNames}))
    .digest("hex")
    .slice(0, 32);
}

/** Hash of an image's pixels and size. */
export function imageFingerprint(image: RgbImage): string {
  const {rgb} = image;
  const bytes = new Uint8Array(rgb.buffer, rgb.byteOffset, rgb.byteLength);
  return sha256().update(`${image.width}x${image.height}:${rgb.constructor.name}\0`).update(bytes).digest("hex").slice(0, 32);
}

/**
 * The method's options as they take effect: every declared parameter, defaults filled in from
 * the model, without the class (a part of its own) and without run options (progress, signals).
 */
export function effectiveOptions(method: Method, options: Record<string, unknown>, model: ExplainableModel): Record<string, unknown> {
  const {classIndex: _class, signal: _signal, onProgress: _progress, executor: _executor, ...given} = options;
  const resolved = resolveParams(method.params, given, model) as Record<string, unknown>;
  delete resolved.classIndex;
  return Object.fromEntries(Object.entries(resolved).filter(([, v]) => v !== undefined));
}

export interface KeyParts {
  model: string;
  method: string;
  /** effectiveOptions() of the method. */
  options: Record<string, unknown>;
  image: string;
  classRequest: ClassRequest;
}

/** The content key: 32 hex digits. */
export function resultKey(parts: KeyParts): string {
  return sha256()
    .update(canonicalJson({schema: KEY_SCHEMA, engine: engineFingerprint(), ...parts}))
    .digest("hex")
    .slice(0, 32);
}
