/**
 * Signed distance functions (negative inside, positive outside) used to rasterise every mark in
 * the data sets. Coverage of a pixel is derived from the distance at its centre, so anti-aliasing
 * and the binary mask (distance <= 0, i.e. coverage >= 0.5) come from the same number.
 */
export type Sdf = (x: number, y: number) => number;
export type Point = readonly [number, number];

/** Integer pixel bounds, x1/y1 exclusive. */
export interface Bounds {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/** sqrt(x^2 + y^2); Math.hypot is several times slower in V8 and this runs per pixel. */
export function vectorLength(x: number, y: number): number {
  return Math.sqrt(x * x + y * y);
}

export function circleSdf(cx: number, cy: number, radius: number): Sdf {
  return (x, y) => vectorLength(x - cx, y - cy) - radius;
}

export function boxSdf(halfWidth: number, halfHeight: number, cx = 0, cy = 0): Sdf {
  return (x, y) => {
    const qx = Math.abs(x - cx) - halfWidth;
    const qy = Math.abs(y - cy) - halfHeight;
    return vectorLength(Math.max(qx, 0), Math.max(qy, 0)) + Math.min(Math.max(qx, qy), 0);
  };
}

/** Exact signed distance to a simple polygon (after Inigo Quilez's sdPolygon). */
export function polygonSdf(points: readonly Point[]): Sdf {
  const n = points.length;
  const xs = Float64Array.from(points, (p) => p[0]);
  const ys = Float64Array.from(points, (p) => p[1]);
  return (x, y) => {
    let best = (x - xs[0]) ** 2 + (y - ys[0]) ** 2;
    let sign = 1;
    for (let i = 0, j = n - 1; i < n; j = i, i++) {
      const ex = xs[j] - xs[i];
      const ey = ys[j] - ys[i];
      const wx = x - xs[i];
      const wy = y - ys[i];
      const t = Math.min(1, Math.max(0, (wx * ex + wy * ey) / (ex * ex + ey * ey)));
      const bx = wx - ex * t;
      const by = wy - ey * t;
      best = Math.min(best, bx * bx + by * by);
      const c1 = y >= ys[i];
      const c2 = y < ys[j];
      const c3 = ex * wy > ey * wx;
      if ((c1 && c2 && c3) || (!c1 && !c2 && !c3)) sign = -sign;
    }
    return sign * Math.sqrt(best);
  };
}

export function segmentDistance(px: number, py: number, ax: number, ay: number, bx: number, by: number): number {
  const ex = bx - ax;
  const ey = by - ay;
  const wx = px - ax;
  const wy = py - ay;
  const len2 = ex * ex + ey * ey;
  const t = len2 === 0 ? 0 : Math.min(1, Math.max(0, (wx * ex + wy * ey) / len2));
  return vectorLength(wx - ex * t, wy - ey * t);
}

/** A stroked open polyline of the given half width. */
export function polylineSdf(points: readonly Point[], halfWidth: number): Sdf {
  const n = points.length - 1;
  const ax = new Float64Array(n);
  const ay = new Float64Array(n);
  const bx = new Float64Array(n);
  const by = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    [ax[i], ay[i]] = points[i]!;
    [bx[i], by[i]] = points[i + 1]!;
  }
  return (x, y) => {
    let best = Infinity;
    for (let i = 0; i < n; i++) {
      // Skip segments whose bounding box is already farther than the best distance.
      const gx = Math.max(Math.min(ax[i], bx[i]) - x, 0, x - Math.max(ax[i], bx[i]));
      const gy = Math.max(Math.min(ay[i], by[i]) - y, 0, y - Math.max(ay[i], by[i]));
      if (gx * gx + gy * gy >= best * best) continue;
      best = Math.min(best, segmentDistance(x, y, ax[i], ay[i], bx[i], by[i]));
    }
    return best - halfWidth;
  };
}

export function unionSdf(...parts: Sdf[]): Sdf {
  return (x, y) => {
    let best = Infinity;
    for (const part of parts) best = Math.min(best, part(x, y));
    return best;
  };
}

/** Points of `a` that are not in `b`. */
export function subtractSdf(a: Sdf, b: Sdf): Sdf {
  return (x, y) => Math.max(a(x, y), -b(x, y));
}

/** The inner band of width `width` along the boundary: an outline drawn inside the shape. */
export function innerBandSdf(shape: Sdf, width: number): Sdf {
  return (x, y) => {
    const d = shape(x, y);
    return Math.max(d, -(d + width));
  };
}

/** Where a unit-space shape goes in the image: centre, radius in pixels, rotation, aspect. */
export interface Placement {
  cx: number;
  cy: number;
  /** Pixels per unit. */
  scale: number;
  /** Radians, clockwise in image coordinates (y down). */
  angle: number;
  /** Horizontal stretch of the unit shape before rotation (1 = none). */
  aspect?: number;
}

/** Maps a unit-space SDF into pixel space; distances stay in pixels (approximate when aspect != 1). */
export function placeSdf(unit: Sdf, placement: Placement): Sdf {
  const {cx, cy, scale, angle} = placement;
  const aspect = placement.aspect ?? 1;
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  const sx = scale * aspect;
  const sy = scale;
  const distanceScale = Math.min(sx, sy);
  return (x, y) => {
    const dx = x - cx;
    const dy = y - cy;
    const u = (dx * cos + dy * sin) / sx;
    const v = (-dx * sin + dy * cos) / sy;
    return unit(u, v) * distanceScale;
  };
}

/** Pixel bounds of a set of points grown by `margin`, clipped to the image. */
export function boundsOfPoints(points: readonly Point[], margin: number, width: number, height: number): Bounds {
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  for (const [x, y] of points) {
    minX = Math.min(minX, x);
    minY = Math.min(minY, y);
    maxX = Math.max(maxX, x);
    maxY = Math.max(maxY, y);
  }
  return clipBounds(
    {x0: Math.floor(minX - margin), y0: Math.floor(minY - margin), x1: Math.ceil(maxX + margin) + 1, y1: Math.ceil(maxY + margin) + 1},
    width,
    height
  );
}

export function clipBounds(bounds: Bounds, width: number, height: number): Bounds {
  return {
    x0: Math.max(0, Math.min(width, bounds.x0)),
    y0: Math.max(0, Math.min(height, bounds.y0)),
    x1: Math.max(0, Math.min(width, bounds.x1)),
    y1: Math.max(0, Math.min(height, bounds.y1))
  };
}
