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

export async function launchBrowser(): Promise<Browser> {
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
      "--disable-dev-shm-usage"
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
