/** Rewrites test/fixtures/golden-maps.json from the current engine (see cases.ts). */
import {writeFileSync} from "node:fs";
import {selectNodeBackend} from "../../loaders/backend.js";
import {computeGoldens} from "./cases.js";

await selectNodeBackend("wasm");
const entries = await computeGoldens();
writeFileSync("test/fixtures/golden-maps.json", `${JSON.stringify(entries, null, 1)}\n`);
console.log(`${entries.length} golden maps written`);
