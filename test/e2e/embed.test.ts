/**
 * Embeds (src/components/embed.ts): a live page's address with `embed` shows the view's figure
 * alone (no sidebar, header, contents, controls or text), filling its container, in an iframe
 * too; the "Cite / link this view" box offers the iframe snippet of the current view.
 */
import {afterAll, beforeAll, describe, expect, inject, test} from "vitest";
import {cellErrors, launchBrowser, openPage, screenshot, waitForResult, type Browser} from "./browser.js";

const siteUrl = inject("siteUrl");

/** Elements in the page's main column that take up room on screen, by tag and class. */
async function visibleOutside(page: import("playwright-core").Page, keep: string): Promise<string[]> {
  return page.evaluate((selector) => {
    const figure = document.querySelector(selector);
    return [...document.querySelectorAll("body *")]
      .filter((e) => !figure?.contains(e) && !e.contains(figure))
      .filter((e) => {
        const box = e.getBoundingClientRect();
        const style = getComputedStyle(e);
        return box.width > 0 && box.height > 0 && style.visibility !== "hidden" && !["SCRIPT", "STYLE", "LINK", "META"].includes(e.tagName);
      })
      .map((e) => `${e.tagName.toLowerCase()}${e.id ? `#${e.id}` : ""}.${[...e.classList].join(".")}`);
  }, keep);
}

describe.skipIf(!siteUrl)("embeds", () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });

  test("?embed shows the SISE figure alone, filling the window", async () => {
    const {page, errors} = await openPage(browser, `${siteUrl}/sise?backend=wasm&masks=4&colormap=viridis&embed`);
    await page.setViewportSize({width: 640, height: 400});
    await waitForResult(page, "sise");
    await page.waitForSelector(".sx-embed-figure svg");
    expect(await page.evaluate(() => document.documentElement.classList.contains("sx-embed"))).toBe(true);
    expect(await visibleOutside(page, ".sx-embed-figure")).toEqual([]);
    for (const hidden of ["#observablehq-sidebar", "#observablehq-header", "#observablehq-toc", "h1", "select", "input"]) {
      expect(await page.$$eval(hidden, (all) => all.filter((e) => e.getBoundingClientRect().width > 0).length), hidden).toBe(0);
    }
    const box = (await page.$eval(".sx-embed-figure svg", (svg) => svg.getBoundingClientRect().toJSON())) as DOMRect;
    // Scaled to fit 640x400 with its proportions kept: one side fills the window.
    expect(box.width <= 641 && box.height <= 401).toBe(true);
    expect(box.width >= 630 || box.height >= 390).toBe(true);
    // The figure is the view: SISE's panels with the settings from the address.
    expect(await page.$eval(".sx-embed-figure svg", (svg) => svg.querySelectorAll("image").length)).toBeGreaterThan(1);
    await screenshot(page, "embed-sise");
    expect(await cellErrors(page)).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  });

  test("a companion page's explainer is its figure under ?embed", async () => {
    const {page, errors} = await openPage(browser, `${siteUrl}/templates/companion?backend=wasm&embed`);
    await page.setViewportSize({width: 600, height: 300});
    await waitForResult(page, "sise");
    await page.waitForSelector(".sx-embed-figure svg");
    expect(await visibleOutside(page, ".sx-embed-figure")).toEqual([]);
    const box = (await page.$eval(".sx-embed-figure svg", (svg) => svg.getBoundingClientRect().toJSON())) as DOMRect;
    expect(box.width <= 601 && box.height <= 301).toBe(true);
    expect(box.width >= 590 || box.height >= 290).toBe(true);
    expect(await cellErrors(page)).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  });

  test("the link box offers the iframe snippet, and the snippet embeds the figure in a page", async () => {
    const {page} = await openPage(browser, `${siteUrl}/sise?backend=wasm&masks=4`);
    await waitForResult(page, "sise");
    await page.click(".sx-link-box summary");
    const snippet = await page.$eval(".sx-link-embed", (e) => (e as HTMLTextAreaElement).value);
    expect(snippet).toMatch(/^<iframe src="[^"]*\/sise\?backend=wasm&amp;masks=4[^"]*&amp;embed" width="720" height="420"/);
    await page.close();

    const host = await browser.context.newPage();
    await host.goto(`${siteUrl}/`);
    await host.setContent(
      `<html><body style="margin:0"><p>A paper.</p>${snippet.replace('width="720"', 'width="500"').replace('height="420"', 'height="320"')}</body></html>`
    );
    const frame = await (await host.waitForSelector("iframe")).contentFrame();
    await frame!.waitForSelector(".sx-embed-figure svg", {timeout: 180_000});
    const box = (await frame!.$eval(".sx-embed-figure svg", (svg) => svg.getBoundingClientRect().toJSON())) as DOMRect;
    expect(box.width <= 501 && box.height <= 321).toBe(true);
    expect(box.width >= 490 || box.height >= 310).toBe(true);
    expect(await frame!.$$eval("#observablehq-sidebar", (all) => all.filter((e) => e.getBoundingClientRect().width > 0).length)).toBe(0);
    await screenshot(host, "embed-iframe");
    await host.close();
  });
});
