// face-api's browser module and its two face detectors' weights, as the site ships them
// (src/data/face-api*.ts; logic in loaders/site/face-api-browser.ts). Named literally so
// Framework copies exactly these files into the build.
import {FileAttachment} from "observablehq:stdlib";

/** @type {import("./faces.js").FaceApiFiles} */
export const faceApiFiles = {
  module: FileAttachment("../data/face-api.js").href,
  detectors: {
    ssd: {manifest: FileAttachment("../data/face-api/ssd-manifest.json").href, weights: FileAttachment("../data/face-api/ssd.bin").href},
    tiny: {manifest: FileAttachment("../data/face-api/tiny-manifest.json").href, weights: FileAttachment("../data/face-api/tiny.bin").href}
  }
};
