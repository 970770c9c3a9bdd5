/**
 * The worker pool: a method run with `executor: pool` gives exactly the map (and scores) of the
 * run in this thread, worker errors come back as rejections with the worker's message, and a
 * closed pool leaves nothing that keeps the process alive.
 */
import {spawnSync} from "node:child_process";
import {fileURLToPath} from "node:url";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {selectNodeBackend} from "../loaders/backend.js";
import {explainImagesInPool} from "../loaders/pool/explain-images.js";
import {WorkerPool} from "../loaders/pool/pool.js";
import {ExplainableModel} from "../src/lib/model/adapter.js";
import {adaSise} from "../src/lib/methods/adasise.js";
import {inProcessExecutor} from "./helpers/in-process-executor.js";
import {runInOrder, type PassExecutor} from "../src/lib/explain/executor.js";
import {gradCam} from "../src/lib/methods/gradcam.js";
import {integratedGradCam} from "../src/lib/methods/igcam.js";
import {rise} from "../src/lib/methods/rise.js";
import {scoreCam} from "../src/lib/methods/scorecam.js";
import {sise} from "../src/lib/methods/sise.js";
import type {CommonOptions, Explanation, Method} from "../src/lib/explain/types.js";
import {tinyGraphModel} from "./helpers/tiny-graph-model.js";
import {residualModel, testImage} from "./helpers/tiny-models.js";

let model: ExplainableModel;
let pool: WorkerPool;

beforeAll(async () => {
  // Same backend as the workers, so the in-thread run is the single-worker reference.
  await selectNodeBackend("wasm");
  model = new ExplainableModel(residualModel(16, 3, 1), {name: "tiny residual", classNames: ["a", "b", "c"]});
  pool = await WorkerPool.create(model, {size: 2});
});

afterAll(async () => {
  await pool?.close();
  model?.dispose();
});

const image = testImage(20, 18, 5);

const cases: [string, Method<any>, CommonOptions & Record<string, unknown>][] = [
  ["RISE", rise, {masks: 300, batchSize: 16, seed: 3}],
  ["SISE", sise, {batchSize: 3}],
  ["Ada-SISE", adaSise, {batchSize: 2}],
  ["Score-CAM", scoreCam, {batchSize: 5}],
  ["Integrated Grad-CAM", integratedGradCam, {steps: 12, batchSize: 2}],
  ["Integrated Grad-CAM, integrated weights", integratedGradCam, {steps: 7, batchSize: 3, variant: "integrated-weights"}]
];

/**
 * The pool, counting the batches sent through it (to be sure the executor path ran); with
 * `recipes: false` it offers no scoreMaskRecipe, so masks are made in this thread.
 */
function counted(executor: WorkerPool, recipes = true): PassExecutor & {batches: number; recipes: number} {
  const wrapper = {
    batches: 0,
    recipes: 0,
    concurrency: executor.concurrency,
    scoreBatch: (...args: Parameters<PassExecutor["scoreBatch"]>) => (wrapper.batches++, executor.scoreBatch(...args)),
    probeBatch: (...args: Parameters<PassExecutor["probeBatch"]>) => (wrapper.batches++, executor.probeBatch(...args)),
    ...(recipes
      ? {scoreMaskRecipe: (...args: Parameters<WorkerPool["scoreMaskRecipe"]>) => (wrapper.batches++, wrapper.recipes++, executor.scoreMaskRecipe(...args))}
      : {})
  };
  return wrapper;
}

function expectSameExplanation(actual: Explanation, expected: Explanation): void {
  expect(actual.map.width).toBe(expected.map.width);
  expect(actual.map.height).toBe(expected.map.height);
  expect(actual.map.data).toEqual(expected.map.data); // exact: same bits, element by element
  expect(actual.classIndex).toBe(expected.classIndex);
  expect(actual.options).toEqual(expected.options);
}

