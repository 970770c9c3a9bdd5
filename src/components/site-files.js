// Every file the pages attach, in one place. File attachments must be named literally in the
// source (Framework copies exactly those into the build, under hashed names), so the model
// slots are listed one by one; loaders/site/models.ts fills them (MODEL_SLOTS = 12).
import {FileAttachment} from "observablehq:stdlib";

export const modelIndex = FileAttachment("../data/models.json");

export const modelSlots = [
  FileAttachment("../data/model-slots/0.bin"),
  FileAttachment("../data/model-slots/1.bin"),
  FileAttachment("../data/model-slots/2.bin"),
  FileAttachment("../data/model-slots/3.bin"),
  FileAttachment("../data/model-slots/4.bin"),
  FileAttachment("../data/model-slots/5.bin"),
  FileAttachment("../data/model-slots/6.bin"),
  FileAttachment("../data/model-slots/7.bin"),
  FileAttachment("../data/model-slots/8.bin"),
  FileAttachment("../data/model-slots/9.bin"),
  FileAttachment("../data/model-slots/10.bin"),
  FileAttachment("../data/model-slots/11.bin")
];

export const galleryFile = FileAttachment("../data/gallery.bin");

/** Maps of every method for the gallery, computed at build time (Overview, Compare, Ada-SISE). */
export const precomputedFile = FileAttachment("../data/precomputed.bin");

/** results/bench.json, or a "no results yet" record. */
export const benchFile = FileAttachment("../data/bench.json");

/** The tfjs wasm backend (module URL) and its binaries (file name → URL, for setWasmPaths). */
export const wasmBackend = {
  module: FileAttachment("../data/tfjs-backend-wasm.js").href,
  binaries: {
    "tfjs-backend-wasm.wasm": FileAttachment("../data/wasm/tfjs-backend-wasm.wasm").href,
    "tfjs-backend-wasm-simd.wasm": FileAttachment("../data/wasm/tfjs-backend-wasm-simd.wasm").href,
    "tfjs-backend-wasm-threaded-simd.wasm": FileAttachment("../data/wasm/tfjs-backend-wasm-threaded-simd.wasm").href
  }
};
