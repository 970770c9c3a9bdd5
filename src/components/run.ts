/**
 * Long work on a page: runTask turns an engine call (which takes an AbortSignal and reports
 * progress) into an async generator of states that a Framework cell can hold: dependants
 * re-render as progress arrives, the Cancel button aborts, and re-running the cell (an input
 * changed) aborts the old run through `invalidation`. taskStatus draws the state.
 */
import type {Progress} from "../lib/explain/types.js";

export type RunStatus = "running" | "done" | "error" | "cancelled";

export interface RunState<T> {
  status: RunStatus;
  label: string;
  progress: Progress | null;
  result?: T;
  error?: Error;
  elapsedMs: number;
  cancel(): void;
}

export type Task<T> = (signal: AbortSignal, onProgress: (progress: Progress) => void) => Promise<T>;

function isAbort(error: unknown, signal: AbortSignal): boolean {
  return signal.aborted || (error as Error)?.name === "AbortError";
}

export async function* runTask<T>(label: string, task: Task<T>, invalidation?: Promise<unknown>): AsyncGenerator<RunState<T>> {
  const controller = new AbortController();
  invalidation?.then(() => controller.abort());
  const started = performance.now();
  const cancel = () => controller.abort();
  let pending: RunState<T> | null = null;
  let wake: (() => void) | null = null;
  const push = (state: Omit<RunState<T>, "elapsedMs" | "cancel" | "label">) => {
    pending = {...state, label, elapsedMs: performance.now() - started, cancel};
    wake?.();
  };
  let last: Progress | null = null;
  // Let the page paint the "running" state before the work starts.
  await new Promise((resolve) => setTimeout(resolve, 0));
  task(controller.signal, (progress) => {
    last = progress;
    push({status: "running", progress});
  }).then(
    (result) => push({status: "done", progress: last, result}),
    (error: Error) => push({status: isAbort(error, controller.signal) ? "cancelled" : "error", progress: last, error})
  );
  yield {status: "running", label, progress: null, elapsedMs: 0, cancel};
  while (true) {
    if (!pending) await new Promise<void>((resolve) => (wake = resolve));
    const state: RunState<T> = pending!;
    pending = null;
    wake = null;
    yield state;
    if (state.status !== "running") return;
  }
}

const seconds = (ms: number) => (ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`);

/** Progress bar with Cancel while running; a one-line summary or the error afterwards. */
export function taskStatus<T>(state: RunState<T> | null | undefined, describeDone?: (result: T) => string): HTMLElement {
  const root = document.createElement("div");
  root.className = `sx-task sx-task-${state?.status ?? "idle"}`;
  root.setAttribute("role", "status");
  root.setAttribute("aria-live", "polite");
  if (!state) {
    root.textContent = "";
    return root;
  }
  const text = document.createElement("span");
  text.className = "sx-task-text";
  if (state.status === "running") {
    const p = state.progress;
    const bar = document.createElement("progress");
    bar.max = p?.total ?? 1;
    if (p) bar.value = p.done;
    else bar.removeAttribute("value");
    text.textContent = p
      ? `${state.label}: ${p.done} / ${p.total} ${p.stage ?? ""} · ${seconds(p.elapsedMs)} so far${p.done > 0 && p.done < p.total ? `, about ${seconds(p.remainingMs)} left` : ""}`
      : `${state.label}: starting…`;
    const button = document.createElement("button");
    button.type = "button";
    button.className = "sx-cancel";
    button.textContent = "Cancel";
    button.addEventListener("click", () => state.cancel());
    root.append(bar, text, button);
  } else if (state.status === "done") {
    text.textContent = `${state.label}: done in ${seconds(state.elapsedMs)}${describeDone && state.result !== undefined ? ` · ${describeDone(state.result)}` : ""}`;
    root.append(text);
  } else if (state.status === "cancelled") {
    text.textContent = `${state.label}: cancelled after ${seconds(state.elapsedMs)}. Change a setting or reload to run again.`;
    root.append(text);
  } else {
    text.textContent = `${state.label} failed: ${state.error?.message ?? "unknown error"}`;
    root.classList.add("sx-error");
    root.append(text);
  }
  return root;
}

/** An error box for a failed step; the page goes on. */
export function errorBox(error: unknown, context = "Something went wrong"): HTMLElement {
  const box = document.createElement("div");
  box.className = "sx-error";
  box.setAttribute("role", "alert");
  const strong = document.createElement("strong");
  strong.textContent = `${context}: `;
  box.append(strong, (error as Error)?.message ?? String(error));
  return box;
}
