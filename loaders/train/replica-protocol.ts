/** Messages between a data-parallel trainer (data-parallel.ts) and its replica workers (replica-worker.ts). */
import type {AdamState} from "./adam-state.js";

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

export type ReplicaRequest =
  {id: number; kind: "replica-start"; setup: ReplicaSetup} | {id: number; kind: "replica-step"; step: ReplicaStep} | {id: number; kind: "replica-state"};

export type ReplicaResult = ReplicaStepResult | ReplicaState | null;
