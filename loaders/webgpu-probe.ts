/**
 * Whether a hardware WebGPU adapter is there, asked in a child process. Dawn prints its Vulkan
 * warnings (with source locations) straight to the process's stderr from native code when no
 * driver works, where JavaScript cannot catch them; asking in a child keeps them out of the CLI's
 * output unless WebGPU was asked for (or --verbose). Only the automatic backend choice uses it.
 */
import {spawnSync} from "node:child_process";
import {createRequire} from "node:module";
import {pathToFileURL} from "node:url";

export interface ProbeOutcome {
  hardware: boolean;
  /** Why not, in one line; the child's stderr (Dawn's warnings) for --verbose. */
  reason: string;
  stderr: string;
}

/** The child: loads webgpu-node (through tsx when running from source) and asks for a hardware adapter. */
function childScript(): string {
  const self = new URL(import.meta.url);
  const fromSource = self.pathname.endsWith(".ts");
  const module = new URL(`./webgpu-node.${fromSource ? "ts" : "js"}`, self).href;
  const tsx = fromSource
    ? pathToFileURL(
        createRequire(import.meta.url)
          .resolve("tsx/esm/api")
          .replace(/\.cjs$/, ".mjs")
      ).href
    : null;
  return [
    tsx ? `const {register} = await import(${JSON.stringify(tsx)}); register();` : "",
    `const m = await import(${JSON.stringify(module)});`,
    `const found = await m.requestNodeAdapter({allowSoftware: false, swiftShaderFallback: false});`,
    `process.stdout.write(JSON.stringify({hardware: found.ok, reason: found.ok ? found.description.summary : found.reason}));`,
    `process.exit(0);`
  ].join("\n");
}

export function probeHardwareAdapter(timeoutMs = 30_000): ProbeOutcome {
  const run = spawnSync(process.execPath, ["--input-type=module", "-e", childScript()], {encoding: "utf8", timeout: timeoutMs, env: process.env});
  const stderr = run.stderr ?? "";
  try {
    const answer = JSON.parse(run.stdout) as {hardware: boolean; reason: string};
    return {hardware: answer.hardware === true, reason: answer.reason, stderr};
  } catch {
    const why = run.error ? run.error.message : `exit ${run.status ?? run.signal}`;
    return {hardware: false, reason: `the WebGPU probe failed (${why})`, stderr};
  }
}
