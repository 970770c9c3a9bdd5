/**
 * Starting a run from a trained model (`--init`): every weight of the new model is copied from the
 * layer of the same name in the source, which must have weights of the same shapes. The project's
 * CNNs end in global average pooling, so a model trained at 64×64 starts one at 128×128 (the
 * scenes models start from the shapes models: the same ten classes, seen alone and large there).
 *
 * A ResNet may also grow: residual blocks the source lacks entirely (`conv4_block2_*` when the
 * source has only `conv4_block1`) start as the identity, their last batch norm's scale set to 0, so
 * the grown network first computes exactly what the source did and training adds from there.
 */
import * as tf from "@tensorflow/tfjs";

export interface CopiedWeights {
  /** Weight tensors copied from the source. */
  copied: number;
  /** Residual blocks new in the target, started as the identity. */
  grownBlocks: string[];
}

const RESIDUAL_BLOCK = /^(conv\d+_block\d+)_/;

/** Copies `source`'s weights into `target` layer by layer. */
export function copyWeightsByName(target: tf.LayersModel, source: tf.LayersModel, sourceName: string): CopiedWeights {
  const sourceLayers = new Map(source.layers.map((layer) => [layer.name, layer]));
  const sourceBlocks = new Set(source.layers.map((layer) => RESIDUAL_BLOCK.exec(layer.name)?.[1]).filter((b) => b !== undefined));
  const grown = new Set<string>();
  let copied = 0;
  for (const layer of target.layers) {
    const own = layer.getWeights();
    if (own.length === 0) continue;
    const from = sourceLayers.get(layer.name);
    if (!from) {
      const block = RESIDUAL_BLOCK.exec(layer.name)?.[1];
      // Only whole new blocks can start as the identity; a missing layer inside a known block cannot.
      if (block !== undefined && !sourceBlocks.has(block)) {
        grown.add(block);
        continue;
      }
      throw new Error(`--init ${sourceName}: it has no layer "${layer.name}" to start that layer from`);
    }
    const weights = from.getWeights();
    const shapes = (ws: tf.Tensor[]) => ws.map((w) => `[${w.shape.join(", ")}]`).join(" ");
    if (weights.length !== own.length || weights.some((w, i) => !tf.util.arraysEqual(w.shape, own[i]!.shape))) {
      throw new Error(`--init ${sourceName}: layer "${layer.name}" has weights ${shapes(weights)}, this model needs ${shapes(own)}`);
    }
    layer.setWeights(weights);
    copied += weights.length;
  }
  for (const block of grown) startAsIdentity(target, block, sourceName);
  return {copied, grownBlocks: [...grown]};
}

/** A basic block without projection is relu(x + bn2(conv2(...))); gamma = beta = 0 makes it relu(x) = x (x is post-ReLU). */
function startAsIdentity(model: tf.LayersModel, block: string, sourceName: string): void {
  const names = new Set(model.layers.map((layer) => layer.name));
  if (names.has(`${block}_0_conv`)) {
    throw new Error(`--init ${sourceName}: new block "${block}" changes shape (it has a projection), so it cannot start as the identity`);
  }
  const bn = model.getLayer(`${block}_2_bn`);
  // Keras batch-norm weights: gamma, beta, moving mean, moving variance.
  const [gamma, beta, mean, variance] = bn.getWeights() as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
  const zeroGamma = tf.zerosLike(gamma);
  const zeroBeta = tf.zerosLike(beta);
  bn.setWeights([zeroGamma, zeroBeta, mean, variance]);
  tf.dispose([zeroGamma, zeroBeta]);
}
