/**
 * The SISE page completes on the real WebGPU backend (forced; SwiftShader here) and on wasm,
 * and the two maps agree. Masks are capped (masks=4 per layer) to keep SwiftShader's run short;
 * everything else is the page's default. And a long run (every mask, on wasm): its progress
 * moves, Cancel stops it within a second, the previous map stays (greyed), and Run again works.
 *
 * Tolerance: the gradients and scores come out of different kernels (WGSL vs XNNPACK), so
 * values differ in the last float bits; SISE's hard Otsu gates can flip a pixel that sits on a
 * threshold, so the test bounds the mean absolute difference (≤ 0.01 on [0, 1] maps) and asks
 * for a correlation of at least 0.99, rather than bounding the single worst pixel.
 */
import {afterAll, beforeAll, describe, expect, inject, test} from "vitest";
import {
  nullTexts,
  runAgain,
  launchBrowser,
  openPage,
  cellErrors,
  screenshot,
  waitForResult,
  meanAbsDifference,
  maxAbsDifference,
  pearson,
  type Browser,
  type PublishedResult
} from "./browser.js";

const siteUrl = inject("siteUrl");
const MEAN_TOLERANCE = 0.01;
const MIN_CORRELATION = 0.99;

describe.skipIf(!siteUrl)("SISE page", () => {
  let browser: Browser;
  const results: Record<string, PublishedResult> = {};
  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });

  for (const backend of ["webgpu", "wasm"] as const) {
    test(`completes on ${backend}`, async () => {
      const {page, errors} = await openPage(browser, `${siteUrl}/sise?backend=${backend}&masks=4`);
      const result = await waitForResult(page, "sise", (r) => r.backend === backend);
      await page.waitForSelector(".sx-cascade");
      expect(result.backend).toBe(backend);
      expect(result.map.length).toBe(result.width * result.height);
      expect(Math.max(...result.map)).toBeGreaterThan(0.99);
      expect(await page.textContent(".sx-status")).toContain(backend);
      await screenshot(page, `sise-${backend}`);
      expect(await cellErrors(page)).toEqual([]);
      expect(errors).toEqual([]);
      results[backend] = result;
      await page.close();
    });
  }

  test("WebGPU and wasm maps agree", () => {
    const {webgpu, wasm} = results;
    if (!webgpu || !wasm) throw new Error("both runs must have completed");
    expect(webgpu.classIndex).toBe(wasm.classIndex);
    const mean = meanAbsDifference(webgpu.map, wasm.map);
    const correlation = pearson(webgpu.map, wasm.map);
    console.log(
      `SISE webgpu vs wasm: mean |Δ| ${mean.toExponential(2)}, max |Δ| ${maxAbsDifference(webgpu.map, wasm.map).toExponential(2)}, r ${correlation.toFixed(5)}`
    );
    expect(mean).toBeLessThanOrEqual(MEAN_TOLERANCE);
    expect(correlation).toBeGreaterThanOrEqual(MIN_CORRELATION);
  });

  test("a long run: progress moves, Cancel stops it within a second, the previous map stays, Run again works", async () => {
    const {page, errors} = await openPage(browser, `${siteUrl}/sise?backend=wasm&masks=1`);
    await waitForResult(page, "sise", (r) => r.backend === "wasm");
    // Record every change of the run's status line (with the page's clock) and whether a greyed previous map was shown.
    await page.evaluate(() => {
      const status = document.querySelector(".sx-run [role=status]")!;
      const log: [number, string][] = [];
      const state = {log, staleSeen: false};
      (globalThis as unknown as {runLog: typeof state}).runLog = state;
      new MutationObserver(() => log.push([performance.now(), status.textContent ?? ""])).observe(status, {
        childList: true,
        subtree: true,
        characterData: true
      });
      new MutationObserver(() => {
        if (document.querySelector(".sx-stale #sise-result .sx-result")) state.staleSeen = true;
      }).observe(document.body, {childList: true, subtree: true});
    });
    const progressValues = () =>
      page.evaluate(() => [
        ...new Set((globalThis as unknown as {runLog: {log: [number, string][]}}).runLog.log.map(([, t]) => t.match(/: (\d+) \/ (\d+)/)?.[1]).filter(Boolean))
      ]);

    // Every mask ("all kept", the slider's End key): the page's default run, on wasm.
    await page.focus("#sise-masks");
    await page.keyboard.press("End");
    const full = await waitForResult(page, "sise", (r) => r.options.maxMasks === undefined);
    console.log(`SISE (all ${full.layers?.reduce((n, l) => n + l.selected.length, 0)} masks, wasm): progress values ${(await progressValues()).join(", ")}`);
    // While it ran, the previous map stayed on the page, greyed.
    expect(await page.evaluate(() => (globalThis as unknown as {runLog: {staleSeen: boolean}}).runLog.staleSeen)).toBe(true);

    // A slower backend (plain JavaScript: seconds for this run): the bar moves batch by batch, and Cancel stops it.
    await page.evaluate(() => ((globalThis as unknown as {runLog: {log: unknown[]}}).runLog.log.length = 0));
    await page.locator("form", {hasText: "Backend"}).locator("select").selectOption({label: "plain JavaScript (cpu)"});
    await page.waitForFunction(
      () => {
        const values = (globalThis as unknown as {runLog: {log: [number, string][]}}).runLog.log.map(([, t]) => t.match(/: (\d+) \/ \d+ masks/)?.[1]);
        return new Set(values.filter((v) => v && v !== "0")).size >= 3;
      },
      undefined,
      {timeout: 120_000}
    );
    console.log(`SISE on cpu: progress values before Cancel ${(await progressValues()).join(", ")}`);
    expect(await page.$(".sx-stale #sise-result .sx-result")).not.toBeNull();
    const cancelledAfter = await page.evaluate(async () => {
      const clicked = performance.now();
      (document.querySelector(".sx-cancel") as HTMLButtonElement).click();
      const {log} = (globalThis as unknown as {runLog: {log: [number, string][]}}).runLog;
      while (!log.some(([at, text]) => at >= clicked && text.includes("cancelled"))) await new Promise((resolve) => setTimeout(resolve, 20));
      return log.find(([at, text]) => at >= clicked && text.includes("cancelled"))![0] - clicked;
    });
    console.log(`SISE on cpu: Cancel took ${cancelledAfter.toFixed(0)} ms`);
    expect(cancelledAfter).toBeLessThanOrEqual(1000);
    // The previous map is still there, greyed, and the page offers to run again.
    expect(await page.$(".sx-stale #sise-result .sx-result")).not.toBeNull();
    expect(await page.textContent(".sx-run-again")).toBe("Run again");
    expect(await nullTexts(page)).toEqual([]);
    await screenshot(page, "sise-cancelled");

    // Back on wasm, the run finishes by itself; Run again gives the same map.
    await page.locator("form", {hasText: "Backend"}).locator("select").selectOption({label: "WebAssembly"});
    const redone = await waitForResult(page, "sise", (r) => r.backend === "wasm");
    expect(redone.map).toEqual(full.map);
    const again = await runAgain(page, "sise");
    expect(again.map).toEqual(full.map);
    expect(await page.$(".sx-stale")).toBeNull();
    expect(await nullTexts(page)).toEqual([]);
    expect(await cellErrors(page)).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  });
});
