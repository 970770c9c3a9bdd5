/**
 * The SISE page completes on the real WebGPU backend (forced; SwiftShader here) and on wasm,
 * and the two maps agree. Masks are capped (masks=4 per layer) to keep SwiftShader's run short;
 * everything else is the page's default.
 *
 * Tolerance: the gradients and scores come out of different kernels (WGSL vs XNNPACK), so
 * values differ in the last float bits; SISE's hard Otsu gates can flip a pixel that sits on a
 * threshold, so the test bounds the mean absolute difference (≤ 0.01 on [0, 1] maps) and asks
 * for a correlation of at least 0.99, rather than bounding the single worst pixel.
 */
import {afterAll, beforeAll, describe, expect, inject, test} from "vitest";
import {
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
});
