/** Learning-rate schedule: short linear warm-up, then cosine decay to a small floor. */
export const SCHEDULE_DESCRIPTION = "linear warm-up (5% of steps, at most 100), cosine decay to 5% of the peak";

export function learningRateAt(step: number, totalSteps: number, peak: number): number {
  const warmup = Math.max(1, Math.min(100, Math.round(totalSteps * 0.05)));
  if (step < warmup) return (peak * (step + 1)) / warmup;
  const progress = Math.min(1, (step - warmup) / Math.max(1, totalSteps - warmup));
  const floor = 0.05 * peak;
  return floor + (peak - floor) * 0.5 * (1 + Math.cos(Math.PI * progress));
}
