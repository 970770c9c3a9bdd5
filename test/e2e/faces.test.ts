/**
 * Real photographs on the live pages: with the face-expression model, an uploaded photo goes
 * through face-api's detector in the page, every face gets a box, clicking one explains its crop
 * and the map comes back on the whole photo (zero outside the crop); a photo without a face says
 * so and offers the whole image; the camera (a fake capture device fed from a .y4m video made
 * here from a committed photograph) gives a live map on wasm within seconds, on the Playground
 * and on the Integrated Grad-CAM page, and the next maps follow the steps slider. The Overview
 * opens with a photograph.
 */
import {mkdirSync, readFileSync, writeFileSync} from "node:fs";
import {join} from "node:path";
import {PNG} from "pngjs";
import sharp from "sharp";
import {afterAll, beforeAll, describe, expect, inject, test} from "vitest";
import type {Page} from "playwright-core";
import {REPO_ROOT} from "../../loaders/site/paths.js";
import {
  launchBrowser,
  openPage,
  cellErrors,
  screenshot,
  waitForResult,
  published,
  publishedCount,
  nullTexts,
  type Browser,
  type PublishedResult
} from "./browser.js";

const siteUrl = inject("siteUrl");
const PHOTOS = join(REPO_ROOT, "data", "photos");
const OUT = join(REPO_ROOT, "test-output", "e2e-faces");
const FACE_MODEL = "face-expression";

/** Frames of a still photo as a YUV4MPEG2 (4:2:0, BT.601 full range) video Chromium's fake camera can play. */
async function photoVideo(file: string, width: number, height: number, frames: number): Promise<Buffer> {
  const rgb = await sharp(file).resize(width, height, {fit: "cover"}).removeAlpha().raw().toBuffer();
  const y = Buffer.alloc(width * height);
  const u = Buffer.alloc((width / 2) * (height / 2));
  const v = Buffer.alloc((width / 2) * (height / 2));
  const clamp = (x: number) => Math.max(0, Math.min(255, Math.round(x)));
  for (let i = 0; i < width * height; i++) {
    const [r, g, b] = [rgb[3 * i]!, rgb[3 * i + 1]!, rgb[3 * i + 2]!];
    y[i] = clamp(0.299 * r + 0.587 * g + 0.114 * b);
  }
  for (let row = 0; row < height / 2; row++) {
    for (let col = 0; col < width / 2; col++) {
      let r = 0;
      let g = 0;
      let b = 0;
      for (const [dy, dx] of [
        [0, 0],
        [0, 1],
        [1, 0],
        [1, 1]
      ] as const) {
        const i = (2 * row + dy) * width + 2 * col + dx;
        r += rgb[3 * i]! / 4;
        g += rgb[3 * i + 1]! / 4;
        b += rgb[3 * i + 2]! / 4;
      }
      u[row * (width / 2) + col] = clamp(128 - 0.168736 * r - 0.331264 * g + 0.5 * b);
      v[row * (width / 2) + col] = clamp(128 + 0.5 * r - 0.418688 * g - 0.081312 * b);
    }
  }
  const frame = Buffer.concat([Buffer.from("FRAME\n"), y, u, v]);
  return Buffer.concat([Buffer.from(`YUV4MPEG2 W${width} H${height} F10:1 Ip A1:1 C420jpeg\n`), ...Array.from({length: frames}, () => frame)]);
}

function noFacePng(width: number, height: number): Buffer {
  const png = new PNG({width, height});
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = 4 * (y * width + x);
      png.data[i] = Math.round((255 * x) / width);
      png.data[i + 1] = Math.round((255 * y) / height);
      png.data[i + 2] = 120;
      png.data[i + 3] = 255;
    }
  }
  return PNG.sync.write(png);
}

const sum = (map: readonly number[], keep: (i: number) => boolean) => map.reduce((s, v, i) => s + (keep(i) ? v : 0), 0);

/** The drawn crop square of the photo result, from the faces published ("playground-photo" is 0 outside it). */
function nonZeroBounds(r: PublishedResult): {x0: number; y0: number; x1: number; y1: number} {
  let [x0, y0, x1, y1] = [r.width, r.height, -1, -1];
  r.map.forEach((v, i) => {
    if (v === 0) return;
    const x = i % r.width;
    const y = Math.floor(i / r.width);
    [x0, y0, x1, y1] = [Math.min(x0, x), Math.min(y0, y), Math.max(x1, x), Math.max(y1, y)];
  });
  return {x0, y0, x1, y1};
}

async function setRange(page: Page, selector: string, value: number): Promise<void> {
  await page.$eval(
    selector,
    (input, v) => {
      (input as HTMLInputElement).value = String(v);
      input.dispatchEvent(new Event("input", {bubbles: true}));
    },
    value
  );
}

