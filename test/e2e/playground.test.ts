/**
 * The Playground: an uploaded PNG is explained; a corrupt upload shows an error and the page
 * keeps working; a model loaded from a URL served on 127.0.0.1 works; a model without any
 * convolution gets one clear message and the pixel methods; the class follows a new image; the
 * figure, JSON and .npy exports are what they claim to be.
 */
import {mkdirSync, readFileSync} from "node:fs";
import {join} from "node:path";
import {PNG} from "pngjs";
import {afterAll, beforeAll, describe, expect, inject, test} from "vitest";
import {startStaticServer, type RunningServer} from "../../loaders/serve.js";
import {REPO_ROOT} from "../../loaders/site/paths.js";
import type {Page} from "playwright-core";
import {launchBrowser, openPage, cellErrors, screenshot, waitForResult, published, publishedCount, nullTexts, type Browser} from "./browser.js";
import {writeDenseUrlModel, writeUrlModel} from "./fixture-data.js";
import {decodeMap} from "../../src/components/map-export.js";

/** Clicks a button by its text and returns the downloaded file's bytes and name. */
async function downloadOf(page: Page, buttonText: string): Promise<{name: string; bytes: Buffer}> {
  const [download] = await Promise.all([page.waitForEvent("download"), page.click(`button:text-is("${buttonText}")`)]);
  return {name: download.suggestedFilename(), bytes: readFileSync((await download.path())!)};
}

