/**
 * Controls of the live pages: a d3-drawn slider over a list of values (keyboard-accessible,
 * with marked ticks, e.g. block ends among layers), and the URL query string as the page's
 * state, so that a link reproduces an exact view. Every control is an element with `value`
 * that dispatches "input" when the value changes, as Framework's view() expects.
 */
import * as d3 from "d3";

// ---------- URL state ----------

export function urlParam(name: string): string | null {
  return new URLSearchParams(location.search).get(name);
}

/** A parameter parsed from the URL, or the fallback when absent or invalid. */
export function urlValue<T>(name: string, fallback: T, parse: (text: string) => T | undefined = (t) => t as unknown as T): T {
  const text = urlParam(name);
  if (text === null) return fallback;
  const value = parse(text);
  return value === undefined ? fallback : value;
}

// The query string as the page was opened, before any control wrote to it.
const openedWith = typeof location === "undefined" ? new URLSearchParams() : new URLSearchParams(location.search);
const consumed = new Set<string>();

/**
 * A parameter as the page was opened with it, the first time it is asked for; null afterwards.
 * For defaults that should follow a link once, then the page's own logic (e.g. the class after
 * a new image).
 */
export function initialUrlParam(name: string): string | null {
  if (consumed.has(name)) return null;
  consumed.add(name);
  return openedWith.get(name);
}

/** Fired on window whenever setUrlParams changes the address (the link box listens). */
export const URL_CHANGE_EVENT = "sx-urlchange";

export const parseNumberIn = (min: number, max: number) => (text: string) => {
  const v = Number(text);
  return Number.isFinite(v) && v >= min && v <= max ? v : undefined;
};

export const parseChoice =
  <T extends string>(choices: readonly T[]) =>
  (text: string) =>
    (choices as readonly string[]).includes(text) ? (text as T) : undefined;

export const parseList = (text: string) => (text === "" ? [] : text.split(",").map(decodeURIComponent));

/** Writes parameters into the URL without a navigation; null removes one. */
export function setUrlParams(values: Record<string, string | number | boolean | null | undefined>): void {
  const params = new URLSearchParams(location.search);
  for (const [name, value] of Object.entries(values)) {
    if (value === null || value === undefined) params.delete(name);
    else params.set(name, String(value));
  }
  const query = params.toString();
  const url = `${location.pathname}${query ? `?${query.replace(/%2C/g, ",")}` : ""}${location.hash}`;
  if (url !== `${location.pathname}${location.search}${location.hash}`) {
    history.replaceState(history.state, "", url);
    window.dispatchEvent(new Event(URL_CHANGE_EVENT));
  }
}

/** Keeps a URL parameter in step with an input's value (now and on every "input" event). */
export function bindUrl<E extends EventTarget & {value: unknown}>(element: E, name: string, serialize: (value: any) => string | null = defaultSerialize): E {
  const write = () => setUrlParams({[name]: serialize(element.value)});
  element.addEventListener("input", write);
  write();
  return element;
}

function defaultSerialize(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (Array.isArray(value)) return value.map((v) => encodeURIComponent(String(v))).join(",");
  if (typeof value === "object" && "name" in (value as object)) return String((value as {name: unknown}).name);
  return String(value);
}

// ---------- slider ----------

export interface SliderTick {
  /** Index into `values`. */
  index: number;
  label?: string;
  /** Drawn taller and darker (e.g. block ends). */
  major?: boolean;
}

export interface SliderOptions<T> {
  label: string;
  values: readonly T[];
  value?: T;
  format?: (value: T) => string;
  ticks?: readonly SliderTick[];
  /** Short text under the slider (e.g. what the ticks mean). */
  note?: string;
  width?: number;
  /** Test id / element id for the handle. */
  id?: string;
}

export interface SliderElement<T> extends HTMLElement {
  value: T;
  index: number;
}

let sliderCount = 0;

