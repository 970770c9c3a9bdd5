/**
 * Starts a worker thread running a TypeScript module. On Node 20 `execArgv: ["--import", "tsx"]`
 * does not reach a worker's entry module ("Unknown file extension .ts"), so boot.mjs registers
 * tsx's loader inside the worker first, then imports the module. Works the same under `tsx`,
 * `node --import tsx` and vitest.
 */
import {Worker} from "node:worker_threads";

const BOOT = new URL("./boot.mjs", import.meta.url);

/** The module reads its own data as `workerData.data`. */
export function spawnTypeScriptWorker(module: URL, data: unknown): Worker {
  // execArgv: [] keeps the parent's loader flags (tsx, vitest) out: boot.mjs does that job.
  return new Worker(BOOT, {execArgv: [], workerData: {module: module.href, data}});
}
