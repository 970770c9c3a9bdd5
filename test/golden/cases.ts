/**
 * Golden maps: every method on every committed model, pinned before the engine redesign so the
 * redesign (and later refactors) can prove the maps did not change by a single bit.
 * `npx tsx test/golden/write.ts` rewrites test/fixtures/golden-maps.json — only do that when a
 * change is meant to move the maps, and say why in the commit.
 */
import {createHash} from "node:crypto";
import {readImageFile} from "../../loaders/image-io.js";
import {openModel} from "../../loaders/model-files.js";
import {getMethod} from "../../src/lib/methods/registry.js";

export const GOLDEN_MODELS = [
  {model: "data/models/vgg-shapes", image: "data/shapes/test/0003.png"},
  {model: "data/models/resnet-shapes", image: "data/shapes/test/0001.png"},
  {model: "data/models/vgg-defects", image: "data/defects/test/0002.png"}
] as const;

/** Each method with options small enough for a quick run, covering its non-default paths too. */
export const GOLDEN_RUNS: {method: string; options: Record<string, unknown>}[] = [
  {method: "gradcam", options: {}},
  {method: "gradcampp", options: {}},
  {method: "xgradcam", options: {}},
  {method: "layercam", options: {}},
  {method: "scorecam", options: {batchSize: 32}},
  {method: "ig", options: {steps: 8, batchSize: 3}},
  {method: "ig", options: {steps: 4, baseline: "noise", seed: 3, reduce: "sum"}},
  {method: "igcam", options: {steps: 8, batchSize: 3}},
  {method: "igcam", options: {steps: 6, variant: "code", baseline: "blur"}},
  {method: "igcam", options: {steps: 5, variant: "integrated-weights"}},
  {method: "rise", options: {masks: 96, seed: 7, batchSize: 40}},
  {method: "sise", options: {batchSize: 48}},
  {method: "sise", options: {mu: 0.5, maxMasks: 12}},
  {method: "adasise", options: {}},
  {method: "fullgrad", options: {}},
  {method: "extremal", options: {iterations: 20}},
  {method: "extremal", options: {iterations: 12, variant: "delete", area: 0.2}}
];

export interface GoldenEntry {
  model: string;
  method: string;
  options: Record<string, unknown>;
  classIndex: number;
  score: number;
  passes: {forward: number; backward: number};
  /** sha256 of the map's float32 bytes. */
  mapHash: string;
  width: number;
  height: number;
}

export async function computeGoldens(): Promise<GoldenEntry[]> {
  const entries: GoldenEntry[] = [];
  for (const {model: path, image: imagePath} of GOLDEN_MODELS) {
    const model = await openModel(path);
    const image = await readImageFile(imagePath);
    try {
      for (const {method, options} of GOLDEN_RUNS) {
        const result = await getMethod(method).explain(model, image, {...options});
        const data = result.map.data;
        entries.push({
          model: path,
          method,
          options,
          classIndex: result.classIndex,
          score: result.score.value,
          passes: result.passes,
          mapHash: createHash("sha256")
            .update(new Uint8Array(data.buffer, data.byteOffset, data.byteLength))
            .digest("hex"),
          width: result.map.width,
          height: result.map.height
        });
      }
    } finally {
      model.dispose();
    }
  }
  return entries;
}
