/**
 * Headless Chromium for the e2e tests, through playwright-core and Debian's chromium
 * (scripts/ensure-chromium.sh installs it). WebGPU is enabled (SwiftShader without a GPU), the
 * profile is fresh per launch, and every page records console errors, page errors and cells
 * that failed to render, so tests can assert a clean page.
 */
import {mkdirSync, mkdtempSync, rmSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {chromium, type BrowserContext, type Page} from "playwright-core";
import {REPO_ROOT} from "../../loaders/site/paths.js";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const SCREENSHOTS = join(REPO_ROOT, "test-output", "screenshots");

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** `extraArgs`: more Chromium switches (e.g. a fake camera fed from a file). */
export async function launchBrowser(extraArgs: readonly string[] = []): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), "saliency-e2e-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: {width: 1280, height: 900},
    args: [
      "--headless",
      "--no-sandbox",
      "--enable-unsafe-webgpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      "--disable-dev-shm-usage",
      ...extraArgs
    ]
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, {recursive: true, force: true});
    }
  };
}

export interface WatchedPage {
  page: Page;
  /** Console errors and uncaught exceptions so far. */
  errors: string[];
}

export async function openPage(browser: Browser, url: string): Promise<WatchedPage> {
  const page = await browser.context.newPage();
  const errors: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(`console: ${message.text()}`);
  });
  page.on("pageerror", (error) => errors.push(`page error: ${error.message}`));
  page.on("requestfailed", (request) => errors.push(`request failed: ${request.url()} ${request.failure()?.errorText ?? ""}`));
  await page.goto(url);
  return {page, errors};
}

/** Messages of cells that failed to render (Framework shows them as .observablehq--error). */
export async function cellErrors(page: Page): Promise<string[]> {
  return page.$$eval(".observablehq--error", (elements) => elements.map((e) => (e.textContent ?? "").trim()));
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOTS, {recursive: true});
  const path = join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({path, fullPage: true});
  return path;
}

export interface PublishedResult {
  method: string;
  backend: string;
  classIndex: number;
  width: number;
  height: number;
  map: number[];
  totalMs: number;
  options: Record<string, unknown>;
  /** SISE and Ada-SISE: each layer's selected channels. */
  layers?: {layer: string; selected: number[]}[];
}

/** The last result a page published under `key` (see src/components/live.ts). */
export async function published(page: Page, key: string): Promise<PublishedResult | null> {
  return page.evaluate((k) => {
    const hook = (globalThis as unknown as {saliencyExplorer?: {results: Record<string, unknown>}}).saliencyExplorer;
    return (hook?.results[k] ?? null) as never;
  }, key);
}

/** Waits until the page publishes a result under `key` that satisfies `accept`. */
export async function waitForResult(
  page: Page,
  key: string,
  accept: (r: PublishedResult) => boolean = () => true,
  timeoutMs = 180_000
): Promise<PublishedResult> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const result = await published(page, key);
    if (result && accept(result)) return result;
    const failed = await page.$(".sx-task-error");
    if (failed) throw new Error(`the page reports a failure: ${await failed.textContent()}`);
    await page.waitForTimeout(250);
  }
  throw new Error(`no "${key}" result within ${timeoutMs / 1000} s`);
}

export function maxAbsDifference(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length) throw new Error(`maps differ in size: ${a.length} vs ${b.length}`);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}

export function meanAbsDifference(a: readonly number[], b: readonly number[]): number {
  let total = 0;
  for (let i = 0; i < a.length; i++) total += Math.abs(a[i]! - b[i]!);
  return total / a.length;
}

export function pearson(a: readonly number[], b: readonly number[]): number {
  const n = a.length;
  const ma = a.reduce((s, v) => s + v, 0) / n;
  const mb = b.reduce((s, v) => s + v, 0) / n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    sab += (a[i]! - ma) * (b[i]! - mb);
    saa += (a[i]! - ma) ** 2;
    sbb += (b[i]! - mb) ** 2;
  }
  return saa > 0 && sbb > 0 ? sab / Math.sqrt(saa * sbb) : saa === sbb ? 1 : 0;
}

/** Text nodes that read "null" (a cell that displayed a null value), with their parent's tag. */
export async function nullTexts(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const found: string[] = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (/(^|\W)null(\W|$)/.test(node.textContent ?? "") && node.parentElement?.closest("script, style, code, pre") === null) {
        found.push(`${node.parentElement?.tagName.toLowerCase()}: ${(node.textContent ?? "").trim().slice(0, 80)}`);
      }
    }
    return found;
  });
}

