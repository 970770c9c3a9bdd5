/**
 * One defect instance each: scratch, pit cluster, patch (stain), crack, inclusion. Defects are
 * drawn as offsets ("add" paint) so the metal texture shows through them, and their strength is
 * capped by the local brightness so they never clip to pure black/white.
 */
import type {Random} from "../../src/lib/random.js";
import {meanColour} from "./colour.js";
import {boundsOfPoints, circleSdf, segmentDistance, unionSdf, polylineSdf, vectorLength, type Bounds, type Point, type Sdf} from "./geometry.js";
import type {Layer} from "./scene.js";
import {sampleField, valueNoise} from "./value-noise.js";

export interface DefectContext {
  rng: Random;
  width: number;
  height: number;
  background: Float32Array;
  rollingAngle: number;
  /** Pixels per pixel-at-64. */
  scale: number;
}

/** Long thin line, straight or gently bent; usually bright (specular), sometimes dark. */
export function planScratch(ctx: DefectContext): Layer {
  const {rng, scale} = ctx;
  const length = rng.uniform(22, 56) * scale;
  const angle = rng.uniform(0, Math.PI);
  const [a, b] = segmentInside(ctx, length, angle);
  const bend = rng.uniform(-0.12, 0.12) * length;
  const mx = (a[0] + b[0]) / 2 - Math.sin(angle) * bend;
  const my = (a[1] + b[1]) / 2 + Math.cos(angle) * bend;
  const points: Point[] = [];
  for (let i = 0; i <= 10; i++) {
    const t = i / 10;
    const q = (1 - t) * (1 - t);
    const r = 2 * t * (1 - t);
    const s = t * t;
    points.push([clampTo(q * a[0] + r * mx + s * b[0], ctx.width), clampTo(q * a[1] + r * my + s * b[1], ctx.height)]);
  }
  const halfWidth = rng.uniform(0.55, 1) * scale;
  const bounds = boundsOfPoints(points, halfWidth + 2, ctx.width, ctx.height);
  const delta = rng.bernoulli(0.75) ? brighten(ctx, bounds, rng.uniform(50, 85)) : darken(ctx, bounds, rng.uniform(50, 80));
  return {sdf: polylineSdf(points, halfWidth), bounds, paint: {mode: "add", delta: [delta, delta, delta]}};
}

/** A cluster of small dark round pits. */
export function planPitCluster(ctx: DefectContext): Layer {
  const {rng, scale} = ctx;
  const spread = rng.uniform(4, 11) * scale;
  const margin = spread + 3 * scale;
  const cx = rng.uniform(margin, ctx.width - margin);
  const cy = rng.uniform(margin, ctx.height - margin);
  const pits: Sdf[] = [];
  const centres: Point[] = [];
  for (let k = rng.int(4, 14); k > 0; k--) {
    const r = spread * Math.sqrt(rng.next());
    const a = rng.uniform(0, 2 * Math.PI);
    const px = cx + r * Math.cos(a);
    const py = cy + r * Math.sin(a);
    pits.push(circleSdf(px, py, rng.uniform(0.8, 2) * scale));
    centres.push([px, py]);
  }
  const bounds = boundsOfPoints(centres, 2 * scale + 2, ctx.width, ctx.height);
  const delta = darken(ctx, bounds, rng.uniform(55, 95));
  return {sdf: unionSdf(...pits), bounds, paint: {mode: "add", delta: [delta, delta, delta]}};
}

