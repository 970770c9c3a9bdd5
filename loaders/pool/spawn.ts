/**
 * Starts a worker thread running a TypeScript module. On Node 20 `execArgv: ["--import", "tsx"]`
 * does not reach a worker's entry module ("Unknown file extension .ts"), so boot.mjs registers
 * tsx's loader inside the worker first, then imports the module. Works the same under `tsx`,
 * `node --import tsx` and vitest.
 */
import {existsSync} from "node:fs";
import {fileURLToPath} from "node:url";
import {Worker} from "node:worker_threads";

const BOOT = new URL("./boot.mjs", import.meta.url);

/** The module reads its own data as `workerData.data`. */
export function spawnTypeScriptWorker(module: URL, data: unknown): Worker {
  // In the published package (compiled to dist/) only the .js beside the named .ts exists: run it as is.
  const compiled = module.pathname.endsWith(".ts") && !existsSync(fileURLToPath(module)) ? new URL(module.href.replace(/\.ts$/, ".js")) : null;
  if (compiled) return new Worker(compiled, {execArgv: [], workerData: {module: compiled.href, data}});
  // execArgv: [] keeps the parent's loader flags (tsx, vitest) out: boot.mjs does that job.
  return new Worker(BOOT, {execArgv: [], workerData: {module: module.href, data}});
}
