/**
 * A figure for a paper: the current view's panels (the image, the maps of the chosen methods,
 * optionally a second row such as SISE's cascade) laid out on a grid with captions, a colour
 * bar and a note, as one SVG (maps embedded as PNG, text as text) and one PNG at 2×.
 *
 *   const spec = {rows: [[{image, width, height, caption: "input"}, {image, map, width, height, caption: "SISE"}]], colormap: "viridis"};
 *   figureSvg(spec)            // the SVG document as a string
 *   await figurePng(spec, 2)   // a PNG Blob, twice the SVG's size
 *   figureButtons(() => spec, "sise-figure")   // "Figure (SVG)" and "Figure (PNG, 2×)" download buttons
 */
import * as d3 from "d3";
import {drawColormapTable, rgbaCanvas, viewPixels, type DrawColormap, type MapViewOptions, type Outline} from "./draw.js";
import {embedFigure, isEmbed} from "./embed.js";

export interface FigurePanel extends MapViewOptions {
  caption: string;
}

export interface ColorbarSpec {
  colormap: DrawColormap;
  label: string;
  ends: [string, string];
}

export interface FigureSpec {
  title?: string;
  rows: FigurePanel[][];
  /** Labels at the left of each row (e.g. "cascade"). */
  rowLabels?: string[];
  /** The colour bar's colormap, label and end labels. */
  colormap: DrawColormap;
  colorbarLabel?: string;
  colorbarEnds?: [string, string];
  /** More colour bars, beside the first (e.g. a difference panel's diverging scale). */
  extraColorbars?: ColorbarSpec[];
  /** A line under the figure (model, class, link). */
  note?: string;
  /** Longest side of a panel, in figure units (SVG px; the PNG is `scale` times larger). */
  panelSize?: number;
}

const FONT = "Helvetica, Arial, sans-serif";
const CAPTION_SIZE = 11;
const TITLE_SIZE = 14;
const LINE = 13;
const GAP = 12;
const MARGIN = 14;

let measureContext: CanvasRenderingContext2D | null = null;
function textWidth(text: string, size: number): number {
  measureContext ??= document.createElement("canvas").getContext("2d")!;
  measureContext.font = `${size}px ${FONT}`;
  return measureContext.measureText(text).width;
}

/** A word wider than `width` (a URL) in pieces that fit. */
function breakWord(word: string, width: number, size: number): string[] {
  if (textWidth(word, size) <= width) return [word];
  const pieces: string[] = [];
  let piece = "";
  for (const ch of word) {
    if (piece && textWidth(piece + ch, size) > width) {
      pieces.push(piece);
      piece = "";
    }
    piece += ch;
  }
  return piece ? [...pieces, piece] : pieces;
}

/** Greedy word wrap to `width`, at most `maxLines` (the last one ends in … when cut). */
function wrap(text: string, width: number, size: number, maxLines = 3): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/).flatMap((w) => (w ? breakWord(w, width, size) : []))) {
    const next = line ? `${line} ${word}` : word;
    if (textWidth(next, size) <= width || !line) line = next;
    else {
      lines.push(line);
      line = word;
    }
  }
  if (line) lines.push(line);
  if (lines.length > maxLines) {
    const kept = lines.slice(0, maxLines);
    kept[maxLines - 1] = `${kept[maxLines - 1]}…`;
    return kept;
  }
  return lines;
}

interface PlacedPanel {
  panel: FigurePanel;
  x: number;
  y: number;
  w: number;
  h: number;
  caption: string[];
}

interface Layout {
  width: number;
  height: number;
  title: string[];
  panels: PlacedPanel[];
  rowLabels: {text: string; x: number; y: number}[];
  colorbars: (ColorbarSpec & {x: number; y: number; w: number; h: number})[];
  note: string[];
}

