/**
 * Where a live model comes from (the Playground's "Model from"): one of the site's models, any
 * TensorFlow.js LayersModel by its model.json URL, a public ImageNet classifier from TF Hub
 * (needs internet), or a model's files picked or dropped. Each input keeps its choice in the URL.
 *
 *   const modelFrom = view(modelFromInput(models.length > 0));
 *   const choice = view(modelChoiceInput(modelFrom, models));
 *   const {model} = await loadModelChoice(choice);
 */
import * as Inputs from "@observablehq/inputs";
import type {SiteModelEntry} from "../lib/format/site-data.js";
import {HUB_MODELS, loadHubModel, type HubModelEntry} from "../lib/model/hub.js";
import {bindUrl, parseChoice, setUrlParams, urlValue} from "./controls.js";
import {modelInput} from "./live.js";
import {loadModelFromFiles, loadModelFromUrl, loadSiteModel, type LoadedModel} from "./models.js";
import {modelSlots} from "./site-files.js";
import {modelFilesInput} from "./sources.js";

export const MODEL_SOURCES = ["site", "url", "files", "hub"] as const;
export type ModelSource = (typeof MODEL_SOURCES)[number];
const SOURCE_LABELS: Record<ModelSource, string> = {site: "this site", url: "a URL", files: "files", hub: "TF Hub (needs internet)"};

/** A chosen model: a site model, a model.json URL (null until one is entered), a TF Hub classifier, or model files. */
export type ModelChoice =
  | {kind: "site"; entry: SiteModelEntry}
  | {kind: "url"; url: string | null}
  | {kind: "hub"; hub: Pick<HubModelEntry, "title" | "url">}
  | {kind: "files"; files: File[]};

/** "Model from": the four sources (the site's own is off when the build has no model), kept in the URL ("modelFrom"). */
export function modelFromInput(siteHasModels: boolean): HTMLElement & {value: ModelSource} {
  return bindUrl(
    Inputs.radio(MODEL_SOURCES, {
      label: "Model from",
      value: urlValue("modelFrom", siteHasModels ? "site" : "url", parseChoice(MODEL_SOURCES)),
      format: (m: ModelSource) => SOURCE_LABELS[m],
      disabled: siteHasModels ? [] : ["site"]
    }),
    "modelFrom"
  );
}

/** An element whose value is its child's, mapped (the child's "input" events reach the page through it). */
function mapped<T, U>(child: HTMLElement & {value: T}, map: (value: T) => U): HTMLElement & {value: U} {
  const root = document.createElement("div") as HTMLDivElement & {value: U};
  root.append(child);
  Object.defineProperty(root, "value", {get: () => map(child.value)});
  return root;
}

/**
 * Public ImageNet classifiers from TF Hub (fetched from the internet when chosen), or any TF Hub
 * classification URL in the same layout; kept in the URL ("hub", "hubUrl").
 */
export function hubModelInput(): HTMLElement & {value: Pick<HubModelEntry, "title" | "url">} {
  const choices = [...HUB_MODELS.map((m) => m.id), "other"];
  const pick = Inputs.select(choices, {
    label: "Classifier",
    value: urlValue("hub", choices[0]!, parseChoice(choices)),
    format: (id: string) => HUB_MODELS.find((m) => m.id === id)?.title.concat(" · needs internet") ?? "another TF Hub URL…"
  });
  const url = Inputs.text({
    label: "TF Hub URL",
    placeholder: "https://tfhub.dev/…/classification/…",
    value: urlValue("hubUrl", ""),
    submit: "Load",
    width: 380
  });
  const form = Inputs.form({pick, url}) as HTMLElement & {value: {pick: string; url: string}};
  const sync = () => {
    url.style.display = form.value.pick === "other" ? "" : "none";
    setUrlParams({hub: form.value.pick, hubUrl: form.value.pick === "other" ? form.value.url || null : null});
  };
  form.addEventListener("input", sync);
  sync();
  const note = document.createElement("div");
  note.className = "sx-muted sx-small";
  note.id = "playground-hub-note";
  note.textContent =
    "Needs internet: the model (about 14 MB for MobileNet V2 1.0) is fetched from tfhub.dev / Kaggle Models when you choose it; nothing is sent there but the request. 1000 ImageNet classes (names shipped with this site), 224×224 input.";
  const root = mapped(form, (v) => (v.pick === "other" ? {title: "TF Hub model", url: v.url} : HUB_MODELS.find((m) => m.id === v.pick)!));
  root.append(note);
  return root;
}

/** The input for a source's model: the site's model picker, a model.json URL, a TF Hub classifier, or model files. */
export function modelChoiceInput(source: ModelSource, models: readonly SiteModelEntry[], options: {prefer?: string} = {}): HTMLElement & {value: ModelChoice} {
  switch (source) {
    case "site":
      return mapped(modelInput(models, options), (entry): ModelChoice => ({kind: "site", entry}));
    case "url": {
      const text = Inputs.text({label: "model.json URL", placeholder: "https://…/model.json", value: urlValue("modelUrl", ""), submit: "Load", width: 380});
      return mapped(
        bindUrl(text, "modelUrl", (v: string) => v || null),
        (url: string): ModelChoice => ({kind: "url", url: url || null})
      );
    }
    case "hub":
      return mapped(hubModelInput(), (hub): ModelChoice => ({kind: "hub", hub}));
    case "files":
      return mapped(modelFilesInput(), (files): ModelChoice => ({kind: "files", files}));
  }
}

/** Has the reader given what the source needs (a URL, files)? Until then a load's error is a hint, not a failure. */
export function modelChoiceGiven(choice: ModelChoice): boolean {
  return choice.kind === "url" ? choice.url !== null : choice.kind === "files" ? choice.files.length > 0 : true;
}

/** A name for the choice (the backend's probe and the page's pace are kept per model). */
export function modelChoiceKey(choice: ModelChoice): string {
  switch (choice.kind) {
    case "site":
      return choice.entry.name;
    case "url":
      return `url:${choice.url}`;
    case "hub":
      return `hub:${choice.hub.url}`;
    case "files":
      return `files:${choice.files.map((f) => `${f.name}:${f.size}`).join(",")}`;
  }
}

/** Loads the chosen model (an error says what is missing or what went wrong). */
export async function loadModelChoice(choice: ModelChoice): Promise<LoadedModel> {
  switch (choice.kind) {
    case "site": {
      const slot = modelSlots[choice.entry.slot];
      if (!slot) throw new Error(`model "${choice.entry.name}" has no slot in this build`);
      return loadSiteModel(choice.entry, slot);
    }
    case "url":
      if (!choice.url) throw new Error("enter the URL of a model.json and press Load");
      return loadModelFromUrl(choice.url);
    case "hub": {
      const {hub} = choice;
      if (!hub.url) throw new Error("enter the TF Hub URL of a classification model and press Load");
      const started = performance.now();
      const model = await loadHubModel(hub);
      const notes = [`${hub.title}: loaded from ${hub.url}. Class 0 is "background", then ImageNet's 1000 classes.`];
      return {model, source: hub.url, notes, loadMs: performance.now() - started};
    }
    case "files":
      if (!choice.files.length) throw new Error("select or drop the model's files");
      return loadModelFromFiles(choice.files);
  }
}