const pngSize = (bytes: Buffer) => ({width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20)});

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
    await writeDenseUrlModel(join(dir, "dense"));
    modelServer = await startStaticServer({root: dir, host: "127.0.0.1", port: 0, headers: {"Access-Control-Allow-Origin": "*"}});
  });
  afterAll(async () => {
    await browser?.close();
    await modelServer?.close();
  });

  test("explains an uploaded PNG, and survives a corrupt one", async () => {
    const {page, errors} = await openPage(browser, `${siteUrl}/playground?method=gradcam`);
    await waitForResult(page, "playground");
    // A model that is not the face model (which looks for faces in an upload: test/e2e/faces.test.ts) explains the whole picture.
    const modelSelect = page.locator("form:has(label:text-is('Model')) select");
    const other = (await modelSelect.locator("option").allTextContents()).findIndex((t) => !t.startsWith("face-"));
    const runs = await publishedCount(page, "playground");
    await modelSelect.selectOption({index: other});
    await page.waitForFunction(
      (n) => (globalThis as unknown as {saliencyExplorer: {counts: Record<string, number>}}).saliencyExplorer.counts.playground > n,
      runs,
      {timeout: 120_000}
    );
    const first = (await published(page, "playground"))!;
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
    expect(["red-ish", "green-ish", "blue-ish"]).toContain(
      await page.$eval("#playground-result .sx-result figcaption", (e) => e.textContent?.match(/“(.*)”/)?.[1])
    );
    await screenshot(page, "playground-url-model");
    expect(await cellErrors(page)).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  });

  test("a new image resets the class to its top prediction; every class is offered, top 5 first", async () => {
    // Opened with a class: the URL's class is explained.
    const {page, errors} = await openPage(browser, `${siteUrl}/playground?method=gradcam&class=3`);
    const first = await waitForResult(page, "playground");
    expect(first.classIndex).toBe(3);
    const groups = await page.$$eval(".sx-class-picker optgroup", (gs) => gs.map((g) => ({label: g.getAttribute("label"), count: g.children.length})));
    expect(groups[0]).toEqual({label: "Top 5 predictions", count: 5});
    const total = groups.reduce((n, g) => n + g.count, 0);
    const classes = Number((await page.textContent("#playground-model-status"))?.match(/(\d+) classes/)?.[1]);
    expect(total).toBe(classes);
    expect(total).toBeGreaterThan(5);
    // Search narrows the list (the chosen class stays in it).
    await page.fill(".sx-class-search", "zzz-no-such-class");
    expect(await page.$$eval(".sx-class-picker option", (os) => os.length)).toBe(1);
    await page.fill(".sx-class-search", "");

    // Another gallery image: the class becomes that image's top prediction, whatever was explained before.
    const thumbs = page.locator(".sx-picker .sx-thumb");
    await thumbs.nth(1).click();
    const second = await waitForResult(page, "playground", (r) => r.classIndex !== 3 || r.map.join() !== first.map.join());
    const top = await page.$eval("#playground-predictions tr:nth-child(2) td", (td) => td.textContent);
    expect(second.classIndex).toBe(await page.$eval(".sx-class-picker select", (s) => Number((s as HTMLSelectElement).value)));
    expect((await page.$eval(".sx-class-picker select option:checked", (o) => o.textContent))?.startsWith(top ?? "?")).toBe(true);
    expect(page.url()).toContain(`class=${second.classIndex}`);
    expect(await nullTexts(page)).toEqual([]);
    expect(await cellErrors(page)).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  });

  test("a model without convolutions gets one clear message, and the pixel methods run", async () => {
    const modelUrl = `${modelServer.url}/dense/model.json`;
    const {page, errors} = await openPage(browser, `${siteUrl}/playground?modelFrom=url&modelUrl=${encodeURIComponent(modelUrl)}&method=gradcam`);
    const note = await page.waitForSelector("#playground-no-spatial", {timeout: 120_000});
    expect(await note.textContent()).toContain("no layer with spatial extent");
    const methods = await page.$$eval("select", (selects) => {
      const s = selects.find((x) => Array.from(x.options).some((o) => o.textContent === "Integrated Gradients"));
      return s ? Array.from(s.options, (o) => o.textContent) : [];
    });
    expect(methods).toContain("Integrated Gradients");
    expect(methods).toContain("RISE");
    expect(methods).not.toContain("Grad-CAM");
    const result = await waitForResult(page, "playground");
    expect(result.method).toBe("ig");
    expect(result.width * result.height).toBe(result.map.length);
    expect(await page.$$(".sx-error")).toHaveLength(0);
    expect(await nullTexts(page)).toEqual([]);
    await screenshot(page, "playground-dense-model");
    expect(await cellErrors(page)).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  });

  test("exports: the figure as SVG and 2x PNG, the map as float16 JSON and .npy", async () => {
    const {page, errors} = await openPage(browser, `${siteUrl}/playground?method=gradcam`);
    const result = await waitForResult(page, "playground");
    await page.waitForSelector("button:text-is('Figure (SVG)'):not([disabled])");

    const svg = await downloadOf(page, "Figure (SVG)");
    expect(svg.name).toMatch(/\.svg$/);
    const parsed = await page.evaluate((text) => {
      const doc = new DOMParser().parseFromString(text, "image/svg+xml");
      const root = doc.documentElement;
      return {
        error: doc.querySelector("parsererror")?.textContent ?? null,
        root: root.nodeName,
        width: Number(root.getAttribute("width")),
        height: Number(root.getAttribute("height")),
        panels: doc.querySelectorAll("image.sx-figure-panel").length,
        pngPanels: Array.from(doc.querySelectorAll("image")).every((i) => (i.getAttribute("xlink:href") ?? "").startsWith("data:image/png;base64,")),
        captions: Array.from(doc.querySelectorAll("text.sx-figure-caption"), (t) => t.textContent),
        colorbar: doc.querySelectorAll("rect.sx-figure-colorbar").length
      };
    }, svg.bytes.toString("utf8"));
    expect(parsed.error).toBeNull();
    expect(parsed.root).toBe("svg");
    expect(parsed.panels).toBe(3);
    expect(parsed.pngPanels).toBe(true);
    expect(parsed.captions.join(" ")).toContain("Grad-CAM");
    expect(parsed.colorbar).toBe(1);

    const png = await downloadOf(page, "Figure (PNG, 2×)");
    expect(png.bytes.subarray(1, 4).toString()).toBe("PNG");
    expect(pngSize(png.bytes)).toEqual({width: 2 * parsed.width, height: 2 * parsed.height});

    const json = await downloadOf(page, "JSON (float16)");
    const record = JSON.parse(json.bytes.toString("utf8"));
    expect(record.format).toBe("saliency-explorer-map/1");
    expect(record.map.shape).toEqual([result.height, result.width]);
    const map = decodeMap(record.map);
    let worst = 0;
    for (let i = 0; i < map.data.length; i++) worst = Math.max(worst, Math.abs(map.data[i]! - result.map[i]!));
    expect(worst).toBeLessThanOrEqual(2 ** -12);
    // Compact: about 2.7 bytes per pixel in all (base64 of float16), not a list of decimals.
    expect(json.bytes.length).toBeLessThan(result.map.length * 2.8 + 4096);

    const npy = await downloadOf(page, ".npy (float32)");
    expect(npy.bytes.subarray(1, 6).toString()).toBe("NUMPY");
    const headerLength = npy.bytes.readUInt16LE(8);
    expect(npy.bytes.subarray(10, 10 + headerLength).toString()).toContain(`'shape': (${result.height}, ${result.width})`);
    expect(npy.bytes.length).toBe(10 + headerLength + 4 * result.map.length);
    expect(npy.bytes.readFloatLE(10 + headerLength + 4 * 7)).toBeCloseTo(result.map[7]!, 6);
    expect(await cellErrors(page)).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  });
});
