/**
 * Per-layer seeded initialisers. Every layer gets its own seed derived from the model seed and a
 * running counter, so two builds with the same seed are weight-identical and layers never share
 * the same random stream.
 */
import * as tf from "@tensorflow/tfjs";

export interface SeededInitialisers {
  /** He-normal, for conv layers followed by ReLU. */
  he(): ReturnType<typeof tf.initializers.heNormal>;
  /** Glorot-uniform, for the final dense layer. */
  glorot(): ReturnType<typeof tf.initializers.heNormal>;
}

export function seededInitialisers(modelSeed: number): SeededInitialisers {
  let counter = 0;
  // Large odd multiplier spreads consecutive counters over the seed space.
  const nextSeed = (): number => ((modelSeed * 7919 + ++counter * 104729) >>> 0) % 2147483647;
  return {
    he: () => tf.initializers.heNormal({seed: nextSeed()}),
    glorot: () => tf.initializers.glorotUniform({seed: nextSeed()})
  };
}
