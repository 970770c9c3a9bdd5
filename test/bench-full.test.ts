/**
 * `npm run bench -- --full` (loaders/bench/full.ts): every (image, present class) pair, resumable.
 * A run stopped partway (as Ctrl-C stops it) and started again computes exactly the maps the
 * first did not, writes each map once, and gives the same figures as a run never stopped.
 */
import {mkdtempSync, readdirSync, rmSync, writeFileSync} from "node:fs";
import {tmpdir} from "node:os";
import {join, resolve} from "node:path";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {selectNodeBackend} from "../loaders/backend.js";
import {runFullBench} from "../loaders/bench/full.js";
import {benchModels} from "../loaders/bench/models.js";
import {benchSettings} from "../loaders/bench/settings.js";
import {SHAPE_CLASS_NAMES} from "../loaders/datasets/index.js";
import {saveLayersModelToDir} from "../loaders/models/save.js";
import {buildVgg} from "../loaders/models/vgg.js";

const ROOT = resolve(import.meta.dirname, "..");
const scratch = mkdtempSync(join(tmpdir(), "bench-full-"));

beforeAll(async () => {
  await selectNodeBackend("wasm");
  const dir = join(scratch, "models", "tiny-scenes");
  const model = buildVgg({classes: SHAPE_CLASS_NAMES.length, seed: 5, inputSize: 128, filters: [4, 4, 8, 8, 8], convsPerBlock: [1, 1, 1, 1, 1]});
  await saveLayersModelToDir(model, dir);
  writeFileSync(join(dir, "card.json"), JSON.stringify({name: "tiny-scenes", classes: SHAPE_CLASS_NAMES, dataset: "scenes", score: "sigmoid"}));
  model.dispose();
});
afterAll(() => rmSync(scratch, {recursive: true, force: true}));

/** Map files in a result store (every .npy under maps/). */
function storedMaps(store: string): string[] {
  const maps = join(store, "tiny-scenes", "maps");
  return readdirSync(maps).flatMap((prefix) => readdirSync(join(maps, prefix)).filter((f) => f.endsWith(".npy")));
}

describe("bench --full", () => {
  const methods = ["gradcam", "rise"];
  const settings = () => benchSettings({quick: true, methods, workers: 1, curveSteps: 4});
  const models = () => benchModels({modelsDir: join(scratch, "models"), names: ["tiny-scenes"], split: null, root: ROOT});

  it("explains every (image, present class) pair with the class's sigmoid, and resumes after a stop without redoing or losing a map", async () => {
    const store = join(scratch, "store");
    const controller = new AbortController();
    let seen = 0;
    const first = await runFullBench({
      models: models(),
      settings: settings(),
      storeDirectory: store,
      workers: 1,
      limit: 4,
      signal: controller.signal,
      onMapsProgress: (_model, p) => {
        seen = p.done;
        if (p.done >= 3) controller.abort();
      }
    });
    expect(first[0]!.evaluation.complete).toBe(false);
    const afterStop = storedMaps(store);
    expect(afterStop.length).toBeGreaterThanOrEqual(3);
    expect(afterStop.length).toBeLessThan(seen + 2); // stopped within what was running

    const second = await runFullBench({models: models(), settings: settings(), storeDirectory: store, workers: 1, limit: 4});
    const evaluation = second[0]!.evaluation;
    expect(evaluation.complete).toBe(true);
    const pairs = evaluation.methods[0]!.rows;
    expect(pairs).toBeGreaterThan(4); // multi-label: more (image, class) pairs than images
    expect(evaluation.batch.items).toBe(pairs * methods.length);
    expect(evaluation.batch.reused).toBe(afterStop.length);
    expect(evaluation.batch.computed).toBe(pairs * methods.length - afterStop.length);
    expect(storedMaps(store)).toHaveLength(pairs * methods.length); // every map once
    expect(evaluation.rows.every((r) => r.explainedScore === (r.method === "rise" ? "sigmoid" : "logit"))).toBe(true);

    // The same figures as a run that was never stopped.
    const fresh = await runFullBench({models: models(), settings: settings(), storeDirectory: join(scratch, "fresh"), workers: 1, limit: 4});
    const strip = (rows: typeof evaluation.rows) => rows.map(({ms: _ms, ...rest}) => rest);
    expect(strip(evaluation.rows)).toEqual(strip(fresh[0]!.evaluation.rows));
    expect(second[0]!.claims.length).toBeGreaterThan(0);
  });
});
