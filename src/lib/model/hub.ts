/**
 * Public pretrained ImageNet classifiers in tfjs format, for online readers (they need internet;
 * nothing here is downloaded at build time). TF Hub's layout: the model's page URL serves the
 * files themselves when asked with `?tfjs-format=file` — model.json at `<url>/model.json?tfjs-format=file`
 * and each weight shard beside it with the same query (tfjs's `fromTFHub` option); tfhub.dev now
 * redirects these requests to Kaggle Models, which answers them the same way.
 *
 * These are the TF-Slim MobileNets: 1001 outputs (class 0 = "background", then ImageNet's 1000),
 * logits, input pixels scaled to [0, 1].
 */
import * as tf from "@tensorflow/tfjs";
import {ExplainableModel} from "./adapter.js";
import {IMAGENET_CLASSES} from "./imagenet-classes.js";

export interface HubModelEntry {
  id: string;
  title: string;
  /** The model's TF Hub URL (the files are read from it with ?tfjs-format=file). */
  url: string;
  inputSize: number;
  /** Always true: these come from the public internet at run time. */
  needsInternet: true;
}

/** The public classifiers the Playground offers (those @tensorflow-models/mobilenet 2.1.1 loads). */
export const HUB_MODELS: readonly HubModelEntry[] = [
  {
    id: "mobilenet-v2-1.0",
    title: "MobileNet V2 1.0 (ImageNet, TF Hub)",
    url: "https://tfhub.dev/google/imagenet/mobilenet_v2_100_224/classification/2",
    inputSize: 224,
    needsInternet: true
  },
  {
    id: "mobilenet-v2-0.5",
    title: "MobileNet V2 0.5 (ImageNet, TF Hub)",
    url: "https://tfhub.dev/google/imagenet/mobilenet_v2_050_224/classification/2",
    inputSize: 224,
    needsInternet: true
  },
  {
    id: "mobilenet-v1-1.0",
    title: "MobileNet V1 1.0 (ImageNet, TF Hub)",
    url: "https://tfhub.dev/google/imagenet/mobilenet_v1_100_224/classification/1",
    inputSize: 224,
    needsInternet: true
  }
];

/** Class names of the TF-Slim ImageNet heads: "background", then the 1000 ImageNet classes. */
export const IMAGENET_1001_CLASSES: readonly string[] = ["background", ...IMAGENET_CLASSES];

/** The model.json URL tfjs reads for a TF Hub model URL. */
export function hubModelJsonUrl(url: string): string {
  return `${url.endsWith("/") ? url : `${url}/`}model.json?tfjs-format=file`;
}

/**
 * Loads a TF Hub classifier as an explainable model. Offline (or with the host unreachable) the
 * error says the model needs internet, naming the host.
 */
export async function loadHubModel(
  entry: Pick<HubModelEntry, "title" | "url">,
  classNames: readonly string[] = IMAGENET_1001_CLASSES
): Promise<ExplainableModel> {
  let graph: tf.GraphModel;
  try {
    graph = await tf.loadGraphModel(entry.url, {fromTFHub: true});
  } catch (error) {
    const host = entry.url.replace(/^[a-z]+:\/\//i, "").split("/")[0];
    throw new Error(
      `${entry.title} needs internet: it is loaded from ${host} when asked for, and ${hubModelJsonUrl(entry.url)} could not be read (${(error as Error).message})`
    );
  }
  try {
    return new ExplainableModel(graph, {name: entry.title, classNames: [...classNames], preprocessing: {range: [0, 1], mean: [0, 0, 0], std: [1, 1, 1]}});
  } catch (error) {
    graph.dispose(); // e.g. another number of outputs than class names
    throw new Error(`${entry.title}: ${(error as Error).message}`);
  }
}
