import {spawn, spawnSync} from "node:child_process";
import {existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import * as tf from "@tensorflow/tfjs";
import {beforeAll, describe, expect, it} from "vitest";
import {encodePng} from "../loaders/image-io.js";
import {saveLayersModelToDir} from "../loaders/models/save.js";
import {decodeNpy, encodeNpy} from "../loaders/batch/npy.js";
import {readManifest, type ManifestRow} from "../loaders/batch/manifest.js";
import {inShard, kubernetesShard, parseShard, resolveShard, slurmShard} from "../loaders/batch/shard.js";
import {residualModel, testImage} from "./helpers/tiny-models.js";

// 24 images x 2 methods: the work list the sharding checks use.
const IMAGES = 24;
const work = mkdtempSync(join(tmpdir(), "saliency-batch-"));
const modelDir = join(work, "model");
const imagesDir = join(work, "images");
const METHOD_ARGS = ["--methods", "gradcam,rise", "--masks", "32", "--backend", "wasm", "--quiet"];

function cli(args: string[], env: NodeJS.ProcessEnv = {}): {status: number | null; stdout: string; stderr: string} {
  const run = spawnSync(process.execPath, ["bin/saliency.js", ...args], {encoding: "utf8", timeout: 180_000, env: {...process.env, ...env}});
  return {status: run.status, stdout: run.stdout, stderr: run.stderr};
}

function cliAsync(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{status: number | null; stderr: string}> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["bin/saliency.js", ...args], {env: {...process.env, ...env}, stdio: ["ignore", "ignore", "pipe"]});
    let stderr = "";
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.on("exit", (status) => resolve({status, stderr}));
  });
}

const batchArgs = (out: string, ...extra: string[]) => ["batch", "--model", modelDir, "--images", imagesDir, "--out", out, ...METHOD_ARGS, ...extra];

/** Manifest rows without the time each result took (the one field that differs between runs). */
const withoutTimes = (rows: ManifestRow[]) => rows.map(({ms: _ms, ...rest}) => rest);

function mapFiles(dir: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  if (!existsSync(join(dir, "maps"))) return files;
  for (const prefix of readdirSync(join(dir, "maps"))) {
    for (const name of readdirSync(join(dir, "maps", prefix))) if (name.endsWith(".npy")) files.set(name, readFileSync(join(dir, "maps", prefix, name)));
  }
  return files;
}

function leftovers(dir: string): string[] {
  const found: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d, {withFileTypes: true})) {
      if (name.isDirectory()) walk(join(d, name.name));
      else if (name.name.includes(".partial-")) found.push(name.name);
    }
  };
  walk(dir);
  return found;
}

beforeAll(async () => {
  await tf.setBackend("cpu");
  await saveLayersModelToDir(residualModel(16, 3, 2), modelDir);
  writeFileSync(
    join(modelDir, "card.json"),
    JSON.stringify({name: "tiny", classNames: ["ring", "star", "cross"], preprocessing: {range: [0, 1], mean: [0, 0, 0], std: [1, 1, 1]}})
  );
  mkdirSync(imagesDir);
  for (let i = 0; i < IMAGES; i++) {
    const {rgb} = testImage(16, 16, i + 1);
    const rgba = new Uint8Array(16 * 16 * 4).map((_, k) => (k % 4 === 3 ? 255 : rgb[Math.floor(k / 4) * 3 + (k % 4)]!));
    writeFileSync(join(imagesDir, `img-${String(i).padStart(2, "0")}.png`), encodePng(16, 16, rgba));
  }
});

