/**
 * @vladmandic/face-api for the browser, as files the site can attach: the package's ES module
 * without a bundled tfjs (dist/face-api.esm-nobundle.js) and the weights of its two face
 * detectors (model/: a weights manifest and one .bin shard each).
 *
 * The module imports "@tensorflow/tfjs/dist/index.js" and the WebGL and wasm backends by bare
 * specifiers, which no browser resolves from a plain URL, and which Framework would bundle as
 * second copies of tfjs. So the site ships it with those imports replaced: tfjs is the instance
 * the page already runs, passed through the same global as the wasm backend's core
 * (loaders/site/wasm-backend.ts), and the two backend namespaces (face-api only re-exports them)
 * are empty objects. One tfjs means one engine, one backend and one kernel registry for the
 * detector and the explained model.
 */
import {readFileSync} from "node:fs";
import {createRequire} from "node:module";
import {dirname, join} from "node:path";

/** The global the rewritten module reads tfjs from (the wasm backend's too). */
export const FACE_API_TFJS_GLOBAL = "__saliencyTfjsCore";

/** The detectors the site ships, by the file stem of their weights in the package's model/ folder. */
export const FACE_DETECTOR_FILES = {ssd: "ssd_mobilenetv1_model", tiny: "tiny_face_detector_model"} as const;
export type BrowserFaceDetector = keyof typeof FACE_DETECTOR_FILES;

function packageRoot(): string {
  const require = createRequire(import.meta.url);
  try {
    return dirname(require.resolve("@vladmandic/face-api/package.json"));
  } catch {
    throw new Error("@vladmandic/face-api is not installed (run npm install)");
  }
}

/** The package's no-bundle ES module, rewritten to run from a plain URL with the page's tfjs. */
export function browserFaceApiModule(): string {
  const source = readFileSync(join(packageRoot(), "dist", "face-api.esm-nobundle.js"), "utf8");
  const replaced: string[] = [];
  // Imports are hoisted (the module uses the bindings before the import statements), so the
  // replacements go to the top of the module.
  const bindings: string[] = [];
  const body = source
    .replace(/import\s*\*\s*as\s*(\w+)\s*from\s*"(@tensorflow\/[\w-]+)(?:\/dist\/index\.js)?";/g, (_all, name: string, specifier: string) => {
      replaced.push(specifier);
      bindings.push(specifier === "@tensorflow/tfjs" ? `const ${name} = globalThis.${FACE_API_TFJS_GLOBAL};` : `const ${name} = {};`);
      return "";
    })
    .replace(/\n\/\/# sourceMappingURL=.*$/, "\n");
  if (!replaced.includes("@tensorflow/tfjs")) throw new Error("face-api.esm-nobundle.js changed: it no longer imports @tensorflow/tfjs as expected");
  const rewritten =
    `if (!globalThis.${FACE_API_TFJS_GLOBAL}) throw new Error("set globalThis.${FACE_API_TFJS_GLOBAL} to @tensorflow/tfjs before loading face-api");\n` +
    `${bindings.join("\n")}\n${body}`;
  const left = /(?:^|[;\s])import\s*(?:\*|\{|\w)[^;]*?from\s*"[^"]+"/.exec(rewritten);
  if (left) throw new Error(`face-api.esm-nobundle.js still has imports after rewriting: ${left[0].slice(0, 120)}`);
  return rewritten;
}

/** A detector's weights manifest (JSON text) from the package. */
export function faceDetectorManifest(detector: BrowserFaceDetector): string {
  return readFileSync(join(packageRoot(), "model", `${FACE_DETECTOR_FILES[detector]}-weights_manifest.json`), "utf8");
}

/** A detector's weights (the one shard its manifest names). */
export function faceDetectorWeights(detector: BrowserFaceDetector): Buffer {
  const manifest = JSON.parse(faceDetectorManifest(detector)) as {paths: string[]}[];
  const paths = manifest.flatMap((group) => group.paths);
  if (paths.length !== 1) throw new Error(`face-api's ${detector} detector has ${paths.length} weight files; the site ships exactly one`);
  return readFileSync(join(packageRoot(), "model", paths[0]!));
}
