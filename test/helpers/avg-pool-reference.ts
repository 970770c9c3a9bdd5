/**
 * Average pooling references for the AvgPool gradient tests (Node backends and WebGL in
 * Chromium): a float64 forward pass that divides each window by its in-bounds cells, as every
 * tfjs backend's forward pass does, its central-difference gradient, and the cases tested.
 */
export type Shape4 = [number, number, number, number];

export interface PoolCase {
  shape: Shape4;
  filter: [number, number];
  stride: [number, number];
  pad: "same" | "valid";
}

/** Deterministic values in [-1, 1). */
export function values(size: number, seed: number): Float64Array {
  const out = new Float64Array(size);
  let state = seed >>> 0;
  for (let i = 0; i < size; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    out[i] = (state / 4294967296) * 2 - 1;
  }
  return out;
}

/** Output size and leading padding of one axis, as TensorFlow defines "same" and "valid". */
function axisGeometry(size: number, filter: number, stride: number, pad: "same" | "valid"): {out: number; before: number} {
  if (pad === "valid") return {out: Math.ceil((size - filter + 1) / stride), before: 0};
  const out = Math.ceil(size / stride);
  const total = Math.max((out - 1) * stride + filter - size, 0);
  return {out, before: Math.floor(total / 2)};
}

/** Float64 average pooling, NHWC, dividing each window by its number of in-bounds cells. */
export function referencePool(x: Float64Array, c: PoolCase): {data: Float64Array; shape: Shape4} {
  const [n, h, w, ch] = c.shape;
  const rows = axisGeometry(h, c.filter[0], c.stride[0], c.pad);
  const cols = axisGeometry(w, c.filter[1], c.stride[1], c.pad);
  const out = new Float64Array(n * rows.out * cols.out * ch);
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < rows.out; oy++) {
      for (let ox = 0; ox < cols.out; ox++) {
        for (let k = 0; k < ch; k++) {
          let sum = 0;
          let count = 0;
          for (let fy = 0; fy < c.filter[0]; fy++) {
            const y = oy * c.stride[0] - rows.before + fy;
            if (y < 0 || y >= h) continue;
            for (let fx = 0; fx < c.filter[1]; fx++) {
              const xx = ox * c.stride[1] - cols.before + fx;
              if (xx < 0 || xx >= w) continue;
              sum += x[((b * h + y) * w + xx) * ch + k]!;
              count++;
            }
          }
          out[((b * rows.out + oy) * cols.out + ox) * ch + k] = count > 0 ? sum / count : 0;
        }
      }
    }
  }
  return {data: out, shape: [n, rows.out, cols.out, ch]};
}

const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
};

/** Central differences of Σ w·referencePool(x), float64. */
export function float64Gradient(x: Float64Array, weights: Float64Array, c: PoolCase): Float64Array {
  const step = 0.5;
  const gradient = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const bumped = Float64Array.from(x);
    bumped[i] = x[i]! + step;
    const up = dot(referencePool(bumped, c).data, weights);
    bumped[i] = x[i]! - step;
    const down = dot(referencePool(bumped, c).data, weights);
    gradient[i] = (up - down) / (2 * step);
  }
  return gradient;
}

/** max |a − b| / max |b| */
export function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length) throw new Error(`lengths differ: ${actual.length} vs ${expected.length}`);
  let scale = 0;
  let error = 0;
  for (let i = 0; i < expected.length; i++) {
    scale = Math.max(scale, Math.abs(expected[i]!));
    error = Math.max(error, Math.abs(actual[i]! - expected[i]!));
  }
  return error / Math.max(scale, 1e-30);
}

// same/valid × strides 1 and 2 × odd and even sizes and windows, square and not.
export const CASES: PoolCase[] = [
  {shape: [1, 4, 4, 1], filter: [3, 3], stride: [1, 1], pad: "same"},
  {shape: [2, 5, 5, 2], filter: [3, 3], stride: [1, 1], pad: "same"},
  {shape: [1, 6, 7, 2], filter: [3, 3], stride: [2, 2], pad: "same"},
  {shape: [1, 5, 6, 3], filter: [2, 2], stride: [2, 2], pad: "same"},
  {shape: [1, 7, 6, 1], filter: [2, 3], stride: [1, 2], pad: "same"},
  {shape: [1, 6, 6, 2], filter: [4, 4], stride: [2, 1], pad: "same"},
  {shape: [1, 5, 5, 2], filter: [3, 3], stride: [1, 1], pad: "valid"},
  {shape: [1, 7, 6, 2], filter: [3, 3], stride: [2, 2], pad: "valid"},
  {shape: [2, 6, 6, 1], filter: [2, 2], stride: [2, 2], pad: "valid"}
];
export const describeCase = (c: PoolCase) => `${c.shape.join("x")} window ${c.filter.join("x")} stride ${c.stride.join(",")} ${c.pad}`;