describe("shards", () => {
  it("--shard K/N takes every N-th item from K; bad values are refused", () => {
    expect(parseShard("1/4")).toMatchObject({index: 1, count: 4});
    const taken = [0, 1, 2, 3].map((k) => Array.from({length: 10}, (_, i) => i).filter((i) => inShard(i, parseShard(`${k}/4`))));
    expect(taken).toEqual([
      [0, 4, 8],
      [1, 5, 9],
      [2, 6],
      [3, 7]
    ]);
    expect(() => parseShard("4/4")).toThrow(/shard index 4 is outside 0..3/);
    expect(() => parseShard("1-4")).toThrow(/--shard must be K\/N/);
    expect(() => parseShard("0/0")).toThrow(/at least 1/);
  });

  it("Slurm job arrays and Kubernetes Indexed Jobs select the same shards as --shard", () => {
    for (let k = 0; k < 4; k++) {
      const flag = parseShard(`${k}/4`);
      // --array=0-3 (COUNT given), --array=1-4 (MIN/MAX only), and a Kubernetes Job with 4 completions.
      const zeroBased = slurmShard({SLURM_ARRAY_TASK_ID: String(k), SLURM_ARRAY_TASK_COUNT: "4", SLURM_ARRAY_TASK_MIN: "0", SLURM_ARRAY_TASK_MAX: "3"});
      const oneBased = slurmShard({SLURM_ARRAY_TASK_ID: String(k + 1), SLURM_ARRAY_TASK_MIN: "1", SLURM_ARRAY_TASK_MAX: "4"});
      const indexed = kubernetesShard({JOB_COMPLETION_INDEX: String(k), SALIENCY_SHARD_COUNT: "4"});
      const indexedFlag = kubernetesShard({JOB_COMPLETION_INDEX: String(k)}, 4);
      for (const shard of [zeroBased, oneBased, indexed, indexedFlag])
        expect({index: shard!.index, count: shard!.count}).toEqual({index: flag.index, count: flag.count});
    }
    expect(resolveShard({}, {})).toMatchObject({index: 0, count: 1});
    expect(resolveShard({shard: "2/3"}, {SLURM_ARRAY_TASK_ID: "0", SLURM_ARRAY_TASK_COUNT: "4"})).toMatchObject({index: 2, count: 3});
    expect(() => slurmShard({SLURM_ARRAY_TASK_ID: "4", SLURM_ARRAY_TASK_COUNT: "4", SLURM_ARRAY_TASK_MIN: "0", SLURM_ARRAY_TASK_MAX: "12"})).toThrow(
      /contiguous array/
    );
    expect(() => kubernetesShard({JOB_COMPLETION_INDEX: "1"})).toThrow(/--shard-count N or set SALIENCY_SHARD_COUNT/);
    expect(() => slurmShard({SLURM_ARRAY_TASK_ID: "x", SLURM_ARRAY_TASK_COUNT: "4"})).toThrow(/SLURM_ARRAY_TASK_ID must be a non-negative integer/);
  });
});

describe(".npy maps", () => {
  it("are float32 arrays numpy reads with their shape", () => {
    const data = Float32Array.from({length: 12}, (_, i) => i / 7);
    const bytes = encodeNpy(data, [3, 4]);
    expect(decodeNpy(bytes)).toEqual({data, shape: [3, 4]});
    const file = join(work, "check.npy");
    writeFileSync(file, bytes);
    const python = spawnSync("python3", ["-c", `import numpy as n; a = n.load(${JSON.stringify(file)}); print(a.dtype, a.shape, repr(float(a[2, 3])))`], {
      encoding: "utf8"
    });
    expect(python.stderr).toBe("");
    expect(python.stdout.trim()).toBe(`float32 (3, 4) ${Math.fround(11 / 7)}`);
    expect(() => decodeNpy(bytes.subarray(0, bytes.length - 4))).toThrow(/holds 44 data bytes, its shape needs 48/);
  });
});

