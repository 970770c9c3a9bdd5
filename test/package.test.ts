/**
 * The published package: `npm pack` (which compiles dist/), the tarball unpacked into a clean
 * folder's node_modules with the runtime dependencies it declares linked from this checkout
 * (exactly the non-development closure of package-lock.json: the test machine has no registry),
 * then the README's library example and the packaged CLI run from there.
 */
import {spawnSync} from "node:child_process";
import {existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, symlinkSync, writeFileSync} from "node:fs";
import {tmpdir} from "node:os";
import {dirname, join, resolve} from "node:path";
import {describe, expect, it} from "vitest";

const ROOT = resolve(import.meta.dirname, "..");
const work = mkdtempSync(join(tmpdir(), "saliency-package-"));
const app = join(work, "app");

/** Top-level packages of the runtime closure (package-lock.json entries not marked dev). */
function runtimePackages(): string[] {
  const lock = JSON.parse(readFileSync(join(ROOT, "package-lock.json"), "utf8")) as {packages: Record<string, {dev?: boolean; link?: boolean}>};
  return Object.entries(lock.packages)
    .filter(([path, entry]) => /^node_modules\/(@[^/]+\/)?[^/]+$/.test(path) && !entry.dev && !entry.link)
    .map(([path]) => path.slice("node_modules/".length));
}

/** The fenced block after the README's library-example marker. */
function readmeExample(): string {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const match = /<!-- library-example[^>]*-->\s*```js\n([\s\S]*?)```/.exec(readme);
  if (!match) throw new Error("README.md has no library-example block");
  return match[1]!;
}

describe("the npm package", () => {
  it("packs, installs into a clean folder and runs the README example and its CLI", () => {
    const pack = spawnSync("npm", ["pack", "--json", "--pack-destination", work], {cwd: ROOT, encoding: "utf8", timeout: 300_000});
    expect(pack.status, pack.stderr).toBe(0);
    const [{filename, files}] = JSON.parse(pack.stdout.slice(pack.stdout.indexOf("["))) as [{filename: string; files: {path: string}[]}];
    const paths = files.map((f) => f.path);
    expect(paths).toContain("dist/src/index.js");
    expect(paths).toContain("dist/src/index.d.ts");
    expect(paths).toContain("dist/loaders/node.d.ts");
    expect(paths.some((p) => p.endsWith(".ts") && !p.endsWith(".d.ts"))).toBe(false); // compiled, no sources
    expect(paths.some((p) => p.startsWith("test/") || p.startsWith("data/"))).toBe(false);

    const modules = join(app, "node_modules");
    mkdirSync(modules, {recursive: true});
    writeFileSync(join(app, "package.json"), JSON.stringify({name: "app", private: true, type: "module"}));
    const untar = spawnSync("tar", ["-xzf", join(work, filename), "-C", modules], {encoding: "utf8"});
    expect(untar.status, untar.stderr).toBe(0);
    renameSync(join(modules, "package"), join(modules, "saliency-explorer"));
    const declared = runtimePackages();
    for (const name of declared) {
      const target = join(ROOT, "node_modules", name);
      if (!existsSync(target)) continue; // an optional dependency not installed here
      mkdirSync(dirname(join(modules, name)), {recursive: true});
      symlinkSync(target, join(modules, name), "dir");
    }
    expect(declared).toContain("@tensorflow/tfjs");
    expect(declared).not.toContain("tsx"); // the package runs compiled JavaScript
    expect(declared).not.toContain("@observablehq/framework");

    writeFileSync(join(app, "example.mjs"), readmeExample());
    const model = join(ROOT, "data", "models", "vgg-shapes");
    const image = join(ROOT, "data", "shapes", "test", "0000.png");
    const example = spawnSync(process.execPath, ["example.mjs", model, image], {
      cwd: app,
      encoding: "utf8",
      timeout: 120_000,
      env: {...process.env, SALIENCY_BACKEND: "wasm"}
    });
    expect(example.status, example.stderr).toBe(0);
    expect(example.stdout.trim()).toBe("SISE on wasm: circle, 64x64 map");

    // The packaged CLI, with a worker pool (compiled workers, no tsx).
    const cli = join(modules, "saliency-explorer", "bin", "saliency.js");
    const out = join(work, "batch");
    const batch = spawnSync(
      process.execPath,
      [
        cli,
        "batch",
        "--model",
        model,
        "--images",
        join(ROOT, "data", "shapes", "test", "000[0-3].png"),
        "--methods",
        "gradcam",
        "--workers",
        "2",
        "--out",
        out,
        "--backend",
        "wasm"
      ],
      {cwd: app, encoding: "utf8", timeout: 120_000}
    );
    expect(batch.status, batch.stderr).toBe(0);
    expect(batch.stderr).toMatch(/4\/4 results \(4 computed, 0 found stored\)/);
    expect(readFileSync(join(out, "manifest.jsonl"), "utf8").trim().split("\n")).toHaveLength(4);
  });
});
