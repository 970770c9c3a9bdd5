/**
 * JPEG decoded in Node (loaders/image-io.ts) against the same bytes decoded by headless Chromium
 * and read back from a canvas (drawImage + getImageData), which is what the pages compute maps
 * from. Test files are written here with sharp from a committed photograph: baseline 4:2:0 and
 * 4:4:4, progressive, odd sizes, CMYK (baseline and progressive, no profile), grayscale, EXIF
 * orientations 3, 6 and 8, and an RGB file tagged with a Display P3 profile; the committed
 * photographs themselves too. Pass: same size and every channel value within 1 level on at least
 * 99.9% of values (measured: equal on all but the P3 file, which lcms and Chromium's skcms
 * convert within 1 level).
 *
 * Needs Chromium (scripts/ensure-chromium.sh, or apt-get install chromium): without it the
 * suite fails with that instruction rather than skipping.
 */
import {existsSync, readFileSync, readdirSync} from "node:fs";
import {join} from "node:path";
import sharp from "sharp";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {cmykToRgbLikeChromium, decodeImage} from "../loaders/image-io.js";
import {CHROMIUM, launchBrowser, type Browser} from "./e2e/browser.js";
import type {Page} from "playwright-core";

const PHOTOS = join(import.meta.dirname, "..", "data", "photos");
const SOURCE = join(PHOTOS, "astronaut.jpg");

/** The test files, made from one photograph so they hold real image content. */
async function testFiles(): Promise<Record<string, Buffer>> {
  const base = () => sharp(readFileSync(SOURCE)).resize(256, 192);
  const odd = () => sharp(readFileSync(SOURCE)).resize(251, 187);
  return {
    "baseline 4:2:0": await base().jpeg({quality: 85}).toBuffer(),
    "baseline 4:4:4": await base().jpeg({quality: 92, chromaSubsampling: "4:4:4"}).toBuffer(),
    "baseline 4:2:0, odd size 251x187": await odd().jpeg({quality: 75}).toBuffer(),
    "progressive 4:2:0": await base().jpeg({quality: 80, progressive: true}).toBuffer(),
    "progressive, odd size": await odd().jpeg({quality: 90, progressive: true}).toBuffer(),
    "CMYK (Adobe, no profile)": await base().toColourspace("cmyk").jpeg({quality: 90}).toBuffer(),
    "CMYK progressive (no profile)": await odd().toColourspace("cmyk").jpeg({quality: 85, progressive: true}).toBuffer(),
    "grayscale (one channel)": await base().toColourspace("b-w").jpeg({quality: 90}).toBuffer(),
    "EXIF orientation 3": await base().jpeg({quality: 85}).withMetadata({orientation: 3}).toBuffer(),
    "EXIF orientation 6": await odd().jpeg({quality: 85}).withMetadata({orientation: 6}).toBuffer(),
    "EXIF orientation 8, progressive": await base().jpeg({quality: 85, progressive: true}).withMetadata({orientation: 8}).toBuffer(),
    "Display P3 ICC profile": await base().withIccProfile("p3").jpeg({quality: 90}).toBuffer()
  };
}

interface CanvasPixels {
  width: number;
  height: number;
  rgba: Uint8Array;
}

/** What a page gets: the image drawn at its natural (EXIF-upright) size on a 2-D canvas. */
async function decodeInChromium(page: Page, bytes: Buffer): Promise<CanvasPixels> {
  const {width, height, rgba} = await page.evaluate(async (base64: string) => {
    const image = new Image();
    image.src = `data:image/jpeg;base64,${base64}`;
    await image.decode();
    const canvas = document.createElement("canvas");
    canvas.width = image.naturalWidth;
    canvas.height = image.naturalHeight;
    const context = canvas.getContext("2d", {willReadFrequently: true})!;
    context.drawImage(image, 0, 0);
    const data = context.getImageData(0, 0, canvas.width, canvas.height).data;
    // Back as base64: far faster through the protocol than an array of numbers.
    let binary = "";
    for (let i = 0; i < data.length; i += 0x8000) binary += String.fromCharCode(...data.subarray(i, i + 0x8000));
    return {width: canvas.width, height: canvas.height, rgba: btoa(binary)};
  }, bytes.toString("base64"));
  return {width, height, rgba: new Uint8Array(Buffer.from(rgba, "base64"))};
}

interface Agreement {
  within1: number;
  equal: number;
  maxDifference: number;
}

function agreement(rgb: Uint8Array, canvas: CanvasPixels): Agreement {
  let within1 = 0;
  let equal = 0;
  let maxDifference = 0;
  let opaque = 0;
  const values = canvas.width * canvas.height * 3;
  for (let p = 0; p < canvas.width * canvas.height; p++) {
    if (canvas.rgba[p * 4 + 3] === 255) opaque++;
    for (let c = 0; c < 3; c++) {
      const d = Math.abs(rgb[p * 3 + c]! - canvas.rgba[p * 4 + c]!);
      if (d <= 1) within1++;
      if (d === 0) equal++;
      maxDifference = Math.max(maxDifference, d);
    }
  }
  expect(opaque).toBe(canvas.width * canvas.height);
  return {within1: within1 / values, equal: equal / values, maxDifference};
}

