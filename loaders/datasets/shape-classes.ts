/**
 * The shape classes, each a signed distance function in unit space (y down, roughly filling
 * [-1, 1]^2). They are chosen to stay distinguishable at 14 px: no class is the outline of
 * another (circles are never drawn as outlines, which would read as a ring).
 */
import {boxSdf, circleSdf, polygonSdf, subtractSdf, unionSdf, vectorLength, type Point, type Sdf} from "./geometry.js";

export interface ShapeClass {
  name: string;
  sdf: Sdf;
  /** Whether the class may be drawn as an outline only. */
  outline: boolean;
}

function regularStar(points: number, outer: number, inner: number): Point[] {
  const vertices: Point[] = [];
  for (let i = 0; i < points * 2; i++) {
    const r = i % 2 === 0 ? outer : inner;
    const a = -Math.PI / 2 + (i * Math.PI) / points;
    vertices.push([r * Math.cos(a), r * Math.sin(a)]);
  }
  return vertices;
}

function heartOutline(): Point[] {
  // The classic parametric heart, flipped for y-down and scaled into the unit square.
  const vertices: Point[] = [];
  for (let i = 0; i < 32; i++) {
    const t = (i / 32) * 2 * Math.PI;
    const x = 16 * Math.sin(t) ** 3;
    const y = 13 * Math.cos(t) - 5 * Math.cos(2 * t) - 2 * Math.cos(3 * t) - Math.cos(4 * t);
    vertices.push([x / 16, (-y + 2.5) / 15]);
  }
  return vertices;
}

const ringSdf: Sdf = (x, y) => Math.abs(vectorLength(x, y) - 0.76) - 0.24;

export const SHAPE_CLASSES: readonly ShapeClass[] = [
  {name: "circle", sdf: circleSdf(0, 0, 0.95), outline: false},
  {name: "square", sdf: boxSdf(0.8, 0.8), outline: true},
  {
    name: "triangle",
    sdf: polygonSdf([
      [0, -1.05],
      [1.05, 0.75],
      [-1.05, 0.75]
    ]),
    outline: true
  },
  {name: "star", sdf: polygonSdf(regularStar(5, 1.05, 0.45).map(([x, y]) => [x, y + 0.1] as const)), outline: true},
  {name: "plus", sdf: unionSdf(boxSdf(0.95, 0.3), boxSdf(0.3, 0.95)), outline: true},
  {name: "ring", sdf: ringSdf, outline: false},
  {name: "heart", sdf: polygonSdf(heartOutline()), outline: true},
  {name: "crescent", sdf: subtractSdf(circleSdf(0, 0, 1), circleSdf(0.42, -0.08, 0.82)), outline: true},
  {
    name: "arrow",
    sdf: polygonSdf([
      [-1, -0.24],
      [0.12, -0.24],
      [0.12, -0.68],
      [1, 0],
      [0.12, 0.68],
      [0.12, 0.24],
      [-1, 0.24]
    ]),
    outline: true
  },
  {name: "letter-T", sdf: unionSdf(boxSdf(0.92, 0.24, 0, -0.7), boxSdf(0.24, 0.85, 0, 0.08)), outline: true}
];

export const SHAPE_CLASS_NAMES: readonly string[] = SHAPE_CLASSES.map((c) => c.name);

/** Inside points of each class on a coarse grid, to find the extent of a rotated shape. */
const insidePoints: Point[][] = SHAPE_CLASSES.map((shape) => {
  const points: Point[] = [];
  const n = 48;
  for (let j = 0; j <= n; j++) {
    for (let i = 0; i <= n; i++) {
      const u = -1.3 + (2.6 * i) / n;
      const v = -1.3 + (2.6 * j) / n;
      if (shape.sdf(u, v) <= 0.03) points.push([u, v]);
    }
  }
  return points;
});

/** Extent of a class rotated by `angle`, stretched by `aspect`, in unit-space offsets from the centre. */
export function rotatedExtent(classIndex: number, angle: number, aspect = 1): {minX: number; maxX: number; minY: number; maxY: number} {
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  let minX = Infinity;
  let maxX = -Infinity;
  let minY = Infinity;
  let maxY = -Infinity;
  for (const [u0, v] of insidePoints[classIndex]!) {
    const u = u0 * aspect;
    const x = u * cos - v * sin;
    const y = u * sin + v * cos;
    minX = Math.min(minX, x);
    maxX = Math.max(maxX, x);
    minY = Math.min(minY, y);
    maxY = Math.max(maxY, y);
  }
  return {minX, maxX, minY, maxY};
}
