/**
 * A planned image: a pre-rendered background plus layers painted in order. Planning (all random
 * draws) is separate from rendering so that an image can be re-rendered with one instance left
 * out, which is how the tests check that masks match the drawn pixels.
 */
import {seededRandom} from "../../src/lib/random.js";
import type {Rgb} from "./colour.js";
import type {Bounds, Sdf} from "./geometry.js";
import {boxOfMask} from "./masks.js";
import type {Instance, Sample} from "./types.js";

export type ColourAt = (x: number, y: number) => Rgb;

export type Paint =
  /** Cover what is below with a colour. */
  | {mode: "over"; colour: Rgb | ColourAt}
  /** Add a (usually negative) offset to what is below, keeping its texture (defects on metal). */
  | {mode: "add"; delta: Rgb | ColourAt};

export interface Layer {
  /** Pixel-space signed distance, sampled at pixel centres (x + 0.5, y + 0.5). */
  sdf: Sdf;
  /** Pixels outside these bounds are untouched. */
  bounds: Bounds;
  paint: Paint;
  /** Distance (px) over which coverage ramps from 1 to 0; 1 = plain anti-aliasing. */
  edgeWidth?: number;
  /**
   * Instance this layer draws: pixels it covers with coverage >= 0.5 become that instance's mask.
   * Without it the layer is clutter and removes what it covers from any instance's mask.
   */
  instance?: number;
}

export interface Scene {
  width: number;
  height: number;
  /** RGB floats, width*height*3. */
  background: Float32Array;
  layers: Layer[];
  /** Class index of each instance id. */
  instanceClasses: number[];
  /** Per-pixel Gaussian luminance noise added after all layers (same draws whatever is left out). */
  sensorNoise: {seed: number; sigma: number};
}

/** A scene plus its image-level labels, as produced by a data set's planner. */
export interface PlannedScene {
  scene: Scene;
  label: number;
  labels?: number[];
}

export interface RenderedScene {
  rgb: Uint8Array;
  /** Visible pixels of each instance id. Additive layers (defects) hide nothing, so two may share a pixel. */
  masks: Uint8Array[];
}

function coverageOf(distance: number, edgeWidth: number): number {
  return Math.min(1, Math.max(0, 0.5 - distance / edgeWidth));
}

export function renderScene(scene: Scene, options: {omitInstance?: number} = {}): RenderedScene {
  const {width, height} = scene;
  const image = Float32Array.from(scene.background);
  const masks = scene.instanceClasses.map(() => new Uint8Array(width * height));
  for (const layer of scene.layers) {
    if (options.omitInstance !== undefined && layer.instance === options.omitInstance) continue;
    paintLayer(image, masks, width, layer);
  }
  const rng = seededRandom(scene.sensorNoise.seed);
  const sigma = scene.sensorNoise.sigma;
  const rgb = new Uint8Array(width * height * 3);
  for (let p = 0; p < width * height; p++) {
    // Luminance noise: one draw per pixel keeps generation fast.
    const noise = sigma * rng.normal();
    for (let o = p * 3; o < p * 3 + 3; o++) rgb[o] = Math.min(255, Math.max(0, Math.round(image[o] + noise)));
  }
  return {rgb, masks};
}

function paintLayer(image: Float32Array, masks: Uint8Array[], width: number, layer: Layer): void {
  const edge = layer.edgeWidth ?? 1;
  const own = layer.instance === undefined ? null : masks[layer.instance]!;
  const {x0, y0, x1, y1} = layer.bounds;
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      const d = layer.sdf(x + 0.5, y + 0.5);
      const cov = coverageOf(d, edge);
      if (cov <= 0) continue;
      const p = y * width + x;
      const o = p * 3;
      if (layer.paint.mode === "over") {
        const c = typeof layer.paint.colour === "function" ? layer.paint.colour(x + 0.5, y + 0.5) : layer.paint.colour;
        image[o] += (c[0] - image[o]) * cov;
        image[o + 1] += (c[1] - image[o + 1]) * cov;
        image[o + 2] += (c[2] - image[o + 2]) * cov;
        // Mostly covered (coverage >= 0.5): whatever was below is no longer visible here.
        if (d <= 0) for (const mask of masks) mask[p] = 0;
      } else {
        const c = typeof layer.paint.delta === "function" ? layer.paint.delta(x + 0.5, y + 0.5) : layer.paint.delta;
        image[o] += c[0] * cov;
        image[o + 1] += c[1] * cov;
        image[o + 2] += c[2] * cov;
      }
      if (own && d <= 0) own[p] = 1;
    }
  }
}

/** The binary footprint (distance <= 0) of one layer on its own, for planning overlaps. */
export function layerFootprint(layer: Layer, width: number, height: number): Uint8Array {
  const mask = new Uint8Array(width * height);
  const {x0, y0, x1, y1} = layer.bounds;
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      if (layer.sdf(x + 0.5, y + 0.5) <= 0) mask[y * width + x] = 1;
    }
  }
  return mask;
}

/** Renders a planned scene and derives each instance's visible mask and tight box. */
export function sampleFromPlan(plan: PlannedScene): Sample {
  const {scene} = plan;
  const {width, height} = scene;
  const {rgb, masks} = renderScene(scene);
  const instances: Instance[] = [];
  scene.instanceClasses.forEach((classIndex, id) => {
    const mask = masks[id]!;
    const box = boxOfMask(mask, width, height);
    // Planning keeps instances mostly visible; an empty one would be a planner bug, but skipping
    // it keeps the "box is tight around the mask" contract true regardless.
    if (box) instances.push({classIndex, box, mask});
  });
  const sample: Sample = {width, height, rgb, label: plan.label, instances};
  if (plan.labels) sample.labels = [...plan.labels];
  return sample;
}
