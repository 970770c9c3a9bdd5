/** Messages between the pool (main thread) and its workers. Everything here survives structured cloning. */
import type {ModelMeta} from "../../src/lib/model/adapter.js";
import type {ScoreMode} from "../../src/lib/model/score.js";
import type {ProbeBatchRequest, ProbeBatchResult} from "../../src/lib/methods/executor.js";
import type {Explanation, RgbImage} from "../../src/lib/methods/types.js";

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
}

export type WorkerRequest =
  | {id: number; kind: "score"; pixels: Float32Array; count: number; classIndex: number; mode: ScoreMode}
  | {id: number; kind: "probe"; pixels: Float32Array; count: number; request: ProbeBatchRequest}
  | {id: number; kind: "explain"; method: string; image: RgbImage; options: Record<string, unknown>}
  | {id: number; kind: "gradients"; shard: TrainingShard}
  | {id: number; kind: "set-weights"; weights: Float32Array[]};

/** A slice of a training batch: inputs already preprocessed as the model expects them. */
export interface TrainingShard {
  pixels: Float32Array;
  shape: [number, number, number, number];
  labels: Int32Array;
  classes: number;
}

export interface ShardGradients {
  /** Mean cross-entropy over the shard. */
  loss: number;
  /** Correct top-1 predictions in the shard. */
  correct: number;
  /** ∂loss/∂w for every trainable weight, in `model.trainableWeights` order. */
  gradients: Float32Array[];
  /** Every non-trainable weight after the pass (batch-norm moving statistics), in `model.nonTrainableWeights` order. */
  state: Float32Array[];
}

export type WorkerResult = Float32Array | ProbeBatchResult | Explanation | ShardGradients | null;

export type WorkerReply =
  | {kind: "ready"; backend: string; model: string}
  | {kind: "failed"; message: string}
  | {id: number; kind: "done"; result: WorkerResult}
  | {id: number; kind: "error"; message: string};
