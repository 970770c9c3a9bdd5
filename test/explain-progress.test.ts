import {afterEach, describe, expect, it, vi} from "vitest";
import {yieldToEventLoop} from "../src/lib/explain/progress.js";

/** Yields until a timer set before them has fired; false if it never does within `limit` yields. */
async function timerRunsBetween(yieldOnce: () => Promise<void>, limit = 5000): Promise<boolean> {
  let fired = false;
  setTimeout(() => (fired = true), 0);
  for (let i = 0; i < limit && !fired; i++) await yieldOnce();
  return fired;
}

describe("yielding between batches", () => {
  afterEach(() => {
    vi.unstubAllGlobals();
    vi.resetModules();
  });

  it("lets timers (e.g. a page's abort) run between batches, in Node", async () => {
    expect(await timerRunsBetween(yieldToEventLoop)).toBe(true);
  });

  it("does the same through a MessageChannel where there is no setImmediate (browsers)", async () => {
    vi.stubGlobal("setImmediate", undefined);
    vi.resetModules();
    const browserLike = await import("../src/lib/explain/progress.js");
    expect(await timerRunsBetween(browserLike.yieldToEventLoop)).toBe(true);
    // Several yields at once all resolve.
    const resumed: number[] = [];
    await Promise.all([0, 1, 2].map((i) => browserLike.yieldToEventLoop().then(() => resumed.push(i))));
    expect(resumed.sort()).toEqual([0, 1, 2]);
  });
});
