/**
 * What `saliency explain` feeds a model that takes face crops (card `"input": "face-crop"`): the
 * faces face-api's detector finds in the photo are listed, one is chosen (`--face N`, else the
 * largest) and its square crop is explained; the map then goes back onto the whole photograph.
 * `--whole-image` explains the whole photo resized instead. Models that take whole images ignore
 * both options (with a notice).
 */
import type {RgbImage} from "../../src/lib/explain/types.js";
import type {SaliencyMap} from "../../src/lib/maps/types.js";
import {FACE_INPUT_SIZE, mapToImage, SMALL_FACE_PIXELS, type FaceCrop} from "../../src/lib/model/face-crop.js";
import {detectFaceInputs, largestFaceIndex, type FaceInput} from "../faces/face-inputs.js";
import {modelInputKind} from "../models/catalogue.js";
import {parseInteger} from "./args.js";

export interface FaceChoice {
  /** `--face N` as given (undefined: the largest face). */
  face?: string;
  wholeImage: boolean;
}

/** The explained input: the photo itself, or one face's crop with where it lies in the photo. */
export interface ExplainInput {
  image: RgbImage;
  /** Set when a face crop is explained. */
  face: {
    chosen: FaceInput;
    chosenBy: "--face" | "largest";
    /** Every face found, in detector order (the indices `--face` takes). */
    all: FaceInput[];
  } | null;
}

/** The side a face crop is resized to: the card's square input size, else face-api's 112. */
function cropSize(card: Record<string, unknown> | null): number {
  const size = card?.inputSize;
  return Array.isArray(size) && Number.isInteger(size[0]) && size[0] === size[1] && size[0] > 0 ? (size[0] as number) : FACE_INPUT_SIZE;
}

const boxText = (input: FaceInput) => {
  const {x, y, width, height} = input.face.box;
  return `${Math.round(width)}x${Math.round(height)} px at (${Math.round(x)}, ${Math.round(y)})`;
};

/**
 * The input to explain for this model and photo. Errors (one line): no face found (with the
 * hint to pass --whole-image), --face out of range or not an integer, --face with --whole-image.
 */
export async function explainInputOf(
  photo: RgbImage,
  card: Record<string, unknown> | null,
  choice: FaceChoice,
  messages: {photoName: string; modelName: string; notice: (line: string) => void; warn: (line: string) => void}
): Promise<ExplainInput> {
  const {photoName, modelName, notice, warn} = messages;
  if (modelInputKind(card, `card of ${modelName}`) !== "face-crop") {
    const given = [choice.face !== undefined ? "--face" : "", choice.wholeImage ? "--whole-image" : ""].filter(Boolean);
    if (given.length > 0) notice(`${given.join(" and ")} ignored: ${modelName} takes whole images (its card has no "input": "face-crop")`);
    return {image: photo, face: null};
  }
  if (choice.wholeImage) {
    if (choice.face !== undefined) throw new Error("--face and --whole-image exclude each other: choose one face, or the whole image");
    return {image: photo, face: null};
  }
  const wanted = choice.face === undefined ? undefined : parseInteger("face", choice.face, 0, Number.MAX_SAFE_INTEGER);
  const all = await detectFaceInputs(photo, {outSize: cropSize(card)});
  if (all.length === 0) throw new Error(`no face found in ${photoName}; pass --whole-image to explain the whole image resized`);
  if (wanted !== undefined && wanted >= all.length) {
    throw new Error(`--face ${wanted}: ${photoName} has ${all.length} face(s), numbered 0 to ${all.length - 1}`);
  }
  notice(`${all.length} face(s) in ${photoName}:`);
  for (const input of all) notice(`  face ${input.index}: ${boxText(input)}, score ${input.face.score.toFixed(3)}${input.small ? ", small" : ""}`);
  const index = wanted ?? largestFaceIndex(all.map((input) => input.face));
  const chosen = all[index]!;
  notice(`explaining face ${index} (${wanted === undefined ? "the largest; --face N chooses another" : "--face"})`);
  if (chosen.small) {
    warn(
      `warning: face ${index} is ${boxText(chosen)}, under ${SMALL_FACE_PIXELS} px: its crop is mostly upsampled, so the model sees little detail and the map is coarse`
    );
  }
  return {image: chosen.pixels, face: {chosen, chosenBy: wanted === undefined ? "largest" : "--face", all}};
}

/** The map on the whole photo: a face crop's map drawn back at the crop's place (0 outside it), else the map as it is. */
export function mapOnPhoto(map: SaliencyMap, input: ExplainInput): SaliencyMap {
  return input.face ? mapToImage(input.face.chosen.crop, map) : map;
}

const rounded = (v: number) => Math.round(v * 100) / 100;
const cropJson = (crop: FaceCrop) => ({x: crop.x, y: crop.y, size: crop.size, outSize: crop.outSize, shrunk: crop.shrunk});

/** What the JSON output says about the face: the chosen one (box, score, crop square) and every face found. */
export function faceMetadata(input: ExplainInput): Record<string, unknown> {
  if (!input.face) return {};
  const {chosen, chosenBy, all} = input.face;
  const describe = (f: FaceInput) => ({
    index: f.index,
    box: {x: rounded(f.face.box.x), y: rounded(f.face.box.y), width: rounded(f.face.box.width), height: rounded(f.face.box.height)},
    score: Math.round(f.face.score * 1000) / 1000,
    small: f.small
  });
  return {
    face: {...describe(chosen), chosenBy, crop: cropJson(chosen.crop), coordinates: "photo pixels; the map is the crop's map placed at crop (0 elsewhere)"},
    faces: all.map(describe)
  };
}
