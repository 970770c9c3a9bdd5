/** One-line progress bar on stderr: step/total, loss, accuracy, steps/s and ETA. */
export interface ProgressReport {
  step: number;
  total: number;
  loss: number;
  accuracy: number;
  stepsPerSecond: number;
}

function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return "--:--";
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const pad = (n: number): string => String(n).padStart(2, "0");
  return h > 0 ? `${h}:${pad(m)}:${pad(s % 60)}` : `${pad(m)}:${pad(s % 60)}`;
}

function formatProgress(report: ProgressReport, width = 24): string {
  const fraction = Math.min(1, report.step / report.total);
  const filled = Math.round(fraction * width);
  const bar = "#".repeat(filled) + "-".repeat(width - filled);
  const eta = report.stepsPerSecond > 0 ? (report.total - report.step) / report.stepsPerSecond : Number.POSITIVE_INFINITY;
  return (
    `[${bar}] ${report.step}/${report.total} loss ${report.loss.toFixed(4)} acc ${(report.accuracy * 100).toFixed(1)}% ` +
    `${report.stepsPerSecond.toFixed(2)} steps/s ETA ${formatDuration(eta)}`
  );
}

/** Redraws in place on a terminal; prints a line at most every `lineEverySeconds` otherwise (log files). */
export class ProgressBar {
  private lastLine = 0;
  constructor(private readonly lineEverySeconds = 30) {}

  update(report: ProgressReport): void {
    const text = formatProgress(report);
    if (process.stderr.isTTY) {
      process.stderr.write(`\r${text}`);
      return;
    }
    const now = Date.now() / 1000;
    if (now - this.lastLine >= this.lineEverySeconds || report.step === report.total) {
      process.stderr.write(`${text}\n`);
      this.lastLine = now;
    }
  }

  log(message: string): void {
    process.stderr.write(`${process.stderr.isTTY ? "\n" : ""}${message}\n`);
  }
}
