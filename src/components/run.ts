/**
 * Long work on a page: runTask turns an engine call (which takes an AbortSignal and reports
 * progress) into an async generator of states that a Framework cell can hold: dependants
 * re-render as progress arrives, the Cancel button aborts, and re-running the cell (an input
 * changed) aborts the old run through `invalidation`. taskStatus draws a state; runControl is
 * the page's lasting control (progress, Cancel, Run again) and keeps the last result:
 *
 *   const control = runControl({label: "SISE"});            // a cell with no inputs
 *   const runs = view(control);                               // presses of Run / Run again
 *   const run = (runs, runTask("SISE", (signal, onProgress) => explain(...), invalidation));
 *   const latest = control.show(run);                         // {result, stale}: draw with staleView
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

function progressText<T>(state: RunState<T>): string {
  const p = state.progress;
  if (!p) return `${state.label}: starting…`;
  const left = p.done > 0 && p.done < p.total ? `, about ${seconds(p.remainingMs)} left` : "";
  return `${state.label}: ${p.done} / ${p.total} ${p.stage ?? ""} · ${seconds(p.elapsedMs)} so far${left}`;
}

/** Fills `root` with a run's state: progress bar and Cancel while running, a summary or the error afterwards. */
function renderState<T>(root: HTMLElement, state: RunState<T> | null | undefined, describeDone?: (result: T) => string): void {
  root.className = `sx-task sx-task-${state?.status ?? "idle"}`;
  root.replaceChildren();
  if (!state) return;
  const text = document.createElement("span");
  text.className = "sx-task-text";
  if (state.status === "running") {
    const p = state.progress;
    const bar = document.createElement("progress");
    bar.max = p?.total ?? 1;
    if (p) bar.value = p.done;
    else bar.removeAttribute("value");
    bar.setAttribute("aria-label", `${state.label} progress`);
    text.textContent = progressText(state);
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
    text.textContent = `${state.label}: cancelled after ${seconds(state.elapsedMs)}.`;
    root.append(text);
  } else {
    text.textContent = `${state.label} failed: ${state.error?.message ?? "unknown error"}`;
    root.classList.add("sx-error");
    root.append(text);
  }
}

/** Progress bar with Cancel while running; a one-line summary or the error afterwards. */
export function taskStatus<T>(state: RunState<T> | null | undefined, describeDone?: (result: T) => string): HTMLElement {
  const root = document.createElement("div");
  root.setAttribute("role", "status");
  root.setAttribute("aria-live", "polite");
  renderState(root, state, describeDone);
  return root;
}

/** What a page draws: the latest finished result, and whether a newer run is under way or was stopped. */
export interface Latest<T> {
  result: T | null;
  /** True while the result is older than the current settings (a run is going, was cancelled or failed). */
  stale: boolean;
}

export interface RunControl<T> extends HTMLElement {
  /** Presses of Run / Run again: a cell that reads it (Framework: view(control)) runs again on each. */
  value: number;
  /** Shows a run's state and returns what to draw: the newest finished result, kept across runs, cancels and errors. */
  show(state: RunState<T> | null | undefined): Latest<T>;
}

/**
 * The run, cancel and progress control of a live page, and its memory of the last result. One
 * element for the page's life (create it in a cell with no inputs): it shows each run's progress
 * with Cancel, then "Run again"; its value counts presses of Run / Run again, so the cell that
 * starts the run reads it. `show` keeps the last finished result, so a page draws the previous
 * map (greyed, `stale`) until a new one exists, and a cancelled run leaves it in place.
 */
export function runControl<T>(options: {label: string; describeDone?: (result: T) => string}): RunControl<T> {
  const root = document.createElement("div") as unknown as RunControl<T>;
  root.classList.add("sx-run");
  const status = document.createElement("div");
  status.setAttribute("role", "status");
  status.setAttribute("aria-live", "polite");
  const again = document.createElement("button");
  again.type = "button";
  again.className = "sx-run-again";
  again.textContent = "Run";
  root.append(status, again);
  let presses = 0;
  let latest: T | null = null;
  again.addEventListener("click", () => {
    presses++;
    root.dispatchEvent(new Event("input", {bubbles: true}));
  });
  Object.defineProperty(root, "value", {get: () => presses});
  root.show = (state) => {
    renderState(status, state ? {...state, label: state.label || options.label} : state, options.describeDone);
    const running = state?.status === "running";
    again.hidden = running;
    if (state?.status === "done" && state.result !== undefined) latest = state.result;
    again.textContent = latest === null ? "Run" : "Run again";
    root.dataset.status = state?.status ?? "idle";
    return {result: latest, stale: latest !== null && state?.status !== "done"};
  };
  root.show(null);
  return root;
}

/**
 * Wraps a drawn result: greyed with a note while it is stale (a newer run is going, or was stopped).
 */
export function staleView(content: Node, stale: boolean, note = "Previous result: the new one is not ready."): HTMLElement {
  const wrap = document.createElement("div");
  wrap.className = stale ? "sx-result-wrap sx-stale" : "sx-result-wrap";
  if (stale) {
    const badge = document.createElement("div");
    badge.className = "sx-stale-note";
    badge.textContent = note;
    wrap.append(badge);
  }
  wrap.append(content);
  return wrap;
}

/** An empty element, for a cell that has nothing to show (htl's empty html`` is null, which a cell would print). */
export function nothing(): HTMLElement {
  const span = document.createElement("span");
  span.hidden = true;
  return span;
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
