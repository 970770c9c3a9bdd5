/**
 * An author's own model and images enter the site from a configuration file alone (README "Your
 * own models and images"): a test build from a temporary config with one committed model, an extra
 * model (an untrained tiny network) and an extra unannotated image set shows them in the live
 * pages' pickers, runs the extra model live, and lists the images in the Overview gallery and
 * Compare. A broken entry fails the build with its name. The build goes to its own folder with its
 * own cache.
 */
import {execFile} from "node:child_process";
import {mkdirSync, rmSync, writeFileSync} from "node:fs";
import {join} from "node:path";
import {promisify} from "node:util";
import * as tf from "@tensorflow/tfjs";
import {afterAll, beforeAll, describe, expect, test} from "vitest";
import {encodePng} from "../../loaders/datasets/png.js";
import {saveLayersModelToDir} from "../../loaders/models/save.js";
import {startStaticServer, type RunningServer} from "../../loaders/serve.js";
import {REPO_ROOT} from "../../loaders/site/paths.js";
import {residualModel, testImage} from "../helpers/tiny-models.js";
import {cellErrors, launchBrowser, openPage, waitForResult, type Browser} from "./browser.js";

const WORK = join(REPO_ROOT, "test-output", "own-models");
const CLASSES = ["cat", "dog", "bird"];
const run = promisify(execFile);

/** `observable build` with a config; resolves to its exit code and output. */
async function build(config: string, output: string): Promise<{code: number; output: string}> {
  // Framework's own loader cache would serve the main build's data files: this build gets a fresh one.
  rmSync(join(REPO_ROOT, "src", ".observablehq", "cache"), {recursive: true, force: true});
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    SALIENCY_SITE_CONFIG: config,
    SALIENCY_SITE_PROFILE: "quick",
    SALIENCY_SITE_OUTPUT: output,
    SALIENCY_SITE_CACHE: join(WORK, "cache")
  };
  // The data folder is the config's, not the e2e run's.
  delete env.SALIENCY_DATA_DIR;
  try {
    const {stdout, stderr} = await run(join(REPO_ROOT, "node_modules", ".bin", "observable"), ["build"], {cwd: REPO_ROOT, env, maxBuffer: 64 << 20});
    return {code: 0, output: stdout + stderr};
  } catch (error) {
    const e = error as {code?: number; stdout?: string; stderr?: string};
    return {code: e.code ?? 1, output: `${e.stdout ?? ""}${e.stderr ?? ""}`};
  } finally {
    rmSync(join(REPO_ROOT, "src", ".observablehq", "cache"), {recursive: true, force: true});
  }
}

function writeConfig(name: string, models: unknown[], imageSets: unknown[]): string {
  const path = join(WORK, `${name}.json`);
  const config = {dataDir: join(REPO_ROOT, "data"), models, imageSets, photos: null, precompute: {methods: ["gradcam", "sise"]}};
  writeFileSync(path, JSON.stringify(config));
  return path;
}

describe("own models and images from a site config", () => {
  let browser: Browser;
  let server: RunningServer;
  let built: {code: number; output: string};
  beforeAll(async () => {
    rmSync(WORK, {recursive: true, force: true});
    mkdirSync(join(WORK, "holiday-photos"), {recursive: true});
    await tf.setBackend("cpu");
    const model = residualModel(32, CLASSES.length, 4);
    await saveLayersModelToDir(model, join(WORK, "pet-net"));
    model.dispose();
    const card = {name: "pet-net", dataset: "holiday-photos", classNames: CLASSES, preprocessing: {range: [0, 1], mean: [0, 0, 0], std: [1, 1, 1]}};
    writeFileSync(join(WORK, "pet-net", "card.json"), JSON.stringify(card));
    for (let i = 0; i < 3; i++) writeFileSync(join(WORK, "holiday-photos", `beach-${i}.png`), encodePng(testImage(48, 40, i).rgb, 48, 40));
    const config = writeConfig("site.config", ["vgg-shapes", {name: "pet-net", path: "pet-net"}], ["shapes", {name: "holiday-photos", path: "holiday-photos"}]);
    built = await build(config, join(WORK, "site"));
    server = await startStaticServer({root: join(WORK, "site"), host: "127.0.0.1", port: 0});
    browser = await launchBrowser();
  }, 900_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  test("the build succeeds", () => {
    expect(built.output).not.toMatch(/SiteConfigError/);
    expect(built.code).toBe(0);
  });

  test("the live page's model picker offers the extra model and its image picker the extra images; it runs", async () => {
    const {page, errors} = await openPage(browser, `${server.url}/sise?model=pet-net&backend=wasm&masks=4`);
    await page.waitForSelector(".sx-thumb[data-id='holiday-photos/beach-0']", {timeout: 120_000});
    const options = await page.$$eval("select option", (all) => all.map((o) => o.textContent ?? ""));
    expect(options.some((o) => o.startsWith("pet-net"))).toBe(true);
    expect(options.some((o) => o.startsWith("vgg-shapes"))).toBe(true);
    const thumbs = await page.$$eval(".sx-thumb", (all) => all.map((b) => (b as HTMLElement).dataset.id));
    expect(thumbs).toEqual(["holiday-photos/beach-0", "holiday-photos/beach-1"]);
    const result = await waitForResult(page, "sise");
    expect(result.width * result.height).toBe(result.map.length);
    expect(await cellErrors(page)).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  });

  test("the Overview gallery lists the extra images with the extra model's maps", async () => {
    const {page} = await openPage(browser, `${server.url}/?dataset=holiday-photos`);
    await page.waitForSelector(".sx-gallery .sx-gallery-item");
    const headers = await page.$$eval(".sx-gallery-item header", (all) => all.map((h) => h.textContent ?? ""));
    expect(headers).toHaveLength(2);
    for (const header of headers) expect(header).toMatch(/holiday-photos\/beach-\d · pet-net/);
    await page.close();
  });

  test("Compare offers the extra model with its precomputed maps of the extra images", async () => {
    const {page, errors} = await openPage(browser, `${server.url}/compare?model=pet-net`);
    await page.waitForSelector(".sx-compare-grid");
    const models = await page.$$eval("select option", (all) => all.map((o) => o.textContent ?? ""));
    expect(models).toEqual(expect.arrayContaining(["vgg-shapes", "pet-net"]));
    // One row per gallery image of the set (two in the quick profile), a map per precomputed method.
    expect(await page.$$eval(".sx-compare-grid th.sx-rowhead", (all) => all.length)).toBe(2);
    expect(await page.$$eval(".sx-compare-grid td .sx-map", (all) => all.length)).toBe(4);
    expect(await cellErrors(page)).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  });

  test("a broken entry fails the build with its name", async () => {
    const config = writeConfig("broken.config", ["vgg-shapes", {name: "broken-net", path: "no-such-folder"}], ["shapes"]);
    const broken = await build(config, join(WORK, "broken-site"));
    expect(broken.code).not.toBe(0);
    expect(broken.output).toMatch(/model "broken-net": folder .*no-such-folder does not exist/);
  }, 300_000);
});
