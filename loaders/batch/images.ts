/**
 * The images of a batch: a folder (every PNG/JPEG under it, recursively), a list file (one path
 * per line, relative to the list's folder; blank lines and # comments skipped) or a glob
 * pattern. Sorted by name, so every shard and every rerun sees the same order. Each image is
 * named by its path relative to the folder (or as the list/pattern gives it).
 */
import {existsSync, readdirSync, readFileSync, statSync} from "node:fs";
import {dirname, isAbsolute, join, relative, resolve, sep} from "node:path";
import {globSync} from "tinyglobby";
import {readImageFile} from "../image-io.js";
import type {BatchImage} from "./run.js";

const IMAGE_EXTENSION = /\.(png|jpe?g)$/i;

function* imagesUnder(dir: string): Generator<string> {
  for (const name of readdirSync(dir).sort()) {
    if (name.startsWith(".")) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* imagesUnder(path);
    else if (IMAGE_EXTENSION.test(name)) yield path;
  }
}

/** An image file of the batch: read (and decoded) when its turn comes. */
export function fileImage(id: string, path: string): BatchImage {
  return {id, load: () => readImageFile(path)};
}

const byId = (a: BatchImage, b: BatchImage) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
const posix = (path: string) => path.split(sep).join("/");

/** The images named by `--images`: a folder, a .txt list, or a glob pattern. */
export function listImages(spec: string): BatchImage[] {
  let images: BatchImage[];
  if (/[*?[\]{}]/.test(spec) && !existsSync(spec)) {
    images = globSync(spec, {onlyFiles: true, expandDirectories: false})
      .filter((path) => IMAGE_EXTENSION.test(path))
      .map((path) => fileImage(posix(path), path));
  } else if (!existsSync(spec)) {
    throw new Error(`--images ${spec}: no such folder, list file or matching pattern`);
  } else if (statSync(spec).isDirectory()) {
    images = [...imagesUnder(spec)].map((path) => fileImage(posix(relative(spec, path)), path));
  } else {
    const base = dirname(spec);
    images = readFileSync(spec, "utf8")
      .split(/\r?\n/)
      .map((line) => line.trim())
      .filter((line) => line !== "" && !line.startsWith("#"))
      .map((line) => {
        const path = isAbsolute(line) ? line : resolve(base, line);
        if (!existsSync(path)) throw new Error(`${spec}: image ${line} does not exist`);
        return fileImage(line, path);
      });
  }
  if (images.length === 0) throw new Error(`--images ${spec}: no PNG or JPEG images found`);
  images.sort(byId);
  for (let i = 1; i < images.length; i++) {
    if (images[i]!.id === images[i - 1]!.id) throw new Error(`--images ${spec}: image ${images[i]!.id} is listed twice`);
  }
  return images;
}
