/**
 * Seeded pseudo-random numbers (mulberry32). Every random choice in the project
 * (RISE masks, noise baselines, data generation) goes through this, never
 * Math.random or tfjs random ops (which break when bundled into pages).
 */
export interface Random {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [lo, hi). */
  int(lo: number, hi: number): number;
  /** Uniform float in [lo, hi). */
  uniform(lo: number, hi: number): number;
  /** Standard normal (Box-Muller). */
  normal(): number;
  /** One element of the array. */
  pick<T>(items: readonly T[]): T;
  /** True with probability p. */
  bernoulli(p: number): boolean;
}

export function seededRandom(seed: number): Random {
  if (!Number.isFinite(seed)) throw new Error(`seed must be a finite number, got ${seed}`);
  let state = (Math.floor(seed) ^ 0x9e3779b9) >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  let spareNormal: number | null = null;
  return {
    next,
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo)),
    uniform: (lo, hi) => lo + next() * (hi - lo),
    normal: () => {
      if (spareNormal !== null) {
        const z = spareNormal;
        spareNormal = null;
        return z;
      }
      const u = 1 - next();
      const v = next();
      const r = Math.sqrt(-2 * Math.log(u));
      spareNormal = r * Math.sin(2 * Math.PI * v);
      return r * Math.cos(2 * Math.PI * v);
    },
    pick: (items) => {
      if (items.length === 0) throw new Error("cannot pick from an empty list");
      return items[Math.floor(next() * items.length)]!;
    },
    bernoulli: (p) => next() < p
  };
}
