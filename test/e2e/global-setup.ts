/**
 * Builds the site once for the e2e run (quick profile, into test-output/site, from the
 * repository's data or a fixture) and serves it on 127.0.0.1. Tests get the URL by inject("siteUrl").
 */
import {execFileSync, spawnSync} from "node:child_process";
import {existsSync, rmSync} from "node:fs";
import {join} from "node:path";
import type {TestProject} from "vitest/node";
import {startStaticServer, type RunningServer} from "../../loaders/serve.js";
import {REPO_ROOT} from "../../loaders/site/paths.js";
import {hasUsableData, writeFixtureData} from "./fixture-data.js";

// SALIENCY_E2E_SITE_DIR: another folder, so that two people testing in one working tree keep their builds apart.
export const SITE_DIR = process.env.SALIENCY_E2E_SITE_DIR ?? join(REPO_ROOT, "test-output", "site");

declare module "vitest" {
  export interface ProvidedContext {
    siteUrl: string;
    dataDir: string;
  }
}

let server: RunningServer | null = null;

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const ensure = spawnSync("sh", [join(REPO_ROOT, "scripts", "ensure-chromium.sh")], {stdio: "inherit"});
  if (ensure.status !== 0) throw new Error("Chromium is not available (scripts/ensure-chromium.sh failed)");

  const repoData = join(REPO_ROOT, "data");
  let dataDir = repoData;
  if (!hasUsableData(repoData)) {
    dataDir = join(REPO_ROOT, "test-output", "e2e-data");
    console.log(`e2e: data/ has no model or no test split; building against a fixture in ${dataDir}`);
    await writeFixtureData(dataDir);
  }
  if (process.env.SALIENCY_E2E_REUSE_BUILD === "1" && existsSync(join(SITE_DIR, "index.html"))) {
    console.log(`e2e: reusing the build in ${SITE_DIR}`);
  } else {
    const started = Date.now();
    rmSync(join(REPO_ROOT, "src", ".observablehq", "cache"), {recursive: true, force: true});
    rmSync(SITE_DIR, {recursive: true, force: true});
    execFileSync(join(REPO_ROOT, "node_modules", ".bin", "observable"), ["build"], {
      cwd: REPO_ROOT,
      stdio: ["ignore", "ignore", "inherit"],
      env: {...process.env, SALIENCY_DATA_DIR: dataDir, SALIENCY_SITE_PROFILE: "quick", SALIENCY_SITE_OUTPUT: SITE_DIR}
    });
    // The build exits 0 even when a page cannot resolve an import: check the output instead.
    for (const page of ["index", "igcam", "sise", "adasise", "compare", "benchmark", "playground", "companion", "templates/companion"]) {
      if (!existsSync(join(SITE_DIR, `${page}.html`))) throw new Error(`the build did not write ${page}.html`);
    }
    if (existsSync(join(SITE_DIR, "_npm"))) throw new Error("the build imports packages from a CDN (dist has an _npm folder)");
    console.log(`e2e: site built in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  }
  server = await startStaticServer({root: SITE_DIR, host: "127.0.0.1", port: 0});
  project.provide("siteUrl", server.url);
  project.provide("dataDir", dataDir);
  return async () => {
    await server?.close();
  };
}
