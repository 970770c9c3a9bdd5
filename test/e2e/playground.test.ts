/**
 * The Playground: an uploaded PNG is explained; a corrupt upload shows an error and the page
 * keeps working; a model loaded from a URL served on 127.0.0.1 works.
 */
import {mkdirSync} from "node:fs";
import {join} from "node:path";
import {PNG} from "pngjs";
import {afterAll, beforeAll, describe, expect, inject, test} from "vitest";
import {startStaticServer, type RunningServer} from "../../loaders/serve.js";
import {REPO_ROOT} from "../../loaders/site/paths.js";
import {launchBrowser, openPage, cellErrors, screenshot, waitForResult, published, type Browser} from "./browser.js";
import {writeUrlModel} from "./fixture-data.js";

const siteUrl = inject("siteUrl");

function gradientPng(width: number, height: number): Buffer {
  const png = new PNG({width, height});
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = 4 * (y * width + x);
      const inside = (x - width / 2) ** 2 + (y - height / 2) ** 2 < (width / 4) ** 2;
      png.data[i] = inside ? 230 : Math.round((255 * x) / width);
      png.data[i + 1] = inside ? 40 : Math.round((255 * y) / height);
      png.data[i + 2] = inside ? 40 : 120;
      png.data[i + 3] = 255;
    }
  }
  return PNG.sync.write(png);
}

describe.skipIf(!siteUrl)("Playground", () => {
  let browser: Browser;
  let modelServer: RunningServer;
  beforeAll(async () => {
    browser = await launchBrowser();
    const dir = join(REPO_ROOT, "test-output", "e2e-url-model");
    mkdirSync(dir, {recursive: true});
    await writeUrlModel(join(dir, "tiny"));
    modelServer = await startStaticServer({root: dir, host: "127.0.0.1", port: 0, headers: {"Access-Control-Allow-Origin": "*"}});
  });
  afterAll(async () => {
    await browser?.close();
    await modelServer?.close();
  });

  test("explains an uploaded PNG, and survives a corrupt one", async () => {
    const {page, errors} = await openPage(browser, `${siteUrl}/playground?method=gradcam`);
    const first = await waitForResult(page, "playground");
    await page.setInputFiles("#playground-image-file", {name: "my-picture.png", mimeType: "image/png", buffer: gradientPng(96, 80)});
    await page.waitForSelector("figcaption:text('my-picture.png')");
    const uploaded = await waitForResult(page, "playground", (r) => r.width === 96 && r.height === 80);
    expect(uploaded.map.length).toBe(96 * 80);
    expect(uploaded.map.join()).not.toBe(first.map.join());
    await screenshot(page, "playground-upload");

    await page.setInputFiles("#playground-image-file", {name: "broken.png", mimeType: "image/png", buffer: Buffer.from("this is not a PNG at all")});
    const alert = await page.waitForSelector(".sx-error[role=alert]");
    expect(await alert.textContent()).toContain("broken.png");
    await screenshot(page, "playground-corrupt");
    // The page keeps working: the last good image is still explained, and a new upload works.
    expect((await published(page, "playground"))?.width).toBe(96);
    await page.setInputFiles("#playground-image-file", {name: "second.png", mimeType: "image/png", buffer: gradientPng(40, 40)});
    await waitForResult(page, "playground", (r) => r.width === 40);
    expect(await page.$(".sx-error[role=alert]")).toBeNull();
    expect(await cellErrors(page)).toEqual([]);
    // The corrupt file makes the browser log nothing as an error on its own; the page reports it.
    expect(errors).toEqual([]);
    await page.close();
  });

  test("loads a model from a URL on 127.0.0.1 and explains with it", async () => {
    const modelUrl = `${modelServer.url}/tiny/model.json`;
    const {page, errors} = await openPage(browser, `${siteUrl}/playground?modelFrom=url&modelUrl=${encodeURIComponent(modelUrl)}&method=gradcam`);
    const status = await page.waitForSelector("#playground-model-status", {timeout: 120_000});
    expect(await status.textContent()).toContain("32×32");
    const result = await waitForResult(page, "playground");
    expect(result.method).toBe("gradcam");
    expect(["red-ish", "green-ish", "blue-ish"]).toContain(await page.$eval("#playground-result figcaption", (e) => e.textContent?.match(/“(.*)”/)?.[1]));
    await screenshot(page, "playground-url-model");
    expect(await cellErrors(page)).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  });
});
