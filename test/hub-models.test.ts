/**
 * Public classifiers in TF Hub's layout (src/lib/model/hub.ts), against a stand-in on 127.0.0.1
 * that answers like TF Hub: the files only with ?tfjs-format=file (the bare URL is an HTML page),
 * shards beside model.json with the same query. Offline, the error says the model needs internet.
 */
import {createServer, type Server} from "node:http";
import type {AddressInfo} from "node:net";
import * as tf from "@tensorflow/tfjs";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {selectNodeBackend} from "../loaders/backend.js";
import {HUB_MODELS, hubModelJsonUrl, IMAGENET_1001_CLASSES, loadHubModel} from "../src/lib/model/hub.js";
import {IMAGENET_CLASSES} from "../src/lib/model/imagenet-classes.js";
import {tinyGraphModel, tinyGraphModelArtifacts} from "./helpers/tiny-graph-model.js";

const MODEL_PATH = "/google/imagenet/tiny_stand_in/classification/2";
const requests: string[] = [];
let server: Server;
let base: string;

beforeAll(async () => {
  await selectNodeBackend("wasm");
  const {modelTopology, weightSpecs, weightData} = tinyGraphModelArtifacts();
  const modelJson = JSON.stringify({format: "graph-model", modelTopology, weightsManifest: [{paths: ["group1-shard1of1.bin"], weights: weightSpecs}]});
  server = createServer((request, response) => {
    requests.push(request.url!);
    const url = new URL(request.url!, "http://stand-in");
    const asFile = url.searchParams.get("tfjs-format") === "file";
    if (!asFile || !url.pathname.startsWith(`${MODEL_PATH}/`)) {
      response.writeHead(200, {"content-type": "text/html"}).end("<html>a model page</html>");
    } else if (url.pathname.endsWith("/model.json")) {
      response.writeHead(200, {"content-type": "application/json"}).end(modelJson);
    } else if (url.pathname.endsWith("/group1-shard1of1.bin")) {
      response.writeHead(200, {"content-type": "application/octet-stream"}).end(Buffer.from(weightData));
    } else {
      response.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe("TF Hub classifiers", () => {
  it("ship the 1000 ImageNet class names, and the 1001-way heads put background first", () => {
    expect(IMAGENET_CLASSES).toHaveLength(1000);
    expect(IMAGENET_CLASSES.every((name) => name.length > 0)).toBe(true); // (not all distinct: ImageNet has two "crane"s and two "maillot"s)
    expect(IMAGENET_CLASSES[0]).toBe("tench, Tinca tinca");
    expect(IMAGENET_CLASSES[999]).toBe("toilet tissue, toilet paper, bathroom tissue");
    expect(IMAGENET_1001_CLASSES).toHaveLength(1001);
    expect(IMAGENET_1001_CLASSES[1]).toBe(IMAGENET_CLASSES[0]);
    for (const entry of HUB_MODELS) expect(entry.url).toMatch(/^https:\/\/tfhub\.dev\//);
  });

  it("read model.json and every shard with ?tfjs-format=file, and explain like the same graph loaded from memory", async () => {
    const url = `${base}${MODEL_PATH}`;
    expect(hubModelJsonUrl(url)).toBe(`${url}/model.json?tfjs-format=file`);
    const names = ["a", "b", "c"];
    const model = await loadHubModel({title: "stand-in", url}, names);
    expect(requests).toEqual([`${MODEL_PATH}/model.json?tfjs-format=file`, `${MODEL_PATH}/group1-shard1of1.bin?tfjs-format=file`]);
    expect(model.meta.classNames).toEqual(names);
    const reference = await tinyGraphModel();
    const x = tf.randomUniform([2, 4, 4, 3], 0, 255, "float32", 7);
    const [ours, theirs] = [model.logits(x as tf.Tensor4D), reference.predict(tf.div(x, 255)) as tf.Tensor];
    // The stand-in ends in a softmax: the adapter explains the logits before it.
    expect(Array.from(await tf.softmax(ours).data())).toEqual(Array.from(await theirs.data()).map((v) => expect.closeTo(v, 6)));
    tf.dispose([x, ours, theirs]);
    model.dispose();
    reference.dispose();
  });

  it("a host that cannot be reached gives one clear 'needs internet' error", async () => {
    await expect(
      loadHubModel({title: "MobileNet V2 1.0 (ImageNet, TF Hub)", url: "http://127.0.0.1:1/google/imagenet/mobilenet_v2_100_224/classification/2"})
    ).rejects.toThrow(/MobileNet V2 1\.0 \(ImageNet, TF Hub\) needs internet: it is loaded from 127\.0\.0\.1:1 when asked for/);
  });

  it("a model with another number of outputs than class names is refused", async () => {
    await expect(loadHubModel({title: "stand-in", url: `${base}${MODEL_PATH}`})).rejects.toThrow(/^stand-in: model has 3 outputs but 1001 class names/);
  });
});
