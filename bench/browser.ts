/**
 * `npm run bench:browser`: time to first map on every live page, on the automatic backend and
 * on each forced one, in one run of headless Chromium (the e2e tests' browser). Prints one table
 * per page and a verdict per page (auto within 1.1× of the best forced backend), and writes the
 * same text to results/bench-browser.txt.
 *
 *   npx tsx bench/browser.ts [--site DIR] [--pages igcam,sise,adasise,playground]
 *                            [--backends auto,webgpu,webgl,wasm,cpu] [--reps 3] [--timeout-s 300] [--out FILE]
 *
 * The site: --site, else test-output/site (the e2e build), else dist/; with none, the quick
 * profile is built into test-output/bench-site first. Each measurement is a fresh tab (a fresh
 * session, so auto probes again) at the page's default settings; "time to first map" runs from
 * navigation start until the page publishes its first result (src/components/live.ts), so it
 * includes loading the page and model, choosing the backend and the run itself. One untimed
 * load of each page first warms the HTTP cache and compiled code for all its cells. Each cell
 * is the median of --reps loads (default 3, in rounds over the backends), except cells over
 * 30 s (software renderers), timed once. On a machine without a GPU, WebGPU
 * and WebGL run on SwiftShader (software): the point of "auto" is not to pick them there.
 */
import {execFileSync} from "node:child_process";
import {existsSync, mkdirSync, writeFileSync} from "node:fs";
import {cpus} from "node:os";
import {dirname, join, resolve} from "node:path";
import {chromium, type BrowserContext} from "playwright-core";
import {startStaticServer} from "../loaders/serve.js";
import {REPO_ROOT} from "../loaders/site/paths.js";

const PAGE_KEYS: Record<string, string> = {igcam: "igcam", sise: "sise", adasise: "adasise", playground: "playground"};
const BACKENDS = ["auto", "webgpu", "webgl", "wasm", "cpu"];
/** Cells slower than this are timed once whatever --reps says. */
const SLOW_MS = 30_000;

interface Options {
  site: string | null;
  pages: string[];
  backends: string[];
  reps: number;
  timeoutS: number;
  out: string;
}

function parseArgs(argv: readonly string[]): Options {
  const options: Options = {
    site: null,
    pages: Object.keys(PAGE_KEYS),
    backends: BACKENDS,
    reps: 3,
    timeoutS: 300,
    out: join(REPO_ROOT, "results", "bench-browser.txt")
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    const list = (known: readonly string[]) => {
      const items = value().split(",");
      for (const item of items) if (!known.includes(item)) throw new Error(`${flag}: unknown "${item}" (known: ${known.join(", ")})`);
      return items;
    };
    if (flag === "--site") options.site = resolve(value());
    else if (flag === "--pages") options.pages = list(Object.keys(PAGE_KEYS));
    else if (flag === "--backends") options.backends = list(BACKENDS);
    else if (flag === "--reps") options.reps = positive(flag, value());
    else if (flag === "--timeout-s") options.timeoutS = positive(flag, value());
    else if (flag === "--out") options.out = resolve(value());
    else throw new Error(`unknown option ${flag} (see the comment at the top of bench/browser.ts)`);
  }
  return options;
}

