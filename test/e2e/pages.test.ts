/**
 * Every page of the built site, at 1280 px and at 390 px (a phone): renders without console
 * errors or failed cells, shows no stray "null", has a language, names its canvases and charts,
 * its sliders report the value they show, no page scrolls sideways at 390 px, and no chart's
 * labels overlap or get cut off. Full-page screenshots at both widths go
 * to test-output/screenshots/. One load per page: the narrow checks follow a resize.
 */
import {afterAll, beforeAll, describe, expect, inject, test} from "vitest";
import {
  launchBrowser,
  openPage,
  cellErrors,
  screenshot,
  nullTexts,
  horizontalOverflow,
  unnamedGraphics,
  labelProblems,
  sliderMismatches,
  type Browser
} from "./browser.js";

const siteUrl = inject("siteUrl");

/** Path (with a light query for speed) and the element that shows the page has finished. */
const PAGES: {name: string; path: string; ready: string}[] = [
  {name: "overview", path: "/", ready: ".sx-gallery .sx-gallery-item"},
  {name: "igcam", path: "/igcam?steps=8", ready: "#igcam-convergence svg"},
  {name: "sise", path: "/sise?masks=8", ready: ".sx-cascade"},
  {name: "adasise", path: "/adasise?masks=8", ready: "#adasise-metrics"},
  {name: "compare", path: "/compare", ready: ".sx-compare-grid"},
  {name: "benchmark", path: "/benchmark", ready: "#benchmark-ready"},
  {name: "playground", path: "/playground", ready: "#playground-result"},
  {name: "companion", path: "/companion", ready: ".sx-sweep svg"},
  {name: "template", path: "/templates/companion", ready: ".sx-cascade"}
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
    test(`${name} renders cleanly at 1280 and 390 px`, async () => {
      const {page, errors} = await openPage(browser, `${siteUrl}${path}`);
      await page.waitForSelector(ready, {timeout: 200_000});
      await page.waitForTimeout(300);
      await screenshot(page, name);
      expect(await cellErrors(page)).toEqual([]);
      expect(await nullTexts(page)).toEqual([]);
      expect(await page.evaluate(() => document.documentElement.lang)).toBe("en");
      expect(await unnamedGraphics(page)).toEqual([]);
      expect(await sliderMismatches(page)).toEqual([]);
      expect(await labelProblems(page)).toEqual([]);

      await page.setViewportSize({width: 390, height: 844});
      // Charts follow the container's width: let them redraw.
      await page.waitForTimeout(1500);
      await page.waitForSelector(ready, {timeout: 60_000});
      await screenshot(page, `${name}-390`);
      expect(await horizontalOverflow(page)).toEqual({overflow: 0, offenders: []});
      expect(await nullTexts(page)).toEqual([]);
      expect(await labelProblems(page)).toEqual([]);
      expect(await cellErrors(page)).toEqual([]);
      expect(errors).toEqual([]);
      await page.close();
    });
  }
});
