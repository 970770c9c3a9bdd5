/**
 * Faces of a photograph as model inputs: the detector's faces, each with its square crop (with
 * the geometry that takes a map back onto the photo) and the crop's pixels at the model's size.
 * Shared by the CLI, the site's gallery and the bench's faces section.
 */
import {cropPixels, isSmallFace, squareCrop, type CropOptions, type FaceCrop, type RgbPixels} from "../../src/lib/model/face-crop.js";
import {detectFaces, type DetectedFace, type DetectOptions} from "./detect.js";

export interface FaceInput {
  /** Position in the detector's list (most confident first): what `--face N` names. */
  index: number;
  face: DetectedFace;
  crop: FaceCrop;
  /** The crop resized to the model input (outSize × outSize RGB). */
  pixels: {width: number; height: number; rgb: Uint8Array};
  /** The face box is small: its crop is mostly upsampled (warn the reader). */
  small: boolean;
}

/** One face's crop and pixels (see squareCrop). */
export function faceInput(image: RgbPixels, face: DetectedFace, index: number, options: CropOptions = {}): FaceInput {
  const crop = squareCrop(face.box, image.width, image.height, options);
  return {index, face, crop, pixels: cropPixels(image, crop), small: isSmallFace(face.box)};
}

/** Detects the faces and cuts each one's square crop, in detection order. */
export async function detectFaceInputs(image: RgbPixels, options: DetectOptions & CropOptions = {}): Promise<FaceInput[]> {
  const faces = await detectFaces(image, options);
  return faces.map((face, index) => faceInput(image, face, index, options));
}

/** Index of the face with the largest box (the photo's main subject, usually); ties: the more confident. */
export function largestFaceIndex(faces: readonly {box: {width: number; height: number}}[]): number {
  if (faces.length === 0) throw new Error("no faces to choose from");
  let best = 0;
  const area = (i: number) => faces[i]!.box.width * faces[i]!.box.height;
  for (let i = 1; i < faces.length; i++) if (area(i) > area(best)) best = i;
  return best;
}
