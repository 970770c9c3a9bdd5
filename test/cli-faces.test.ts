/**
 * `saliency explain` on photographs with a model that takes face crops (card "input":
 * "face-crop"): the faces are listed, the chosen face's crop is explained and its map drawn back
 * on the whole photo (checked against explaining the crop in-process and placing the map by hand);
 * --face N, --whole-image, a photo without a face, tiny faces, and models that ignore --face.
 */
import {spawnSync} from "node:child_process";
import {existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {PNG} from "pngjs";
import {beforeAll, describe, expect, it} from "vitest";
import {selectNodeBackend} from "../loaders/backend.js";
import {detectFaceInputs} from "../loaders/faces/face-inputs.js";
import {readPhoto} from "../loaders/faces/photos.js";
import {openModel} from "../loaders/model-files.js";
import {CATALOGUE_DIR, modelInputKind, resolveModelSpec} from "../loaders/models/catalogue.js";
import {overlay} from "../src/lib/maps/overlay.js";
import {getMethod} from "../src/lib/methods/registry.js";
import {mapToImage} from "../src/lib/model/face-crop.js";

const work = mkdtempSync(join(tmpdir(), "saliency-cli-faces-"));
const ASTRONAUT = "data/photos/astronaut.jpg";
const REENACTORS = "data/photos/reenactors.jpg";
// A committed image without a face: a generated shape on clutter.
const NO_FACE = "data/shapes/test/0000.png";

function cli(...args: string[]): {status: number | null; stdout: string; stderr: string} {
  const run = spawnSync(process.execPath, ["bin/saliency.js", "explain", ...args, "--backend", "wasm", "--engine", "tfjs"], {
    encoding: "utf8",
    timeout: 180_000
  });
  return {status: run.status, stdout: run.stdout, stderr: run.stderr};
}

beforeAll(async () => {
  await selectNodeBackend("wasm");
});

describe("saliency explain with a face-crop model on a photograph", () => {
  it("lists the faces, explains the largest one's crop and writes the map in photo pixels with the face box", async () => {
    const out = join(work, "astronaut.json");
    // The catalogue name stands for data/models/face-expression.
    const run = cli("--model", "face-expression", "--image", ASTRONAUT, "--method", "gradcam", "--out", out);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/1 face\(s\) in data\/photos\/astronaut\.jpg:\n {2}face 0: 84x104 px at \(181, 71\), score 0\.97\d\n/);
    expect(run.stderr).toMatch(/explaining face 0 \(the largest/);
    expect(run.stderr).not.toMatch(/warning/);
    const result = JSON.parse(readFileSync(out, "utf8"));
    const photo = await readPhoto("astronaut.jpg");
    expect(result).toMatchObject({width: photo.width, height: photo.height, model: "face-expression", face: {index: 0, chosenBy: "largest", small: false}});
    expect(result.faces).toHaveLength(1);

    // The same face explained here, its map placed on the photo by the crop geometry.
    const [face] = await detectFaceInputs(photo);
    expect(result.face.box.x).toBeCloseTo(face!.face.box.x, 1);
    expect(result.face.crop).toEqual({x: face!.crop.x, y: face!.crop.y, size: face!.crop.size, outSize: 112, shrunk: false});
    const model = await openModel("data/models/face-expression");
    try {
      const own = await getMethod("gradcam").explain(model, face!.pixels);
      expect(result.classIndex).toBe(own.classIndex);
      const placed = mapToImage(face!.crop, own.map);
      let largest = 0;
      for (let i = 0; i < placed.data.length; i++) largest = Math.max(largest, Math.abs(placed.data[i]! - result.map[i]));
      expect(largest).toBeLessThan(1e-5);
    } finally {
      model.dispose();
    }
    // Nothing outside the crop square; the map's peak inside it.
    const {x, y, size} = result.face.crop;
    let outside = 0;
    let insideMax = 0;
    result.map.forEach((v: number, i: number) => {
      const [px, py] = [i % photo.width, Math.floor(i / photo.width)];
      if (px >= x && px < x + size && py >= y && py < y + size) insideMax = Math.max(insideMax, v);
      else outside = Math.max(outside, v);
    });
    expect(outside).toBe(0);
    expect(insideMax).toBeGreaterThan(0.9);
  });

  it("--face N explains that face, warns that it is tiny, and draws the PNG over the whole photo", async () => {
    const out = join(work, "reenactors.png");
    const run = cli("--model", "data/models/face-expression", "--image", REENACTORS, "--method", "gradcam", "--face", "2", "--out", out);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/4 face\(s\) in/);
    expect(run.stderr).toMatch(/explaining face 2 \(--face\)/);
    expect(run.stderr).toMatch(/warning: face 2 is \d+x\d+ px at .*under 48 px/);
    const png = PNG.sync.read(readFileSync(out));
    const photo = await readPhoto("reenactors.jpg");
    expect([png.width, png.height]).toEqual([photo.width, photo.height]);
    // Where the map is 0 the PNG is the plain overlay of a zero map; only face 2's crop square differs.
    const {crop} = (await detectFaceInputs(photo))[2]!;
    const blank = overlay(photo.rgb, 3, photo.width, photo.height, {
      width: photo.width,
      height: photo.height,
      data: new Float32Array(photo.width * photo.height)
    });
    let changedInside = 0;
    for (let i = 0; i < photo.width * photo.height; i++) {
      const [px, py] = [i % photo.width, Math.floor(i / photo.width)];
      const inside = px >= crop.x && px < crop.x + crop.size && py >= crop.y && py < crop.y + crop.size;
      const same = [0, 1, 2].every((d) => png.data[4 * i + d] === blank[4 * i + d]);
      if (!inside) expect(same, `pixel (${px}, ${py}) outside the crop changed`).toBe(true);
      else if (!same) changedInside++;
    }
    expect(changedInside).toBeGreaterThan(crop.size * crop.size * 0.2);
  });

  it("a photo without a face is one clear error with the --whole-image hint; --whole-image explains it resized", () => {
    const out = join(work, "no-face.json");
    const failed = cli("--model", "face-expression", "--image", NO_FACE, "--method", "gradcam", "--out", out);
    expect(failed.status).toBe(1);
    expect(failed.stderr).toBe(`saliency: no face found in ${NO_FACE}; pass --whole-image to explain the whole image resized\n`);
    expect(existsSync(out)).toBe(false);
    const whole = cli("--model", "face-expression", "--image", NO_FACE, "--method", "gradcam", "--whole-image", "--out", out, "--quiet");
    expect(whole.status, whole.stderr).toBe(0);
    const result = JSON.parse(readFileSync(out, "utf8"));
    expect([result.width, result.height]).toEqual([64, 64]);
    expect(result.face).toBeUndefined();
  });

  it.each([
    ["a face the photo does not have", ["--face", "1"], /^saliency: --face 1: data\/photos\/astronaut\.jpg has 1 face\(s\), numbered 0 to 0\n$/],
    ["a face that is no number", ["--face", "left"], /^saliency: --face must be an integer from 0/],
    ["--face with --whole-image", ["--face", "0", "--whole-image"], /^saliency: --face and --whole-image exclude each other/]
  ])("rejects %s in one line and writes nothing", (_name, extra, message) => {
    const out = join(work, "rejected.png");
    const run = cli("--model", "face-expression", "--image", ASTRONAUT, "--method", "gradcam", ...extra, "--out", out);
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(message);
    expect(run.stderr.trim().split("\n")).toHaveLength(1);
    expect(existsSync(out)).toBe(false);
  });

  it("a model that takes whole images ignores --face, with a notice", () => {
    const out = join(work, "shapes.json");
    const run = cli("--model", "vgg-shapes", "--image", "data/shapes/test/0000.png", "--method", "gradcam", "--face", "3", "--out", out);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/--face ignored: vgg-shapes takes whole images/);
    const result = JSON.parse(readFileSync(out, "utf8"));
    expect([result.width, result.height, result.face]).toEqual([64, 64, undefined]);
  });
});

