/**
 * A content-addressed cache for expensive loader output (the precomputed maps). The build clears
 * Framework's own loader cache on every run (it cannot see what a loader reads), so without this
 * every build would recompute every map. The key hashes everything the output depends on: the
 * engine and site sources, the models, the test splits and the settings; any change recomputes.
 * Directory: SALIENCY_SITE_CACHE, default node_modules/.cache/saliency-site. SALIENCY_SITE_CACHE=off disables it.
 */
import {createHash} from "node:crypto";
import {existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync} from "node:fs";
import {join, relative} from "node:path";
import {REPO_ROOT} from "./paths.js";

/** Where the site's cached outputs live; null when SALIENCY_SITE_CACHE=off. */
export function cacheDirectory(): string | null {
  const setting = process.env.SALIENCY_SITE_CACHE;
  if (setting === "off") return null;
  return setting ?? join(REPO_ROOT, "node_modules", ".cache", "saliency-site");
}

function* walk(path: string): Generator<string> {
  if (!existsSync(path)) return;
  if (statSync(path).isFile()) {
    yield path;
    return;
  }
  for (const entry of readdirSync(path).sort()) {
    if (entry.startsWith(".") || entry === "node_modules") continue;
    yield* walk(join(path, entry));
  }
}

/** Hash of the contents (and relative names) of files and directories, plus extra strings. */
export function contentKey(paths: readonly string[], extra: readonly string[] = []): string {
  const hash = createHash("sha256");
  for (const root of paths) {
    for (const file of walk(root)) {
      hash.update(relative(REPO_ROOT, file)).update("\0").update(readFileSync(file)).update("\0");
    }
  }
  for (const value of extra) hash.update(value).update("\0");
  return hash.digest("hex").slice(0, 32);
}

/** Returns the cached bytes for `name`+`key`, or computes, stores (keeping one entry per name) and returns them. */
export async function cachedBytes(name: string, key: string, compute: () => Promise<Uint8Array>, log: (line: string) => void): Promise<Uint8Array> {
  const dir = cacheDirectory();
  const file = dir && join(dir, `${name}-${key}.bin`);
  if (file && existsSync(file)) {
    log(`${name}: using cached output ${relative(REPO_ROOT, file)}`);
    return new Uint8Array(readFileSync(file));
  }
  const bytes = await compute();
  if (dir && file) {
    mkdirSync(dir, {recursive: true});
    for (const old of readdirSync(dir)) if (old.startsWith(`${name}-`)) rmSync(join(dir, old), {force: true});
    writeFileSync(`${file}.tmp`, bytes);
    renameSync(`${file}.tmp`, file);
  }
  return bytes;
}
