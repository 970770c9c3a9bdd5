import {spawn, spawnSync} from "node:child_process";
import {existsSync, mkdtempSync, writeFileSync} from "node:fs";
import {tmpdir} from "node:os";
import {join, resolve} from "node:path";
import {describe, expect, it} from "vitest";
import {formatDuration, ProgressBar} from "../loaders/cli/progress.js";

const ROOT = resolve(import.meta.dirname, "..");
const work = mkdtempSync(join(tmpdir(), "saliency-cli-manners-"));
const MODEL = join(ROOT, "data", "models", "vgg-shapes");
const IMAGE = join(ROOT, "data", "shapes", "test", "0000.png");

/** A stream that records what is written, as a terminal or not. */
function fakeStream(tty: boolean): {stream: NodeJS.WritableStream & {isTTY: boolean; columns: number}; text: () => string} {
  const chunks: string[] = [];
  const stream = {isTTY: tty, columns: 120, write: (chunk: string) => (chunks.push(chunk), true)} as unknown as NodeJS.WritableStream & {
    isTTY: boolean;
    columns: number;
  };
  return {stream, text: () => chunks.join("")};
}

describe("progress", () => {
  it("draws a bar with the ETA on a terminal, after the first second only", () => {
    let now = 0;
    const {stream, text} = fakeStream(true);
    const bar = new ProgressBar({label: "batch", stream, now: () => now});
    now = 500;
    bar.update(1, 10);
    expect(text()).toBe(""); // under a second: nothing
    now = 2000;
    bar.update(2, 10);
    expect(text()).toMatch(/^\r\[#{5}-{19}\] batch 2\/10 \(20%\) ETA 8s/);
    now = 4000;
    bar.update(10, 10);
    bar.finish();
    expect(text()).toMatch(/batch 10\/10 \(100%\) done in 4s\s*\n$/);
  });

  it("leaves results found stored out of the rate", () => {
    let now = 0;
    const bar = new ProgressBar({label: "b", stream: fakeStream(true).stream, now: () => now});
    now = 10_000;
    bar.update(60, 100, 50); // 50 found stored, 10 computed in 10 s: 40 left take 40 s
    expect(bar.remainingMs()).toBeCloseTo(40_000, 6);
  });

  it("writes a plain line every 10 s when stderr is not a terminal, and nothing when quiet", () => {
    let now = 0;
    const {stream, text} = fakeStream(false);
    const bar = new ProgressBar({label: "maps", stream, now: () => now});
    for (let i = 1; i <= 30; i++) {
      now = i * 1000;
      bar.update(i, 30);
    }
    bar.finish();
    const lines = text().trim().split("\n");
    expect(lines).toEqual(["maps 1/30 (3%) ETA 29s", "maps 11/30 (36%) ETA 19s", "maps 21/30 (70%) ETA 9s", "maps 30/30 (100%) done in 30s"]);
    const quiet = fakeStream(false);
    const silent = new ProgressBar({label: "q", stream: quiet.stream, quiet: true, now: () => now});
    now += 20_000;
    silent.update(1, 2);
    silent.finish();
    expect(quiet.text()).toBe("");
    expect([formatDuration(59_400), formatDuration(61_000), formatDuration(3_700_000)]).toEqual(["59s", "1m01s", "1h01m"]);
  });
});

describe("CLI manners", () => {
  it("keeps Dawn's Vulkan warnings out of stderr when no GPU answers, unless --verbose", () => {
    // An installed but broken Vulkan driver: Dawn loads, finds nothing, and warns from native code.
    const icd = join(work, "broken_icd.json");
    writeFileSync(icd, JSON.stringify({file_format_version: "1.0.0", ICD: {library_path: join(work, "missing-driver.so"), api_version: "1.3.0"}}));
    // The automatic backend choice (the one that probes WebGPU).
    const {SALIENCY_BACKEND: _forced, VK_DRIVER_FILES: _drivers, ...inherited} = process.env;
    const env = {...inherited, VK_ICD_FILENAMES: icd};
    const run = (...extra: string[]) =>
      spawnSync(
        process.execPath,
        ["bin/saliency.js", "explain", "--model", MODEL, "--image", IMAGE, "--method", "gradcam", "--out", join(work, "m.json"), ...extra],
        {
          cwd: ROOT,
          encoding: "utf8",
          env,
          timeout: 120_000
        }
      );
    const quiet = run();
    expect(quiet.status, quiet.stderr).toBe(0);
    expect(quiet.stderr).not.toMatch(/Warning|vkCreateInstance|\.cpp:\d+/);
    expect(quiet.stderr).toMatch(/^Grad-CAM: class \d+ .* on wasm → /);
    const verbose = run("--verbose");
    expect(verbose.status, verbose.stderr).toBe(0);
    if (existsSync(join(ROOT, "node_modules", "webgpu"))) expect(verbose.stderr).toMatch(/Warning: .*(vkCreateInstance|Vulkan|libvulkan)/);
    else expect(verbose.stderr).not.toMatch(/Warning/); // without the optional package nothing loads Dawn at all
  });

  it("Ctrl-C stops explain with exit 130 and writes nothing", async () => {
    const out = join(work, "interrupted.json");
    const child = spawn(
      process.execPath,
      ["bin/saliency.js", "explain", "--model", MODEL, "--image", IMAGE, "--method", "rise", "--masks", "8000", "--out", out, "--backend", "wasm"],
      {
        cwd: ROOT,
        stdio: ["ignore", "ignore", "pipe"]
      }
    );
    let stderr = "";
    child.stderr!.on("data", (chunk) => (stderr += chunk));
    // Wait for the progress line (the run is under way), then interrupt.
    const started = Date.now();
    while (!/rise \d+\/\d+/.test(stderr) && Date.now() - started < 60_000) await new Promise((r) => setTimeout(r, 50));
    expect(stderr).toMatch(/rise \d+\/8000 \(\d+%\) ETA/);
    child.kill("SIGINT");
    const status = await new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
    expect(status, stderr).toBe(130);
    expect(stderr).toMatch(/saliency: rise interrupted; no output written/);
    expect(existsSync(out)).toBe(false);
  });
});
