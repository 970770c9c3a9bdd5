/**
 * Plans shapes and shapes-pairs images: cluttered background, distractors underneath, class
 * instances (possibly overlapping a little), and a few distractors on top.
 */
import type {Random} from "../../src/lib/random.js";
import {renderClutteredBackground} from "./cluttered-background.js";
import {meanColour, pickContrastingColour, type Rgb} from "./colour.js";
import {planDistractor} from "./distractors.js";
import {fillPaint, type FillKind} from "./fills.js";
import {clipBounds, innerBandSdf, placeSdf, type Bounds} from "./geometry.js";
import {layerFootprint, type Layer, type Scene} from "./scene.js";
import {SHAPE_CLASSES, rotatedExtent} from "./shape-classes.js";

/** An instance keeps at least this share of its drawn pixels visible after later instances. */
const MIN_VISIBLE_SHARE = 0.7;
/** Top distractors may hide at most this share of an instance's visible pixels each... */
const MAX_DISTRACTOR_COVER = 0.1;
/** ...and never leave less than this share of its drawn pixels visible. */
const MIN_VISIBLE_AFTER_CLUTTER = 0.6;

export interface InstanceRequest {
  classIndex: number;
  /** Radius range in pixels at 64x64 (scaled with the image). */
  radius: readonly [number, number];
  /** Keep even if no placement meets the overlap rule (so every requested class appears). */
  required: boolean;
}

export function composeShapeScene(rng: Random, width: number, height: number, requests: readonly InstanceRequest[]): Scene {
  const background = renderClutteredBackground(rng, width, height);
  const layers: Layer[] = [];
  for (let i = rng.int(2, 7); i > 0; i--) layers.push(planDistractor(rng, width, height));

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

  for (let i = rng.int(1, 4); i > 0; i--) {
    for (let attempt = 0; attempt < 10; attempt++) {
      if (tryAddTopDistractor(planDistractor(rng, width, height), state)) break;
    }
  }
  return {width, height, background, layers, instanceClasses: state.instanceClasses, sensorNoise: {seed: rng.int(0, 2 ** 31), sigma: rng.uniform(1.5, 5)}};
}

interface PlacementState {
  width: number;
  height: number;
  background: Float32Array;
  /** Instance id visible at each pixel so far (-1 none). */
  occupancy: Int16Array;
  fullArea: number[];
  visibleArea: number[];
  /** Colours each instance was painted with, so one drawn over it can contrast with them. */
  instanceColours: Rgb[][];
  instanceClasses: number[];
  layers: Layer[];
}

interface Candidate {
  layerSdf: Layer["sdf"];
  bounds: Bounds;
  footprint: Uint8Array;
  area: number;
  cx: number;
  cy: number;
  radius: number;
  fill: FillKind;
  /** Worst resulting visible share among earlier instances. */
  worstVisibleShare: number;
  /** Earlier instances this one would partly cover. */
  covers: number[];
}

