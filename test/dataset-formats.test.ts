import {mkdirSync, mkdtempSync, writeFileSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {describe, expect, it} from "vitest";
import {cocoRleToMask, decodeCocoCounts, encodeCocoCounts, maskToCocoRle, polygonsToMask} from "../loaders/batch/coco-masks.js";
import {classMapping, parseVocXml, readCoco, readDataset, readVoc} from "../loaders/batch/datasets.js";
import {encodePng} from "../loaders/image-io.js";

/** A mask from row strings ("#" = 1). */
function mask(rows: string[]): Uint8Array {
  return Uint8Array.from(rows.join("").split(""), (c) => (c === "#" ? 1 : 0));
}

// Masks encoded by pycocotools 2.0.11 (mask.encode on a Fortran-order uint8 array): the reference
// for the compressed RLE text form.
const SMALL = mask([
  "........#", //
  "..#####..",
  "..#####..",
  "..#####..",
  "..#####..",
  ".........",
  "#########"
]);
const SMALL_COUNTS = "6160K30M030M030M030M030M51OO";
const MEDIUM_COUNTS =
  "d01W1000o16lLb04^OLb04^OLb04^OLb04^OLb04^OLb04^OLb04^OLb04^OLb04^OLb04^OLb04^OLb04^OLb04^OLb04^OLb04^OLb04^OLb04^OLb04^OLb04^OLb04^OLb04^OLb04^OLb04^OLb04^OLb04^OLb04^OLb04^OLb04^OLb04^OLb04^OLb04^OLb04^OLb04^OLb04^OLb04^OLb04^OLb04^OLb04^OLb04^OLb0Y6";

function mediumMask(): Uint8Array {
  // 40 x 50: rows 3..36 × columns 5..44 set, rows 10-11 cleared, row 20 columns 0..2 set.
  const m = new Uint8Array(40 * 50);
  for (let y = 3; y < 37; y++) for (let x = 5; x < 45; x++) m[y * 50 + x] = 1;
  for (let y = 10; y < 12; y++) for (let x = 0; x < 50; x++) m[y * 50 + x] = 0;
  for (let x = 0; x < 3; x++) m[20 * 50 + x] = 1;
  return m;
}

describe("COCO run-length encodings", () => {
  it("writes the compressed strings pycocotools writes", () => {
    expect(maskToCocoRle(SMALL, 9, 7)).toEqual({size: [7, 9], counts: SMALL_COUNTS});
    expect(maskToCocoRle(mediumMask(), 50, 40).counts).toBe(MEDIUM_COUNTS);
  });

  it("reads them back into the same row-major masks", () => {
    expect(cocoRleToMask({size: [7, 9], counts: SMALL_COUNTS}, 9, 7)).toEqual(SMALL);
    const medium = cocoRleToMask({size: [40, 50], counts: MEDIUM_COUNTS}, 50, 40);
    expect(medium).toEqual(mediumMask());
    expect(medium.reduce((s, v) => s + v, 0)).toBe(1283); // pycocotools' area
  });

  it("round-trips counts, including differences that are negative and numbers of several characters", () => {
    const counts = [0, 5, 3, 1000, 2, 70000, 1, 1, 123456];
    expect(decodeCocoCounts(encodeCocoCounts(counts))).toEqual(counts);
  });

  it("reads the plain counts list, column by column", () => {
    // 2 x 3 image, column-major: (0,0) (0,1) | (1,0) (1,1) | (2,0) (2,1); ones at (1,0), (1,1), (2,0).
    expect(Array.from(cocoRleToMask({size: [2, 3], counts: [2, 3, 1]}, 3, 2))).toEqual([0, 1, 1, 0, 1, 0]);
  });

  it("rejects broken encodings with a clear error", () => {
    expect(() => cocoRleToMask({size: [2, 3], counts: [2, 3]}, 3, 2)).toThrow(/cover 5 pixels, the image has 6/);
    expect(() => cocoRleToMask({size: [2, 3], counts: [2, 3, 1]}, 4, 2)).toThrow(/RLE of size 3x2 on an image of 4x2/);
    expect(() => decodeCocoCounts("6160K3 ")).toThrow(/invalid character/);
    expect(() => decodeCocoCounts("o")).toThrow(/ends in the middle/);
  });
});

describe("COCO polygons", () => {
  it("fill pixels whose centres are inside", () => {
    const square = polygonsToMask([[1, 1, 4, 1, 4, 3, 1, 3]], 5, 4);
    expect(square).toEqual(mask(["....." /**/, ".###.", ".###.", "....."]));
  });

  it("unite several polygons of one object, and agree with pycocotools inside a slanted quadrilateral", () => {
    const two = polygonsToMask(
      [
        [0, 0, 2, 0, 2, 2, 0, 2],
        [1, 1, 3, 1, 3, 3, 1, 3]
      ],
      4,
      4
    );
    expect(two).toEqual(mask(["##..", "###.", ".##.", "...."]));
    // pycocotools' frPyObjects + decode of [[1.2,0.5, 7.8,1.5, 6.5,6.2, 2.0,5.5]] on 9 x 7.
    const reference = mask([".........", ".######..", "..######.", "..#####..", "..#####..", "..#####..", "........."]);
    const ours = polygonsToMask([[1.2, 0.5, 7.8, 1.5, 6.5, 6.2, 2.0, 5.5]], 9, 7);
    const differing = ours.reduce((n, v, i) => n + (v !== reference[i] ? 1 : 0), 0);
    expect(differing).toBeLessThanOrEqual(3); // boundary pixels only: the rasterisers differ there
    expect(ours[3 * 9 + 4]).toBe(1);
  });

  it("rejects a polygon of fewer than three points", () => {
    expect(() => polygonsToMask([[0, 0, 1, 1]], 3, 3)).toThrow(/at least 3/);
  });
});

describe("PASCAL VOC annotations", () => {
  const xml = (objects: string) =>
    `<annotation><filename>a.png</filename><size><width>8</width><height>6</height><depth>3</depth></size>${objects}</annotation>`;
  const object = (name: string, box: number[]) =>
    `<object><name>${name}</name><difficult>0</difficult><bndbox><xmin>${box[0]}</xmin><ymin>${box[1]}</ymin><xmax>${box[2]}</xmax><ymax>${box[3]}</ymax></bndbox></object>`;

  it("turns 1-based inclusive boxes into [x0, y0, x1, y1) pixels", () => {
    const parsed = parseVocXml(xml(object("dog", [1, 2, 4, 6]) + object("cat", [5, 1, 8, 3])), "a.xml");
    expect(parsed).toMatchObject({filename: "a.png", width: 8, height: 6});
    expect(parsed.objects.map((o) => [o.className, o.box])).toEqual([
      ["dog", [0, 1, 4, 6]],
      ["cat", [4, 0, 8, 3]]
    ]);
    expect(parseVocXml(xml(""), "empty.xml").objects).toEqual([]);
  });

  it("says what is wrong with a bad file", () => {
    expect(() => parseVocXml("<annotation><size><width>3</width></size></annotation>", "x.xml")).toThrow(/x\.xml: no <filename>/);
    expect(() => parseVocXml(xml("<object><name>dog</name></object>"), "x.xml")).toThrow(/object 1 \(dog\) has no <bndbox>/);
    expect(() => parseVocXml(xml(object("dog", [1, 2, Number.NaN, 6])), "x.xml")).toThrow(/<xmax> is not a number/);
    expect(() => parseVocXml("<annotation><filename>a.png</filename>", "x.xml")).toThrow(/x\.xml/);
  });

  it("reads a folder and maps class names to the model's, or through a class map", () => {
    const dir = mkdtempSync(join(tmpdir(), "saliency-voc-"));
    mkdirSync(join(dir, "Annotations"));
    mkdirSync(join(dir, "JPEGImages"));
    writeFileSync(join(dir, "JPEGImages", "a.png"), encodePng(8, 6, new Uint8Array(8 * 6 * 4).fill(255)));
    writeFileSync(join(dir, "Annotations", "a.xml"), xml(object("dog", [1, 2, 4, 6]) + object("cat", [5, 1, 8, 3])));
    const dataset = readVoc(dir);
    expect(dataset).toMatchObject({kind: "voc", classes: ["dog", "cat"], masks: false});
    expect(dataset.images.map((i) => i.id)).toEqual(["a.png"]);
    expect(readDataset(`voc:${dir}`).images).toHaveLength(1);
    expect([...classMapping(dataset, ["bird", "cat", "dog"])]).toEqual([
      ["dog", 2],
      ["cat", 1]
    ]);
    expect(() => classMapping(dataset, ["bird", "cat"])).toThrow(/no class named "dog".*--class-map/);
    const mapFile = join(dir, "map.json");
    writeFileSync(mapFile, JSON.stringify({dog: "bird"}));
    expect([...classMapping(dataset, ["bird", "cat"], mapFile)]).toEqual([["dog", 0]]);
    writeFileSync(mapFile, JSON.stringify({dog: 7}));
    expect(() => classMapping(dataset, ["bird", "cat"], mapFile)).toThrow(/"dog" → 7 is not a class of the model/);
  });
});

describe("COCO instances files", () => {
  it("read boxes as [x, y, x + w, y + h) and segmentations of every kind as masks", () => {
    const dir = mkdtempSync(join(tmpdir(), "saliency-coco-"));
    writeFileSync(join(dir, "b.png"), encodePng(9, 7, new Uint8Array(9 * 7 * 4)));
    const file = join(dir, "instances.json");
    writeFileSync(
      file,
      JSON.stringify({
        images: [{id: 3, file_name: "b.png", width: 9, height: 7}],
        categories: [
          {id: 1, name: "dog"},
          {id: 5, name: "cat"}
        ],
        annotations: [
          {id: 1, image_id: 3, category_id: 5, bbox: [2, 1, 5, 4], segmentation: {size: [7, 9], counts: SMALL_COUNTS}, iscrowd: 1},
          {id: 2, image_id: 3, category_id: 1, bbox: [1, 1, 3, 2], segmentation: [[1, 1, 4, 1, 4, 3, 1, 3]], iscrowd: 0}
        ]
      })
    );
    const dataset = readCoco(file);
    expect(dataset).toMatchObject({kind: "coco", classes: ["dog", "cat"], masks: true});
    const [cat, dog] = dataset.images[0]!.objects;
    expect(cat!.box).toEqual([2, 1, 7, 5]);
    expect(cat!.mask!()).toEqual(SMALL);
    expect(dog!.mask!().reduce((s, v) => s + v, 0)).toBe(6);
    expect(readDataset(`coco:${file}:${dir}`).images[0]!.path).toBe(join(dir, "b.png"));
    writeFileSync(file, JSON.stringify({images: [], annotations: [{image_id: 1, category_id: 9, bbox: [0, 0, 1, 1]}], categories: []}));
    expect(() => readCoco(file)).toThrow(/unknown category_id 9/);
    expect(() => readDataset("pascal:/x")).toThrow(/--dataset must be voc:DIR/);
  });
});
