/**
 * Progress of a long CLI run on stderr: a redrawn bar with the ETA when stderr is a terminal,
 * a plain line every so often otherwise (logs of a scheduler's job). Nothing for runs shorter
 * than `delayMs`, nothing at all when quiet. The ETA comes from the work actually done in this
 * run (results found stored already do not count towards the rate).
 */

export interface ProgressOptions {
  label: string;
  quiet?: boolean;
  /** Default: process.stderr. */
  stream?: NodeJS.WritableStream & {isTTY?: boolean; columns?: number};
  /** Show nothing before this much time has passed (default 1 s). */
  delayMs?: number;
  /** Between plain lines when the stream is not a terminal (default 10 s). */
  lineEveryMs?: number;
  now?: () => number;
}

export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return "?";
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m${String(seconds % 60).padStart(2, "0")}s`;
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, "0")}m`;
}

export class ProgressBar {
  private readonly stream: NonNullable<ProgressOptions["stream"]>;
  private readonly now: () => number;
  private readonly start: number;
  private lastDraw = -Infinity;
  private drawn = false;
  /** `done` as last shown. */
  private shown = -1;
  private done = 0;
  private total = 0;
  /** Items that cost nothing (found stored), left out of the rate. */
  private free = 0;
  private note = "";

  constructor(private readonly options: ProgressOptions) {
    this.stream = options.stream ?? process.stderr;
    this.now = options.now ?? (() => performance.now());
    this.start = this.now();
  }

  private get tty(): boolean {
    return this.stream.isTTY === true;
  }

  /** `done` of `total` finished, of which `free` cost nothing; `note` is shown after the counts. */
  update(done: number, total: number, free = 0, note = ""): void {
    this.done = done;
    this.total = total;
    this.free = free;
    this.note = note;
    if (this.options.quiet) return;
    const now = this.now();
    if (now - this.start < (this.options.delayMs ?? 1000)) return;
    const every = this.tty ? 100 : (this.options.lineEveryMs ?? 10_000);
    if (now - this.lastDraw < every && done < total) return;
    this.draw(now);
  }

  /** Estimated time left, from the rate of paid items so far. */
  remainingMs(now = this.now()): number {
    const paid = this.done - this.free;
    if (paid <= 0) return Number.NaN;
    return ((now - this.start) / paid) * (this.total - this.done);
  }

  line(now = this.now()): string {
    const percent = this.total > 0 ? Math.floor((100 * this.done) / this.total) : 100;
    const eta = this.done >= this.total ? `done in ${formatDuration(now - this.start)}` : `ETA ${formatDuration(this.remainingMs(now))}`;
    return `${this.options.label} ${this.done}/${this.total} (${percent}%) ${eta}${this.note ? `, ${this.note}` : ""}`;
  }

  private draw(now: number): void {
    this.lastDraw = now;
    this.shown = this.done;
    if (!this.tty) {
      this.stream.write(`${this.line(now)}\n`);
      this.drawn = true;
      return;
    }
    const width = 24;
    const filled = this.total > 0 ? Math.round((width * this.done) / this.total) : width;
    const bar = `[${"#".repeat(filled)}${"-".repeat(width - filled)}]`;
    const text = `${bar} ${this.line(now)}`;
    const columns = this.stream.columns ?? 100;
    this.stream.write(`\r${text.slice(0, columns - 1).padEnd(Math.min(columns - 1, text.length + 2))}`);
    this.drawn = true;
  }

  /** Ends the bar's line (terminal) so later output starts on a fresh line. */
  finish(): void {
    if (this.options.quiet) return;
    if (this.tty) {
      if (!this.drawn) return;
      this.draw(this.now());
      this.stream.write("\n");
    } else if (this.shown !== this.done && this.now() - this.start >= (this.options.delayMs ?? 1000)) {
      this.draw(this.now());
    }
  }
}
