/**
 * Integrated Grad-CAM page: moving the path-steps slider (keyboard, as a user would) recomputes
 * the explanation with the new number of steps and changes the drawn map.
 */
import {afterAll, beforeAll, describe, expect, inject, test} from "vitest";
import {launchBrowser, openPage, cellErrors, screenshot, waitForResult, type Browser} from "./browser.js";

const siteUrl = inject("siteUrl");

describe.skipIf(!siteUrl)("Integrated Grad-CAM page", () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });

  test("moving the path-steps slider changes the drawn map", async () => {
    const {page, errors} = await openPage(browser, `${siteUrl}/igcam?steps=1`);
    const before = await waitForResult(page, "igcam", (r) => r.options.steps === 1);
    const drawn = () => page.$eval("#igcam-result .sx-result canvas", (c) => (c as HTMLCanvasElement).toDataURL());
    const drawnBefore = await drawn();

    const handle = page.locator("#igcam-steps");
    await handle.focus();
    for (let i = 0; i < 3; i++) await handle.press("ArrowRight");
    expect(await handle.getAttribute("aria-valuetext")).toBe("4");
    const after = await waitForResult(page, "igcam", (r) => r.options.steps === 4);
    await page.waitForFunction((old) => {
      const canvas = document.querySelector("#igcam-result .sx-result canvas") as HTMLCanvasElement | null;
      return canvas !== null && canvas.toDataURL() !== old;
    }, drawnBefore);
    expect(await drawn()).not.toBe(drawnBefore);
    expect(after.map.join()).not.toBe(before.map.join());
    expect(page.url()).toContain("steps=4");
    await page.waitForSelector("#igcam-convergence svg", {timeout: 200_000});
    await screenshot(page, "igcam-steps-4");
    expect(await cellErrors(page)).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  });
});