function positive(flag: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} must be a positive integer, got "${text}"`);
  return n;
}

function siteDirectory(requested: string | null): string {
  if (requested) {
    if (!existsSync(join(requested, "index.html"))) throw new Error(`${requested} is not a built site (no index.html)`);
    return requested;
  }
  for (const candidate of [join(REPO_ROOT, "test-output", "site"), join(REPO_ROOT, "dist")]) {
    if (existsSync(join(candidate, "igcam.html"))) return candidate;
  }
  const out = join(REPO_ROOT, "test-output", "bench-site");
  console.error(`bench:browser: no built site found; building the quick profile into ${out} (a few minutes)`);
  execFileSync(join(REPO_ROOT, "node_modules", ".bin", "observable"), ["build"], {
    cwd: REPO_ROOT,
    stdio: ["ignore", "ignore", "inherit"],
    env: {...process.env, PATH: `${join(REPO_ROOT, "node_modules", ".bin")}:${process.env.PATH}`, SALIENCY_SITE_PROFILE: "quick", SALIENCY_SITE_OUTPUT: out}
  });
  return out;
}

interface Measurement {
  page: string;
  requested: string;
  /** The backend the page ran on (auto's choice), or null when it did not finish. */
  backend: string | null;
  /** Time to first map, ms; null: timed out or failed. */
  ms: number | null;
  note: string;
}

async function measure(context: BrowserContext, url: string, key: string, timeoutS: number): Promise<{ms: number; backend: string} | {error: string}> {
  const page = await context.newPage();
  const failures: string[] = [];
  page.on("pageerror", (error) => failures.push(error.message));
  try {
    await page.goto(url);
    const handle = await page.waitForFunction(
      (k) => {
        const hook = (globalThis as unknown as {saliencyExplorer?: {firstAt: Record<string, number>; results: Record<string, {backend: string} | null>}})
          .saliencyExplorer;
        const at = hook?.firstAt[k];
        const failed = document.querySelector(".sx-task-error");
        if (failed) return {error: failed.textContent ?? "failed"};
        return at === undefined ? null : {ms: at, backend: hook!.results[k]?.backend ?? "?"};
      },
      key,
      {timeout: timeoutS * 1000, polling: 100}
    );
    return (await handle.jsonValue()) as {ms: number; backend: string} | {error: string};
  } catch (error) {
    const message = (error as Error).message.split("\n")[0]!;
    return {error: failures.length ? `${failures[0]}` : /Timeout/i.test(message) ? `over ${timeoutS} s` : message};
  } finally {
    await page.close();
  }
}

const seconds = (ms: number | null) => (ms === null ? "—" : ms < 10_000 ? (ms / 1000).toFixed(2) : (ms / 1000).toFixed(1));

function report(results: Measurement[], options: Options, started: Date, chromiumVersion: string): string {
  const lines: string[] = [];
  lines.push(`bench:browser — time to first map (s) per live page and backend, default settings, fresh tab each`);
  lines.push(
    `${started.toISOString()} · Chromium ${chromiumVersion} headless · ${cpus().length} cores (${cpus()[0]?.model.trim() ?? "unknown CPU"}) · median of ${options.reps} loads per cell (cells over ${SLOW_MS / 1000} s: one)`
  );
  lines.push(`WebGPU and WebGL here run on SwiftShader (software) unless the machine has a GPU.`);
  lines.push("");
  let verdicts = 0;
  let passed = 0;
  for (const page of options.pages) {
    const rows = results.filter((r) => r.page === page);
    const forced = rows.filter((r) => r.requested !== "auto" && r.ms !== null);
    const best = forced.reduce<Measurement | null>((b, r) => (b === null || r.ms! < b.ms! ? r : b), null);
    lines.push(`${page}`);
    lines.push(`  ${"backend".padEnd(9)} ${"ran on".padEnd(8)} ${"seconds".padStart(8)} ${"÷ best forced".padStart(14)}  note`);
    for (const r of rows) {
      const ratio = r.ms !== null && best ? (r.ms / best.ms!).toFixed(2) : "—";
      lines.push(`  ${r.requested.padEnd(9)} ${(r.backend ?? "—").padEnd(8)} ${seconds(r.ms).padStart(8)} ${ratio.padStart(14)}  ${r.note}`);
    }
    const auto = rows.find((r) => r.requested === "auto");
    if (auto && best) {
      verdicts++;
      const ok = auto.ms !== null && auto.ms <= 1.1 * best.ms!;
      if (ok) passed++;
      lines.push(`  auto ${ok ? "≤" : ">"} 1.1 × best forced (${best.requested}, ${seconds(best.ms)} s): ${ok ? "yes" : "NO"}`);
    }
    lines.push("");
  }
  lines.push(`auto within 1.1× of the best forced backend on ${passed} of ${verdicts} pages.`);
  return lines.join("\n");
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const site = siteDirectory(options.site);
  const server = await startStaticServer({root: site, host: "127.0.0.1", port: 0});
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--enable-unsafe-webgpu", "--disable-dev-shm-usage", "--disable-background-networking"]
  });
  const started = new Date();
  const results: Measurement[] = [];
  try {
    const context = await browser.newContext({viewport: {width: 1280, height: 900}});
    console.error(`bench:browser: site ${site}`);
    for (const page of options.pages) {
      // An untimed load first, so that no backend's cell pays for this page's first download and compile.
      await measure(context, `${server.url}/${page}?backend=wasm`, PAGE_KEYS[page]!, options.timeoutS);
      // Rounds over the backends (not all reps of one, then the next), so a slow drift of the
      // machine's load falls on every backend alike; a cell that failed or took over SLOW_MS is not repeated.
      const cells = options.backends.map((backend) => ({backend, times: [] as number[], ranOn: null as string | null, note: "", done: false}));
      for (let rep = 0; rep < options.reps; rep++) {
        for (const cell of cells) {
          if (cell.done) continue;
          const outcome = await measure(context, `${server.url}/${page}?backend=${cell.backend}`, PAGE_KEYS[page]!, options.timeoutS);
          if ("error" in outcome) {
            cell.note = outcome.error;
            cell.times.length = 0;
            cell.done = true;
            continue;
          }
          cell.times.push(outcome.ms);
          cell.ranOn = outcome.backend;
          if (outcome.ms > SLOW_MS) cell.done = true;
        }
      }
      for (const cell of cells) {
        const times = [...cell.times].sort((a, b) => a - b);
        const ms = times.length > 0 ? times[Math.floor(times.length / 2)]! : null;
        let note = cell.note || (times.length > 1 ? `median of ${times.length} (${times.map((t) => seconds(t)).join(", ")})` : "");
        if (cell.backend !== "auto" && cell.ranOn && cell.ranOn !== cell.backend) note = `fell back from ${cell.backend}`;
        results.push({page, requested: cell.backend, backend: cell.ranOn, ms, note});
        console.error(`bench:browser: ${page} ${cell.backend}: ${seconds(ms)} s${cell.ranOn ? ` on ${cell.ranOn}` : ""}${note ? ` (${note})` : ""}`);
      }
    }
    const text = report(results, options, started, browser.version());
    console.log(text);
    mkdirSync(dirname(options.out), {recursive: true});
    writeFileSync(options.out, `${text}\n`);
    console.error(`bench:browser: written ${options.out}`);
  } finally {
    await browser.close();
    await server.close();
  }
}

main().catch((error) => {
  console.error(`bench:browser: ${(error as Error).message}`);
  process.exit(1);
});
