/** The machine a bench ran on, for the results record. */
import {cpus, platform, release, totalmem} from "node:os";
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
