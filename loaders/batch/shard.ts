/**
 * Which slice of the work list this process does. `--shard K/N` (K from 0 to N−1) names it;
 * without it the slice comes from the scheduler's environment, so one job script runs every
 * slice: Slurm job arrays (SLURM_ARRAY_TASK_ID with SLURM_ARRAY_TASK_COUNT, or MIN/MAX) and
 * Kubernetes Indexed Jobs (JOB_COMPLETION_INDEX; the completions count from --shard-count or
 * SALIENCY_SHARD_COUNT, since Kubernetes does not put it in the environment). Item i of the
 * work list belongs to shard i mod N: deterministic, and every shard gets a mix of images and
 * methods (so a slow method does not land on one shard).
 */

export interface Shard {
  index: number;
  count: number;
  /** Where the slice came from, for logs. */
  source: string;
}

export const UNSHARDED: Shard = {index: 0, count: 1, source: "no sharding"};

function integerText(text: string, what: string): number {
  if (!/^\s*\d+\s*$/.test(text)) throw new Error(`${what} must be a non-negative integer, got "${text}"`);
  return Number(text);
}

function checked(index: number, count: number, source: string): Shard {
  if (count < 1) throw new Error(`${source}: the shard count must be at least 1, got ${count}`);
  if (index < 0 || index >= count) throw new Error(`${source}: shard index ${index} is outside 0..${count - 1}`);
  return {index, count, source};
}

/** `K/N` → shard K of N (K from 0). */
export function parseShard(text: string): Shard {
  const match = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  if (!match) throw new Error(`--shard must be K/N with 0 <= K < N (e.g. 0/4), got "${text}"`);
  return checked(Number(match[1]), Number(match[2]), `--shard ${text.trim()}`);
}

/** The shard named by a Slurm job array's environment, or null outside one. */
export function slurmShard(env: NodeJS.ProcessEnv): Shard | null {
  const id = env.SLURM_ARRAY_TASK_ID;
  if (id === undefined || id === "") return null;
  const task = integerText(id, "SLURM_ARRAY_TASK_ID");
  const min = env.SLURM_ARRAY_TASK_MIN === undefined ? 0 : integerText(env.SLURM_ARRAY_TASK_MIN, "SLURM_ARRAY_TASK_MIN");
  const max = env.SLURM_ARRAY_TASK_MAX === undefined ? undefined : integerText(env.SLURM_ARRAY_TASK_MAX, "SLURM_ARRAY_TASK_MAX");
  const count = env.SLURM_ARRAY_TASK_COUNT === undefined ? undefined : integerText(env.SLURM_ARRAY_TASK_COUNT, "SLURM_ARRAY_TASK_COUNT");
  if (count === undefined && max === undefined) throw new Error("SLURM_ARRAY_TASK_ID is set but neither SLURM_ARRAY_TASK_COUNT nor SLURM_ARRAY_TASK_MAX is");
  const span = max === undefined ? count! : max - min + 1;
  // A stepped array (--array=0-15:4) has fewer tasks than its span: task ids would not map onto 0..N-1.
  if (count !== undefined && count !== span) {
    throw new Error(`Slurm array ${min}-${max} has ${count} tasks: use a contiguous array (--array=0-${count - 1}), or pass --shard K/N`);
  }
  return checked(task - min, span, `Slurm array task ${task} (${min}..${min + span - 1})`);
}

/** The shard named by a Kubernetes Indexed Job, or null outside one. */
export function kubernetesShard(env: NodeJS.ProcessEnv, countFlag?: number): Shard | null {
  const index = env.JOB_COMPLETION_INDEX;
  if (index === undefined || index === "") return null;
  const countText = env.SALIENCY_SHARD_COUNT;
  const count = countFlag ?? (countText === undefined || countText === "" ? undefined : integerText(countText, "SALIENCY_SHARD_COUNT"));
  if (count === undefined) {
    throw new Error(
      "JOB_COMPLETION_INDEX is set (a Kubernetes Indexed Job) but the completions count is not: pass --shard-count N or set SALIENCY_SHARD_COUNT"
    );
  }
  return checked(integerText(index, "JOB_COMPLETION_INDEX"), count, `Kubernetes completion index ${index} of ${count}`);
}

/** --shard when given, else Slurm's or Kubernetes' environment, else the whole list. */
export function resolveShard(options: {shard?: string; shardCount?: number}, env: NodeJS.ProcessEnv = process.env): Shard {
  if (options.shard !== undefined) return parseShard(options.shard);
  return slurmShard(env) ?? kubernetesShard(env, options.shardCount) ?? UNSHARDED;
}

/** Whether item `position` of the work list belongs to `shard`. */
export function inShard(position: number, shard: Shard): boolean {
  return position % shard.count === shard.index;
}

/** File-name suffix of a shard's own files ("" without sharding). */
export function shardSuffix(shard: Shard): string {
  return shard.count === 1 ? "" : `-${shard.index}-of-${shard.count}`;
}
