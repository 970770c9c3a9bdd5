/**
 * Which models the bench runs and on which test split: every `model.json` directory under the
 * models folder, each paired with the test split of the data set named in its card.json.
 */
import {existsSync} from "node:fs";
import {basename, isAbsolute, join, resolve} from "node:path";
import {isDatasetName} from "../datasets/index.js";
import {cardDataset, isPretrained, listModels, readModelCard} from "../models/catalogue.js";

export interface BenchModelSpec {
  name: string;
  directory: string;
  /** Data set named in card.json ("" when the card names none). */
  dataset: string;
  /** Test split directory. */
  splitDirectory: string;
}

/** A split given as a data set name (data/<name>/test) or a directory. */
export function resolveSplitDirectory(split: string, root: string): string {
  if (isDatasetName(split)) return join(root, "data", split, "test");
  const directory = isAbsolute(split) ? split : resolve(root, split);
  if (!existsSync(join(directory, "annotations.json"))) throw new Error(`split "${split}" is neither a data set name nor a directory with annotations.json`);
  return directory;
}

/**
 * The models to run: `names` picks directories under `modelsDir` by name (or gives paths);
 * null takes them all. `split` overrides every model's split.
 */
export function benchModels(options: {modelsDir: string; names: string[] | null; split: string | null; root: string}): BenchModelSpec[] {
  const {root} = options;
  const modelsDir = resolve(root, options.modelsDir);
  const directories =
    options.names === null
      ? listModels(modelsDir)
          .filter((entry) => !isPretrained(entry.card))
          .map((entry) => entry.directory)
      : options.names.map((name) => {
          const candidates = [join(modelsDir, name), resolve(root, name)];
          const found = candidates.find((dir) => existsSync(join(dir, "model.json")));
          if (!found) {
            const known = listModels(modelsDir).map((entry) => entry.name);
            throw new Error(`unknown model "${name}": no model.json in ${candidates.join(" or ")} (models here: ${known.join(", ") || "none"})`);
          }
          return found;
        });
  return directories.map((directory) => {
    const dataset = cardDataset(readModelCard(directory));
    let splitDirectory: string;
    if (options.split !== null) splitDirectory = resolveSplitDirectory(options.split, root);
    else if (isDatasetName(dataset)) splitDirectory = join(root, "data", dataset, "test");
    else throw new Error(`model ${directory}: card.json names no known data set ("${dataset}"); pass --split`);
    return {name: basename(directory), directory, dataset, splitDirectory};
  });
}
