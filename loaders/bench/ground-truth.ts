/**
 * Ground truth G of one class in one image (algorithms.md, Metrics): the union of the class's
 * boxes (the paper's protocol) or of its visible-pixel masks. null when the class is absent
 * (e.g. a defect-free `normal` image), so localisation is left out for that image.
 */
import {boxesToMask, unionMasks} from "../../src/lib/metrics/masks.js";
import type {Instance} from "../datasets/types.js";

export function classTruth(instances: readonly Instance[], classIndex: number, width: number, height: number, truth: "box" | "mask"): Uint8Array | null {
  const own = instances.filter((i) => i.classIndex === classIndex);
  if (own.length === 0) return null;
  const mask =
    truth === "box"
      ? boxesToMask(
          own.map((i) => i.box),
          width,
          height
        )
      : unionMasks(own.map((i) => i.mask));
  return mask.some((v) => v !== 0) ? mask : null;
}
