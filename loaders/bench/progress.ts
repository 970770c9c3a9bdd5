/** Progress lines on stderr with the elapsed time, so stdout holds only the report. */

export type ProgressLog = (message: string) => void;

export function stderrProgress(start = performance.now()): ProgressLog {
  return (message) => {
    const seconds = ((performance.now() - start) / 1000).toFixed(1).padStart(6);
    process.stderr.write(`[${seconds} s] ${message}\n`);
  };
}

export const silentProgress: ProgressLog = () => {};
