/** The committed photographs as tests read them, and face detection followed by each face's crop. */
import {readFileSync} from "node:fs";
import {join} from "node:path";
import {detectFaces, type DetectedFace, type DetectOptions} from "../../loaders/faces/detect.js";
import {PHOTOS_DIR, type PhotoSource} from "../../loaders/faces/photos.js";
import {readImageFile} from "../../loaders/image-io.js";
import {cropPixels, isSmallFace, squareCrop, type CropOptions, type FaceCrop, type RgbPixels} from "../../src/lib/model/face-crop.js";

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

export interface FaceInput {
  face: DetectedFace;
  crop: FaceCrop;
  /** The crop resized to the model input (outSize × outSize RGB). */
  pixels: {width: number; height: number; rgb: Uint8Array};
  /** The face box is small: its crop is mostly upsampled (warn the reader). */
  small: boolean;
}

/** Detects the faces and cuts each one's square crop (see squareCrop), in detection order. */
export async function detectFaceInputs(image: RgbPixels, options: DetectOptions & CropOptions = {}): Promise<FaceInput[]> {
  const faces = await detectFaces(image, options);
  return faces.map((face) => {
    const crop = squareCrop(face.box, image.width, image.height, options);
    return {face, crop, pixels: cropPixels(image, crop), small: isSmallFace(face.box)};
  });
}