describe("executor: the pool gives the single-worker map bit for bit", () => {
  it.each(cases)("%s", async (_name, method, options) => {
    const reference = await method.explain(model, image, options);
    const executor = counted(pool);
    const pooled = await method.explain(model, image, {...options, executor});
    expect(executor.batches).toBeGreaterThan(1);
    const masksHere = counted(pool, false);
    const pooledMasksHere = await method.explain(model, image, {...options, executor: masksHere});
    expect(masksHere.batches).toBe(executor.batches);
    if (method !== integratedGradCam) expect(executor.recipes).toBe(executor.batches); // masks made in the workers
    const inProcess = await method.explain(model, image, {...options, executor: inProcessExecutor(model)});
    expect(reference.map.data.some((v) => v > 0)).toBe(true);
    expectSameExplanation(pooled, reference);
    expectSameExplanation(pooledMasksHere, reference);
    expectSameExplanation(inProcess, reference);
    expect(pooled.options).not.toHaveProperty("executor");
    if (method === rise) expect(pooled.intermediates!.scores).toEqual(reference.intermediates!.scores);
    if (method === integratedGradCam) expect(pooled.intermediates!.pathScores).toEqual(reference.intermediates!.pathScores);
  });

  it("keeps progress in source order and ends at the total", async () => {
    const seen: number[] = [];
    await rise.explain(model, image, {masks: 100, batchSize: 10, executor: pool, onProgress: (p) => seen.push(p.done)});
    expect(seen).toEqual([10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
  });

  it("drops the batches still queued when the run is cancelled", async () => {
    const single = await WorkerPool.create(model, {size: 1, inFlightPerWorker: 3});
    try {
      const outcomes: Promise<string>[] = [];
      const watched: PassExecutor = {
        concurrency: single.concurrency,
        scoreBatch: (...args) => single.scoreBatch(...args),
        probeBatch: (...args) => single.probeBatch(...args),
        scoreMaskRecipe: (request, signal) => {
          const call = single.scoreMaskRecipe(request, signal);
          outcomes.push(
            call.then(
              () => "ran",
              (error: Error) => error.name
            )
          );
          return call;
        }
      };
      const controller = new AbortController();
      const run = rise.explain(model, image, {
        masks: 200,
        batchSize: 10,
        executor: watched,
        signal: controller.signal,
        onProgress: (p) => p.done >= 30 && controller.abort()
      });
      await expect(run).rejects.toThrow(/cancelled/);
      const settled = await Promise.all(outcomes);
      // One worker, three batches in flight: the one running finishes, the queued ones never start.
      expect(settled.filter((o) => o === "AbortError").length).toBeGreaterThanOrEqual(1);
      expect(settled.filter((o) => o === "ran").length).toBeLessThan(settled.length);
      expect(outcomes.length).toBeLessThan(20);
      await expect(single.scoreBatch(new Float32Array(768), 1, 0, "softmax", AbortSignal.abort())).rejects.toThrow(/cancelled/);
    } finally {
      await single.close();
    }
  });

  it("stops on cancellation with batches still in flight", async () => {
    const controller = new AbortController();
    const run = rise.explain(model, image, {
      masks: 200,
      batchSize: 10,
      executor: pool,
      signal: controller.signal,
      onProgress: (p) => p.done >= 30 && controller.abort()
    });
    await expect(run).rejects.toThrow(/cancelled/);
  });
});

describe("GraphModels travel to the workers too", () => {
  it("Integrated Grad-CAM and Score-CAM on a GraphModel", async () => {
    const graph = new ExplainableModel(await tinyGraphModel(), {name: "tiny graph"});
    const graphPool = await WorkerPool.create(graph, {size: 2});
    try {
      const small = testImage(4, 4, 9);
      for (const method of [integratedGradCam, scoreCam]) {
        const reference = await method.explain(graph, small, {batchSize: 2});
        expectSameExplanation(await method.explain(graph, small, {batchSize: 2, executor: graphPool}), reference);
      }
    } finally {
      await graphPool.close();
    }
  });
});

describe("runInOrder", () => {
  it("consumes in task order whatever the finishing order, with a bounded window", async () => {
    let inFlight = 0;
    let most = 0;
    const order: number[] = [];
    await runInOrder({
      count: 9,
      concurrency: 3,
      start: async (i) => {
        most = Math.max(most, ++inFlight);
        await new Promise((r) => setTimeout(r, (9 - i) * 2));
        inFlight--;
        return i;
      },
      consume: (value, index) => {
        expect(value).toBe(index);
        order.push(index);
      }
    });
    expect(order).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(most).toBeLessThanOrEqual(3);
  });

  it("rejects with the first failure and discards finished results", async () => {
    const discarded: number[] = [];
    const run = runInOrder({
      count: 5,
      concurrency: 3,
      start: async (i) => {
        if (i === 1) throw new Error("batch 1 failed");
        return i;
      },
      consume: () => {},
      discard: (i) => discarded.push(i)
    });
    await expect(run).rejects.toThrow("batch 1 failed");
    await new Promise((r) => setTimeout(r, 10));
    expect(discarded).toEqual([2, 3]);
  });
});

describe("errors", () => {
  it("a worker's error rejects the call with its message", async () => {
    await expect(pool.scoreBatch(new Float32Array(5), 1, 0, "softmax")).rejects.toThrow("a batch of 1 images at 16x16 needs 768 values, got 5");
    await expect(pool.scoreBatch(new Float32Array(768), 1, 7, "softmax")).rejects.toThrow(/class index 7 is out of range/);
    await expect(pool.probeBatch(new Float32Array(768), 1, {layers: ["nope"], classIndex: 0, score: "logit"})).rejects.toThrow(/layer "nope" does not exist/);
    await expect(pool.explainImage("sise", image, {layers: []})).rejects.toThrow(/layers must name at least one layer/);
    // ... and the pool still works afterwards.
    const scores = await pool.scoreBatch(new Float32Array(768 * 2), 2, 1, "softmax");
    expect(scores.length).toBe(2);
  });

  it("a method run through a failing executor rejects", async () => {
    const died = () => Promise.reject(new Error("worker died"));
    const failing = {...inProcessExecutor(model), concurrency: 2, scoreBatch: died, scoreMaskRecipe: died};
    await expect(rise.explain(model, image, {masks: 50, batchSize: 10, executor: failing})).rejects.toThrow("worker died");
    const {scoreMaskRecipe: _recipes, ...withoutRecipes} = failing;
    await expect(rise.explain(model, image, {masks: 50, batchSize: 10, executor: withoutRecipes})).rejects.toThrow("worker died");
  });

  it("a model a worker cannot open fails the pool's start", async () => {
    await expect(WorkerPool.create("test/no-such-model", {size: 1})).rejects.toThrow(
      /pool worker could not start: model path test\/no-such-model does not exist/
    );
  });
});

describe("whole images in parallel", () => {
  it("explains images over the workers, results in input order", async () => {
    const images = [testImage(16, 16, 1), testImage(24, 20, 2), testImage(16, 16, 3)];
    const pooled = await explainImagesInPool("gradcam", model, images, {classIndex: 2}, {size: 2});
    expect(pooled).toHaveLength(3);
    for (let i = 0; i < images.length; i++) {
      expectSameExplanation(pooled[i]!, await gradCam.explain(model, images[i]!, {classIndex: 2}));
      expect(pooled[i]!.backend).toBe("wasm");
    }
  });
});

describe("shutdown", () => {
  it("a closed pool rejects calls", async () => {
    const small = await WorkerPool.create(model, {size: 1});
    await small.close();
    await small.close();
    await expect(small.scoreBatch(new Float32Array(768), 1, 0, "logit")).rejects.toThrow("the worker pool was closed");
  });

  it("a process that closes its pool exits by itself", () => {
    const poolModule = new URL("../loaders/pool/pool.ts", import.meta.url).href;
    const script = `
      const {WorkerPool} = await import(${JSON.stringify(poolModule)});
      const pool = await WorkerPool.create("nsfwjs:not-a-model", {size: 2}).catch((e) => e);
      if (!(pool instanceof Error)) throw new Error("expected a start failure");
      const {linearHeadModel} = await import(${JSON.stringify(new URL("./helpers/tiny-models.ts", import.meta.url).href)});
      const {ExplainableModel} = await import(${JSON.stringify(new URL("../src/lib/model/adapter.ts", import.meta.url).href)});
      const working = await WorkerPool.create(new ExplainableModel(linearHeadModel().model), {size: 2});
      const scores = await working.scoreBatch(new Float32Array(48), 1, 0, "logit");
      await working.close();
      console.log("closed", scores.length);
    `;
    const result = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
      cwd: fileURLToPath(new URL("..", import.meta.url)),
      encoding: "utf8",
      timeout: 60_000
    });
    expect(result.stderr).not.toMatch(/Error/);
    expect(result.signal).toBeNull(); // not killed by the timeout: nothing kept it alive
    expect(result.status).toBe(0);
    expect(result.stdout).toContain("closed 1");
  });
});
