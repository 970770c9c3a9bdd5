/**
 * Non-class clutter marks: thin lines, thin scribbles and small irregular blobs. They are kept
 * thinner (<= 1.3 px) and smaller (<= 6 px across) than any class instance, so they never read
 * as a class, and they hide what they cover (masks lose those pixels).
 */
import type {Random} from "../../src/lib/random.js";
import {randomObjectColour} from "./colour.js";
import {boundsOfPoints, circleSdf, placeSdf, polylineSdf, type Point} from "./geometry.js";
import type {Layer} from "./scene.js";

export function planDistractor(rng: Random, width: number, height: number): Layer {
  const scale = Math.min(width, height) / 64;
  const colour = randomObjectColour(rng);
  const roll = rng.next();
  if (roll < 0.35) {
    const halfWidth = rng.uniform(0.4, 0.65) * scale;
    const length = rng.uniform(8, 36) * scale;
    const angle = rng.uniform(0, 2 * Math.PI);
    const start: Point = [rng.uniform(0, width), rng.uniform(0, height)];
    const end: Point = [start[0] + length * Math.cos(angle), start[1] + length * Math.sin(angle)];
    const points = [start, end];
    return {sdf: polylineSdf(points, halfWidth), bounds: boundsOfPoints(points, halfWidth + 2, width, height), paint: {mode: "over", colour}};
  }
  if (roll < 0.7) {
    const halfWidth = rng.uniform(0.4, 0.65) * scale;
    const points: Point[] = [[rng.uniform(0, width), rng.uniform(0, height)]];
    let heading = rng.uniform(0, 2 * Math.PI);
    const steps = rng.int(5, 14);
    for (let i = 0; i < steps; i++) {
      heading += rng.uniform(-0.9, 0.9);
      const step = rng.uniform(2, 4) * scale;
      const [x, y] = points[points.length - 1]!;
      points.push([x + step * Math.cos(heading), y + step * Math.sin(heading)]);
    }
    return {sdf: polylineSdf(points, halfWidth), bounds: boundsOfPoints(points, halfWidth + 2, width, height), paint: {mode: "over", colour}};
  }
  const radius = rng.uniform(1.2, 3) * scale;
  const cx = rng.uniform(0, width);
  const cy = rng.uniform(0, height);
  const sdf = placeSdf(circleSdf(0, 0, 1), {cx, cy, scale: radius, angle: rng.uniform(0, Math.PI), aspect: rng.uniform(0.5, 1)});
  return {sdf, bounds: boundsOfPoints([[cx, cy]], radius + 2, width, height), paint: {mode: "over", colour}};
}