function layout(spec: FigureSpec): Layout {
  if (spec.rows.length === 0 || spec.rows.every((r) => r.length === 0)) throw new Error("a figure needs at least one panel");
  const size = spec.panelSize ?? 160;
  const labelWidth = spec.rowLabels?.length ? Math.max(...spec.rowLabels.map((l) => textWidth(l, CAPTION_SIZE))) + GAP : 0;
  const columns = Math.max(...spec.rows.map((r) => r.length));
  const cellWidth = size;
  const width = Math.ceil(MARGIN * 2 + labelWidth + columns * cellWidth + (columns - 1) * GAP);
  let y = MARGIN;
  const title = spec.title ? wrap(spec.title, width - 2 * MARGIN, TITLE_SIZE, 2) : [];
  y += title.length * (TITLE_SIZE + 4) + (title.length ? 6 : 0);
  const panels: PlacedPanel[] = [];
  const rowLabels: Layout["rowLabels"] = [];
  spec.rows.forEach((row, r) => {
    const captions = row.map((p) => wrap(p.caption, cellWidth, CAPTION_SIZE));
    const lines = Math.max(0, ...captions.map((c) => c.length));
    const heights = row.map((p) => Math.round((size * p.height) / Math.max(p.width, p.height)));
    const rowHeight = Math.max(0, ...heights);
    // Panels of a row share a bottom edge, so their captions line up.
    row.forEach((panel, c) => {
      const w = Math.round((size * panel.width) / Math.max(panel.width, panel.height));
      const x = MARGIN + labelWidth + c * (cellWidth + GAP) + (cellWidth - w) / 2;
      panels.push({panel, x, y: y + (rowHeight - heights[c]!), w, h: heights[c]!, caption: captions[c]!});
    });
    const label = spec.rowLabels?.[r];
    if (label) rowLabels.push({text: label, x: MARGIN, y: y + rowHeight / 2});
    y += rowHeight + 4 + lines * LINE + GAP;
  });
  const bars: ColorbarSpec[] = [
    {colormap: spec.colormap, label: spec.colorbarLabel ?? "saliency", ends: spec.colorbarEnds ?? ["0", "1"]},
    ...(spec.extraColorbars ?? [])
  ];
  // Bars side by side while they fit, else one per line.
  const colorbars: Layout["colorbars"] = [];
  let x = MARGIN;
  for (const bar of bars) {
    const labelWidth = textWidth(bar.label, CAPTION_SIZE) + 6;
    const w = Math.min(200, width - 2 * MARGIN - labelWidth);
    if (x > MARGIN && x + labelWidth + w > width - MARGIN) {
      x = MARGIN;
      y += 10 + 6 + LINE + 4;
    }
    colorbars.push({...bar, x: x + labelWidth, y, w, h: 10});
    x += labelWidth + w + 2 * GAP;
  }
  y += 10 + 6 + LINE;
  const note = spec.note ? wrap(spec.note, width - 2 * MARGIN, CAPTION_SIZE - 1, 6) : [];
  y += note.length * LINE + MARGIN;
  return {width, height: Math.ceil(y), title, panels, rowLabels, colorbars, note};
}

const escape = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

function panelCanvas(panel: FigurePanel): HTMLCanvasElement {
  return rgbaCanvas(viewPixels(panel), panel.width, panel.height);
}

/** Outline contours of a panel as SVG path data in the panel's own pixel coordinates. */
function outlinePaths(outlines: readonly Outline[] | undefined, width: number, height: number): {d: string; muted: boolean}[] {
  const path = d3.geoPath();
  const out: {d: string; muted: boolean}[] = [];
  for (const outline of outlines ?? []) {
    if (outline.mask) {
      const contours = d3.contours().size([width, height]).smooth(false).thresholds([0.5])(Array.from(outline.mask));
      for (const contour of contours) out.push({d: path(contour) ?? "", muted: outline.muted === true});
    } else if (outline.box) {
      const [x0, y0, x1, y1] = outline.box;
      out.push({d: `M${x0},${y0}H${x1}V${y1}H${x0}Z`, muted: outline.muted === true});
    }
  }
  return out.filter((p) => p.d);
}

