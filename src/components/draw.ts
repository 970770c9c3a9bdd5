/**
 * Drawing images and maps: canvases at the data's own resolution (shown pixelated: every pixel
 * of a 64×64 map is a real value), heat-map overlays, ground-truth outlines (mask contours and
 * boxes) and the colour legend. Everything returns plain DOM elements.
 */
import * as d3 from "d3";
import {colorize, colormapTable, overlay, resizeBilinear, type ColormapName} from "../lib/maps/index.js";
import type {SaliencyMap} from "../lib/maps/types.js";

/**
 * The maps' colormaps, plus "diverging" for signed maps (a difference of two maps): blue below
 * zero, white at zero, red above, on a symmetric domain [−d, d].
 */
export type DrawColormap = ColormapName | "diverging";

let divergingTable: Uint8Array | null = null;

/** RGB lookup table (256 entries) of any colormap the pages draw with. */
export function drawColormapTable(name: DrawColormap): Uint8Array {
  if (name !== "diverging") return colormapTable(name);
  if (!divergingTable) {
    divergingTable = new Uint8Array(256 * 3);
    for (let i = 0; i < 256; i++) {
      // RdBu runs red → blue; reversed so that positive (more credit) is red.
      const c = d3.rgb(d3.interpolateRdBu(1 - i / 255));
      divergingTable.set([Math.round(c.r), Math.round(c.g), Math.round(c.b)], 3 * i);
    }
  }
  return divergingTable;
}

/** The largest |value| of a map (at least a tiny epsilon, so a zero map still has a domain). */
export function symmetricExtent(map: SaliencyMap): number {
  let hi = 0;
  for (const v of map.data) hi = Math.max(hi, Math.abs(v));
  return Math.max(hi, 1e-6);
}

function colorizeDiverging(map: SaliencyMap, extent: number): Uint8ClampedArray {
  const table = drawColormapTable("diverging");
  const out = new Uint8ClampedArray(map.data.length * 4);
  for (let i = 0; i < map.data.length; i++) {
    const t = Math.max(0, Math.min(1, (map.data[i]! / extent + 1) / 2));
    const k = 3 * Math.round(t * 255);
    out.set([table[k]!, table[k + 1]!, table[k + 2]!, 255], 4 * i);
  }
  return out;
}

export interface Outline {
  /** Binary mask, row-major, at the image's size. */
  mask?: Uint8Array;
  box?: [number, number, number, number];
  label?: string;
  /** Drawn dashed (e.g. instances of other classes). */
  muted?: boolean;
}

export interface MapViewOptions {
  /** RGB bytes of the image (width·height·3); without it only the map is drawn. */
  image?: Uint8Array | Uint8ClampedArray;
  map?: SaliencyMap | null;
  width: number;
  height: number;
  colormap?: DrawColormap;
  /** "diverging" only: the map's values at the ends of the scale are ±extent (default: its largest |value|). */
  extent?: number;
  /** Weight of the map over the image (0..1); 1 when there is no image. */
  alpha?: number;
  /** Displayed side in CSS pixels (the longer side). */
  size?: number;
  outlines?: Outline[];
  /** Marks a point (e.g. the map's maximum, for the pointing game). */
  point?: {x: number; y: number; hit?: boolean} | null;
  caption?: string | Node;
  title?: string;
  className?: string;
}

export function rgbaCanvas(rgba: Uint8ClampedArray, width: number, height: number): HTMLCanvasElement {
  const canvas = document.createElement("canvas");
  canvas.width = width;
  canvas.height = height;
  canvas.getContext("2d")!.putImageData(new ImageData(rgba as Uint8ClampedArray<ArrayBuffer>, width, height), 0, 0);
  return canvas;
}