/** A stain: an irregular soft-edged blotch, darker (often rust-tinted) or lighter, mottled inside. */
export function planPatch(ctx: DefectContext): Layer {
  const {rng, scale, width, height} = ctx;
  const radius = rng.uniform(7, 17) * scale;
  const aspect = rng.uniform(0.5, 1);
  const angle = rng.uniform(0, Math.PI);
  const reach = radius * 1.45;
  const cx = rng.uniform(Math.min(reach, width / 2), Math.max(width - reach, width / 2));
  const cy = rng.uniform(Math.min(reach, height / 2), Math.max(height - reach, height / 2));
  const harmonics = [2, 3, 4, 5].map((k) => ({k, amp: rng.uniform(0.04, 0.14), phase: rng.uniform(0, 2 * Math.PI)}));
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  const sdf: Sdf = (x, y) => {
    const u = (x - cx) * cos + (y - cy) * sin;
    const v = (-(x - cx) * sin + (y - cy) * cos) / aspect;
    const theta = Math.atan2(v, u);
    let r = radius;
    for (const h of harmonics) r *= 1 + h.amp * Math.sin(h.k * theta + h.phase);
    return (vectorLength(u, v) - r) * aspect;
  };
  const bounds = boundsOfPoints([[cx, cy]], reach + 2, width, height);
  const mottle = valueNoise(rng, width, height, rng.int(5, 10));
  const strength = rng.uniform(30, 55);
  const dark = rng.bernoulli(0.8);
  const base = dark ? darken(ctx, bounds, strength) : brighten(ctx, bounds, strength);
  const hue: readonly [number, number, number] = dark && rng.bernoulli(0.5) ? [0.6, 0.85, 1] : [1, 1, 1];
  return {
    sdf,
    bounds,
    edgeWidth: rng.uniform(1.5, 3) * scale,
    paint: {
      mode: "add",
      delta: (x, y) => {
        const k = base * (1 + 0.3 * sampleField(mottle, width, height, x, y));
        return [k * hue[0], k * hue[1], k * hue[2]];
      }
    }
  };
}

/** A dark jagged line with side branches. */
export function planCrack(ctx: DefectContext): Layer {
  const {rng, scale, width, height} = ctx;
  const margin = 4 * scale;
  const trunk = randomWalk(ctx, [rng.uniform(margin, width - margin), rng.uniform(margin, height - margin)], rng.uniform(0, 2 * Math.PI), rng.int(10, 24));
  const strokes: Point[][] = [trunk];
  for (let k = rng.int(0, 3); k > 0; k--) {
    const i = rng.int(2, trunk.length - 1);
    const [px, py] = trunk[i]!;
    const [qx, qy] = trunk[i - 1]!;
    const heading = Math.atan2(py - qy, px - qx) + (rng.bernoulli(0.5) ? 1 : -1) * rng.uniform(0.5, 1.2);
    strokes.push(randomWalk(ctx, [px, py], heading, rng.int(4, 11)));
  }
  const halfWidth = rng.uniform(0.5, 0.8) * scale;
  const bounds = boundsOfPoints(strokes.flat(), halfWidth + 2, width, height);
  const delta = darken(ctx, bounds, rng.uniform(60, 100));
  return {sdf: unionSdf(...strokes.map((s) => polylineSdf(s, halfWidth))), bounds, paint: {mode: "add", delta: [delta, delta, delta]}};
}

