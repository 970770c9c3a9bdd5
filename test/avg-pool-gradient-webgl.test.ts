/**
 * The exact AvgPool gradient on WebGL, the one backend that exists only in browsers: tfjs 4.22's
 * UMD bundle and src/lib/kernels/avg-pool-gradient.ts (transpiled as it is, its tfjs import bound
 * to the bundle) run in headless Chromium on its WebGL 2 (ANGLE on SwiftShader here), against the
 * float64 finite-difference reference of test/helpers/avg-pool-reference.ts. The built-in
 * gradient is checked to be wrong there too, so the registration is needed on WebGL as well.
 *
 * Needs Chromium (scripts/ensure-chromium.sh, or apt-get install chromium): without it the suite
 * fails with that instruction rather than skipping.
 */
import {existsSync, readFileSync} from "node:fs";
import {createRequire} from "node:module";
import {join} from "node:path";
import type {Page} from "playwright-core";
import ts from "typescript";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {CHROMIUM, launchBrowser, type Browser} from "./e2e/browser.js";
import {CASES, describeCase, float64Gradient, referencePool, relativeError, values, type PoolCase} from "./helpers/avg-pool-reference.js";

const GRADIENT_MODULE = join(import.meta.dirname, "..", "src", "lib", "kernels", "avg-pool-gradient.ts");
const TFJS_IMPORT = 'import * as tf from "@tensorflow/tfjs";';

/** The gradient module as a browser module script: TypeScript stripped, tfjs taken from the UMD bundle's global. */
function gradientModuleForPage(): string {
  const js = ts.transpileModule(readFileSync(GRADIENT_MODULE, "utf8"), {
    compilerOptions: {module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022}
  }).outputText;
  if (js.split(TFJS_IMPORT).length !== 2) throw new Error(`expected exactly one "${TFJS_IMPORT}" in ${GRADIENT_MODULE}`);
  return `${js.replace(TFJS_IMPORT, "const tf = globalThis.tf;")}\nglobalThis.avgPoolGradientModule = {registerAveragePoolGradient};\n`;
}

interface PageGradient {
  gradient: number[];
  forward: number[];
}

/** tf.grad of Σ w·avgPool(x) in the page, on its current backend. */
function gradientInPage(page: Page, x: Float64Array, weights: Float64Array, c: PoolCase): Promise<PageGradient> {
  return page.evaluate(
    async ({x, weights, c}) => {
      const tf = (globalThis as unknown as {tf: typeof import("@tensorflow/tfjs")}).tf;
      const input = tf.tensor4d(x, c.shape);
      const w = tf.tensor1d(weights);
      const loss = (t: import("@tensorflow/tfjs").Tensor) =>
        tf.sum(tf.mul(tf.reshape(tf.avgPool(t as import("@tensorflow/tfjs").Tensor4D, c.filter, c.stride, c.pad), [-1]), w));
      const gradient = tf.grad(loss)(input);
      const forward = tf.avgPool(input, c.filter, c.stride, c.pad);
      const result = {gradient: Array.from(await gradient.data()), forward: Array.from(await forward.data())};
      tf.dispose([input, w, gradient, forward]);
      return result;
    },
    {x: Array.from(x), weights: Array.from(weights), c}
  );
}

let browser: Browser;
let page: Page;
let worst = 0;
/** The corner's gradient (4x4 input, 3x3 window, stride 1, same) with tfjs's own gradient, before the registration. */
let builtInCorner: number;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`this test runs WebGL in Chromium at ${CHROMIUM}: run scripts/ensure-chromium.sh or apt-get install -y chromium`);
  browser = await launchBrowser();
  page = await browser.context.newPage();
  await page.goto("about:blank");
  await page.addScriptTag({path: createRequire(import.meta.url).resolve("@tensorflow/tfjs/dist/tf.min.js")});
  const backend = await page.evaluate(async () => {
    const tf = (globalThis as unknown as {tf: typeof import("@tensorflow/tfjs")}).tf;
    await tf.setBackend("webgl");
    await tf.ready();
    return tf.getBackend();
  });
  expect(backend).toBe("webgl");
  builtInCorner = (await gradientInPage(page, new Float64Array(16), new Float64Array(16).fill(1), CASES[0]!)).gradient[0]!;
  await page.addScriptTag({content: gradientModuleForPage(), type: "module"});
  await page.waitForFunction(() => "avgPoolGradientModule" in globalThis);
  await page.evaluate(() =>
    (globalThis as unknown as {avgPoolGradientModule: {registerAveragePoolGradient(): void}}).avgPoolGradientModule.registerAveragePoolGradient()
  );
});

afterAll(async () => {
  console.log(`AvgPool gradient on WebGL (Chromium): max relative error vs float64 FD ${worst.toExponential(2)}`);
  await browser?.close();
});

describe("AvgPool gradient on WebGL in Chromium", () => {
  it("is wrong before the registration (a padded corner gets 4/9, not 1/4 + 1/6 + 1/6 + 1/9)", async () => {
    expect(builtInCorner).toBeCloseTo(4 / 9, 5);
    const fixed = await gradientInPage(page, new Float64Array(16), new Float64Array(16).fill(1), CASES[0]!);
    expect(fixed.gradient[0]).toBeCloseTo(1 / 4 + 1 / 6 + 1 / 6 + 1 / 9, 5);
  });

  for (const [index, c] of CASES.entries()) {
    it(`equals float64 finite differences: ${describeCase(c)}`, async () => {
      const size = c.shape.reduce((a, b) => a * b, 1);
      const x = values(size, 300 + index);
      const reference = referencePool(x, c);
      const weights = values(reference.data.length, 400 + index);
      const {gradient, forward} = await gradientInPage(page, x, weights, c);
      expect(relativeError(forward, reference.data)).toBeLessThan(1e-5);
      const error = relativeError(gradient, float64Gradient(x, weights, c));
      worst = Math.max(worst, error);
      expect(error).toBeLessThan(1e-5);
    });
  }
});
