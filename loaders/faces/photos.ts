/** The committed photographs (data/photos/) and the record of their sources and licences (sources.json). */
import {join} from "node:path";

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
