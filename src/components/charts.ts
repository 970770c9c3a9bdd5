/**
 * Direct labels for Plot charts that do not overlap: each label is tried at a few places around
 * its point (right, left, above, below, then further out) and takes the first whose box is free
 * of the labels already placed, the other points and the chart's edges. Used with Plot:
 *
 *   const chart = Plot.plot(options);            // once, for the scales
 *   const placed = placeLabels(rows.map((d) => ({x: chart.scale("x").apply(d.x), y: chart.scale("y").apply(d.y), text: d.name})), {...});
 *   // Plot's dx and dy are constants: one text mark per label.
 *   Plot.plot({...options, marks: [..., ...rows.map((d, i) => Plot.text([d], {..., dx: placed[i].dx, dy: placed[i].dy, textAnchor: placed[i].textAnchor}))]});
 */

export interface LabelPoint {
  /** Position in the chart's pixels. */
  x: number;
  y: number;
  text: string;
}

export interface PlacedLabel {
  dx: number;
  dy: number;
  textAnchor: "start" | "middle" | "end";
  /** False when no free place was found (the label is then left out rather than drawn over another). */
  shown: boolean;
}

export interface PlaceOptions {
  /** The chart's drawing area: labels stay inside it. */
  left: number;
  right: number;
  top: number;
  bottom: number;
  fontSize?: number;
  /** Radius kept free around each point (the dot). */
  pointRadius?: number;
  /** Only vertical moves, anchored at `start` to the right of the point (end-of-line labels). */
  verticalOnly?: boolean;
}

let measure: CanvasRenderingContext2D | null = null;

/** Width of a label in pixels (system sans-serif, as Plot draws it). */
export function labelWidth(text: string, fontSize = 10): number {
  measure ??= document.createElement("canvas").getContext("2d")!;
  measure.font = `${fontSize}px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif`;
  // A little slack for font differences between the canvas and the SVG.
  return measure.measureText(text).width * 1.08 + 2;
}

interface Box {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

const overlaps = (a: Box, b: Box) => a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1;

export function placeLabels(points: readonly LabelPoint[], options: PlaceOptions): PlacedLabel[] {
  const size = options.fontSize ?? 10;
  const r = options.pointRadius ?? 5;
  const height = size * 1.25;
  const taken: Box[] = points.map((p) => ({x0: p.x - r, y0: p.y - r, x1: p.x + r, y1: p.y + r}));
  const inside = (b: Box) => b.x0 >= options.left && b.x1 <= options.right && b.y0 >= options.top && b.y1 <= options.bottom;
  const result: PlacedLabel[] = points.map(() => ({dx: 0, dy: 0, textAnchor: "start", shown: false}));
  // Place the most crowded points first (they have the fewest options).
  const order = points.map((_, i) => i).sort((a, b) => points[a]!.y - points[b]!.y || points[a]!.x - points[b]!.x);
  for (const i of order) {
    const p = points[i]!;
    const w = labelWidth(p.text, size);
    const candidates: PlacedLabel[] = [];
    const steps = options.verticalOnly ? [0, ...Array.from({length: 30}, (_, k) => [k + 1, -(k + 1)]).flat()] : [0, 1, 2, 3];
    for (const k of steps) {
      if (options.verticalOnly) candidates.push({dx: r + 2, dy: k * height * 0.55, textAnchor: "start", shown: true});
      else {
        const far = k * height;
        candidates.push(
          {dx: r + 3, dy: far === 0 ? 0 : -far, textAnchor: "start", shown: true},
          {dx: -(r + 3), dy: far === 0 ? 0 : -far, textAnchor: "end", shown: true},
          {dx: 0, dy: -(r + height / 2 + 1 + far), textAnchor: "middle", shown: true},
          {dx: 0, dy: r + height / 2 + 1 + far, textAnchor: "middle", shown: true},
          {dx: r + 3, dy: far, textAnchor: "start", shown: true},
          {dx: -(r + 3), dy: far, textAnchor: "end", shown: true}
        );
      }
    }
    for (const c of candidates) {
      const x = p.x + c.dx;
      const y = p.y + c.dy;
      const x0 = c.textAnchor === "start" ? x : c.textAnchor === "end" ? x - w : x - w / 2;
      const box = {x0, y0: y - height / 2, x1: x0 + w, y1: y + height / 2};
      if (!inside(box) || taken.some((t, j) => j !== i && overlaps(t, box))) continue;
      taken.push(box);
      result[i] = c;
      break;
    }
  }
  return result;
}