describe("saliency batch", () => {
  const whole = join(work, "whole");
  let wholeRows: ManifestRow[] = [];

  it("writes one map and record per (image, method, class), and a rerun computes nothing", () => {
    const run = cli(batchArgs(whole));
    expect(run.status, run.stderr).toBe(0);
    wholeRows = readManifest(join(whole, "manifest.jsonl"));
    expect(wholeRows).toHaveLength(IMAGES * 2);
    expect(wholeRows.map((r) => r.index)).toEqual(Array.from({length: IMAGES * 2}, (_, i) => i));
    expect(new Set(wholeRows.map((r) => r.key)).size).toBe(IMAGES * 2);
    expect(mapFiles(whole).size).toBe(IMAGES * 2);
    const record = JSON.parse(readFileSync(join(whole, wholeRows[1]!.meta), "utf8"));
    expect(record).toMatchObject({method: "rise", image: "img-00.png", width: 16, height: 16, classRequest: "top", options: {masks: 32, seed: 0}});
    const again = cli(batchArgs(whole).filter((a) => a !== "--quiet"));
    expect(again.status, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/48\/48 results \(0 computed, 48 found stored\)/);
  });

  it("4 shards (two one after another, two at once; by flag, Slurm and Kubernetes) merge into the same maps and rows", async () => {
    const shards = [0, 1, 2, 3].map((k) => join(work, `shard-${k}`));
    for (const k of [0, 1]) {
      const run = cli(batchArgs(shards[k]!, "--shard", `${k}/4`));
      expect(run.status, run.stderr).toBe(0);
    }
    const [slurm, kubernetes] = await Promise.all([
      cliAsync(batchArgs(shards[2]!), {SLURM_ARRAY_TASK_ID: "3", SLURM_ARRAY_TASK_MIN: "1", SLURM_ARRAY_TASK_MAX: "4"}),
      cliAsync(batchArgs(shards[3]!, "--workers", "2"), {JOB_COMPLETION_INDEX: "3", SALIENCY_SHARD_COUNT: "4"})
    ]);
    expect(slurm.status, slurm.stderr).toBe(0);
    expect(kubernetes.status, kubernetes.stderr).toBe(0);
    expect(readManifest(join(shards[2]!, "manifest-2-of-4.jsonl")).map((r) => r.index)).toEqual(wholeRows.filter((r) => r.index % 4 === 2).map((r) => r.index));
    const merged = join(work, "merged");
    const merge = cli(["merge", "--out", merged, ...shards]);
    expect(merge.status, merge.stderr).toBe(0);
    expect(merge.stderr).toMatch(/48\/48 results from 4 folder\(s\), 48 copied/);
    expect(withoutTimes(readManifest(join(merged, "manifest.jsonl")))).toEqual(withoutTimes(wholeRows));
    expect(readFileSync(join(merged, "results.csv"), "utf8").split("\n")[0]).toMatch(/^index,key,image,method/);
    const expected = mapFiles(whole);
    const got = mapFiles(merged);
    expect([...got.keys()].sort()).toEqual([...expected.keys()].sort());
    for (const [name, bytes] of expected) expect(got.get(name)!.equals(bytes), name).toBe(true);
  });

  it("merge says which items no folder had", () => {
    const run = cli(["merge", "--out", join(work, "partial-merge"), join(work, "shard-0"), join(work, "shard-1")]);
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/24\/48 results from 2 folder\(s\).*MISSING 24 item\(s\): 2, 3, 6, 7/);
  });

  it("a batch killed mid-run and restarted finishes with every result written once and none corrupt", async () => {
    const out = join(work, "killed");
    const child = spawn(process.execPath, ["bin/saliency.js", ...batchArgs(out)], {stdio: "ignore"});
    // Kill it hard once some results are written (the .json is each result's last file).
    const started = Date.now();
    const written = () => [...mapFiles(out).keys()].length;
    while (written() < 6 && Date.now() - started < 60_000) await new Promise((r) => setTimeout(r, 20));
    child.kill("SIGKILL");
    await new Promise((r) => child.on("exit", r));
    const before = written();
    expect(before).toBeGreaterThanOrEqual(6);
    expect(before).toBeLessThan(IMAGES * 2);
    const rerun = cli(batchArgs(out).filter((a) => a !== "--quiet"));
    expect(rerun.status, rerun.stderr).toBe(0);
    const [, computed, stored] = /(\d+) computed, (\d+) found stored/.exec(rerun.stderr)!;
    expect(Number(computed) + Number(stored)).toBe(IMAGES * 2);
    expect(Number(stored)).toBeGreaterThanOrEqual(before - 1); // a map written without its record is redone
    expect(leftovers(out)).toEqual([]);
    expect(withoutTimes(readManifest(join(out, "manifest.jsonl")))).toEqual(withoutTimes(wholeRows));
    const expected = mapFiles(whole);
    for (const [name, bytes] of mapFiles(out)) expect(bytes.equals(expected.get(name)!), name).toBe(true);
  });

  it("Ctrl-C stops between results: exit 130, finished results kept and listed, no partial file", async () => {
    const out = join(work, "interrupted");
    const child = spawn(process.execPath, ["bin/saliency.js", ...batchArgs(out, "--masks", "2000").filter((a) => a !== "--quiet")], {
      stdio: ["ignore", "ignore", "pipe"]
    });
    let stderr = "";
    child.stderr!.on("data", (chunk) => (stderr += chunk));
    const started = Date.now();
    while (mapFiles(out).size < 2 && Date.now() - started < 60_000) await new Promise((r) => setTimeout(r, 20));
    child.kill("SIGINT");
    const status = await new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
    expect(status, stderr).toBe(130);
    expect(stderr).toMatch(/SIGINT: stopping/);
    expect(leftovers(out)).toEqual([]);
    const rows = readManifest(join(out, "manifest.jsonl"));
    expect(rows.length).toBeGreaterThanOrEqual(2);
    expect(rows.length).toBeLessThan(IMAGES * 2);
    for (const row of rows) expect(existsSync(join(out, row.map)) && existsSync(join(out, row.meta))).toBe(true);
  });

  it("fails clearly on bad input, writing nothing", () => {
    const cases: [string[], RegExp][] = [
      [["--images", join(work, "nothing-here")], /no such folder, list file or matching pattern/],
      [["--methods", "gradcam,magic"], /unknown method "magic"/],
      [["--steps", "4"], /--steps does not apply to gradcam, rise/],
      [["--class", "1"], /batch takes --classes/],
      [["--classes", "7"], /--classes must be an integer from 0 to 2/],
      [["--shard", "5/4"], /shard index 5 is outside 0..3/]
    ];
    for (const [extra, message] of cases) {
      const out = join(work, "bad");
      const run = cli([...batchArgs(out), ...extra]);
      expect(run.status).toBe(1);
      expect(run.stderr).toMatch(/^saliency: /);
      expect(run.stderr).toMatch(message);
      expect(existsSync(join(out, "manifest.jsonl"))).toBe(false);
    }
  });
});
