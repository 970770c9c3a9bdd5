/**
 * The Playground's TF Hub classifiers: a model in TF Hub's layout (files only with
 * ?tfjs-format=file, a 1001-way ImageNet head) served by a stand-in on 127.0.0.1 loads and is
 * explained with the shipped ImageNet class names; the public MobileNets need internet, and
 * without it (as here) the page says so in one clear error and keeps working.
 */
import {createServer, type Server} from "node:http";
import type {AddressInfo} from "node:net";
import {afterAll, beforeAll, describe, expect, inject, test} from "vitest";
import {IMAGENET_CLASSES} from "../../src/lib/model/imagenet-classes.js";
import {tinyGraphModelArtifacts} from "../helpers/tiny-graph-model.js";
import {launchBrowser, openPage, cellErrors, screenshot, waitForResult, type Browser} from "./browser.js";

const siteUrl = inject("siteUrl");
const MODEL_PATH = "/google/imagenet/stand_in/classification/2";
const CLASSES = 1001;

/** The tiny test graph with a 1001-way head (TF-Slim's: background + ImageNet), as TF Hub serves it. */
function standInFiles(): {modelJson: string; weights: Buffer} {
  const {modelTopology} = tinyGraphModelArtifacts();
  const topology = JSON.parse(JSON.stringify(modelTopology)) as {node: {name: string; attr?: {value?: {tensor?: {tensorShape: {dim: {size: string}[]}}}}}[]};
  const resize = (name: string, dims: number[]) => {
    const node = topology.node.find((n) => n.name === name)!;
    node.attr!.value!.tensor!.tensorShape = {dim: dims.map((d) => ({size: String(d)}))};
  };
  resize("dense_w", [2, CLASSES]);
  resize("dense_b", [CLASSES]);
  const weights: [string, number[], Float32Array | Int32Array][] = [
    ["conv1_w", [1, 1, 3, 2], new Float32Array([0.5, -1.0, 1.0, 0.25, -0.5, 0.75])],
    ["conv2_w", [1, 1, 2, 2], new Float32Array([1.0, -0.5, 0.5, 1.5])],
    ["mean_axes", [2], new Int32Array([1, 2])],
    ["dense_w", [2, CLASSES], Float32Array.from({length: 2 * CLASSES}, (_, i) => Math.sin(i * 0.37))],
    ["dense_b", [CLASSES], Float32Array.from({length: CLASSES}, (_, i) => 0.01 * Math.cos(i))]
  ];
  const modelJson = JSON.stringify({
    format: "graph-model",
    modelTopology: topology,
    weightsManifest: [
      {paths: ["group1-shard1of1.bin"], weights: weights.map(([name, shape, data]) => ({name, shape, dtype: data instanceof Int32Array ? "int32" : "float32"}))}
    ]
  });
  return {modelJson, weights: Buffer.concat(weights.map(([, , data]) => Buffer.from(data.buffer)))};
}

describe.skipIf(!siteUrl)("Playground: TF Hub classifiers", () => {
  let browser: Browser;
  let server: Server;
  let base: string;
  const requests: string[] = [];
  beforeAll(async () => {
    browser = await launchBrowser();
    const {modelJson, weights} = standInFiles();
    server = createServer((request, response) => {
      requests.push(request.url!);
      const url = new URL(request.url!, "http://stand-in");
      const headers = {"Access-Control-Allow-Origin": "*"};
      if (url.searchParams.get("tfjs-format") !== "file" || !url.pathname.startsWith(`${MODEL_PATH}/`)) {
        response.writeHead(200, {...headers, "content-type": "text/html"}).end("<html>a model page</html>");
      } else if (url.pathname.endsWith("/model.json")) {
        response.writeHead(200, {...headers, "content-type": "application/json"}).end(modelJson);
      } else if (url.pathname.endsWith("/group1-shard1of1.bin")) {
        response.writeHead(200, {...headers, "content-type": "application/octet-stream"}).end(weights);
      } else {
        response.writeHead(404, headers).end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await browser?.close();
    await new Promise<void>((resolve) => server?.close(() => resolve()));
  });

  test("a classifier in TF Hub's layout on 127.0.0.1 loads with the ImageNet class names and is explained", async () => {
    const hubUrl = `${base}${MODEL_PATH}`;
    const {page, errors} = await openPage(browser, `${siteUrl}/playground?modelFrom=hub&hub=other&hubUrl=${encodeURIComponent(hubUrl)}&method=ig&backend=wasm`);
    const status = await page.waitForSelector("#playground-model-status", {timeout: 120_000});
    expect(await status.textContent()).toContain(`${CLASSES} classes`);
    expect(requests).toContain(`${MODEL_PATH}/model.json?tfjs-format=file`);
    expect(requests).toContain(`${MODEL_PATH}/group1-shard1of1.bin?tfjs-format=file`);
    const result = await waitForResult(page, "playground");
    expect(result.method).toBe("ig");
    expect(result.classIndex).toBeGreaterThan(0);
    await screenshot(page, "playground-hub-stand-in");
    const captions = await page.$$eval("#playground-result figcaption", (es) => es.map((e) => e.textContent ?? ""));
    expect(captions.join(" | ")).toContain(`“${IMAGENET_CLASSES[result.classIndex - 1]}”`);
    expect(await page.textContent("#playground-hub-note")).toContain("Needs internet");
    expect(await cellErrors(page)).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  });

  test("offline, a public MobileNet says it needs internet", async () => {
    const {page} = await openPage(browser, `${siteUrl}/playground?modelFrom=hub&hub=mobilenet-v2-1.0&backend=wasm`);
    await page.waitForSelector("#playground-hub-note", {timeout: 60_000});
    const options = await page.$$eval("select option", (os) => os.map((o) => o.textContent ?? ""));
    expect(options.filter((o) => o.includes("needs internet")).length).toBeGreaterThanOrEqual(2);
    const error = await page.waitForSelector(".sx-error", {timeout: 120_000});
    const text = (await error.textContent()) ?? "";
    expect(text).toContain("needs internet");
    expect(text).toContain("tfhub.dev");
    await screenshot(page, "playground-hub-offline");
    // The page keeps working: the site's models are one click away.
    expect(await cellErrors(page)).toEqual([]);
    await page.close();
  });
});
