/**
 * Composes "scenes" images (VOC-like, multi-label): a cluttered textured background, clutter
 * and part-like decoys underneath, 1-4 deformed, variously painted shape instances that may
 * occlude one another, then a few thin marks and decoys on top. Compared with shapes-scene.ts
 * the instances get an affine shear and a smooth non-rigid warp (no perspective), more fills,
 * lower contrast and heavier occlusion, and the decoys are fragments of the class shapes.
 */
import type {Random} from "../../src/lib/random.js";
import {renderClutteredBackground} from "./cluttered-background.js";
import {meanColour, pickContrastingColour, randomObjectColour, type Rgb} from "./colour.js";
import {planDistractor} from "./distractors.js";
import {fillPaint, type FillKind} from "./fills.js";
import {circleSdf, clipBounds, innerBandSdf, type Bounds, type Sdf} from "./geometry.js";
import {layerFootprint, type Layer, type Paint, type Scene} from "./scene.js";
import {SHAPE_CLASSES} from "./shape-classes.js";
import {valueNoise, sampleField} from "./value-noise.js";

/** An instance keeps at least this share of its drawn pixels after later instances (VOC-like occlusion)... */
const SCENES_MIN_VISIBLE_SHARE = 0.55;
/** ...and at least this share after the clutter drawn on top. */
export const SCENES_MIN_VISIBLE_AFTER_CLUTTER = 0.5;
/** A decoy on top may hide at most this share of an instance's visible pixels. */
const MAX_TOP_COVER = 0.2;
/** Instances below this radius (px) are painted solid: textures and outlines would eat the silhouette. */
const SOLID_BELOW_RADIUS = 16;

export interface SceneObjectRequest {
  classIndex: number;
  /** Radius range in pixels (log-uniform). */
  radius: readonly [number, number];
  /** Kept even when no placement meets the occlusion rule, so every planned class appears. */
  required: boolean;
  /** May extend past the image border (truncated, as in VOC); its mask and box are the visible part. */
  truncate?: boolean;
}

/**
 * An instance's shape in pixel space: unit-space class SDF, warped smoothly (a sine
 * displacement of the query point, at most ~8% of the radius), then sheared, stretched,
 * rotated and placed. Distances are scaled by the smaller axis: approximate, but the mask and
 * the anti-aliasing both derive from the same number, so they agree exactly.
 */
export interface Deformation {
  angle: number;
  /** Horizontal stretch before rotation. */
  aspect: number;
  /** x += shear * y before rotation. */
  shear: number;
  warp: {ax: number; fx: number; px: number; ay: number; fy: number; py: number};
}

function randomDeformation(rng: Random): Deformation {
  return {
    angle: rng.uniform(0, 2 * Math.PI),
    aspect: Math.exp(rng.uniform(Math.log(0.75), Math.log(1.33))),
    shear: rng.uniform(-0.3, 0.3),
    warp: {
      ax: rng.uniform(0, 0.08),
      fx: rng.uniform(1.5, 3.5),
      px: rng.uniform(0, 2 * Math.PI),
      ay: rng.uniform(0, 0.08),
      fy: rng.uniform(1.5, 3.5),
      py: rng.uniform(0, 2 * Math.PI)
    }
  };
}

/** Unit-space SDF with the warp applied to the query point. */
function warpedUnitSdf(unit: Sdf, d: Deformation): Sdf {
  const {ax, fx, px, ay, fy, py} = d.warp;
  return (u, v) => unit(u + ax * Math.sin(fy * v + px), v + ay * Math.sin(fx * u + py));
}

/** Linear map unit -> pixel offsets (before scaling by the radius): rotation x shear x stretch. */
function linearMap(d: Deformation): [number, number, number, number] {
  const cos = Math.cos(d.angle);
  const sin = Math.sin(d.angle);
  // A = [[aspect, shear], [0, 1]]; M = R * A.
  const a = d.aspect;
  const s = d.shear;
  return [cos * a, cos * s - sin, sin * a, sin * s + cos];
}

