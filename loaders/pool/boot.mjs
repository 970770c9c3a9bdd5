// Worker bootstrap (plain JS: it is what makes TypeScript loadable). Registers tsx's ESM loader
// in this worker thread, then imports the TypeScript module named in workerData.
import {workerData} from "node:worker_threads";
import {register} from "tsx/esm/api";

register();
await import(workerData.module);
