/**
 * Writes images of a committed test split (data/<set>/test) as a PASCAL VOC folder and a COCO
 * instances file, so `saliency evaluate` can be checked against the bench on the same images:
 *   npx tsx scripts/export-voc-coco.ts --split data/shapes/test --out DIR [--count N]
 * gives DIR/voc/Annotations/*.xml + DIR/voc/JPEGImages/ and DIR/coco/instances.json +
 * DIR/coco/images/. Images are copied byte for byte (PNG: lossless, so the pixels are the
 * bench's); VOC boxes are written 1-based inclusive, COCO boxes as [x, y, w, h] with each
 * instance's visible-pixel mask as a compressed RLE. Class names are the split's.
 */
import {copyFileSync, mkdirSync} from "node:fs";
import {join, resolve} from "node:path";
import {parseArgs} from "node:util";
import {XMLBuilder} from "fast-xml-parser";
import {decodeRle} from "../src/lib/metrics/masks.js";
import {readSplitAnnotations} from "../loaders/datasets/splits.js";
import {writeFileAtomic} from "../loaders/atomic-write.js";
import {maskToCocoRle} from "../loaders/batch/coco-masks.js";

export interface ExportedFolders {
  voc: string;
  coco: string;
  cocoImages: string;
  images: number;
}

export function exportSplit(splitDir: string, out: string, count?: number): ExportedFolders {
  const split = readSplitAnnotations(splitDir);
  const images = split.images.slice(0, count ?? split.images.length);
  const voc = join(out, "voc");
  const cocoDir = join(out, "coco");
  const cocoImages = join(cocoDir, "images");
  for (const dir of [join(voc, "Annotations"), join(voc, "JPEGImages"), cocoImages]) mkdirSync(dir, {recursive: true});
  const builder = new XMLBuilder({format: true, indentBy: "  "});
  const annotations: object[] = [];
  images.forEach((image, n) => {
    copyFileSync(join(splitDir, image.file), join(voc, "JPEGImages", image.file));
    copyFileSync(join(splitDir, image.file), join(cocoImages, image.file));
    const xml = builder.build({
      annotation: {
        folder: "JPEGImages",
        filename: image.file,
        source: {database: `saliency-explorer ${split.dataset} test split`},
        size: {width: split.width, height: split.height, depth: 3},
        segmented: 0,
        object: image.instances.map((instance) => ({
          name: split.classes[instance.classIndex],
          pose: "Unspecified",
          truncated: 0,
          difficult: 0,
          // VOC: 1-based, inclusive corners.
          bndbox: {xmin: instance.box[0] + 1, ymin: instance.box[1] + 1, xmax: instance.box[2], ymax: instance.box[3]}
        }))
      }
    }) as string;
    writeFileAtomic(join(voc, "Annotations", image.file.replace(/\.\w+$/, ".xml")), xml);
    for (const instance of image.instances) {
      const mask = decodeRle(instance.rle, split.width * split.height);
      const [x0, y0, x1, y1] = instance.box;
      annotations.push({
        id: annotations.length + 1,
        image_id: n + 1,
        category_id: instance.classIndex + 1,
        bbox: [x0, y0, x1 - x0, y1 - y0],
        area: mask.reduce((s, v) => s + v, 0),
        iscrowd: 0,
        segmentation: maskToCocoRle(mask, split.width, split.height)
      });
    }
  });
  const coco = {
    info: {description: `saliency-explorer ${split.dataset} test split (${images.length} images)`},
    images: images.map((image, n) => ({id: n + 1, file_name: image.file, width: split.width, height: split.height})),
    categories: split.classes.map((name, i) => ({id: i + 1, name})),
    annotations
  };
  writeFileAtomic(join(cocoDir, "instances.json"), `${JSON.stringify(coco)}\n`);
  return {voc, coco: join(cocoDir, "instances.json"), cocoImages, images: images.length};
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(new URL(import.meta.url).pathname)) {
  const {values} = parseArgs({options: {split: {type: "string"}, out: {type: "string"}, count: {type: "string"}}, strict: true});
  if (!values.split || !values.out) {
    process.stderr.write("usage: npx tsx scripts/export-voc-coco.ts --split data/<set>/test --out DIR [--count N]\n");
    process.exit(1);
  }
  const count = values.count === undefined ? undefined : Number(values.count);
  if (count !== undefined && (!Number.isInteger(count) || count < 1)) throw new Error(`--count must be a positive integer, got "${values.count}"`);
  const done = exportSplit(values.split, values.out, count);
  process.stdout.write(`${done.images} images → ${done.voc} (voc:${done.voc}) and ${done.coco} (coco:${done.coco}:${done.cocoImages})\n`);
}