function placeInstance(rng: Random, state: PlacementState, request: InstanceRequest): void {
  const {width, height} = state;
  const scale = Math.min(width, height) / 64;
  const shape = SHAPE_CLASSES[request.classIndex]!;
  let best: Candidate | null = null;
  for (let attempt = 0; attempt < 40; attempt++) {
    const [lo, hi] = request.radius;
    // Log-uniform so small and large objects are equally common; later attempts shrink.
    let radius = Math.exp(rng.uniform(Math.log(lo), Math.log(hi))) * scale * (attempt < 20 ? 1 : 0.8);
    radius = Math.max(radius, lo * scale);
    const angle = rng.uniform(0, 2 * Math.PI);
    const aspect = rng.uniform(0.85, 1.15);
    const extent = rotatedExtent(request.classIndex, angle, aspect);
    const fit = Math.min((width - 2) / ((extent.maxX - extent.minX) * radius), (height - 2) / ((extent.maxY - extent.minY) * radius));
    if (fit < 1) radius *= fit;
    const cx = uniformOrMiddle(rng, 1 - extent.minX * radius, width - 1 - extent.maxX * radius);
    const cy = uniformOrMiddle(rng, 1 - extent.minY * radius, height - 1 - extent.maxY * radius);
    const fill = chooseFill(rng, shape.outline, radius / scale);
    const shapeSdf = placeSdf(shape.sdf, {cx, cy, scale: radius, angle, aspect});
    const layerSdf = fill === "outline" ? innerBandSdf(shapeSdf, Math.max(2.2 * scale, radius * 0.2)) : shapeSdf;
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
    const footprint = layerFootprint({sdf: layerSdf, bounds, paint: {mode: "over", colour: [0, 0, 0]}}, width, height);
    const covered = new Map<number, number>();
    let area = 0;
    for (let p = 0; p < footprint.length; p++) {
      if (!footprint[p]) continue;
      area++;
      const id = state.occupancy[p];
      if (id >= 0) covered.set(id, (covered.get(id) ?? 0) + 1);
    }
    if (area === 0) continue;
    let worstVisibleShare = 1;
    for (const [id, n] of covered) worstVisibleShare = Math.min(worstVisibleShare, (state.visibleArea[id]! - n) / state.fullArea[id]!);
    const candidate: Candidate = {layerSdf, bounds, footprint, area, cx, cy, radius, fill, worstVisibleShare, covers: [...covered.keys()]};
    if (worstVisibleShare >= MIN_VISIBLE_SHARE) {
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
    const previous = state.occupancy[p];
    if (previous >= 0) state.visibleArea[previous] = state.visibleArea[previous]! - 1;
    state.occupancy[p] = id;
  }
  state.instanceClasses.push(classIndex);
  state.fullArea.push(candidate.area);
  state.visibleArea.push(candidate.area);

  // Contrast with the local background and with any instance it overlaps, so the edge between
  // two overlapping instances stays visible (their masks split there).
  const local = localColours(state.background, state.width, candidate.bounds);
  const below = candidate.covers.flatMap((other) => state.instanceColours[other]!);
  const primary = pickContrastingColour(rng, [...local, ...below], 120, 30);
  const secondary = pickContrastingColour(rng, [...local, ...below, primary], 95, 20);
  const paint = fillPaint(rng, candidate.fill, {cx: candidate.cx, cy: candidate.cy, radius: candidate.radius, primary, secondary});
  state.instanceColours.push(candidate.fill === "solid" || candidate.fill === "outline" ? [primary] : [primary, secondary]);
  state.layers.push({sdf: candidate.layerSdf, bounds: candidate.bounds, paint, instance: id});
}

/** Mean background colour of the box and of its four quadrants, so contrast holds everywhere in it. */
function localColours(background: Float32Array, width: number, b: Bounds): Rgb[] {
  const mx = Math.floor((b.x0 + b.x1) / 2);
  const my = Math.floor((b.y0 + b.y1) / 2);
  return [
    b,
    {x0: b.x0, y0: b.y0, x1: mx, y1: my},
    {x0: mx, y0: b.y0, x1: b.x1, y1: my},
    {x0: b.x0, y0: my, x1: mx, y1: b.y1},
    {x0: mx, y0: my, x1: b.x1, y1: b.y1}
  ].map((q) => meanColour(background, width, q));
}

function chooseFill(rng: Random, outlineAllowed: boolean, radiusAt64: number): FillKind {
  // Small objects are solid: textures and outlines would eat their silhouette.
  if (radiusAt64 < 9) return "solid";
  const roll = rng.next();
  if (roll < 0.18 && outlineAllowed && radiusAt64 >= 10) return "outline";
  if (roll < 0.55) return "solid";
  if (roll < 0.7) return "stripes";
  if (roll < 0.85) return "dots";
  return "checks";
}

/** Adds a distractor on top of the instances unless it would hide too much of one. */
function tryAddTopDistractor(distractor: Layer, state: PlacementState): boolean {
  const footprint = layerFootprint(distractor, state.width, state.height);
  const hidden = new Map<number, number>();
  for (let p = 0; p < footprint.length; p++) {
    const id = state.occupancy[p];
    if (footprint[p] && id >= 0) hidden.set(id, (hidden.get(id) ?? 0) + 1);
  }
  for (const [id, n] of hidden) {
    const visible = state.visibleArea[id]!;
    if (n > MAX_DISTRACTOR_COVER * visible || visible - n < MIN_VISIBLE_AFTER_CLUTTER * state.fullArea[id]!) return false;
  }
  for (const [id, n] of hidden) state.visibleArea[id] = state.visibleArea[id]! - n;
  for (let p = 0; p < footprint.length; p++) if (footprint[p]) state.occupancy[p] = -1;
  state.layers.push(distractor);
  return true;
}

function uniformOrMiddle(rng: Random, lo: number, hi: number): number {
  return lo <= hi ? rng.uniform(lo, hi) : (lo + hi) / 2;
}
