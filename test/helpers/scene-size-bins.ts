/** Which of the scenes data set's size bins an object of a given share of the image area falls in. */
import {SCENES_SIZE_BINS} from "../../loaders/datasets/scenes.js";

export function sizeBinOf(areaShare: number): (typeof SCENES_SIZE_BINS)[number]["name"] {
  let bin: (typeof SCENES_SIZE_BINS)[number]["name"] = "small";
  for (const b of SCENES_SIZE_BINS) if (areaShare >= b.from) bin = b.name;
  return bin;
}
