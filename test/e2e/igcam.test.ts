/**
 * Integrated Grad-CAM page: it opens on the view where the path integral changes the map most
 * (chosen at build time) and says why; the difference view shows how far IG-CAM is from
 * Grad-CAM; moving the path-steps slider (keyboard, as a user would) recomputes the explanation,
 * changes the drawn map, and the slider reports the value it shows.
 */
import {afterAll, beforeAll, describe, expect, inject, test} from "vitest";
import {launchBrowser, openPage, cellErrors, screenshot, waitForResult, published, meanAbsDifference, nullTexts, type Browser} from "./browser.js";

const siteUrl = inject("siteUrl");

describe.skipIf(!siteUrl)("Integrated Grad-CAM page", () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });

  test("opens where IG-CAM and Grad-CAM differ, shows the difference, and the steps slider recomputes", async () => {
    const {page, errors} = await openPage(browser, `${siteUrl}/igcam?steps=1&backend=wasm`);
    const before = await waitForResult(page, "igcam", (r) => r.options.steps === 1);
    const note = await page.waitForSelector("#igcam-showcase");
    expect(await note.textContent()).toContain("Why this view");
    expect(await page.$("#igcam-result .sx-difference canvas")).not.toBeNull();
    const drawn = () => page.$eval("#igcam-result .sx-result canvas", (c) => (c as HTMLCanvasElement).toDataURL());
    const drawnBefore = await drawn();

    const handle = page.locator("#igcam-steps");
    await handle.focus();
    for (let i = 0; i < 3; i++) await handle.press("ArrowRight");
    expect(await handle.getAttribute("aria-valuetext")).toBe("4");
    expect(await handle.getAttribute("aria-valuenow")).toBe("4");
    const after = await waitForResult(page, "igcam", (r) => r.options.steps === 4);
    await page.waitForFunction((old) => {
      const canvas = document.querySelector("#igcam-result .sx-result canvas") as HTMLCanvasElement | null;
      return canvas !== null && canvas.toDataURL() !== old;
    }, drawnBefore);
    expect(await drawn()).not.toBe(drawnBefore);
    expect(after.map.join()).not.toBe(before.map.join());
    expect(page.url()).toContain("steps=4");

    // On the default view the path integral visibly changes the map.
    const gradcam = (await published(page, "gradcam"))!;
    const difference = meanAbsDifference(after.map, gradcam.map);
    console.log(`IG-CAM (m = 4) vs Grad-CAM on the default view: mean |Δ| ${difference.toFixed(4)}`);
    expect(difference).toBeGreaterThan(0.05);
    expect(await page.textContent("#igcam-result .sx-difference figcaption")).toMatch(/mean \|Δ\| 0\.\d+/);
    await page.waitForSelector("#igcam-convergence svg", {timeout: 200_000});
    await screenshot(page, "igcam-steps-4");
    expect(await nullTexts(page)).toEqual([]);
    expect(await cellErrors(page)).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  });
});
