import {spawnSync} from "node:child_process";
import {existsSync, mkdtempSync, readFileSync, writeFileSync, copyFileSync, mkdirSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import * as tf from "@tensorflow/tfjs";
import {PNG} from "pngjs";
import {beforeAll, describe, expect, it} from "vitest";
import {encodePng} from "../loaders/image-io.js";
import {saveLayersModelToDir} from "../loaders/models/save.js";
import {residualModel, testImage} from "./helpers/tiny-models.js";

const work = mkdtempSync(join(tmpdir(), "saliency-cli-"));
const modelDir = join(work, "model");
const imagePath = join(work, "image.png");

function cli(...args: string[]): {status: number | null; stdout: string; stderr: string} {
  const run = spawnSync(process.execPath, ["bin/saliency.js", ...args], {encoding: "utf8", timeout: 120_000});
  return {status: run.status, stdout: run.stdout, stderr: run.stderr};
}

beforeAll(async () => {
  await tf.setBackend("cpu");
  await saveLayersModelToDir(residualModel(16, 3, 2), modelDir);
  writeFileSync(
    join(modelDir, "card.json"),
    JSON.stringify({name: "tiny", classNames: ["ring", "star", "cross"], preprocessing: {range: [0, 1], mean: [0, 0, 0], std: [1, 1, 1]}})
  );
  const {rgb} = testImage(24, 20, 3);
  const rgba = new Uint8Array(24 * 20 * 4).map((_, i) => (i % 4 === 3 ? 255 : rgb[Math.floor(i / 4) * 3 + (i % 4)]!));
  writeFileSync(imagePath, encodePng(24, 20, rgba));
});

describe("saliency layers", () => {
  it("lists layers with shapes, CAM capability and block ends as JSON", () => {
    const run = cli("layers", "--model", modelDir, "--json", "--backend", "cpu");
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    const listing = JSON.parse(run.stdout);
    expect(listing.classes).toEqual(["ring", "star", "cross"]);
    expect(listing.layers.filter((l: {blockEnd: boolean}) => l.blockEnd).map((l: {name: string}) => l.name)).toEqual(["block1_out", "pool1", "block2_out"]);
  });

  it("prints a readable table", () => {
    const run = cli("layers", "--model", join(modelDir, "model.json"), "--backend", "cpu");
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/block1_out\s+Activation\s+\[16,16,8\]\s+cam block-end/);
  });
});

describe("saliency explain", () => {
  it("writes the map as JSON with its size and metadata", () => {
    const out = join(work, "gradcam.json");
    const run = cli("explain", "--model", modelDir, "--image", imagePath, "--method", "gradcam", "--class", "2", "--out", out, "--backend", "cpu");
    expect(run.status, run.stderr).toBe(0);
    const result = JSON.parse(readFileSync(out, "utf8"));
    expect(result).toMatchObject({method: "gradcam", width: 24, height: 20, classIndex: 2, className: "cross", layer: "block2_out", backend: "cpu"});
    expect(result.map).toHaveLength(480);
    expect(Math.max(...result.map)).toBeGreaterThan(0.9);
  });

  it("--fold-batchnorm explains the folded inference graph: the same map to rounding", () => {
    const maps = [[], ["--fold-batchnorm"]].map((extra, n) => {
      const out = join(work, `fold-${n}.json`);
      const run = cli("explain", "--model", modelDir, "--image", imagePath, "--method", "sise", "--class", "1", "--out", out, "--backend", "cpu", ...extra);
      expect(run.status, run.stderr).toBe(0);
      return JSON.parse(readFileSync(out, "utf8")) as {map: number[]; layer: string[]; foldedBatchNorms?: number};
    });
    expect(maps[0]!.foldedBatchNorms).toBeUndefined();
    expect(maps[1]!.foldedBatchNorms).toBeGreaterThan(0); // the tiny residual model's batch norms did fold
    expect(maps[1]!.layer).toEqual(maps[0]!.layer);
    const largest = Math.max(...maps[0]!.map.map((v, i) => Math.abs(v - maps[1]!.map[i]!)));
    expect(largest).toBeLessThan(1e-3);
  });

  it("writes a PNG overlay at the image size, on the wasm backend", () => {
    const out = join(work, "ig.png");
    const run = cli("explain", "--model", modelDir, "--image", imagePath, "--method", "ig", "--steps", "4", "--out", out, "--backend", "wasm");
    expect(run.status, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/on wasm/);
    const png = PNG.sync.read(readFileSync(out));
    expect([png.width, png.height]).toEqual([24, 20]);
  });

  it("reads JPEG input", () => {
    const out = join(work, "jpeg.json");
    const run = cli("explain", "--model", modelDir, "--image", "test/fixtures/tiny.jpg", "--method", "layercam", "--out", out, "--backend", "cpu");
    expect(run.status, run.stderr).toBe(0);
    expect(JSON.parse(readFileSync(out, "utf8"))).toMatchObject({width: 10, height: 8});
  });

  const bad: [string, () => string[], RegExp][] = [
    ["a missing image", () => ["--image", join(work, "nope.png")], /image file .*nope\.png does not exist/],
    ["an empty image", () => ["--image", emptyFile()], /is empty/],
    ["a corrupt PNG", () => ["--image", corruptPng()], /corrupt PNG/],
    ["a non-image file", () => ["--image", "package.json"], /not a PNG or JPEG/],
    ["a malformed model.json", () => ["--model", brokenModel("malformed")], /malformed model\.json/],
    ["a missing weight shard", () => ["--model", brokenModel("no-shard")], /missing weight shard/],
    ["an unknown layer", () => ["--layer", "block9_out"], /layer "block9_out" does not exist/],
    ["a layer that is not 4-D", () => ["--layer", "gap"], /needs? a 4-D layer|explanations need a 4-D layer/],
    ["a class out of range", () => ["--class", "7"], /class index 7 is out of range/],
    ["an unknown method", () => ["--method", "magic"], /unknown method "magic"/],
    ["steps out of range", () => ["--method", "ig", "--steps", "0"], /--steps must be an integer from 1 to 1024/],
    ["an unknown option", () => ["--frobnicate", "1"], /Unknown option '--frobnicate'/]
  ];
  for (const [what, args, message] of bad) {
    it(`fails clearly on ${what}, writing nothing`, () => {
      const out = join(work, `bad-${what.replace(/\W+/g, "-")}.json`);
      const base = ["explain", "--model", modelDir, "--image", imagePath, "--method", "gradcam", "--out", out, "--backend", "cpu"];
      const extra = args();
      // Later options override earlier ones with parseArgs.
      const run = cli(...base, ...extra);
      expect(run.status).not.toBe(0);
      expect(run.stderr).toMatch(/^saliency: /);
      expect(run.stderr).toMatch(message);
      expect(existsSync(out)).toBe(false);
    });
  }
});

function emptyFile(): string {
  const path = join(work, "empty.png");
  writeFileSync(path, "");
  return path;
}

function corruptPng(): string {
  const path = join(work, "corrupt.png");
  const bytes = readFileSync(imagePath);
  writeFileSync(path, bytes.subarray(0, Math.floor(bytes.length / 2)));
  return path;
}

function brokenModel(kind: "malformed" | "no-shard"): string {
  const dir = join(work, `model-${kind}`);
  mkdirSync(dir, {recursive: true});
  if (kind === "malformed") writeFileSync(join(dir, "model.json"), '{"modelTopology": ');
  else copyFileSync(join(modelDir, "model.json"), join(dir, "model.json"));
  return dir;
}
