/** inParallelIf (loaders/pool/tasks.ts): all at once for a pool, one at a time otherwise, results in task order. */
import {describe, expect, it} from "vitest";
import {inParallelIf} from "../loaders/pool/tasks.js";

function recordingTasks(delays: number[]) {
  let running = 0;
  let most = 0;
  const tasks = delays.map((ms, i) => async () => {
    most = Math.max(most, ++running);
    await new Promise((resolve) => setTimeout(resolve, ms));
    running--;
    return i;
  });
  return {tasks, most: () => most};
}

describe("inParallelIf", () => {
  it("runs every task at once when parallel, results in task order", async () => {
    const {tasks, most} = recordingTasks([30, 5, 15]);
    expect(await inParallelIf(true, tasks)).toEqual([0, 1, 2]);
    expect(most()).toBe(3);
  });

  it("runs one task at a time otherwise", async () => {
    const {tasks, most} = recordingTasks([30, 5, 15]);
    expect(await inParallelIf(false, tasks)).toEqual([0, 1, 2]);
    expect(most()).toBe(1);
  });

  it("rejects with a task's failure", async () => {
    const failing = [async () => 1, async () => Promise.reject(new Error("boom"))];
    await expect(inParallelIf(false, failing)).rejects.toThrow("boom");
    await expect(inParallelIf(true, failing)).rejects.toThrow("boom");
  });
});
