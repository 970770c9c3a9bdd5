/**
 * Seeds for the generated data sets. Each split draws sample i from sampleSeed(SPLIT_SEED, i),
 * so train, validation and the committed test split never share an image (barring a 32-bit
 * hash collision), and any sample can be drawn on the fly without generating the ones before it.
 */
export const TRAIN_SEED = 1_000_003;
export const VALIDATION_SEED = 2_000_029;
/** Seed of the committed test splits under data/<set>/test. Never train on it. */
export const TEST_SEED = 7_340_033;

/** murmur3's 32-bit finaliser: spreads every input bit over the whole output. */
function mix32(value: number): number {
  let h = value >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Per-sample seed from (split seed, sample index); neighbouring indices give unrelated streams. */
export function sampleSeed(seed: number, index: number): number {
  if (!Number.isInteger(index) || index < 0) throw new Error(`sample index must be a non-negative integer, got ${index}`);
  if (!Number.isFinite(seed)) throw new Error(`seed must be a finite number, got ${seed}`);
  const seedHash = mix32(Math.floor(seed) ^ 0x27d4eb2f);
  // Index may exceed 32 bits in principle; fold the high part in too.
  const low = index >>> 0;
  const high = Math.floor(index / 4294967296) >>> 0;
  return mix32(seedHash ^ mix32(low + 0x632be5ab) ^ mix32(high ^ 0x165667b1));
}
