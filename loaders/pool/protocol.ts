/** Messages between the pool (main thread) and its workers. Everything here survives structured cloning. */
import type {ModelMeta} from "../../src/lib/model/adapter.js";
import type {ScoreMode} from "../../src/lib/model/score.js";
import type {ProbeBatchRequest, ProbeBatchResult} from "../../src/lib/explain/executor.js";
import type {MaskRecipeRequest, MaskRecipeResult} from "../../src/lib/explain/mask-recipes.js";
import type {Explanation, RgbImage} from "../../src/lib/explain/types.js";
import type {AdamState} from "./adam-state.js";

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
  | {id: number; kind: "score-masks"; request: MaskRecipeRequest}
  | {id: number; kind: "explain"; method: string; image: RgbImage; options: Record<string, unknown>}
  | {id: number; kind: "replica-start"; setup: ReplicaSetup}
  | {id: number; kind: "replica-step"; step: ReplicaStep}
  | {id: number; kind: "replica-state"}
  | {id: number; kind: "memory"};

/** A worker's part in data-parallel training with a shared-memory all-reduce (see replica.ts). */
export interface ReplicaSetup {
  /** This worker's index among the `parties` workers of the trainer. */
  rank: number;
  parties: number;
  /** `parties` slots of `slotLength` floats: gradients (trainable order), then non-trainable weights. */
  exchange: SharedArrayBuffer;
  slotLength: number;
  /** Barrier and abort words (Int32), see replica.ts CONTROL. */
  control: SharedArrayBuffer;
  /** The trainer's Adam: hyper-parameters and state, copied exactly. */
  optimizer: AdamState;
}

export interface ReplicaStep {
  /** This worker's slice of the batch, or null when the batch has fewer samples than workers. */
  shard: TrainingShard | null;
  /** Every worker's share of the batch (its samples / batch size), by rank. */
  shares: number[];
  learningRate: number;
}

export interface ReplicaStepResult {
  /** Mean cross-entropy over this worker's shard (0 without one). */
  loss: number;
  correct: number;
}

export interface ReplicaState {
  /** Every weight, `model.weights` order. */
  weights: Float32Array[];
  optimizer: AdamState;
}

/** A slice of a training batch: inputs already preprocessed as the model expects them. */
export interface TrainingShard {
  pixels: Float32Array;
  shape: [number, number, number, number];
  labels: Int32Array;
  classes: number;
}

export type WorkerResult = number | Float32Array | ProbeBatchResult | MaskRecipeResult | Explanation | ReplicaStepResult | ReplicaState | null;

export type WorkerReply =
  | {kind: "ready"; backend: string; model: string}
  | {kind: "failed"; message: string}
  | {id: number; kind: "done"; result: WorkerResult}
  | {id: number; kind: "error"; message: string};