/** A slider over discrete values, drawn with d3. Keys: arrows, Page Up/Down (±10%), Home/End. */
export function slider<T>(options: SliderOptions<T>): SliderElement<T> {
  const {values, format = (v: T) => String(v), ticks = [], width = 320} = options;
  if (values.length === 0) throw new Error(`slider "${options.label}" has no values`);
  const id = options.id ?? `sx-slider-${++sliderCount}`;
  const margin = {left: 10, right: 10};
  const height = ticks.some((t) => t.label) ? 46 : 34;
  const trackY = 14;
  const x = d3
    .scaleLinear()
    .domain([0, Math.max(1, values.length - 1)])
    .range([margin.left, width - margin.right])
    .clamp(true);
  let index = Math.max(0, options.value === undefined ? 0 : values.indexOf(options.value));

  const root = document.createElement("div") as unknown as SliderElement<T>;
  root.className = "sx-slider";
  const head = d3.select(root).append("div").attr("class", "sx-slider-head");
  head.append("label").attr("for", id).attr("id", `${id}-label`).text(options.label);
  const output = head.append("output").attr("class", "sx-slider-value").attr("for", id);

  const svg = d3
    .select(root)
    .append("svg")
    .attr("class", "sx-slider-svg")
    .attr("width", width)
    .attr("height", height)
    .attr("viewBox", `0 0 ${width} ${height}`);
  svg
    .append("line")
    .attr("class", "sx-slider-track")
    .attr("x1", x(0))
    .attr("x2", x(values.length - 1))
    .attr("y1", trackY)
    .attr("y2", trackY);
  const fill = svg.append("line").attr("class", "sx-slider-fill").attr("x1", x(0)).attr("y1", trackY).attr("y2", trackY);
  const tickGroup = svg.append("g").attr("class", "sx-slider-ticks");
  for (const tick of ticks) {
    const g = tickGroup
      .append("g")
      .attr("class", tick.major ? "sx-tick sx-tick-major" : "sx-tick")
      .attr("transform", `translate(${x(tick.index)},0)`);
    g.append("line")
      .attr("y1", trackY + 5)
      .attr("y2", trackY + (tick.major ? 12 : 9));
    if (tick.label)
      g.append("text")
        .attr("y", trackY + 24)
        .attr("text-anchor", "middle")
        .text(tick.label);
  }
  const handle = svg
    .append("circle")
    .attr("class", "sx-slider-handle")
    .attr("id", id)
    .attr("cy", trackY)
    .attr("r", 8)
    .attr("tabindex", 0)
    .attr("role", "slider")
    .attr("aria-labelledby", `${id}-label`);
  // aria-valuenow is the value itself when the values are numbers (m = 16 reads 16; an
  // unbounded end such as "all" reads one past the largest finite value); otherwise (layer
  // names) the position. aria-valuetext always says the value as shown.
  const numeric = values.every((v) => typeof v === "number" && !Number.isNaN(v));
  const finiteMax = numeric ? Math.max(...values.filter((v) => Number.isFinite(v as number)).map(Number)) : 0;
  const ariaOf = (i: number) => {
    if (!numeric) return i;
    const v = values[i] as number;
    return Number.isFinite(v) ? v : v > 0 ? finiteMax + 1 : -finiteMax - 1;
  };
  handle.attr("aria-valuemin", ariaOf(0)).attr("aria-valuemax", ariaOf(values.length - 1));
  if (options.note) d3.select(root).append("div").attr("class", "sx-slider-note").text(options.note);

  const render = () => {
    const text = format(values[index]!);
    handle.attr("cx", x(index)).attr("aria-valuenow", ariaOf(index)).attr("aria-valuetext", text);
    fill.attr("x2", x(index));
    output.text(text);
  };
  const commit = (next: number, notify: boolean) => {
    const clamped = Math.max(0, Math.min(values.length - 1, Math.round(next)));
    const changed = clamped !== index;
    index = clamped;
    render();
    if (changed && notify) root.dispatchEvent(new Event("input", {bubbles: true}));
  };

  handle.on("keydown", (event: KeyboardEvent) => {
    const page = Math.max(1, Math.round(values.length / 10));
    const moves: Record<string, number> = {
      ArrowLeft: index - 1,
      ArrowDown: index - 1,
      ArrowRight: index + 1,
      ArrowUp: index + 1,
      PageDown: index - page,
      PageUp: index + page,
      Home: 0,
      End: values.length - 1
    };
    if (!(event.key in moves)) return;
    event.preventDefault();
    commit(moves[event.key]!, true);
  });

  // Pointer: the handle follows while dragging; the value is committed on release.
  let dragging = false;
  const positionOf = (event: PointerEvent) => x.invert(d3.pointer(event, svg.node())[0]);
  svg.on("pointerdown", (event: PointerEvent) => {
    dragging = true;
    (svg.node() as SVGSVGElement).setPointerCapture(event.pointerId);
    (handle.node() as SVGCircleElement).focus();
    commit(positionOf(event), false);
  });
  svg.on("pointermove", (event: PointerEvent) => {
    if (dragging) commit(positionOf(event), false);
  });
  const release = (event: PointerEvent) => {
    if (!dragging) return;
    dragging = false;
    commit(positionOf(event), false);
    root.dispatchEvent(new Event("input", {bubbles: true}));
  };
  svg.on("pointerup", release);
  svg.on("pointercancel", release);

  Object.defineProperty(root, "value", {
    get: () => values[index],
    set: (v: T) => {
      const i = values.indexOf(v);
      if (i >= 0) commit(i, false);
    }
  });
  Object.defineProperty(root, "index", {get: () => index});
  render();
  return root;
}

// ---------- small helpers ----------

/** A row of labelled toggles over `options` (checkbox per item), value = checked items in order. */
export function toggles<T>(options: {
  label: string;
  items: readonly T[];
  value?: readonly T[];
  format?: (item: T) => string;
  describe?: (item: T) => string;
}): HTMLElement & {value: T[]} {
  const {items, format = String} = options;
  const chosen = new Set(options.value ?? items);
  const root = document.createElement("fieldset") as HTMLFieldSetElement & {value: T[]};
  root.className = "sx-toggles";
  const legend = document.createElement("legend");
  legend.textContent = options.label;
  root.append(legend);
  items.forEach((item, i) => {
    const label = document.createElement("label");
    label.className = "sx-toggle";
    const box = document.createElement("input");
    box.type = "checkbox";
    box.checked = chosen.has(item);
    box.dataset.index = String(i);
    box.addEventListener("change", () => {
      if (box.checked) chosen.add(item);
      else chosen.delete(item);
      root.dispatchEvent(new Event("input", {bubbles: true}));
    });
    const text = document.createElement("span");
    text.textContent = format(item);
    if (options.describe) label.title = options.describe(item);
    label.append(box, text);
    root.append(label);
  });
  Object.defineProperty(root, "value", {get: () => items.filter((item) => chosen.has(item))});
  // Stop the checkboxes' own input events from reaching view() with the wrong value.
  root.addEventListener("input", (event) => {
    if (event.target !== root) event.stopImmediatePropagation();
  });
  return root;
}
