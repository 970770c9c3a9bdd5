/**
 * The class to explain: every class of the model in a searchable list, the model's top
 * predictions first (with their probabilities). The default is the top prediction (or the
 * page's own fallback, e.g. the gallery image's label); a class in the URL is honoured only the
 * first time the picker is made after the page opens, so a new image or model starts again from
 * its own default instead of keeping the previous class. Value = class index; "input" on change.
 */
import {bindUrl, initialUrlParam} from "./controls.js";
import type {Prediction} from "./images.js";

export interface ClassPickerOptions {
  classNames: readonly string[];
  /** The model's predictions for the image, best first (all classes or the top few). */
  predictions: readonly Prediction[];
  /** Default class; default: the top prediction. */
  fallback?: number;
  /** How many predictions lead the list. */
  top?: number;
  label?: string;
  /** URL parameter kept in step with the value (null: none). */
  urlName?: string | null;
}

let pickers = 0;

function parseClass(text: string | null, count: number): number | undefined {
  if (text === null || text === "") return undefined;
  const i = Number(text);
  return Number.isInteger(i) && i >= 0 && i < count ? i : undefined;
}

export function classPicker(options: ClassPickerOptions): HTMLElement & {value: number} {
  const {classNames, predictions, top = 5, label = "Class", urlName = "class"} = options;
  if (classNames.length === 0) throw new Error("the model has no classes to pick from");
  const id = `sx-class-${++pickers}`;
  const leading = predictions.slice(0, top).map((p) => p.classIndex);
  const probability = new Map(predictions.map((p) => [p.classIndex, p.probability]));
  const rest = classNames.map((_, i) => i).filter((i) => !leading.includes(i));
  const fallback = options.fallback ?? leading[0] ?? 0;
  // The URL's class applies once: when the page was opened with it.
  const fromUrl = urlName ? parseClass(initialUrlParam(urlName), classNames.length) : undefined;
  let value = fromUrl ?? fallback;

  const root = document.createElement("div") as HTMLDivElement & {value: number};
  root.className = "sx-class-picker";
  const title = document.createElement("label");
  title.htmlFor = id;
  title.textContent = label;
  const search = document.createElement("input");
  search.type = "search";
  search.placeholder = `search ${classNames.length} classes`;
  search.setAttribute("aria-label", `Search the ${classNames.length} classes`);
  search.className = "sx-class-search";
  search.hidden = classNames.length <= top;
  const select = document.createElement("select");
  select.id = id;
  const text = (i: number) => `${classNames[i]}${probability.has(i) ? ` · p = ${probability.get(i)!.toFixed(3)}` : ""}`;
  const fill = (filter: string) => {
    const match = (i: number) => filter === "" || classNames[i]!.toLowerCase().includes(filter) || i === value;
    select.replaceChildren();
    const group = (name: string, indices: number[]) => {
      const shown = indices.filter(match);
      if (shown.length === 0) return;
      const g = document.createElement("optgroup");
      g.label = name;
      for (const i of shown) {
        const option = new Option(text(i), String(i), false, i === value);
        g.append(option);
      }
      select.append(g);
    };
    group(`Top ${leading.length} predictions`, leading);
    group("All classes", rest);
  };
  fill("");
  search.addEventListener("input", (event) => {
    event.stopPropagation();
    fill(search.value.trim().toLowerCase());
  });
  select.addEventListener("change", () => {
    value = Number(select.value);
    root.dispatchEvent(new Event("input", {bubbles: true}));
  });
  select.addEventListener("input", (event) => event.stopPropagation());
  root.append(title, search, select);
  Object.defineProperty(root, "value", {
    get: () => value,
    set: (v: number) => {
      if (Number.isInteger(v) && v >= 0 && v < classNames.length) {
        value = v;
        fill(search.value.trim().toLowerCase());
      }
    }
  });
  return urlName ? bindUrl(root, urlName) : root;
}
