import {readFileSync} from "node:fs";
import {beforeAll, describe, expect, it} from "vitest";
import {selectNodeBackend} from "../loaders/backend.js";
import {computeGoldens, type GoldenEntry} from "./golden/cases.js";

const pinned = JSON.parse(readFileSync("test/fixtures/golden-maps.json", "utf8")) as GoldenEntry[];

beforeAll(async () => {
  await selectNodeBackend("wasm");
});

describe("golden maps (every method, committed models, wasm)", () => {
  it("are bit-identical to the pinned ones", async () => {
    const now = await computeGoldens();
    expect(now.length).toBe(pinned.length);
    now.forEach((entry, i) => {
      const label = `${entry.model} ${entry.method} ${JSON.stringify(entry.options)}`;
      expect({label, ...entry}).toEqual({label, ...pinned[i]!});
    });
  }, 600_000);
});