describe.skipIf(!siteUrl)("Faces in photos on the Playground", () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });

  test("upload a photo: faces are boxed, a click explains that face, the map lies on the whole photo", async () => {
    const {page, errors} = await openPage(browser, `${siteUrl}/playground?model=${FACE_MODEL}&method=gradcam&backend=wasm`);
    await page.waitForSelector("#playground-model-status", {timeout: 120_000});
    await page.setInputFiles("#playground-image-file", {name: "reenactors.jpg", mimeType: "image/jpeg", buffer: readFileSync(join(PHOTOS, "reenactors.jpg"))});
    await page.waitForSelector("#playground-faces .sx-face-box", {timeout: 120_000});
    const boxes = page.locator("#playground-faces .sx-face-box");
    const count = await boxes.count();
    expect(count).toBeGreaterThanOrEqual(2);
    expect(await page.textContent("#playground-faces")).toContain(`${count} faces found`);
    // The largest face is explained first; the map is the crop's, drawn back on the 320×240 photo.
    const first = await waitForResult(page, "playground-photo", (r) => r.width === 320 && r.height === 240);
    const crop = (await published(page, "playground"))!;
    expect([crop.width, crop.height]).toEqual([112, 112]);
    const firstBounds = nonZeroBounds(first);
    expect(firstBounds.x1 - firstBounds.x0).toBeLessThan(320);
    const checked = await page.$eval("#playground-faces .sx-face-box[aria-checked=true]", (b) => Number((b as HTMLElement).dataset.index));
    // Small faces (under 48 px) are warned about.
    const smallFaces = await page.$$eval("#playground-faces .sx-face-box", (bs) => bs.filter((b) => b.getAttribute("aria-label")!.endsWith(", small")).length);
    if (smallFaces > 0) expect(await page.textContent("#playground-faces .sx-small-face")).toContain("under 48 px");
    await screenshot(page, "faces-playground-photo-first");

    // Another face: its crop is explained and the map moves to it on the photo.
    const other = checked === 0 ? 1 : 0;
    await boxes.nth(other).click();
    expect(await boxes.nth(other).getAttribute("aria-checked")).toBe("true");
    const second = await waitForResult(page, "playground-photo", (r) => r.map.join() !== first.map.join());
    const bounds = nonZeroBounds(second);
    expect(bounds).not.toEqual(firstBounds);
    // Outside the crop square the map is zero; inside, the crop's map (not all zero).
    const inside = (i: number) => {
      const x = i % 320;
      const y = Math.floor(i / 320);
      return x >= bounds.x0 && x <= bounds.x1 && y >= bounds.y0 && y <= bounds.y1;
    };
    expect(sum(second.map, (i) => !inside(i))).toBe(0);
    expect(sum(second.map, inside)).toBeGreaterThan(0);
    expect(bounds.x1 - bounds.x0).toBe(bounds.y1 - bounds.y0);
    expect(await page.$("#playground-result .sx-on-photo canvas")).not.toBeNull();
    await screenshot(page, "faces-playground-photo-clicked");
    expect(await nullTexts(page)).toEqual([]);
    expect(await cellErrors(page)).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  });

  test("a photo without a face says so clearly and offers the whole image", async () => {
    const {page, errors} = await openPage(browser, `${siteUrl}/playground?model=${FACE_MODEL}&method=gradcam&backend=wasm`);
    await page.waitForSelector("#playground-model-status", {timeout: 120_000});
    await page.setInputFiles("#playground-image-file", {name: "no-face.png", mimeType: "image/png", buffer: noFacePng(160, 120)});
    const note = await page.waitForSelector("#playground-faces-none", {timeout: 120_000});
    expect(await note.textContent()).toContain("No face found in this photo");
    expect(await page.$$("#playground-faces .sx-face-box")).toHaveLength(0);
    // Nothing of the previous image stays: no class to pick until there is an image to explain.
    expect(await page.$$(".sx-class-picker")).toHaveLength(0);
    await screenshot(page, "faces-playground-no-face");
    await page.click("#playground-faces-none button:text-is('Explain the whole image')");
    const whole = await waitForResult(page, "playground", (r) => r.width === 160 && r.height === 120);
    expect(whole.map.length).toBe(160 * 120);
    expect(await published(page, "playground-photo")).toBeNull();
    // Back to a gallery image: the photo's face picker and message go away.
    await page.locator(".sx-picker .sx-thumb").first().click();
    await page.waitForSelector("#playground-faces", {state: "detached", timeout: 60_000});
    await waitForResult(page, "playground", (r) => r.width !== 160);
    expect(await cellErrors(page)).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  });

  test("the Overview opens with a real photograph and its map", async () => {
    const {page, errors} = await openPage(browser, `${siteUrl}/`);
    const figure = await page.waitForSelector("#overview-photo", {timeout: 60_000});
    // The first figure of the page is the photograph.
    const firstFigure = await page.$eval("main figure", (f) => f.closest("#overview-photo") !== null);
    expect(firstFigure).toBe(true);
    expect(await figure.textContent()).toMatch(/on the whole photograph/);
    expect(await page.$$("#overview-photo canvas")).not.toHaveLength(0);
    await screenshot(page, "faces-overview");
    expect(await cellErrors(page)).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  });
});