function placeDeformed(unit: Sdf, d: Deformation, cx: number, cy: number, radius: number): Sdf {
  const [m00, m01, m10, m11] = linearMap(d);
  const det = (m00 * m11 - m01 * m10) * radius * radius;
  // Inverse of radius * M.
  const i00 = (m11 * radius) / det;
  const i01 = (-m01 * radius) / det;
  const i10 = (-m10 * radius) / det;
  const i11 = (m00 * radius) / det;
  // Smallest singular value of radius * M: pixel distances are at least unit distances times this.
  const frob = m00 * m00 + m01 * m01 + m10 * m10 + m11 * m11;
  const detM = Math.abs(m00 * m11 - m01 * m10);
  const smin = Math.sqrt(Math.max(1e-9, (frob - Math.sqrt(Math.max(0, frob * frob - 4 * detM * detM))) / 2)) * radius;
  const warped = warpedUnitSdf(unit, d);
  return (x, y) => {
    const dx = x - cx;
    const dy = y - cy;
    return warped(i00 * dx + i01 * dy, i10 * dx + i11 * dy) * smin;
  };
}

/** Pixel-offset extent of the deformed unit shape at radius 1, from a grid of inside points. */
function deformedExtent(unit: Sdf, d: Deformation): {minX: number; maxX: number; minY: number; maxY: number} {
  const [m00, m01, m10, m11] = linearMap(d);
  const warped = warpedUnitSdf(unit, d);
  let minX = Infinity;
  let maxX = -Infinity;
  let minY = Infinity;
  let maxY = -Infinity;
  const n = 40;
  for (let j = 0; j <= n; j++) {
    for (let i = 0; i <= n; i++) {
      const u = -1.4 + (2.8 * i) / n;
      const v = -1.4 + (2.8 * j) / n;
      if (warped(u, v) > 0.05) continue;
      const x = m00 * u + m01 * v;
      const y = m10 * u + m11 * v;
      minX = Math.min(minX, x);
      maxX = Math.max(maxX, x);
      minY = Math.min(minY, y);
      maxY = Math.max(maxY, y);
    }
  }
  // Grid spacing 0.07: widen by one cell so the bounds never clip the shape.
  const pad = 0.1 * (Math.abs(m00) + Math.abs(m01) + Math.abs(m10) + Math.abs(m11));
  return {minX: minX - pad, maxX: maxX + pad, minY: minY - pad, maxY: maxY + pad};
}

export type SceneFill = FillKind | "mottled" | "two-tone";

interface FillSpec {
  kind: SceneFill;
  cx: number;
  cy: number;
  radius: number;
  primary: Rgb;
  secondary: Rgb;
}

/** fills.ts paints plus two more appearances: value-noise mottling and a two-colour gradient. */
function scenePaint(rng: Random, spec: FillSpec, width: number, height: number): Paint {
  const {kind, cx, cy, radius, primary, secondary} = spec;
  if (kind === "mottled") {
    const field = valueNoise(rng, width, height, Math.max(2, Math.round((width / radius) * rng.uniform(1.5, 3))));
    return {
      mode: "over",
      colour: (x, y) => {
        // Mix weight in [0, 0.45]: the primary colour dominates everywhere, so contrast holds.
        const t = 0.225 * (1 + sampleField(field, width, height, x, y));
        return [primary[0] + (secondary[0] - primary[0]) * t, primary[1] + (secondary[1] - primary[1]) * t, primary[2] + (secondary[2] - primary[2]) * t];
      }
    };
  }
  if (kind === "two-tone") {
    const angle = rng.uniform(0, 2 * Math.PI);
    const cos = Math.cos(angle);
    const sin = Math.sin(angle);
    return {
      mode: "over",
      colour: (x, y) => {
        const t = Math.min(1, Math.max(0, 0.5 + ((x - cx) * cos + (y - cy) * sin) / (2.2 * radius)));
        return [primary[0] + (secondary[0] - primary[0]) * t, primary[1] + (secondary[1] - primary[1]) * t, primary[2] + (secondary[2] - primary[2]) * t];
      }
    };
  }
  return fillPaint(rng, kind, {cx, cy, radius, primary, secondary});
}

