/**
 * Whole-or-nothing file writes: contents go to a temporary file beside the target, then a rename
 * (atomic on one file system) puts it in place, so a reader or a killed run never meets half a
 * file. Temporary names carry the host and process id, so a later run can tell its own dead
 * leftovers from files another live process (another shard on a shared disk) is still writing.
 */
import {readdirSync, renameSync, rmSync, writeFileSync} from "node:fs";
import {hostname} from "node:os";
import {join} from "node:path";

const PARTIAL = ".partial-";

function temporaryName(path: string): string {
  return `${path}${PARTIAL}${hostname()}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
}

/** Writes `contents` to `path` via a temporary file and a rename. */
export function writeFileAtomic(path: string, contents: string | Uint8Array): void {
  const temporary = temporaryName(path);
  try {
    writeFileSync(temporary, contents);
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, {force: true});
    throw error;
  }
}

function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Removes temporary files in `dir` left by processes of this host that no longer run (a run
 * killed between write and rename); returns how many. Files of other hosts are left alone.
 */
export function removeDeadPartials(dir: string): number {
  let removed = 0;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return 0;
  }
  const host = hostname();
  for (const name of names) {
    const at = name.lastIndexOf(PARTIAL);
    if (at < 0) continue;
    const match = /^(.*)-(\d+)-[a-z0-9]+$/.exec(name.slice(at + PARTIAL.length));
    if (!match || match[1] !== host || processIsAlive(Number(match[2]))) continue;
    rmSync(join(dir, name), {force: true});
    removed++;
  }
  return removed;
}
