/** The machine a bench ran on, for the results record. */
import {readFileSync} from "node:fs";
import {availableParallelism, cpus, platform, release, totalmem} from "node:os";
import type {MachineInfo} from "./types.js";

export function machineInfo(): MachineInfo {
  const list = cpus();
  return {
    cpu: list[0]?.model.trim() ?? "unknown",
    cores: list.length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    platform: `${platform()} ${release()}`,
    node: process.version
  };
}

export interface PeakEstimate {
  gflops: number;
  formula: string;
  /** fp32 FLOPs per cycle per core, and the rule (below) that chose it. */
  perCycle: number;
  rule: string;
}

/**
 * fp32 FLOPs per cycle per core from /proc/cpuinfo (vendor, family, model, flags): the number of
 * FMA units times their width, which the flags alone do not tell. Rules, first match wins:
 *   - AMD with avx512f, family >= 0x1a (Zen 5): two full-width 512-bit FMA pipes → 2·16·2 = 64;
 *   - AMD with avx512f, family 0x19 (Zen 4): 512-bit ops double-pumped on 256-bit units → 32;
 *   - Intel with avx512f and amx_tile (Sapphire Rapids and later Xeon Scalable: two 512-bit FMA
 *     units on every model) → 64;
 *   - Intel with avx512f, no AMX (Skylake-SP to Ice Lake): one or two 512-bit FMA units depending on
 *     the model (Gold 6xxx / Platinum two; Silver, Bronze, Gold 5xxx and client parts one), which
 *     cpuinfo cannot tell → 32, the lower figure (the peak may be 64);
 *   - AMD family 0x17 below model 0x30 (Zen, Zen+): 256-bit ops split over 128-bit FMA units → 16;
 *   - fma and avx2: two 256-bit FMA units → 32;
 *   - otherwise (no FMA): 16.
 * Zen 5 laptop parts (Strix Point) double-pump 512-bit ops, so 64 overstates them twofold.
 */
export function fp32FlopsPerCycle(cpuinfo: string): {perCycle: number; rule: string} {
  const field = (name: string) => cpuinfo.match(new RegExp(`^${name}\\s*:\\s*(.*)$`, "m"))?.[1]?.trim() ?? "";
  const flags = new Set(field("flags").split(/\s+/));
  const vendor = field("vendor_id");
  const family = Number(field("cpu family") || NaN);
  const model = Number(field("model") || NaN);
  const amd = vendor === "AuthenticAMD";
  const intel = vendor === "GenuineIntel";
  if (amd && flags.has("avx512f") && family >= 0x1a) return {perCycle: 64, rule: `AMD family ${family} (Zen 5 or later) with avx512f: 2 x 512-bit FMA`};
  if (amd && flags.has("avx512f") && family === 0x19)
    return {perCycle: 32, rule: "AMD family 25 (Zen 4) with avx512f: 512-bit ops double-pumped on 2 x 256-bit FMA"};
  if (intel && flags.has("avx512f") && flags.has("amx_tile"))
    return {perCycle: 64, rule: "Intel with avx512f and amx_tile (Sapphire Rapids or later): 2 x 512-bit FMA"};
  if (intel && flags.has("avx512f"))
    return {perCycle: 32, rule: "Intel with avx512f, no AMX: 1 or 2 x 512-bit FMA by model, 1 assumed (the peak may be twice this)"};
  if (amd && family === 0x17 && model < 0x30) return {perCycle: 16, rule: "AMD family 23 below model 48 (Zen, Zen+): 2 x 128-bit FMA"};
  if (flags.has("fma") && flags.has("avx2")) return {perCycle: 32, rule: "fma and avx2: 2 x 256-bit FMA"};
  return {perCycle: 16, rule: "no fma/avx2 flags: 16 assumed"};
}

/**
 * Theoretical fp32 peak of the CPUs this process may use: cores × clock × FLOPs per cycle
 * (fp32FlopsPerCycle). wasm's 128-bit SIMD reaches a quarter or less of that, which is why native
 * runtimes do better.
 */
export function fp32Peak(): PeakEstimate {
  let cpuinfo = "";
  try {
    cpuinfo = readFileSync("/proc/cpuinfo", "utf8");
  } catch {
    // Not Linux: clock from os.cpus(), FMA-class hardware assumed (stated in the rule).
    cpuinfo = "flags : fma avx2";
  }
  // Virtual machines often report speed 0 to os.cpus(); /proc/cpuinfo still has the clock.
  const mhz = cpus()[0]?.speed || Number(cpuinfo.match(/^cpu MHz\s*:\s*([\d.]+)/m)?.[1] ?? 0);
  const {perCycle, rule} = fp32FlopsPerCycle(cpuinfo);
  const cores = availableParallelism();
  const gflops = (cores * mhz * perCycle) / 1000;
  return {
    gflops,
    perCycle,
    rule,
    formula: `${cores} cores × ${(mhz / 1000).toFixed(2)} GHz × ${perCycle} fp32 FLOPs/cycle = ${gflops.toFixed(0)} GFLOP/s (rule: ${rule})`
  };
}