function chooseFill(rng: Random, outlineAllowed: boolean, radius: number): SceneFill {
  if (radius < SOLID_BELOW_RADIUS) return rng.bernoulli(0.7) ? "solid" : "two-tone";
  const roll = rng.next();
  if (roll < 0.16 && outlineAllowed && radius >= 20) return "outline";
  if (roll < 0.36) return "solid";
  if (roll < 0.5) return "two-tone";
  if (roll < 0.63) return "mottled";
  if (roll < 0.75) return "stripes";
  if (roll < 0.88) return "dots";
  return "checks";
}

/** Mean background colour of the box and of its four quadrants, so contrast holds across it. */
function localColours(background: Float32Array, width: number, b: Bounds): Rgb[] {
  const mx = Math.floor((b.x0 + b.x1) / 2);
  const my = Math.floor((b.y0 + b.y1) / 2);
  const quarters: Bounds[] = [b, {...b, x1: mx, y1: my}, {...b, x0: mx, y1: my}, {...b, x1: mx, y0: my}, {...b, x0: mx, y0: my}];
  return quarters.map((q) => meanColour(background, width, q));
}

/**
 * A decoy that resembles a part of an object: a class shape (never the ring, whose arcs would
 * read as crescents) cut by a disk centred on its boundary, so it shows a corner, a tip, a lobe
 * or an arm end with one rounded cut edge, and never a whole class silhouette.
 */
function planPartDecoy(rng: Random, width: number, height: number, background: Float32Array): Layer {
  const classIndex = rng.pick(SHAPE_CLASSES.map((_, i) => i).filter((i) => SHAPE_CLASSES[i]!.name !== "ring"));
  const unit = SHAPE_CLASSES[classIndex]!.sdf;
  // A point on the boundary: walk from the centre along a random direction until outside.
  const theta = rng.uniform(0, 2 * Math.PI);
  let t = 0;
  while (t < 1.5 && unit(t * Math.cos(theta), t * Math.sin(theta)) <= 0) t += 0.02;
  const cutRadius = rng.uniform(0.35, 0.55);
  const cut = circleSdf(t * Math.cos(theta), t * Math.sin(theta), cutRadius);
  const part: Sdf = (u, v) => Math.max(unit(u, v), cut(u, v));
  const deformation = randomDeformation(rng);
  const radius = rng.uniform(10, 28);
  const cx = rng.uniform(0, width);
  const cy = rng.uniform(0, height);
  const sdf = placeDeformed(part, deformation, cx, cy, radius);
  // The part lies within cutRadius of the boundary point; bound it generously.
  const [m00, m01, m10, m11] = linearMap(deformation);
  const px = cx + radius * (m00 * t * Math.cos(theta) + m01 * t * Math.sin(theta));
  const py = cy + radius * (m10 * t * Math.cos(theta) + m11 * t * Math.sin(theta));
  const reach = radius * cutRadius * (Math.abs(m00) + Math.abs(m01) + Math.abs(m10) + Math.abs(m11)) * 1.3 + 3;
  const bounds = clipBounds({x0: Math.floor(px - reach), y0: Math.floor(py - reach), x1: Math.ceil(px + reach), y1: Math.ceil(py + reach)}, width, height);
  const primary = pickContrastingColour(rng, localColours(background, width, bounds), 90, 20);
  const secondary = randomObjectColour(rng);
  const kind: SceneFill = rng.pick(["solid", "solid", "two-tone", "stripes", "dots", "mottled"] as const);
  return {sdf, bounds, paint: scenePaint(rng, {kind, cx, cy, radius, primary, secondary}, width, height)};
}

interface PlacementState {
  width: number;
  height: number;
  background: Float32Array;
  /** Instance id visible at each pixel so far (-1 none). */
  occupancy: Int16Array;
  fullArea: number[];
  visibleArea: number[];
  instanceColours: Rgb[][];
  instanceClasses: number[];
  layers: Layer[];
}

