/**
 * Every page of the built site renders without console errors or failed cells, and leaves a
 * full-page screenshot in test-output/screenshots/.
 */
import {afterAll, beforeAll, describe, expect, inject, test} from "vitest";
import {launchBrowser, openPage, cellErrors, screenshot, type Browser} from "./browser.js";

const siteUrl = inject("siteUrl");

/** Path (with a light query for speed) and the element that shows the page has finished. */
const PAGES: {name: string; path: string; ready: string}[] = [
  {name: "overview", path: "/", ready: ".sx-gallery .sx-gallery-item"},
  {name: "igcam", path: "/igcam?steps=8", ready: "#igcam-convergence svg"},
  {name: "sise", path: "/sise?masks=8", ready: ".sx-cascade"},
  {name: "adasise", path: "/adasise?masks=8", ready: "#adasise-metrics"},
  {name: "compare", path: "/compare", ready: ".sx-compare-grid"},
  {name: "benchmark", path: "/benchmark", ready: "#benchmark-ready"},
  {name: "playground", path: "/playground", ready: "#playground-result"}
];

describe.skipIf(!siteUrl)("every page", () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });

  for (const {name, path, ready} of PAGES) {
    test(`${name} renders cleanly`, async () => {
      const {page, errors} = await openPage(browser, `${siteUrl}${path}`);
      await page.waitForSelector(ready, {timeout: 200_000});
      await page.waitForTimeout(300);
      await screenshot(page, name);
      expect(await cellErrors(page)).toEqual([]);
      expect(errors).toEqual([]);
      await page.close();
    });
  }
});