/** RGB bytes of canvas RGBA pixels (alpha dropped): what the engine takes. */
export function rgbaToRgb(rgba: ArrayLike<number>, width: number, height: number): Uint8Array {
  const rgb = new Uint8Array(width * height * 3);
  for (let i = 0, j = 0; i < rgb.length; i += 3, j += 4) {
    rgb[i] = rgba[j]!;
    rgb[i + 1] = rgba[j + 1]!;
    rgb[i + 2] = rgba[j + 2]!;
  }
  return rgb;
}

export function rgbToRgba(rgb: ArrayLike<number>, width: number, height: number): Uint8ClampedArray {
  const out = new Uint8ClampedArray(width * height * 4);
  for (let i = 0, j = 0; i < width * height; i++, j += 3) {
    out[4 * i] = rgb[j]!;
    out[4 * i + 1] = rgb[j + 1]!;
    out[4 * i + 2] = rgb[j + 2]!;
    out[4 * i + 3] = 255;
  }
  return out;
}

/** RGBA pixels of the view: the map over the image, the map alone, or the image alone. */
export function viewPixels(options: MapViewOptions): Uint8ClampedArray {
  const {image, map, width, height, colormap = "turbo"} = options;
  if (colormap === "diverging") {
    if (!map) return image ? rgbToRgba(image, width, height) : new Uint8ClampedArray(width * height * 4).fill(235);
    const sized = map.width === width && map.height === height ? map : resizeBilinear(map, width, height);
    const colours = colorizeDiverging(sized, options.extent ?? symmetricExtent(map));
    if (!image) return colours;
    const alpha = options.alpha ?? 0.5;
    for (let i = 0; i < width * height; i++) {
      for (let d = 0; d < 3; d++) colours[4 * i + d] = (1 - alpha) * image[3 * i + d]! + alpha * colours[4 * i + d]!;
    }
    return colours;
  }
  if (map && image) return overlay(image, 3, width, height, map, {colormap, alpha: options.alpha ?? 0.5});
  if (map) return colorize(map, colormap);
  if (image) return rgbToRgba(image, width, height);
  return new Uint8ClampedArray(width * height * 4).fill(235);
}

const geoPath = d3.geoPath();

function outlineLayer(outlines: readonly Outline[], width: number, height: number, point: MapViewOptions["point"]): SVGSVGElement {
  const svg = d3
    .create("svg")
    .attr("class", "sx-outlines")
    .attr("viewBox", `0 0 ${width} ${height}`)
    .attr("preserveAspectRatio", "none")
    .attr("aria-hidden", "true");
  for (const outline of outlines) {
    const group = svg.append("g").attr("class", outline.muted ? "sx-outline sx-outline-muted" : "sx-outline");
    if (outline.mask) {
      const values = Float64Array.from(outline.mask);
      const contours = d3.contours().size([width, height]).smooth(false).thresholds([0.5])(values as unknown as number[]);
      for (const contour of contours) {
        group.append("path").attr("class", "sx-outline-halo").attr("d", geoPath(contour));
        group.append("path").attr("class", "sx-outline-line").attr("d", geoPath(contour));
      }
    } else if (outline.box) {
      const [x0, y0, x1, y1] = outline.box;
      group
        .append("rect")
        .attr("class", "sx-outline-halo")
        .attr("x", x0)
        .attr("y", y0)
        .attr("width", x1 - x0)
        .attr("height", y1 - y0);
      group
        .append("rect")
        .attr("class", "sx-outline-line")
        .attr("x", x0)
        .attr("y", y0)
        .attr("width", x1 - x0)
        .attr("height", y1 - y0);
    }
  }
  if (point) {
    const r = Math.max(2, width / 28);
    const g = svg.append("g").attr("class", point.hit === false ? "sx-point sx-point-miss" : "sx-point");
    g.append("circle")
      .attr("cx", point.x + 0.5)
      .attr("cy", point.y + 0.5)
      .attr("r", r);
  }
  return svg.node()!;
}

