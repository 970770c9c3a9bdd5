/**
 * The companion-page components (src/components/companion.ts): the template an author copies
 * (src/templates/companion.md, written only with the components, at most 30 lines) builds, renders
 * without console errors, runs its method, and moving its slider changes the map; the "Write a
 * companion page" guide's live examples render too.
 */
import {readFileSync} from "node:fs";
import {join} from "node:path";
import {afterAll, beforeAll, describe, expect, inject, test} from "vitest";
import {REPO_ROOT} from "../../loaders/site/paths.js";
import {cellErrors, launchBrowser, meanAbsDifference, nullTexts, openPage, screenshot, waitForResult, type Browser} from "./browser.js";

const siteUrl = inject("siteUrl");

describe.skipIf(!siteUrl)("companion pages", () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });

  test("the template is at most 30 lines of Markdown and JavaScript", () => {
    const lines = readFileSync(join(REPO_ROOT, "src", "templates", "companion.md"), "utf8")
      .trimEnd()
      .split("\n");
    expect(lines.length).toBeLessThanOrEqual(30);
  });

  test("the template renders, runs SISE, and its μ slider changes the map", async () => {
    const {page, errors} = await openPage(browser, `${siteUrl}/templates/companion?backend=wasm`);
    const first = await waitForResult(page, "sise", (r) => r.backend === "wasm");
    expect(first.options.mu).toBe(0);
    await page.waitForSelector(".sx-explainer .sx-result");
    await page.waitForSelector(".sx-cascade");
    // The μ slider (derived from SISE's parameter declaration: -1..1, step 0.05).
    const slider = page.locator(".sx-explainer form", {hasText: "mu"}).locator("input[type=range]");
    expect(await slider.getAttribute("min")).toBe("-1");
    expect(await slider.getAttribute("max")).toBe("1");
    await slider.fill("0.6");
    const moved = await waitForResult(page, "sise", (r) => r.options.mu === 0.6);
    expect(moved.options.maxMasks).toBe(8);
    expect(meanAbsDifference(first.map, moved.map)).toBeGreaterThan(1e-3);
    // The page's other cells follow the explainer's value.
    await page.waitForFunction(() => document.body.textContent?.includes("SISE scored"));
    await screenshot(page, "companion-template");
    expect(await cellErrors(page)).toEqual([]);
    expect(await nullTexts(page)).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  });

  test("the guide's live examples render: explainer, the pieces, difference, path and sweep", async () => {
    const {page, errors} = await openPage(browser, `${siteUrl}/companion?backend=wasm`);
    const gradcam = await waitForResult(page, "guide-gradcam", (r) => r.backend === "wasm");
    expect(gradcam.method).toBe("gradcam");
    await page.waitForFunction(() => document.body.textContent?.includes("Grad-CAM explains"));
    // The template's own source is shown, as the author copies it.
    expect(await page.textContent("pre.sx-code")).toContain('explainer({method: "sise"');
    await page.waitForSelector(".sx-map-view .sx-difference", {timeout: 180_000});
    await page.waitForSelector(".sx-path .sx-strip", {timeout: 180_000});
    await page.waitForSelector(".sx-sweep svg", {timeout: 180_000});
    expect(await page.$$eval(".sx-sweep-maps .sx-map", (all) => all.length)).toBe(3);
    await screenshot(page, "companion-guide");
    expect(await cellErrors(page)).toEqual([]);
    expect(await nullTexts(page)).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  });
});
