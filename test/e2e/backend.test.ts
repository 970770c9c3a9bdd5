/**
 * Backends in the browser (issue 19.1). Here WebGPU and WebGL both run on SwiftShader
 * (software): the automatic choice must not pick either. With ?probe=all the page probes every
 * backend on the model, keeps the fastest and remembers it for the session. And tfjs's memory
 * stays flat over ten SISE runs on each backend (no tensors or GPU bytes left behind).
 */
import {afterAll, beforeAll, describe, expect, inject, test} from "vitest";
import {launchBrowser, openPage, cellErrors, waitForResult, pageMemory, runAgain, type Browser} from "./browser.js";

const siteUrl = inject("siteUrl");
const RUNS = 10;

describe.skipIf(!siteUrl)("backends", () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });

  test("auto picks neither software WebGPU nor software WebGL, and says why", async () => {
    const {page, errors} = await openPage(browser, `${siteUrl}/igcam?steps=2`);
    const status = await page.waitForSelector(".sx-status[data-backend]", {timeout: 120_000});
    const text = (await status.textContent()) ?? "";
    expect(text).toMatch(/WebGL renderer: .*\(software\)/);
    expect(await status.getAttribute("data-backend")).toBe("wasm");
    expect(text).toContain("WebGL runs on a software renderer");
    const result = await waitForResult(page, "igcam");
    expect(result.backend).toBe("wasm");
    expect(await cellErrors(page)).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  });

  test("probe=all times every backend on the model, keeps the fastest and remembers it", async () => {
    const url = `${siteUrl}/sise?probe=all&masks=1`;
    const {page, errors} = await openPage(browser, url);
    const status = await page.waitForSelector(".sx-status[data-backend]", {timeout: 200_000});
    const probes = JSON.parse((await status.getAttribute("data-probes")) ?? "[]") as {backend: string; forwardMs: number; backwardMs: number}[];
    expect(probes.map((p) => p.backend).sort()).toEqual(["wasm", "webgl", "webgpu"]);
    for (const p of probes) expect(p.forwardMs).toBeGreaterThan(0);
    const fastest = probes.reduce((a, b) => (a.forwardMs + a.backwardMs <= b.forwardMs + b.backwardMs ? a : b));
    expect(await status.getAttribute("data-backend")).toBe(fastest.backend);
    console.log(`probe: ${probes.map((p) => `${p.backend} ${(p.forwardMs + p.backwardMs).toFixed(1)} ms`).join(", ")} → ${fastest.backend}`);
    await waitForResult(page, "sise");

    // The same model again in this tab: the choice comes from the session, without a new probe.
    await page.goto(url);
    const again = await page.waitForSelector(".sx-status[data-backend]", {timeout: 120_000});
    expect(await again.getAttribute("data-remembered")).toBe("true");
    expect(await again.getAttribute("data-backend")).toBe(fastest.backend);
    expect(await cellErrors(page)).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  });

  for (const backend of ["wasm", "webgl", "webgpu"] as const) {
    test(`tf.memory() stays flat over ${RUNS} SISE runs on ${backend}`, async () => {
      // One mask per layer keeps SwiftShader's runs short; the run still goes through every phase.
      const {page, errors} = await openPage(browser, `${siteUrl}/sise?backend=${backend}&masks=1`);
      await waitForResult(page, "sise", (r) => r.backend === backend);
      const series = [await pageMemory(page)];
      for (let i = 1; i < RUNS; i++) {
        await runAgain(page, "sise");
        series.push(await pageMemory(page));
      }
      console.log(`${backend}: tensors ${series.map((m) => m.numTensors).join(" ")}; bytes ${series.map((m) => m.numBytes).join(" ")}`);
      // After the first run (which may create lasting constants) nothing may grow.
      const steady = series.slice(1);
      expect(new Set(steady.map((m) => m.numTensors)).size).toBe(1);
      expect(new Set(steady.map((m) => m.numBytes)).size).toBe(1);
      if (backend === "webgl") {
        expect(new Set(steady.map((m) => m.numBytesInGPU)).size).toBe(1);
        console.log(`webgl: GPU bytes in use ${steady[0]!.numBytesInGPU}, allocated ${steady.map((m) => m.numBytesInGPUAllocated).join(" ")}`);
        // Released textures are deleted past the threshold instead of pooled for ever.
        expect(Math.max(...steady.map((m) => m.numBytesInGPUAllocated ?? 0))).toBeLessThanOrEqual(256 * 1024 * 1024);
      }
      expect(series[0]!.backend).toBe(backend);
      expect(await cellErrors(page)).toEqual([]);
      expect(errors).toEqual([]);
      await page.close();
    });
  }
});
