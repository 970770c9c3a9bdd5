/**
 * Where the site's data loaders read from. Defaults: the repository's data/ and results/;
 * SALIENCY_DATA_DIR and SALIENCY_RESULTS_DIR override them (tests and previews of other data).
 */
import {dirname, resolve} from "node:path";
import {fileURLToPath} from "node:url";

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

export function dataDirectory(): string {
  return resolve(process.env.SALIENCY_DATA_DIR ?? resolve(REPO_ROOT, "data"));
}

export function resultsDirectory(): string {
  return resolve(process.env.SALIENCY_RESULTS_DIR ?? resolve(REPO_ROOT, "results"));
}

/**
 * How much the build precomputes. "full" (default) for the published site; "quick" for tests
 * and previews (fewer gallery images, fewer masks). Set with SALIENCY_SITE_PROFILE.
 */
export interface SiteProfile {
  name: "full" | "quick";
  /** Gallery images per data set. */
  galleryPerDataset: number;
  /** Face crops of the committed photos in the gallery (undefined: every face found). */
  galleryFaces: number | undefined;
  riseMasks: number;
  igSteps: number;
  igcamSteps: number;
  /** Per-layer mask cap for SISE / Ada-SISE at build time (undefined: no cap). */
  siseMaxMasks: number | undefined;
  /** Methods precomputed for the Compare page (and the Overview gallery). */
  methods: string[];
}

const ALL_METHODS = ["gradcam", "gradcampp", "xgradcam", "layercam", "scorecam", "rise", "ig", "igcam", "sise", "adasise"];

export function siteProfile(): SiteProfile {
  const name = process.env.SALIENCY_SITE_PROFILE ?? "full";
  if (name === "quick") {
    return {name, galleryPerDataset: 2, galleryFaces: 2, riseMasks: 96, igSteps: 8, igcamSteps: 8, siseMaxMasks: 16, methods: ALL_METHODS};
  }
  if (name !== "full") throw new Error(`SALIENCY_SITE_PROFILE must be "full" or "quick", got "${name}"`);
  return {name, galleryPerDataset: 6, galleryFaces: undefined, riseMasks: 256, igSteps: 16, igcamSteps: 16, siseMaxMasks: undefined, methods: ALL_METHODS};
}
