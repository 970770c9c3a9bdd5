/**
 * The tfjs wasm backend for the browser, as files the site can attach.
 *
 * Framework bundles `@tensorflow/tfjs-backend-wasm` with Node built-ins (fs, path, os,
 * perf_hooks) left as bare imports, which no browser resolves: the page would fail to load.
 * So the site ships the package's own flat ES module instead, with those imports replaced by
 * empty objects (the Emscripten glue only touches them under Node) and its tfjs-core import
 * replaced by the tfjs-core instance the page already runs, passed through a global
 * (`WASM_CORE_GLOBAL`). One tfjs-core instance means one kernel registry and one engine.
 * The .wasm binaries are attached as they are (see src/data/wasm/).
 */
import {readFileSync} from "node:fs";
import {createRequire} from "node:module";
import {dirname, join} from "node:path";

const WASM_CORE_GLOBAL = "__saliencyTfjsCore";
const WASM_FILES = ["tfjs-backend-wasm.wasm", "tfjs-backend-wasm-simd.wasm", "tfjs-backend-wasm-threaded-simd.wasm"] as const;

function packageDist(): string {
  const require = createRequire(import.meta.url);
  return dirname(require.resolve("@tensorflow/tfjs-backend-wasm/package.json")) + "/dist";
}

/** One of the backend's .wasm binaries. */
export function wasmBinary(name: string): Buffer {
  if (!(WASM_FILES as readonly string[]).includes(name)) throw new Error(`unknown wasm file ${name}; expected one of ${WASM_FILES.join(", ")}`);
  return readFileSync(join(packageDist(), name));
}

/** The backend's flat ES module, rewritten to run from a plain URL in the browser. */
export function browserWasmBackendModule(): string {
  const source = readFileSync(join(packageDist(), "tf-backend-wasm.fesm.js"), "utf8");
  let coreImports = 0;
  let builtinImports = 0;
  const rewritten = source
    .replace(/^import \{([^}]*)\} from '@tensorflow\/tfjs-core';$/m, (_all, names: string) => {
      coreImports++;
      const bindings = names
        .split(",")
        .map((n) => n.trim())
        .filter(Boolean)
        .map((n) => n.replace(/^(\w+) as (\w+)$/, "$1: $2"));
      return (
        `const {${bindings.join(", ")}} = globalThis.${WASM_CORE_GLOBAL};\n` +
        `if (!globalThis.${WASM_CORE_GLOBAL}) throw new Error("set globalThis.${WASM_CORE_GLOBAL} to tfjs-core before loading the wasm backend");`
      );
    })
    .replace(/^import (\w+(?:\$\$\d+)?) from '(fs|path|os|perf_hooks|worker_threads)';$/gm, (_all, name: string) => {
      builtinImports++;
      return `const ${name} = {};`;
    })
    .replace(/\n\/\/# sourceMappingURL=.*$/, "\n");
  if (coreImports !== 1) throw new Error("tf-backend-wasm.fesm.js changed: expected one import from @tensorflow/tfjs-core");
  if (/^import /m.test(rewritten)) throw new Error(`tf-backend-wasm.fesm.js still has imports after rewriting: ${/^import .*$/m.exec(rewritten)![0]}`);
  void builtinImports;
  return rewritten;
}