/** The figure as a standalone SVG document. */
export function figureSvg(spec: FigureSpec): string {
  const l = layout(spec);
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="${l.width}" height="${l.height}" viewBox="0 0 ${l.width} ${l.height}" font-family="${FONT}">`
  );
  parts.push(`<title>${escape(spec.title ?? "Saliency maps")}</title>`);
  parts.push(`<rect width="100%" height="100%" fill="#ffffff"/>`);
  l.title.forEach((line, i) =>
    parts.push(
      `<text x="${MARGIN}" y="${MARGIN + TITLE_SIZE + i * (TITLE_SIZE + 4)}" font-size="${TITLE_SIZE}" font-weight="600" fill="#111827">${escape(line)}</text>`
    )
  );
  for (const label of l.rowLabels) {
    parts.push(`<text x="${label.x}" y="${label.y}" font-size="${CAPTION_SIZE}" dominant-baseline="middle" fill="#374151">${escape(label.text)}</text>`);
  }
  l.panels.forEach((p, i) => {
    const href = panelCanvas(p.panel).toDataURL("image/png");
    parts.push(
      `<image class="sx-figure-panel" x="${p.x}" y="${p.y}" width="${p.w}" height="${p.h}" preserveAspectRatio="none" style="image-rendering:pixelated" xlink:href="${href}"><title>${escape(p.panel.caption)}</title></image>`
    );
    const paths = outlinePaths(p.panel.outlines, p.panel.width, p.panel.height);
    if (paths.length) {
      const clip = `sx-figure-clip-${i}`;
      // The clip path is in the coordinates of the element that uses it: the panel's own pixels.
      parts.push(`<clipPath id="${clip}"><rect x="0" y="0" width="${p.panel.width}" height="${p.panel.height}"/></clipPath>`);
      parts.push(
        `<g clip-path="url(#${clip})" transform="translate(${p.x},${p.y}) scale(${p.w / p.panel.width},${p.h / p.panel.height})" fill="none" vector-effect="non-scaling-stroke">`
      );
      for (const path of paths) {
        parts.push(`<path d="${path.d}" stroke="rgba(0,0,0,0.65)" stroke-width="3" vector-effect="non-scaling-stroke"/>`);
        parts.push(
          `<path d="${path.d}" stroke="${path.muted ? "#e5e7eb" : "#ffffff"}" stroke-width="1.5"${path.muted ? ' stroke-dasharray="3 3"' : ""} vector-effect="non-scaling-stroke"/>`
        );
      }
      parts.push(`</g>`);
    }
    p.caption.forEach((line, k) =>
      parts.push(
        `<text class="sx-figure-caption" x="${p.x + p.w / 2}" y="${p.y + p.h + 4 + CAPTION_SIZE + k * LINE}" font-size="${CAPTION_SIZE}" text-anchor="middle" fill="#111827">${escape(line)}</text>`
      )
    );
  });
  l.colorbars.forEach((bar, b) => {
    const table = drawColormapTable(bar.colormap);
    const stops = d3
      .range(0, 256, 15)
      .concat(255)
      .map((i) => `<stop offset="${(i / 255).toFixed(3)}" stop-color="rgb(${table[3 * i]},${table[3 * i + 1]},${table[3 * i + 2]})"/>`);
    const id = `sx-figure-colorbar-${b}`;
    parts.push(`<defs><linearGradient id="${id}">${stops.join("")}</linearGradient></defs>`);
    parts.push(
      `<text x="${bar.x - 6}" y="${bar.y + bar.h / 2}" font-size="${CAPTION_SIZE}" text-anchor="end" dominant-baseline="middle" fill="#374151">${escape(bar.label)}</text>`
    );
    parts.push(
      `<rect class="sx-figure-colorbar" x="${bar.x}" y="${bar.y}" width="${bar.w}" height="${bar.h}" fill="url(#${id})" stroke="#9ca3af" stroke-width="0.5"/>`
    );
    parts.push(
      `<text x="${bar.x}" y="${bar.y + bar.h + 4 + CAPTION_SIZE}" font-size="${CAPTION_SIZE}" text-anchor="start" fill="#374151">${escape(bar.ends[0])}</text>`
    );
    parts.push(
      `<text x="${bar.x + bar.w}" y="${bar.y + bar.h + 4 + CAPTION_SIZE}" font-size="${CAPTION_SIZE}" text-anchor="end" fill="#374151">${escape(bar.ends[1])}</text>`
    );
  });
  const last = l.colorbars[l.colorbars.length - 1]!;
  const noteTop = last.y + last.h + 6 + LINE;
  l.note.forEach((line, i) =>
    parts.push(`<text x="${MARGIN}" y="${noteTop + CAPTION_SIZE + i * LINE}" font-size="${CAPTION_SIZE - 1}" fill="#6b7280">${escape(line)}</text>`)
  );
  parts.push(`</svg>`);
  return parts.join("\n");
}

