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
}

/**
 * Theoretical fp32 peak of the CPUs this process may use: cores × clock × FLOPs per cycle. A core
 * with FMA and AVX2 or AVX-512 retires two 8-lane fused multiply-adds per cycle on the x86 parts
 * this project runs on (32 FLOPs/cycle; AVX-512 is double-pumped on AMD Zen 4); without FMA, 16.
 * wasm's 128-bit SIMD can reach at most a quarter of that, which is why native frameworks do better.
 */
export function fp32Peak(): PeakEstimate {
  let cpuinfo = "";
  try {
    cpuinfo = readFileSync("/proc/cpuinfo", "utf8");
  } catch {
    // Not Linux: clock from os.cpus(), FMA-class hardware assumed (stated in the formula).
    cpuinfo = "flags : fma avx2";
  }
  // Virtual machines often report speed 0 to os.cpus(); /proc/cpuinfo still has the clock.
  const mhz = cpus()[0]?.speed || Number(cpuinfo.match(/^cpu MHz\s*:\s*([\d.]+)/m)?.[1] ?? 0);
  const flags = cpuinfo.match(/^flags\s*:(.*)$/m)?.[1] ?? "";
  const perCycle = / fma/.test(flags) && / avx(2|512f)/.test(flags) ? 32 : 16;
  const cores = availableParallelism();
  const gflops = (cores * mhz * perCycle) / 1000;
  return {gflops, formula: `${cores} cores × ${(mhz / 1000).toFixed(2)} GHz × ${perCycle} fp32 FLOPs/cycle = ${gflops.toFixed(0)} GFLOP/s`};
}