/** A short, thick, irregular dark streak along the rolling direction. */
export function planInclusion(ctx: DefectContext, near?: Point): Layer {
  const {rng, scale, width, height} = ctx;
  const length = rng.uniform(7, 20) * scale;
  const halfWidth = rng.uniform(0.9, 1.8) * scale;
  const angle = ctx.rollingAngle + rng.uniform(-0.15, 0.15);
  const dx = (Math.cos(angle) * length) / 2;
  const dy = (Math.sin(angle) * length) / 2;
  const mx = Math.abs(dx) + halfWidth + 2;
  const my = Math.abs(dy) + halfWidth + 2;
  const cx = near ? clampRange(near[0] + rng.uniform(-12, 12) * scale, mx, width - mx) : rng.uniform(mx, width - mx);
  const cy = near ? clampRange(near[1] + rng.uniform(-12, 12) * scale, my, height - my) : rng.uniform(my, height - my);
  const a: Point = [cx - dx, cy - dy];
  const b: Point = [cx + dx, cy + dy];
  const wave = rng.uniform(1, 3);
  const phase = rng.uniform(0, 2 * Math.PI);
  const sdf: Sdf = (x, y) => {
    const ex = b[0] - a[0];
    const ey = b[1] - a[1];
    const t = Math.min(1, Math.max(0, ((x - a[0]) * ex + (y - a[1]) * ey) / (ex * ex + ey * ey)));
    const profile = (0.55 + 0.45 * Math.sin(Math.PI * t)) * (1 + 0.25 * Math.sin(2 * Math.PI * wave * t + phase));
    return segmentDistance(x, y, a[0], a[1], b[0], b[1]) - halfWidth * profile;
  };
  const bounds = boundsOfPoints([a, b], halfWidth * 1.3 + 2, width, height);
  const delta = darken(ctx, bounds, rng.uniform(45, 80));
  const warm = rng.uniform(0, 0.25);
  return {sdf, bounds, paint: {mode: "add", delta: [delta * (1 - warm), delta, delta * (1 + warm / 2)]}};
}

/** Centre of a layer's bounds, to cluster inclusions. */
export function centreOf(bounds: Bounds): Point {
  return [(bounds.x0 + bounds.x1) / 2, (bounds.y0 + bounds.y1) / 2];
}

/** Zig-zag path: each step deviates sharply from a slowly drifting course, like a crack. */
function randomWalk(ctx: DefectContext, start: Point, heading: number, steps: number): Point[] {
  const {rng, scale, width, height} = ctx;
  const points: Point[] = [start];
  let course = heading;
  for (let i = 0; i < steps; i++) {
    course += rng.uniform(-0.2, 0.2);
    const h = course + rng.uniform(-0.75, 0.75);
    const step = rng.uniform(1.8, 3.2) * scale;
    const [x, y] = points[points.length - 1]!;
    let nx = x + step * Math.cos(h);
    let ny = y + step * Math.sin(h);
    // Turn back at the border instead of leaving the image.
    if (nx < 2 || nx > width - 2) {
      course = Math.PI - course;
      nx = clampRange(nx, 2, width - 2);
    }
    if (ny < 2 || ny > height - 2) {
      course = -course;
      ny = clampRange(ny, 2, height - 2);
    }
    points.push([nx, ny]);
  }
  return points;
}

/** Endpoints of a segment of about `length` at `angle`, shortened to fit inside the image. */
function segmentInside(ctx: DefectContext, length: number, angle: number): [Point, Point] {
  const {rng, width, height} = ctx;
  const margin = 3;
  const dx = Math.cos(angle);
  const dy = Math.sin(angle);
  const maxLen = Math.min(length, dx === 0 ? Infinity : (width - 2 * margin) / Math.abs(dx), dy === 0 ? Infinity : (height - 2 * margin) / Math.abs(dy));
  const hx = (dx * maxLen) / 2;
  const hy = (dy * maxLen) / 2;
  const cx = rng.uniform(margin + Math.abs(hx), width - margin - Math.abs(hx));
  const cy = rng.uniform(margin + Math.abs(hy), height - margin - Math.abs(hy));
  return [
    [cx - hx, cy - hy],
    [cx + hx, cy + hy]
  ];
}

function darken(ctx: DefectContext, bounds: Bounds, amount: number): number {
  const mean = meanColour(ctx.background, ctx.width, bounds);
  return -Math.min(amount, Math.max(0, Math.min(...mean) - 12));
}

function brighten(ctx: DefectContext, bounds: Bounds, amount: number): number {
  const mean = meanColour(ctx.background, ctx.width, bounds);
  return Math.min(amount, Math.max(0, 243 - Math.max(...mean)));
}

function clampTo(value: number, size: number): number {
  return clampRange(value, 1, size - 1);
}

function clampRange(value: number, lo: number, hi: number): number {
  return lo > hi ? (lo + hi) / 2 : Math.min(hi, Math.max(lo, value));
}