/** The figure drawn on a canvas at `scale`× (maps pixelated, text and colour bar vector-sharp). */
export function figureCanvas(spec: FigureSpec, scale = 2): HTMLCanvasElement {
  const l = layout(spec);
  const canvas = document.createElement("canvas");
  canvas.width = Math.round(l.width * scale);
  canvas.height = Math.round(l.height * scale);
  const ctx = canvas.getContext("2d")!;
  ctx.scale(scale, scale);
  ctx.fillStyle = "#ffffff";
  ctx.fillRect(0, 0, l.width, l.height);
  ctx.textBaseline = "alphabetic";
  ctx.fillStyle = "#111827";
  ctx.font = `600 ${TITLE_SIZE}px ${FONT}`;
  l.title.forEach((line, i) => ctx.fillText(line, MARGIN, MARGIN + TITLE_SIZE + i * (TITLE_SIZE + 4)));
  ctx.font = `${CAPTION_SIZE}px ${FONT}`;
  ctx.fillStyle = "#374151";
  ctx.textBaseline = "middle";
  for (const label of l.rowLabels) ctx.fillText(label.text, label.x, label.y);
  ctx.textBaseline = "alphabetic";
  for (const p of l.panels) {
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(panelCanvas(p.panel), p.x, p.y, p.w, p.h);
    const paths = outlinePaths(p.panel.outlines, p.panel.width, p.panel.height);
    if (paths.length) {
      ctx.save();
      ctx.beginPath();
      ctx.rect(p.x, p.y, p.w, p.h);
      ctx.clip();
      ctx.translate(p.x, p.y);
      ctx.scale(p.w / p.panel.width, p.h / p.panel.height);
      const unit = p.panel.width / p.w;
      for (const path of paths) {
        const shape = new Path2D(path.d);
        ctx.setLineDash([]);
        ctx.strokeStyle = "rgba(0,0,0,0.65)";
        ctx.lineWidth = 3 * unit;
        ctx.stroke(shape);
        ctx.strokeStyle = path.muted ? "#e5e7eb" : "#ffffff";
        ctx.lineWidth = 1.5 * unit;
        ctx.setLineDash(path.muted ? [3 * unit, 3 * unit] : []);
        ctx.stroke(shape);
      }
      ctx.restore();
    }
    ctx.fillStyle = "#111827";
    ctx.textAlign = "center";
    p.caption.forEach((line, k) => ctx.fillText(line, p.x + p.w / 2, p.y + p.h + 4 + CAPTION_SIZE + k * LINE));
    ctx.textAlign = "start";
  }
  for (const bar of l.colorbars) {
    const table = drawColormapTable(bar.colormap);
    const gradient = ctx.createLinearGradient(bar.x, 0, bar.x + bar.w, 0);
    for (let i = 0; i < 256; i += 15) gradient.addColorStop(i / 255, `rgb(${table[3 * i]},${table[3 * i + 1]},${table[3 * i + 2]})`);
    gradient.addColorStop(1, `rgb(${table[765]},${table[766]},${table[767]})`);
    ctx.fillStyle = gradient;
    ctx.fillRect(bar.x, bar.y, bar.w, bar.h);
    ctx.fillStyle = "#374151";
    ctx.font = `${CAPTION_SIZE}px ${FONT}`;
    ctx.textAlign = "end";
    ctx.textBaseline = "middle";
    ctx.fillText(bar.label, bar.x - 6, bar.y + bar.h / 2);
    ctx.textBaseline = "alphabetic";
    ctx.textAlign = "start";
    ctx.fillText(bar.ends[0], bar.x, bar.y + bar.h + 4 + CAPTION_SIZE);
    ctx.textAlign = "end";
    ctx.fillText(bar.ends[1], bar.x + bar.w, bar.y + bar.h + 4 + CAPTION_SIZE);
    ctx.textAlign = "start";
  }
  const last = l.colorbars[l.colorbars.length - 1]!;
  ctx.fillStyle = "#6b7280";
  ctx.font = `${CAPTION_SIZE - 1}px ${FONT}`;
  const noteTop = last.y + last.h + 6 + LINE;
  l.note.forEach((line, i) => ctx.fillText(line, MARGIN, noteTop + CAPTION_SIZE + i * LINE));
  return canvas;
}

/** The figure as a PNG at `scale`× the SVG's size. */
export function figurePng(spec: FigureSpec, scale = 2): Promise<Blob> {
  const canvas = figureCanvas(spec, scale);
  return new Promise((resolve, reject) => canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error("the PNG could not be encoded"))), "image/png"));
}

/** Saves a Blob as a file (a temporary link, clicked). */
export function download(blob: Blob, name: string): void {
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}

/**
 * "Figure (SVG)" and "Figure (PNG, 2×)" buttons; `spec` is read on click, so the figure is the
 * view as it is then (null: nothing to export yet, the buttons are disabled). Under ?embed the
 * figure itself is shown instead (./embed.ts): the page's one figure.
 */
export function figureButtons(spec: () => FigureSpec | null, fileName: string): HTMLElement {
  if (isEmbed()) return embedFigure(spec());
  const root = document.createElement("div");
  root.className = "sx-figure-buttons";
  const button = (label: string, action: (s: FigureSpec) => Promise<void> | void) => {
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = label;
    b.disabled = spec() === null;
    b.addEventListener("click", async () => {
      const current = spec();
      if (current) await action(current);
    });
    return b;
  };
  root.append(
    button("Figure (SVG)", (s) => download(new Blob([figureSvg(s)], {type: "image/svg+xml"}), `${fileName}.svg`)),
    button("Figure (PNG, 2×)", async (s) => download(await figurePng(s, 2), `${fileName}.png`))
  );
  return root;
}
