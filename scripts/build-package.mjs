// Builds the published package into dist/: tsc with tsconfig.build.json (JavaScript + .d.ts of
// the entry points and what they import), plus the plain .mjs worker files tsc does not copy.
import {spawnSync} from "node:child_process";
import {copyFileSync, mkdirSync, rmSync} from "node:fs";
import {dirname, join, resolve} from "node:path";
import {fileURLToPath} from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
rmSync(join(root, "dist"), {recursive: true, force: true});
const tsc = spawnSync(process.execPath, [join(root, "node_modules", "typescript", "bin", "tsc"), "-p", join(root, "tsconfig.build.json")], {
  cwd: root,
  stdio: "inherit"
});
if (tsc.status !== 0) process.exit(tsc.status ?? 1);
for (const file of ["loaders/onnx/worker.mjs"]) {
  mkdirSync(dirname(join(root, "dist", file)), {recursive: true});
  copyFileSync(join(root, file), join(root, "dist", file));
}