describe.skipIf(!siteUrl)("Live from a (fake) camera", () => {
  let browser: Browser;
  beforeAll(async () => {
    mkdirSync(OUT, {recursive: true});
    const video = join(OUT, "grace-hopper.y4m");
    writeFileSync(video, await photoVideo(join(PHOTOS, "grace-hopper.jpg"), 320, 240, 10));
    browser = await launchBrowser(["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream", `--use-file-for-fake-video-capture=${video}`]);
  });
  afterAll(async () => {
    await browser?.close();
  });

  test("Playground: a map within seconds on wasm, and the steps slider changes the next maps", async () => {
    const {page, errors} = await openPage(browser, `${siteUrl}/playground?model=${FACE_MODEL}&method=igcam&steps=2&backend=wasm`);
    await page.waitForSelector("#playground-model-status", {timeout: 120_000});
    await waitForResult(page, "playground");
    expect(await page.textContent("#playground-camera")).toContain("Nothing leaves this browser");
    const started = Date.now();
    await page.click("#playground-camera .sx-camera-start");
    const first = await waitForResult(page, "camera", () => true, 60_000);
    const seconds = (Date.now() - started) / 1000;
    console.log(`camera: first live map after ${seconds.toFixed(1)} s (${first.backend}, ${first.totalMs.toFixed(0)} ms per map)`);
    expect(seconds).toBeLessThan(20);
    expect(first.backend).toBe("wasm");
    expect(first.method).toBe("igcam");
    expect(first.options.steps).toBe(2);
    expect([first.width, first.height]).toEqual([112, 112]);
    // It keeps going: more maps come.
    const n = await publishedCount(page, "camera");
    await page.waitForFunction((k) => (globalThis as unknown as {saliencyExplorer: {counts: Record<string, number>}}).saliencyExplorer.counts.camera > k, n, {
      timeout: 30_000
    });
    await screenshot(page, "faces-camera-playground");

    const steps = page.locator("form:has(input[type=range]):has-text('steps') input[type=range]").first();
    await setRange(page, "form:has(input[type=range]):has-text('steps') input[type=range]", 6);
    expect(await steps.inputValue()).toBe("6");
    const moved = await waitForResult(page, "camera", (r) => r.options.steps === 6, 60_000);
    expect(moved.method).toBe("igcam");
    expect(await page.textContent("#playground-camera .sx-camera-status")).toMatch(/Integrated Grad-CAM, m = 6/);
    await page.click("#playground-camera .sx-camera-stop");
    expect(await page.textContent("#playground-camera .sx-camera-status")).toContain("Camera off");
    expect(await cellErrors(page)).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  });

  test("Integrated Grad-CAM page: the camera's map follows the path-steps slider", async () => {
    const {page, errors} = await openPage(browser, `${siteUrl}/igcam?model=${FACE_MODEL}&steps=1&backend=wasm`);
    await waitForResult(page, "igcam", (r) => r.options.steps === 1);
    expect(await page.textContent("#igcam-camera")).toContain("Nothing leaves this browser");
    const started = Date.now();
    await page.click("#igcam-camera .sx-camera-start");
    const first = await waitForResult(page, "camera", (r) => r.options.steps === 1, 60_000);
    console.log(`IG-CAM page camera: first live map after ${((Date.now() - started) / 1000).toFixed(1)} s`);
    expect(first.method).toBe("igcam");
    expect(first.backend).toBe("wasm");
    const handle = page.locator("#igcam-steps");
    await handle.focus();
    for (let i = 0; i < 3; i++) await handle.press("ArrowRight");
    expect(await handle.getAttribute("aria-valuenow")).toBe("4");
    const after = await waitForResult(page, "camera", (r) => r.options.steps === 4, 60_000);
    expect(after.map.join()).not.toBe(first.map.join());
    await screenshot(page, "faces-camera-igcam");
    await page.click("#igcam-camera .sx-camera-stop");
    expect(await cellErrors(page)).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  });
});