export function composeScenesScene(rng: Random, width: number, height: number, requests: readonly SceneObjectRequest[]): Scene {
  // A 3x3 box blur takes the background's per-pixel noise down ~3x (textures are >= 5 px, they
  // stay): pixel noise is what makes PNGs big, and the sensor noise below adds some back.
  const background = boxBlur3(renderClutteredBackground(rng, width, height), width, height);
  const layers: Layer[] = [];
  // Clutter under the objects: thin marks and small blobs, and decoys that look like object parts.
  for (let i = rng.int(3, 9); i > 0; i--) layers.push(planDistractor(rng, width, height));
  // 0-2 part decoys: with 1-3 (and one on top in half the images) two models trained from scratch
  // stayed at the label prior for 14k images, probably because corners, tips and curves were
  // then nearly as common off the objects as on them.
  for (let i = rng.int(0, 3); i > 0; i--) layers.push(planPartDecoy(rng, width, height, background));

  const state: PlacementState = {
    width,
    height,
    background,
    occupancy: new Int16Array(width * height).fill(-1),
    fullArea: [],
    visibleArea: [],
    instanceColours: [],
    instanceClasses: [],
    layers
  };
  for (const request of requests) placeInstance(rng, state, request);

  // On top: thin marks (hide little) and sometimes a part decoy partly occluding an object.
  for (let i = rng.int(1, 5); i > 0; i--) {
    for (let attempt = 0; attempt < 10; attempt++) if (tryAddOnTop(planDistractor(rng, width, height), state)) break;
  }
  if (rng.bernoulli(0.3)) {
    for (let attempt = 0; attempt < 10; attempt++) if (tryAddOnTop(planPartDecoy(rng, width, height, background), state)) break;
  }
  return {width, height, background, layers, instanceClasses: state.instanceClasses, sensorNoise: {seed: rng.int(0, 2 ** 31), sigma: rng.uniform(1, 2.5)}};
}

function boxBlur3(image: Float32Array, width: number, height: number): Float32Array {
  const out = new Float32Array(image.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < 3; c++) {
        let sum = 0;
        let n = 0;
        for (let v = Math.max(0, y - 1); v <= Math.min(height - 1, y + 1); v++) {
          for (let u = Math.max(0, x - 1); u <= Math.min(width - 1, x + 1); u++) {
            sum += image[(v * width + u) * 3 + c]!;
            n++;
          }
        }
        out[(y * width + x) * 3 + c] = sum / n;
      }
    }
  }
  return out;
}

interface Candidate {
  sdf: Sdf;
  bounds: Bounds;
  footprint: Uint8Array;
  area: number;
  cx: number;
  cy: number;
  radius: number;
  fill: SceneFill;
  worstVisibleShare: number;
  covers: number[];
}

function placeInstance(rng: Random, state: PlacementState, request: SceneObjectRequest): void {
  const {width, height} = state;
  const shape = SHAPE_CLASSES[request.classIndex]!;
  const [lo, hi] = request.radius;
  let best: Candidate | null = null;
  for (let attempt = 0; attempt < 40; attempt++) {
    // Log-uniform radius: small and large objects equally common; later attempts shrink.
    let radius = Math.max(lo, Math.exp(rng.uniform(Math.log(lo), Math.log(hi))) * (attempt < 20 ? 1 : 0.75));
    const deformation = randomDeformation(rng);
    const extent = deformedExtent(shape.sdf, deformation);
    // A truncated object may have up to a fifth of its extent past each border.
    const slack = request.truncate ? 0.2 : 0;
    const spanX = (extent.maxX - extent.minX) * radius;
    const spanY = (extent.maxY - extent.minY) * radius;
    const fit = Math.min((width - 2) / ((1 - 2 * slack) * spanX), (height - 2) / ((1 - 2 * slack) * spanY));
    if (fit < 1) radius *= fit;
    const cx = uniformOrMiddle(rng, 1 - extent.minX * radius - slack * spanX, width - 1 - extent.maxX * radius + slack * spanX);
    const cy = uniformOrMiddle(rng, 1 - extent.minY * radius - slack * spanY, height - 1 - extent.maxY * radius + slack * spanY);
    const fill = chooseFill(rng, shape.outline, radius);
    const shapeSdf = placeDeformed(shape.sdf, deformation, cx, cy, radius);
    const sdf = fill === "outline" ? innerBandSdf(shapeSdf, Math.max(4, radius * 0.2)) : shapeSdf;
    const bounds = clipBounds(
      {
        x0: Math.floor(cx + extent.minX * radius - 2),
        y0: Math.floor(cy + extent.minY * radius - 2),
        x1: Math.ceil(cx + extent.maxX * radius + 3),
        y1: Math.ceil(cy + extent.maxY * radius + 3)
      },
      width,
      height
    );
    const footprint = layerFootprint({sdf, bounds, paint: {mode: "over", colour: [0, 0, 0]}}, width, height);
    const covered = new Map<number, number>();
    let area = 0;
    for (let p = 0; p < footprint.length; p++) {
      if (!footprint[p]) continue;
      area++;
      const id = state.occupancy[p]!;
      if (id >= 0) covered.set(id, (covered.get(id) ?? 0) + 1);
    }
    if (area === 0) continue;
    let worstVisibleShare = 1;
    for (const [id, n] of covered) worstVisibleShare = Math.min(worstVisibleShare, (state.visibleArea[id]! - n) / state.fullArea[id]!);
    const candidate: Candidate = {sdf, bounds, footprint, area, cx, cy, radius, fill, worstVisibleShare, covers: [...covered.keys()]};
    if (worstVisibleShare >= SCENES_MIN_VISIBLE_SHARE) {
      commit(rng, state, request.classIndex, candidate);
      return;
    }
    if (!best || worstVisibleShare > best.worstVisibleShare) best = candidate;
  }
  if (request.required && best) commit(rng, state, request.classIndex, best);
}

