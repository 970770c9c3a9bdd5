/**
 * The one image → model input path: RGB pixels (0..255) resized bilinearly (half-pixel centres)
 * to the model's input size. Pages, loaders, bench and CLI all use it, so a
 * map computed anywhere starts from the same input values.
 */
import * as tf from "@tensorflow/tfjs";
import type {ExplainableModel} from "../model/adapter.js";
import type {RgbImage} from "./types.js";

function validateImage(image: RgbImage): RgbImage {
  const {width, height, rgb} = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new Error(`image size must be positive integers, got ${width}x${height}`);
  }
  if (rgb.length !== width * height * 3) {
    throw new Error(`image data has ${rgb.length} values; ${width}x${height} RGB needs ${width * height * 3}`);
  }
  return image;
}

/** Pixel tensor [1, H, W, 3] (0..255) at `height`×`width`. */
function resizedPixels(image: RgbImage, height: number, width: number): tf.Tensor4D {
  validateImage(image);
  return tf.tidy(() => {
    const raw = tf.tensor4d(Float32Array.from(image.rgb), [1, image.height, image.width, 3]);
    if (image.height === height && image.width === width) return raw;
    return tf.image.resizeBilinear(raw, [height, width], false, true);
  });
}

/** Pixel tensor [1, H, W, 3] (0..255) at the model's input size. */
export function imageToPixels(model: ExplainableModel, image: RgbImage): tf.Tensor4D {
  return resizedPixels(image, model.inputHeight, model.inputWidth);
}
