/**
 * Adam's full state as plain arrays, to copy an optimizer from one thread to another exactly:
 * iteration count, the running β powers (copied as they are, not recomputed, so the next update is
 * the same to the bit) and the first and second moments. Reads tfjs's AdamOptimizer fields
 * (tfjs 4.x): its getWeights/setWeights recompute the β powers and leak the old moments.
 */
import * as tf from "@tensorflow/tfjs";

export interface AdamState {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  iterations: number;
  accBeta1: number;
  accBeta2: number;
  /** First moments then second moments, one per trainable variable in order; empty before the first update. */
  moments: Float32Array[];
}

interface Moment {
  originalName: string;
  variable: tf.Variable;
}

interface AdamInternals {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  iterations_: number | undefined;
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
  accumulatedFirstMoment: Moment[];
  accumulatedSecondMoment: Moment[];
}

const internals = (optimizer: tf.AdamOptimizer) => optimizer as unknown as AdamInternals;

export async function readAdamState(optimizer: tf.AdamOptimizer): Promise<AdamState> {
  const adam = internals(optimizer);
  const moments = [...adam.accumulatedFirstMoment, ...adam.accumulatedSecondMoment];
  const [b1, b2, ...values] = await Promise.all([adam.accBeta1.data(), adam.accBeta2.data(), ...moments.map((m) => m.variable.data())]);
  return {
    learningRate: adam.learningRate,
    beta1: adam.beta1,
    beta2: adam.beta2,
    epsilon: adam.epsilon,
    iterations: adam.iterations_ ?? 0,
    accBeta1: b1![0]!,
    accBeta2: b2![0]!,
    moments: values.map((v) => Float32Array.from(v as Float32Array))
  };
}

/** A new Adam with `state`'s hyper-parameters and state, for `variables` (their order). */
export function adamFromState(state: AdamState, variables: readonly tf.Variable[]): tf.AdamOptimizer {
  const optimizer = tf.train.adam(state.learningRate, state.beta1, state.beta2, state.epsilon);
  writeAdamState(optimizer, state, variables);
  return optimizer;
}

/**
 * Gives `optimizer` the iteration count, β powers and moments of `state` (learning rate and
 * β/ε stay the optimizer's own). Existing moment variables are overwritten in place (names kept,
 * e.g. those restored from a checkpoint); missing ones are created as Adam names them.
 */
export function writeAdamState(optimizer: tf.AdamOptimizer, state: AdamState, variables: readonly tf.Variable[]): void {
  const adam = internals(optimizer);
  const count = variables.length;
  if (state.moments.length !== 0 && state.moments.length !== 2 * count) {
    throw new Error(`Adam state has ${state.moments.length} moments for ${count} variables (expected ${2 * count})`);
  }
  adam.iterations_ = state.iterations;
  tf.tidy(() => {
    adam.accBeta1.assign(tf.scalar(state.accBeta1));
    adam.accBeta2.assign(tf.scalar(state.accBeta2));
  });
  const fill = (existing: Moment[], values: Float32Array[], suffix: string): Moment[] => {
    if (values.length === 0) {
      tf.dispose(existing.map((m) => m.variable));
      return [];
    }
    const reusable = existing.length === count && existing.every((m, i) => m.variable.size === values[i]!.length);
    if (!reusable) tf.dispose(existing.map((m) => m.variable));
    return variables.map((v, i) => {
      const value = tf.tensor(values[i]!, v.shape);
      try {
        if (reusable) {
          existing[i]!.variable.assign(value);
          return existing[i]!;
        }
        return {originalName: `${v.name}/${suffix}`, variable: value.variable(false)};
      } finally {
        value.dispose();
      }
    });
  };
  adam.accumulatedFirstMoment = fill(adam.accumulatedFirstMoment, state.moments.slice(0, state.moments.length / 2), "m");
  adam.accumulatedSecondMoment = fill(adam.accumulatedSecondMoment, state.moments.slice(state.moments.length / 2), "v");
}