describe("model cards and catalogue names", () => {
  it("reads the input a card declares, and rejects one it does not know", () => {
    expect(modelInputKind(JSON.parse(readFileSync(join(CATALOGUE_DIR, "face-expression", "card.json"), "utf8")))).toBe("face-crop");
    expect(modelInputKind({classes: ["a"]})).toBe("image");
    expect(modelInputKind(null)).toBe("image");
    expect(() => modelInputKind({input: "crop"}, "x/card.json")).toThrow(/malformed x\/card\.json: "input" must be one of image, face-crop, got "crop"/);
  });

  it("resolves a committed model's name to its folder; paths and unknown names stay as given", () => {
    const catalogue = join(work, "models");
    mkdirSync(join(catalogue, "mine"), {recursive: true});
    writeFileSync(join(catalogue, "mine", "model.json"), "{}");
    expect(resolveModelSpec("mine", catalogue)).toBe(join(catalogue, "mine"));
    expect(resolveModelSpec("other", catalogue)).toBe("other");
    expect(resolveModelSpec("data/models/vgg-shapes", catalogue)).toBe("data/models/vgg-shapes");
    expect(resolveModelSpec("../mine", catalogue)).toBe("../mine");
  });

  it("names the catalogue when a model is neither a path nor a name", () => {
    const run = cli("--model", "no-such-model", "--image", ASTRONAUT, "--method", "gradcam", "--out", join(work, "x.json"));
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/^saliency: model path no-such-model does not exist and is no catalogue name \(.*face-expression.*vgg-shapes.*\)\n$/);
  });
});