/** How far the page is wider than the viewport (0: no horizontal scroll), and the widest offenders. */
export async function horizontalOverflow(page: Page): Promise<{overflow: number; offenders: string[]}> {
  return page.evaluate(() => {
    const viewport = document.documentElement.clientWidth;
    const overflow = Math.max(0, document.documentElement.scrollWidth - viewport);
    const offenders: string[] = [];
    if (overflow > 0) {
      for (const element of Array.from(document.body.querySelectorAll<HTMLElement>("*"))) {
        const box = element.getBoundingClientRect();
        // Inside a scrolling container is fine; only what widens the page counts.
        let scroller = element.parentElement;
        let clipped = false;
        while (scroller && scroller !== document.body) {
          const style = getComputedStyle(scroller);
          if (/(auto|scroll|hidden)/.test(style.overflowX)) clipped = true;
          scroller = scroller.parentElement;
        }
        if (!clipped && box.right > viewport + 1 && box.width > 0)
          offenders.push(`${element.tagName.toLowerCase()}.${element.className} right=${Math.round(box.right)}`);
      }
    }
    return {overflow, offenders: offenders.slice(0, 8)};
  });
}

/** Canvases and Plot charts without an accessible name (aria-label, aria-labelledby, or hidden from screen readers). */
export async function unnamedGraphics(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const named = (e: Element) => e.hasAttribute("aria-label") || e.hasAttribute("aria-labelledby") || e.closest("[aria-hidden=true]") !== null;
    const out: string[] = [];
    for (const canvas of Array.from(document.querySelectorAll("canvas"))) if (!named(canvas)) out.push(`canvas in ${canvas.parentElement?.className}`);
    for (const svg of Array.from(document.querySelectorAll("svg[class^=plot]"))) if (!named(svg)) out.push(`plot ${svg.getAttribute("class")}`);
    return out;
  });
}

/** Pairs of text labels inside one chart SVG whose boxes overlap, and labels cut off by the SVG's edge. */
export async function labelProblems(page: Page, selector = "svg[class^=plot]"): Promise<string[]> {
  return page.evaluate((sel) => {
    const problems: string[] = [];
    for (const svg of Array.from(document.querySelectorAll(sel))) {
      const frame = svg.getBoundingClientRect();
      const texts = Array.from(svg.querySelectorAll("text"))
        .filter((t) => (t.textContent ?? "").trim() !== "" && getComputedStyle(t).display !== "none")
        .map((t) => ({text: (t.textContent ?? "").trim(), box: t.getBoundingClientRect()}))
        .filter((t) => t.box.width > 0);
      const name = svg.getAttribute("aria-label") ?? svg.getAttribute("class");
      for (const t of texts) {
        if (t.box.left < frame.left - 1 || t.box.right > frame.right + 1 || t.box.top < frame.top - 1 || t.box.bottom > frame.bottom + 1) {
          problems.push(`${name}: "${t.text}" is cut off`);
        }
      }
      for (let i = 0; i < texts.length; i++) {
        for (let j = i + 1; j < texts.length; j++) {
          const a = texts[i]!.box;
          const b = texts[j]!.box;
          const w = Math.min(a.right, b.right) - Math.max(a.left, b.left);
          const h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
          // Glyph boxes include line spacing: a sliver of a pixel or two is not an overlap a reader sees.
          if (w > 2 && h > 3) problems.push(`${name}: "${texts[i]!.text}" overlaps "${texts[j]!.text}"`);
        }
      }
    }
    return problems;
  }, selector);
}

/** Sliders whose aria-valuenow is not the value they show (numeric sliders only). */
export async function sliderMismatches(page: Page): Promise<string[]> {
  return page.$$eval("[role=slider]", (handles) =>
    handles
      .map((h) => ({now: h.getAttribute("aria-valuenow"), text: h.getAttribute("aria-valuetext") ?? ""}))
      .filter((h) => /^-?\d+(\.\d+)?$/.test(h.text) && Number(h.now) !== Number(h.text))
      .map((h) => `aria-valuenow ${h.now} but shows ${h.text}`)
  );
}

/** tfjs's memory in the page (see src/components/live.ts). */
export async function pageMemory(
  page: Page
): Promise<{numTensors: number; numBytes: number; numBytesInGPU?: number; numBytesInGPUAllocated?: number; backend: string}> {
  return page.evaluate(() => (globalThis as unknown as {saliencyExplorer: {memory(): never}}).saliencyExplorer.memory());
}

/** How many results the page has published under `key` so far (each finished run adds one). */
export async function publishedCount(page: Page, key: string): Promise<number> {
  return page.evaluate((k) => (globalThis as unknown as {saliencyExplorer?: {counts: Record<string, number>}}).saliencyExplorer?.counts[k] ?? 0, key);
}

/** Presses "Run again" and waits for the run's result. */
export async function runAgain(page: Page, key: string, timeoutMs = 120_000): Promise<PublishedResult> {
  const before = await publishedCount(page, key);
  await page.click(".sx-run-again");
  await page.waitForFunction(
    ([k, n]) => ((globalThis as unknown as {saliencyExplorer?: {counts: Record<string, number>}}).saliencyExplorer?.counts[k as string] ?? 0) > (n as number),
    [key, before] as const,
    {timeout: timeoutMs}
  );
  return (await published(page, key))!;
}