function commit(rng: Random, state: PlacementState, classIndex: number, candidate: Candidate): void {
  const id = state.instanceClasses.length;
  for (let p = 0; p < candidate.footprint.length; p++) {
    if (!candidate.footprint[p]) continue;
    const previous = state.occupancy[p]!;
    if (previous >= 0) state.visibleArea[previous] = state.visibleArea[previous]! - 1;
    state.occupancy[p] = id;
  }
  state.instanceClasses.push(classIndex);
  state.fullArea.push(candidate.area);
  state.visibleArea.push(candidate.area);
  // Lower contrast than shapes (100 vs 120 RGB distance), still enough that edges stay visible,
  // also against any instance this one covers.
  const local = localColours(state.background, state.width, candidate.bounds);
  const below = candidate.covers.flatMap((other) => state.instanceColours[other]!);
  const primary = pickContrastingColour(rng, [...local, ...below], 100, 28);
  const secondary = pickContrastingColour(rng, [...local, ...below, primary], 80, 18);
  const paint = scenePaint(
    rng,
    {kind: candidate.fill, cx: candidate.cx, cy: candidate.cy, radius: candidate.radius, primary, secondary},
    state.width,
    state.height
  );
  state.instanceColours.push(candidate.fill === "solid" || candidate.fill === "outline" ? [primary] : [primary, secondary]);
  // Pixels outside the mask (distance > 0) get at most a quarter coverage: where a part is thinner
  // than a pixel (a tapering tip between pixel centres) plain anti-aliasing would paint a strong
  // line that no mask pixel touches. Inside (distance <= 0) nothing changes, so neither does the mask.
  const sdf = candidate.sdf;
  const gappedSdf: Sdf = (x, y) => {
    const d = sdf(x, y);
    return d <= 0 ? d : d + 0.25;
  };
  state.layers.push({sdf: gappedSdf, bounds: candidate.bounds, paint, instance: id});
}

/** Adds clutter on top of the instances unless it would hide too much of one. */
function tryAddOnTop(layer: Layer, state: PlacementState): boolean {
  const footprint = layerFootprint(layer, state.width, state.height);
  const hidden = new Map<number, number>();
  for (let p = 0; p < footprint.length; p++) {
    const id = state.occupancy[p]!;
    if (footprint[p] && id >= 0) hidden.set(id, (hidden.get(id) ?? 0) + 1);
  }
  for (const [id, n] of hidden) {
    const visible = state.visibleArea[id]!;
    if (n > MAX_TOP_COVER * visible || visible - n < SCENES_MIN_VISIBLE_AFTER_CLUTTER * state.fullArea[id]!) return false;
  }
  for (const [id, n] of hidden) state.visibleArea[id] = state.visibleArea[id]! - n;
  for (let p = 0; p < footprint.length; p++) if (footprint[p]) state.occupancy[p] = -1;
  state.layers.push(layer);
  return true;
}

function uniformOrMiddle(rng: Random, lo: number, hi: number): number {
  return lo <= hi ? rng.uniform(lo, hi) : (lo + hi) / 2;
}
