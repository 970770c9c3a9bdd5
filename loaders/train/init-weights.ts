/**
 * Starting a run from a trained model (`--init`): every weight of the new model is copied from the
 * layer of the same name in the source, which must have weights of the same shapes. The project's
 * CNNs end in global average pooling, so a model trained at 64×64 starts one at 128×128 (the
 * scenes models start from the shapes models: the same ten classes, seen alone and large there).
 */
import * as tf from "@tensorflow/tfjs";

/** Copies `source`'s weights into `target` layer by layer; returns the number of tensors copied. */
export function copyWeightsByName(target: tf.LayersModel, source: tf.LayersModel, sourceName: string): number {
  const sourceLayers = new Map(source.layers.map((layer) => [layer.name, layer]));
  let copied = 0;
  for (const layer of target.layers) {
    const own = layer.getWeights();
    if (own.length === 0) continue;
    const from = sourceLayers.get(layer.name);
    if (!from) throw new Error(`--init ${sourceName}: it has no layer "${layer.name}" to start that layer from`);
    const weights = from.getWeights();
    const shapes = (ws: tf.Tensor[]) => ws.map((w) => `[${w.shape.join(", ")}]`).join(" ");
    if (weights.length !== own.length || weights.some((w, i) => !tf.util.arraysEqual(w.shape, own[i]!.shape))) {
      throw new Error(`--init ${sourceName}: layer "${layer.name}" has weights ${shapes(weights)}, this model needs ${shapes(own)}`);
    }
    layer.setWeights(weights);
    copied += weights.length;
  }
  return copied;
}
