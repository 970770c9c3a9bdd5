#!/usr/bin/env node
// The `saliency` CLI. In a checkout it runs the TypeScript sources through tsx's loader (Node 20
// cannot run .ts by itself); the published package has no sources and runs its compiled dist/.
import {existsSync} from "node:fs";

const source = new URL("../loaders/cli/main.ts", import.meta.url);
if (existsSync(source)) {
  const {register} = await import("tsx/esm/api");
  register();
  await import(source.href);
} else {
  await import("../dist/loaders/cli/main.js");
}
