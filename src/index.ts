/**
 * saliency-explorer: the engine (no DOM, no Node APIs: browsers, workers and Node alike).
 *
 *   import {explain, loadModel, METHODS} from "saliency-explorer";
 *   const model = await loadModel("https://example.org/model/model.json"); // card.json beside it, if any
 *   const result = await explain(model, {width, height, rgb}, {method: "sise"});
 *
 * Files, backends, batches and evaluation in Node: "saliency-explorer/node".
 */
import {ExplainableModel, type ModelMeta} from "./lib/model/adapter.js";
import {loadModelFromParts, metaFromCard} from "./lib/model/load.js";
import {getMethod} from "./lib/methods/registry.js";
import type {CommonOptions, Explanation, RgbImage} from "./lib/explain/types.js";

export {ExplainableModel, type ModelMeta, type ProbeRequest, type ProbeResult} from "./lib/model/adapter.js";
export {loadModelFromParts, loadLayersModelFromParts, metaFromCard, parseModelJson} from "./lib/model/load.js";
export {METHODS, getMethod} from "./lib/methods/registry.js";
export {defaultBatchSize, flagOf, parseParamText, quickOptions, resolveParams} from "./lib/explain/params.js";
export {AbortedError} from "./lib/explain/progress.js";
export type {ParamSchema, ParamSpec, ParamValues} from "./lib/explain/param-types.js";
export type {
  CommonOptions,
  ExplainOptions,
  Explanation,
  Method,
  PassExecutor,
  ProbeBatchRequest,
  ProbeBatchResult,
  Progress,
  RgbImage,
  RunOptions
} from "./lib/explain/types.js";
export type {ScoreMode} from "./lib/model/score.js";
export type {SaliencyMap} from "./lib/maps/types.js";
export * as maps from "./lib/maps/index.js";
export * as metrics from "./lib/metrics/index.js";

/** The parts of a tfjs model: model.json (text or parsed), a reader of its weight shards, and optionally its card. */
export interface ModelParts {
  modelJson: string | object;
  readShard: (path: string) => Promise<ArrayBuffer>;
  /** card.json's contents (class names, preprocessing), if the model has one. */
  card?: unknown;
  /** Name in results (default: the card's name, else "model"). */
  name?: string;
}

async function fetchOk(url: string): Promise<Response> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status} ${response.statusText}`);
  return response;
}

/**
 * A LayersModel or GraphModel ready to explain: from the URL of its model.json (weights and a
 * card.json beside it are fetched from the same folder), or from its parts.
 */
export async function loadModel(source: string | ModelParts, meta: Partial<ModelMeta> = {}): Promise<ExplainableModel> {
  if (typeof source === "string") {
    const base = new URL(".", source);
    const modelJson = await (await fetchOk(source)).text();
    const card = await fetch(new URL("card.json", base)).then(
      (r) => (r.ok ? r.json() : undefined),
      () => undefined
    );
    const readShard = async (path: string) => (await fetchOk(new URL(path, base).href)).arrayBuffer();
    return loadModel({modelJson, readShard, card, name: source}, meta);
  }
  const model = await loadModelFromParts(source.modelJson, source.readShard, source.name ?? "model");
  const fromCard = source.card === undefined ? {} : metaFromCard(source.card, `${source.name ?? "model"} card`);
  return new ExplainableModel(model, {name: source.name ?? "model", ...fromCard, ...meta});
}

/** One explanation: `method` names one of METHODS; the other options are that method's (and the run's). */
export function explain(model: ExplainableModel, image: RgbImage, options: {method: string} & CommonOptions & Record<string, unknown>): Promise<Explanation> {
  const {method, ...rest} = options;
  return getMethod(method).explain(model, image, rest);
}
