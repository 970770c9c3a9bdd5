/**
 * The capture phase: one forward pass, and with a class one backward pass, giving activations
 * and gradients of the class score at several layers (and at the pixels when asked). The
 * tensors belong to the run (held by the context).
 */
import type * as tf from "@tensorflow/tfjs";
import type {ProbeRequest, ProbeResult} from "../model/adapter.js";
import type {ExplainContext} from "./pipeline.js";

export function capture(context: ExplainContext, request: ProbeRequest, pixels: tf.Tensor4D = context.pixels): ProbeResult {
  const probe = context.model.probe(pixels, {score: context.scoreMode, ...request});
  context.hold([probe.logits, ...probe.activations]);
  if (probe.scores) context.hold([probe.scores, probe.classes!, ...probe.gradients!]);
  if (probe.inputGradient) context.hold(probe.inputGradient);
  return probe;
}