/** A figure: the image with the map over it, outlines on top, a caption below. */
export function mapView(options: MapViewOptions): HTMLElement {
  const {width, height, size = 160} = options;
  const scale = size / Math.max(width, height);
  const figure = document.createElement("figure");
  figure.className = `sx-map ${options.className ?? ""}`.trim();
  const frame = document.createElement("div");
  frame.className = "sx-frame";
  frame.style.width = `${Math.round(width * scale)}px`;
  // Height from the aspect ratio, so a frame narrowed by max-width (small screens) keeps its shape.
  frame.style.aspectRatio = `${width} / ${height}`;
  const canvas = rgbaCanvas(viewPixels(options), width, height);
  canvas.setAttribute("role", "img");
  canvas.setAttribute("aria-label", options.title ?? (typeof options.caption === "string" ? options.caption : "saliency map"));
  frame.append(canvas);
  if ((options.outlines && options.outlines.length > 0) || options.point) frame.append(outlineLayer(options.outlines ?? [], width, height, options.point));
  if (options.title) frame.title = options.title;
  figure.append(frame);
  if (options.caption !== undefined) {
    const caption = document.createElement("figcaption");
    caption.append(options.caption);
    figure.append(caption);
  }
  return figure;
}

/** Colour ramp with its ends labelled (0 and 1; −d and +d for the diverging one), named for screen readers. */
export function colorLegend(colormap: DrawColormap = "turbo", label = "saliency", width = 200, ends: [string, string] = ["0", "1"]): HTMLElement {
  const table = drawColormapTable(colormap);
  const rgba = new Uint8ClampedArray(256 * 4);
  for (let i = 0; i < 256; i++) {
    rgba.set([table[3 * i]!, table[3 * i + 1]!, table[3 * i + 2]!, 255], 4 * i);
  }
  const ramp = rgbaCanvas(rgba, 256, 1);
  ramp.className = "sx-legend-ramp";
  ramp.style.width = `${width}px`;
  ramp.setAttribute("role", "img");
  ramp.setAttribute("aria-label", `Colour scale (${colormap}) of ${label}: from ${ends[0]} to ${ends[1]}`);
  const legend = document.createElement("div");
  legend.className = "sx-legend";
  const low = document.createElement("span");
  low.textContent = ends[0];
  const high = document.createElement("span");
  high.textContent = ends[1];
  const name = document.createElement("span");
  name.className = "sx-legend-label";
  name.textContent = label;
  legend.append(name, low, ramp, high);
  return legend;
}

/** Significant digits for people: 36.1666… → "36.2", 0.000123 → "0.000123", 12345 → "12,345". */
export function formatNumber(value: number | null | undefined, digits = 3): string {
  if (value === null || value === undefined || Number.isNaN(value)) return "—";
  if (!Number.isFinite(value)) return value > 0 ? "∞" : "−∞";
  if (value === 0) return "0";
  const magnitude = Math.floor(Math.log10(Math.abs(value)));
  if (magnitude >= digits - 1) return Math.round(value).toLocaleString("en-US");
  return String(Number(value.toPrecision(digits)));
}

/** Ground-truth outlines of an image: the target class solid, other classes dashed. */
export function groundTruthOutlines(
  instances: readonly {classIndex: number; className: string; box: [number, number, number, number]; rle: number[]}[],
  width: number,
  height: number,
  targetClass: number | null,
  decode: (rle: number[], length: number) => Uint8Array
): Outline[] {
  return instances.map((instance) => ({
    mask: decode(instance.rle, width * height),
    label: instance.className,
    muted: targetClass !== null && instance.classIndex !== targetClass
  }));
}

/** Index of the maximum and its position, for the pointing-game marker. */
export function argmaxPoint(map: SaliencyMap): {x: number; y: number} {
  let best = 0;
  for (let i = 1; i < map.data.length; i++) if (map.data[i]! > map.data[best]!) best = i;
  return {x: best % map.width, y: Math.floor(best / map.width)};
}