let browser: Browser;
let page: Page;
let files: Record<string, Buffer>;
const measured: string[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`this test compares with Chromium at ${CHROMIUM}: run scripts/ensure-chromium.sh or apt-get install -y chromium`);
  files = await testFiles();
  browser = await launchBrowser();
  page = await browser.context.newPage();
  await page.goto("about:blank");
});

afterAll(async () => {
  console.log(`JPEG, Node vs Chromium canvas (values within 1 level / equal, max |Δ|):\n${measured.join("\n")}`);
  await browser?.close();
});

async function expectLikeChromium(label: string, bytes: Buffer): Promise<Agreement> {
  const node = await decodeImage(new Uint8Array(bytes), label);
  const canvas = await decodeInChromium(page, bytes);
  expect([node.width, node.height]).toEqual([canvas.width, canvas.height]);
  const result = agreement(node.rgb, canvas);
  measured.push(`  ${label}: ${(100 * result.within1).toFixed(3)}% / ${(100 * result.equal).toFixed(3)}%, max ${result.maxDifference}`);
  expect(result.within1).toBeGreaterThanOrEqual(0.999);
  return result;
}

describe("JPEG decoded in Node equals Chromium's canvas", () => {
  for (const label of [
    "baseline 4:2:0",
    "baseline 4:4:4",
    "baseline 4:2:0, odd size 251x187",
    "progressive 4:2:0",
    "progressive, odd size",
    "CMYK (Adobe, no profile)",
    "CMYK progressive (no profile)",
    "grayscale (one channel)",
    "Display P3 ICC profile"
  ]) {
    it(label, async () => {
      const metadata = await sharp(files[label]!).metadata();
      // The file is what its name says.
      if (label.startsWith("CMYK")) expect([metadata.space, metadata.hasProfile]).toEqual(["cmyk", false]);
      if (label.includes("rogressive")) expect(metadata.isProgressive).toBe(true);
      if (label.startsWith("grayscale")) expect(metadata.channels).toBe(1);
      if (label.startsWith("Display P3")) expect(metadata.hasProfile).toBe(true);
      await expectLikeChromium(label, files[label]!);
    });
  }

  for (const [label, orientation, swapsSides] of [
    ["EXIF orientation 3", 3, false],
    ["EXIF orientation 6", 6, true],
    ["EXIF orientation 8, progressive", 8, true]
  ] as const) {
    it(`${label}: drawn upright, as browsers draw it`, async () => {
      const metadata = await sharp(files[label]!).metadata();
      expect(metadata.orientation).toBe(orientation);
      await expectLikeChromium(label, files[label]!);
      const node = await decodeImage(new Uint8Array(files[label]!), label);
      expect([node.width, node.height]).toEqual(swapsSides ? [metadata.height, metadata.width] : [metadata.width, metadata.height]);
    });
  }

  it("the committed photographs and the JPEG fixture", async () => {
    const paths = [
      ...readdirSync(PHOTOS)
        .filter((f) => f.endsWith(".jpg"))
        .map((f) => join(PHOTOS, f)),
      join(import.meta.dirname, "fixtures", "tiny.jpg")
    ];
    expect(paths.length).toBeGreaterThanOrEqual(5);
    for (const path of paths) await expectLikeChromium(path.replace(/^.*\/(data|test)\//, "$1/"), readFileSync(path));
  });
});

describe("JPEG decoding details", () => {
  it("converts CMYK with Chromium's formula, by hand", () => {
    // Ink amounts → white = 255 − ink; R = ⌊(255 − C)(255 − K)/255⌋.
    const rgb = cmykToRgbLikeChromium(new Uint8Array([0, 0, 0, 0, 255, 0, 0, 0, 0, 0, 0, 255, 100, 50, 0, 30]));
    expect(Array.from(rgb)).toEqual([255, 255, 255, 0, 255, 255, 0, 0, 0, 136, 180, 225]);
    expect(() => cmykToRgbLikeChromium(new Uint8Array(5))).toThrow(/4 bytes per pixel/);
  });

  it("rejects corrupt, truncated, empty and foreign bytes with clear errors", async () => {
    const good = files["baseline 4:2:0"]!;
    await expect(decodeImage(new Uint8Array(good.subarray(0, good.length / 2)), "half.jpg")).rejects.toThrow(/image half\.jpg is a corrupt JPEG/);
    const garbled = Buffer.from(good);
    garbled.fill(0x55, 200, 1200);
    await expect(decodeImage(new Uint8Array(garbled), "garbled.jpg")).rejects.toThrow(/corrupt JPEG/);
    await expect(decodeImage(new Uint8Array(0), "empty.jpg")).rejects.toThrow(/empty\.jpg is empty/);
    await expect(decodeImage(new TextEncoder().encode("GIF89a..."), "x.gif")).rejects.toThrow(/not a PNG or JPEG/);
  });
});
