/** The committed photographs (data/photos/) and the record of their sources and licences (sources.json). */
import {readFileSync} from "node:fs";
import {join} from "node:path";
import {readImageFile} from "../image-io.js";

export const PHOTOS_DIR = join(import.meta.dirname, "..", "..", "data", "photos");

export interface PhotoSource {
  /** File name inside data/photos/. */
  file: string;
  title: string;
  /** Debian or npm package the original came from, with its version. */
  package: string;
  /** Path of the original inside the installed package. */
  original: string;
  licence: string;
  /** Where the licence is stated (package documentation, copyright file). */
  licenceSource: string;
  /** Faces face-api's SSD MobileNetV1 finds at its default confidence (0.5); tested. */
  faces: number;
  /** How the committed file was made from the original. */
  processing: string;
}

/** The photos listed in `dir`/sources.json, in its order. */
export function readPhotoSources(dir = PHOTOS_DIR): PhotoSource[] {
  const path = join(dir, "sources.json");
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new Error(`cannot read ${path}: ${(error as Error).message}`);
  }
  const photos = (json as {photos?: unknown}).photos;
  if (!Array.isArray(photos)) throw new Error(`${path}: expected {"photos": [...]}`);
  return photos as PhotoSource[];
}

/** A committed photo's RGB pixels, decoded as the CLI decodes any image. */
export function readPhoto(file: string, dir = PHOTOS_DIR): Promise<{width: number; height: number; rgb: Uint8Array}> {
  return readImageFile(join(dir, file));
}
