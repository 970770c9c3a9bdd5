/**
 * Contract between the dataset generators, the committed test splits, training and the
 * benchmark. Images are RGB, row-major, 3 bytes per pixel (HxWx3, values 0..255).
 */
export type DatasetName = "shapes" | "shapes-pairs" | "defects" | "scenes";

export interface Instance {
  /** Class index into the dataset's class names. */
  classIndex: number;
  /** Tight box around the visible mask pixels: [x0, y0, x1, y1], x1/y1 exclusive. */
  box: [number, number, number, number];
  /** Visible pixels of this instance (after occlusion), 1 = object, row-major H*W. */
  mask: Uint8Array;
}

export interface Sample {
  width: number;
  height: number;
  /** RGB bytes, length width*height*3. */
  rgb: Uint8Array;
  /** Image-level label: the class the image is about (for shapes-pairs, the first class). */
  label: number;
  /**
   * Optional: every class present in the image, in order (shapes-pairs gives [first, second],
   * so labels[0] === label). Absent where the image has a single class.
   */
  labels?: number[];
  instances: Instance[];
}

export interface Dataset {
  name: DatasetName;
  /** Class names; index = label. */
  classes: readonly string[];
  width: number;
  height: number;
  /**
   * Multi-label (scenes): an image may hold several classes (Sample.labels, all present classes),
   * models score each class independently (sigmoid). Absent = single-label (softmax).
   */
  multiLabel?: boolean;
  /** Deterministic: the same (index, seed) always gives byte-identical output. */
  sample(index: number, seed: number): Sample;
}
