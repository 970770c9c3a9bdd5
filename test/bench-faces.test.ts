/**
 * The bench's faces section: intervals over few faces (Student's t, hand-computed), per-face
 * means, the table, and one small run on a real face crop (its own top class explained, figures
 * finite, the edge-detector control failing the sanity check).
 */
import {beforeAll, describe, expect, it} from "vitest";
import {selectNodeBackend} from "../loaders/backend.js";
import {
  facesReport,
  facesSettings,
  facesTable,
  perFaceMeans,
  runFacesBench,
  tHalfWidth95,
  tQuantile975,
  type FacesBenchResult
} from "../loaders/bench/faces.js";
import type {ImageRow} from "../loaders/bench/types.js";
import {openModel} from "../loaders/model-files.js";

const row = (file: string, probability: number, keptProbability: number, deletionAuc: number): ImageRow => ({
  model: "m",
  method: "gradcam",
  file,
  classIndex: 0,
  predicted: 0,
  explainedScore: "logit",
  ebpg: null,
  bbox: null,
  iou: null,
  pointingHit: null,
  probability,
  keptProbability,
  deletionAuc,
  insertionAuc: 0.5,
  ms: 10,
  forwardPasses: 1,
  backwardPasses: 1
});

describe("intervals over faces", () => {
  it("uses Student's t quantiles: the table up to 30 degrees of freedom, then the expansion", () => {
    expect(tQuantile975(1)).toBe(12.706);
    expect(tQuantile975(6)).toBe(2.447);
    // t(0.975, 40) = 2.0211 and t(0.975, 120) = 1.9799 (tables).
    expect(tQuantile975(40)).toBeCloseTo(2.0211, 3);
    expect(tQuantile975(120)).toBeCloseTo(1.9799, 3);
    expect(() => tQuantile975(0)).toThrow(/positive integer/);
  });

  it("gives the t half-width of a mean (hand-computed) and NaN for one value", () => {
    // 1, 2, 3, 4: mean 2.5, sample variance 5/3, standard error sqrt(5/12) = 0.6455, t(3) = 3.182.
    expect(tHalfWidth95([1, 2, 3, 4])).toBeCloseTo(3.182 * Math.sqrt(5 / 12), 9);
    expect(tHalfWidth95([7])).toBeNaN();
  });

  it("averages each face's views first", () => {
    const rows = [row("a#0 margin 0.15", 1, 0.5, 0.2), row("a#0 margin 0.25", 1, 0.7, 0.4), row("b#0 margin 0.15", 0.5, 0.5, 0.6)];
    const faceOf = (r: ImageRow) => r.file.split(" ")[0]!;
    // Drop terms 50, 30 (face a) and 0 (face b).
    expect(perFaceMeans(rows, faceOf, "drop")).toEqual([40, 0]);
    expect(perFaceMeans(rows, faceOf, "deletionAuc").map((v) => Math.round(v * 1e9) / 1e9)).toEqual([0.3, 0.6]);
  });

  it("prints one row per method with the best starred and the control's verdict", () => {
    const metrics = (drop: number) => ({drop, increase: 0, deletionAuc: 0.2, insertionAuc: 0.7});
    const intervals = {drop: 1.5, increase: 0, deletionAuc: 0.01, insertionAuc: 0.02};
    const result = {
      methods: [
        {method: "gradcam", metrics: metrics(40), faceIntervals: intervals, secondsPerCrop: 0.1},
        {method: "sise", metrics: metrics(20), faceIntervals: intervals, secondsPerCrop: 1}
      ],
      sanity: {
        images: ["x"],
        steps: ["a"],
        seed: 1,
        methods: [
          {method: "gradcam", correlations: [[0.1]], meanAbsFinal: 0.1, threshold: 0.5, pass: true, control: false},
          {method: "edges", correlations: [[1]], meanAbsFinal: 1, threshold: 0.5, pass: false, control: true}
        ]
      }
    } as unknown as FacesBenchResult;
    const lines = facesTable(result).split("\n");
    expect(lines[2]).toMatch(/^gradcam\s+40\.00 {2}± 1\.50\s+0\.00\* ± 0\.00.*0\.100 pass\s+0\.10$/);
    expect(lines[3]).toMatch(/^sise\s+20\.00\* ± 1\.50/);
    expect(lines[3]).toMatch(/– {2}\s*1\.00$/);
    expect(lines[4]).toMatch(/^edges \(control\)\s+–.*1\.000 FAIL/);
  });
});

describe("faces section on a real photo", () => {
  beforeAll(async () => {
    await selectNodeBackend("wasm");
  });

  it("explains the model's own top class on a face crop and scores it without ground truth", async () => {
    const model = await openModel("data/models/face-expression");
    try {
      const settings = {...facesSettings({quick: true, methods: ["gradcam"], sanityImages: 1}), maxFaces: 1};
      const result = await runFacesBench(model, settings);
      expect(result.faces.map((f) => [f.id, f.small])).toEqual([["astronaut.jpg#0", false]]);
      expect(result.crops).toBe(1);
      expect(result.failures).toEqual([]);
      const [crop] = result.rows;
      expect(crop!.file).toBe("astronaut.jpg#0 margin 0.25");
      expect(crop!.classIndex).toBe(crop!.predicted);
      expect(result.faces[0]!.predicted).toBe(model.meta.classNames[crop!.predicted]);
      expect(crop!.ebpg).toBeNull();
      const [gradcam] = result.methods;
      for (const value of Object.values(gradcam!.metrics)) expect(Number.isFinite(value)).toBe(true);
      expect(gradcam!.faceIntervals.drop).toBeNaN(); // one face: no interval
      expect(result.sanity!.methods.map((m) => [m.method, m.control])).toEqual([
        ["gradcam", false],
        ["edges", true]
      ]);
      expect(result.sanity!.methods[1]!.pass).toBe(false);
      expect(facesReport(result)).toMatch(/1 faces in 1 photos, 1 crops/);
    } finally {
      model.dispose();
    }
  });
});
