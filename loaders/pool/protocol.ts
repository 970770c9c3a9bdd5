/**
 * Messages between the main thread and model workers (workers.ts, worker-host.ts): the setup and
 * replies every model worker shares, and the executor pool's requests. Everything here survives
 * structured cloning.
 */
import type {ModelMeta} from "../../src/lib/model/adapter.js";
import type {ScoreMode} from "../../src/lib/model/score.js";
import type {ProbeBatchRequest, ProbeBatchResult} from "../../src/lib/explain/executor.js";
import type {MaskRecipeRequest, MaskRecipeResult} from "../../src/lib/explain/mask-recipes.js";
import type {RgbImage} from "../../src/lib/explain/types.js";
import type {EngineChoice} from "../onnx/engine.js";
import type {EngineExplanation} from "../onnx/run-engine.js";

/** How a worker gets its copy of the model. */
export type ModelPayload =
  /** Saved from the main thread's model: topology + weights, so that seeded or in-memory models work too. */
  | {kind: "artifacts"; format: "layers-model" | "graph-model"; modelTopology: object; weightSpecs: object[]; weightData: ArrayBuffer; meta: ModelMeta}
  /** Opened by the worker itself (loaders/model-files.ts `openModel`): a model directory, model.json or `nsfwjs:<name>`. */
  | {kind: "spec"; spec: string};

export interface WorkerSetup {
  model: ModelPayload;
  /** Backend the worker selects (loaders/backend.ts). */
  backend: string;
  /** Forward engine of the worker's explain requests (loaders/onnx/run-engine.ts); tfjs without it. */
  engine?: WorkerEngine;
}

/** A worker's own forward engine: the choice, and the ONNX Runtime threads of its session. */
export interface WorkerEngine {
  choice: EngineChoice;
  threads: number;
}

/** Every model worker answers this one with its live tensor count (for leak checks). */
export type MemoryRequest = {id: number; kind: "memory"};

export type WorkerReply =
  | {kind: "ready"; backend: string; model: string}
  | {kind: "failed"; message: string}
  | {id: number; kind: "done"; result: unknown}
  | {id: number; kind: "error"; message: string};

/** The executor pool's requests (pool.ts → worker.ts). */
export type ExecutorRequest =
  | {id: number; kind: "score"; pixels: Float32Array; count: number; classIndex: number; mode: ScoreMode}
  | {id: number; kind: "probe"; pixels: Float32Array; count: number; request: ProbeBatchRequest}
  | {id: number; kind: "score-masks"; request: MaskRecipeRequest}
  | {id: number; kind: "explain"; method: string; image: RgbImage; options: Record<string, unknown>};

export type ExecutorResult = Float32Array | ProbeBatchResult | MaskRecipeResult | EngineExplanation;
