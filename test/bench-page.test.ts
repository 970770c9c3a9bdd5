// The Benchmark page's number work (src/components/bench-figures.ts) and the loaders that hand it
// the result files (loaders/site/bench.ts): hand-made records, hand-computed expectations.
import {mkdtempSync, rmSync, writeFileSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {afterEach, beforeEach, describe, expect, it} from "vitest";
import {benchFacesFile, benchFullFile, benchSweepsFile} from "../loaders/site/bench.js";
import {
  bestIndices,
  claimPoints,
  claimVerdict,
  formatFigure,
  sweepReference,
  sweepSeries,
  TABLE1_ROWS,
  type Claim,
  type SweepRow
} from "../src/components/bench-figures.js";

const row = (key: string) => TABLE1_ROWS.find((r) => r.key === key)!;

describe("Table 1 figures", () => {
  it("prints percentages with their decimals and seconds with three significant digits", () => {
    expect(formatFigure(41.26, row("ebpg"))).toBe("41.3");
    expect(formatFigure(0.91234, row("insertionAuc"))).toBe("0.912");
    expect(formatFigure(0.0123456, row("secondsPerImage"))).toBe("0.0123");
    expect(formatFigure(123.4, row("secondsPerImage"))).toBe("123");
    expect(formatFigure(null, row("drop"))).toBe("—");
    expect(formatFigure(Number.NaN, row("drop"))).toBe("—");
  });

  it("stars the best as printed, ties included, and nothing with one value", () => {
    // Drop: lower is better; 12.04 and 12.01 both print 12.0.
    expect([...bestIndices([12.04, 15, 12.01, null], row("drop"))].sort()).toEqual([0, 2]);
    expect([...bestIndices([40, 55.5, null], row("ebpg"))]).toEqual([1]);
    expect(bestIndices([40, null], row("ebpg")).size).toBe(0);
  });
});

const claim = (id: string, measured: Record<string, number>, confirmed: boolean | null = true): Claim => ({
  id,
  statement: id,
  paper: "",
  measured,
  confirmed,
  significant: null,
  detail: ""
});

describe("claims as paired differences", () => {
  it("orients each claim as it reads and says whether the interval clears the threshold", () => {
    const [ebpg] = claimPoints(claim("sise-vs-gradcam-ebpg", {difference: 4, ci95: 3}), "vgg");
    expect(ebpg).toMatchObject({difference: 4, ci95: 3, side: "above", threshold: 0, clear: true, term: "SISE − Grad-CAM, EBPG"});
    const [drop] = claimPoints(claim("sise-vs-gradcam-drop", {difference: -1, ci95: 2}), "vgg");
    expect(drop!.clear).toBe(false); // -1 + 2 = 1 is not below 0
    // The file has Grad-CAM − Grad-CAM++; the claim says Grad-CAM++'s Drop is higher: plotted negated.
    const [pp] = claimPoints(claim("gradcampp-vs-gradcam-drop", {difference: -2.5, ci95: 1}), "vgg");
    expect(pp).toMatchObject({difference: 2.5, side: "above", clear: true});
  });

  it("draws Ada-SISE's quality claim as two changes against the comparable margin", () => {
    const points = claimPoints(claim("adasise-quality", {ebpgChange: -1, ebpgChangeCi95: 1.5, dropChange: 2, dropChangeCi95: 2}), "resnet");
    expect(points.map((p) => [p.term, p.threshold, p.clear])).toEqual([
      ["Ada-SISE − SISE, EBPG", -3, true], // -2.5 > -3
      ["Ada-SISE − SISE, Drop", 3, false] // 4 is not < 3
    ]);
  });

  it("gives no point for a claim not run, unknown or without a number, and no interval when the file has none", () => {
    expect(claimPoints(claim("sise-vs-gradcam-ebpg", {difference: 1}, null), "m")).toEqual([]);
    expect(claimPoints(claim("no-such-claim", {difference: 1}), "m")).toEqual([]);
    expect(claimPoints(claim("sise-vs-gradcam-ebpg", {}), "m")).toEqual([]);
    expect(claimPoints(claim("sise-vs-gradcam-ebpg", {difference: 1}), "m")[0]).toMatchObject({ci95: null, clear: null});
  });

  it("words the verdict", () => {
    expect(claimVerdict({confirmed: null, significant: null})).toBe("not run");
    expect(claimVerdict({confirmed: true, significant: false})).toBe("holds, within noise");
    expect(claimVerdict({confirmed: false, significant: true})).toBe("does not hold, beyond noise");
  });
});

describe("sweeps", () => {
  const rows: SweepRow[] = [
    {model: "m", sweep: "sise-mu", method: "sise", param: "mu", value: 0.5, metric: "ebpg", mean: 40, ci95: 2, pairs: 10},
    {model: "m", sweep: "sise-mu", method: "sise", param: "mu", value: 0, metric: "ebpg", mean: 38, ci95: null, pairs: 10},
    {model: "m", sweep: "sise-mu", method: "sise", param: "mu", value: 0.3, metric: "ebpg", mean: null, ci95: null, pairs: 0},
    {model: "m", sweep: "sise-mu", method: "adasise", param: null, value: null, metric: "ebpg", mean: 39, ci95: 1, pairs: 10},
    {model: "other", sweep: "sise-mu", method: "sise", param: "mu", value: 0.75, metric: "ebpg", mean: 1, ci95: 1, pairs: 1}
  ];

  it("orders one model's settings by value, leaves out settings without a number, spans each interval", () => {
    expect(sweepSeries(rows, "m", "sise-mu", "ebpg")).toEqual([
      {value: 0, mean: 38, low: 38, high: 38, ci95: null, pairs: 10},
      {value: 0.5, mean: 40, low: 38, high: 42, ci95: 2, pairs: 10}
    ]);
  });

  it("keeps the method run at its defaults beside the sweep as a reference", () => {
    expect(
      sweepReference(
        rows.filter((r) => r.param === null),
        "m",
        "sise-mu",
        "ebpg"
      )
    ).toEqual({mean: 39, low: 38, high: 40, ci95: 1, pairs: 10});
    expect(sweepReference([], "m", "sise-mu", "ebpg")).toBeNull();
  });
});

describe("result files for the page", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "bench-page-"));
    process.env.SALIENCY_RESULTS_DIR = dir;
  });
  afterEach(() => {
    delete process.env.SALIENCY_RESULTS_DIR;
    rmSync(dir, {recursive: true, force: true});
  });

  it("says why when a file is missing, malformed or of another schema", () => {
    expect(benchFullFile()).toMatchObject({available: false, reason: "the full protocol has not been run yet"});
    expect(benchSweepsFile()).toMatchObject({available: false, reason: "the sweeps have not been run yet"});
    expect(benchFacesFile()).toMatchObject({available: false, reason: "the faces section has not been run yet"});
    writeFileSync(join(dir, "bench-full.json"), "{not json");
    expect(benchFullFile().available).toBe(false);
    expect(benchFullFile().reason).toMatch(/could not be read/);
    writeFileSync(join(dir, "bench-faces.json"), JSON.stringify({schema: "other/1", methods: [{}]}));
    expect(benchFacesFile().reason).toBe('unknown schema "other/1"');
    writeFileSync(join(dir, "bench-sweeps.csv"), "model,sweep\nm,s\n");
    expect(benchSweepsFile().reason).toBe("missing columns method, param, value, metric, mean, ci95, pairs");
  });

  it("types the sweeps' CSV (empty cells are null) and takes the report's first line as the header", () => {
    writeFileSync(
      join(dir, "bench-sweeps.csv"),
      "model,sweep,method,param,value,metric,mean,ci95,pairs\nm,sise-mu,sise,mu,0.5,ebpg,40.5,1.25,12\nm,sise-mu,adasise,,,ebpg,39,,12\n"
    );
    writeFileSync(join(dir, "bench-sweeps.txt"), "# npm run bench:sweeps (2026-12-06)\nmore\n");
    const file = benchSweepsFile();
    expect(file.available).toBe(true);
    expect(file.result!.header).toBe("npm run bench:sweeps (2026-12-06)");
    expect(file.result!.rows).toEqual([
      {model: "m", sweep: "sise-mu", method: "sise", param: "mu", value: 0.5, metric: "ebpg", mean: 40.5, ci95: 1.25, pairs: 12},
      {model: "m", sweep: "sise-mu", method: "adasise", param: null, value: null, metric: "ebpg", mean: 39, ci95: null, pairs: 12}
    ]);
  });

  it("passes the full protocol's models through with the probability and the registry's methods", () => {
    const model = {name: "m", split: "data/scenes/test", probability: "sigmoid", methods: [{method: "sise"}], claims: []};
    writeFileSync(join(dir, "bench-full.json"), JSON.stringify({schema: "saliency-bench-full/1", models: [model]}));
    const file = benchFullFile();
    expect(file.available).toBe(true);
    const result = file.result as {models: {probability: string; split: string}[]; registry: {method: string}[]};
    expect(result.models[0]).toMatchObject({probability: "sigmoid", split: "data/scenes/test"});
    expect(result.registry.map((r) => r.method)).toContain("extremal");
  });

  it("drops the faces section's per-crop rows, which the page does not draw", () => {
    writeFileSync(join(dir, "bench-faces.json"), JSON.stringify({schema: "saliency-bench-faces/1", methods: [{method: "sise"}], rows: [1, 2, 3]}));
    const file = benchFacesFile();
    expect(file.available).toBe(true);
    expect(file.result).toEqual({schema: "saliency-bench-faces/1", methods: [{method: "sise"}]});
  });
});

describe("canvas pixels to the engine's RGB", () => {
  it("drops alpha and keeps the order, and round-trips with rgbToRgba", async () => {
    const {rgbaToRgb, rgbToRgba} = await import("../src/components/draw.js");
    const rgba = [1, 2, 3, 255, 4, 5, 6, 0];
    expect([...rgbaToRgb(rgba, 2, 1)]).toEqual([1, 2, 3, 4, 5, 6]);
    expect([...rgbToRgba(rgbaToRgb(rgba, 2, 1), 2, 1)]).toEqual([1, 2, 3, 255, 4, 5, 6, 255]);
  });
});
