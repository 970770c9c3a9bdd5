/**
 * The engine's shape, checked from its source: no import cycle anywhere in src/lib (type-only
 * imports count: they tie modules together just the same), nothing in src/lib reaches outside it
 * (pages, loaders and tests use the engine, never the other way round), and methods/ holds only
 * registered methods — each a short file on the shared phases — and the registry; every registered
 * method has its own test file, test/methods/<name>.test.ts.
 * (No DOM and no Node types in src/lib is checked by `tsc -p src/lib` in `npm run check`.)
 */
import {readdirSync, readFileSync, statSync} from "node:fs";
import {dirname, join, relative, resolve} from "node:path";
import {describe, expect, it} from "vitest";
import {METHODS} from "../src/lib/methods/registry.js";

const LIB = resolve(import.meta.dirname, "..", "src", "lib");
const METHOD_TESTS = resolve(import.meta.dirname, "methods");

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith(".ts") && !name.endsWith(".d.ts") ? [path] : [];
  });
}

/** Relative import specifiers of a module (static imports and re-exports, type-only included). */
export function relativeImports(source: string): string[] {
  const specifiers: string[] = [];
  const pattern = /(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+"(\.{1,2}\/[^"]+)"/g;
  for (const match of source.matchAll(pattern)) specifiers.push(match[1]!);
  return specifiers;
}

/** Every cycle's modules (as paths relative to src/lib), found by depth-first search. */
export function importCycles(graph: Map<string, string[]>): string[][] {
  const cycles: string[][] = [];
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const visit = (node: string) => {
    state.set(node, "open");
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === "open") cycles.push([...stack.slice(stack.indexOf(next)), next]);
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(node, "done");
  };
  for (const node of [...graph.keys()].sort()) if (!state.has(node)) visit(node);
  return cycles;
}

const files = sourceFiles(LIB);
const graph = new Map(
  files.map((file) => [
    relative(LIB, file),
    relativeImports(readFileSync(file, "utf8")).map((specifier) => relative(LIB, resolve(dirname(file), specifier.replace(/\.js$/, ".ts"))))
  ])
);

describe("engine structure", () => {
  it("the cycle finder finds a planted cycle (and only it)", () => {
    const planted = new Map([
      ["a.ts", ["b.ts"]],
      ["b.ts", ["c.ts"]],
      ["c.ts", ["a.ts", "d.ts"]],
      ["d.ts", []]
    ]);
    expect(importCycles(planted)).toEqual([["a.ts", "b.ts", "c.ts", "a.ts"]]);
    expect(relativeImports('import type {X} from "./x.js";\nexport {y} from "../y.js";\nimport * as tf from "@tensorflow/tfjs";')).toEqual([
      "./x.js",
      "../y.js"
    ]);
  });

  it("src/lib has no import cycle", () => {
    expect(files.length).toBeGreaterThan(50);
    expect(importCycles(graph)).toEqual([]);
  });

  it("src/lib imports nothing outside src/lib but packages", () => {
    const outside = [...graph].flatMap(([file, imports]) => imports.filter((target) => target.startsWith("..")).map((target) => `${file} -> ${target}`));
    expect(outside).toEqual([]);
  });

  it("methods/ holds only registered methods and the registry; every method not on the CAM base is under 80 lines", async () => {
    const methodFiles = readdirSync(join(LIB, "methods")).filter((name) => name !== "registry.ts");
    const sources = methodFiles.map((name) => readFileSync(join(LIB, "methods", name), "utf8"));
    // Each file defines exactly the methods it exports, and each of those is in the registry.
    const registered = new Set(Object.values(METHODS));
    for (const [i, name] of methodFiles.entries()) {
      const module = (await import(join(LIB, "methods", name))) as Record<string, unknown>;
      const exported = Object.values(module).filter((value) => registered.has(value as never));
      expect(exported.length, `${name} exports a registered method`).toBeGreaterThanOrEqual(1);
      const lines = sources[i]!.split("\n").length - (sources[i]!.endsWith("\n") ? 1 : 0);
      if (!sources[i]!.includes("defineCam(")) expect(lines, `${name} is ${lines} lines`).toBeLessThan(80);
    }
    expect(methodFiles.length).toBe(Object.keys(METHODS).length);
  });

  it("every registered method has its test file test/methods/<name>.test.ts, and that folder holds nothing else", () => {
    const testFiles = readdirSync(METHOD_TESTS).sort();
    expect(testFiles).toEqual(
      Object.keys(METHODS)
        .map((name) => `${name}.test.ts`)
        .sort()
    );
  });
});
