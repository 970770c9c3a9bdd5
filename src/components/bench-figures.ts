/**
 * The Benchmark page's number work, without the DOM (the page draws; test/bench-page.test.ts
 * checks this): Table 1's rows and stars, the claims as paired differences with the side each
 * claim predicts, and the sweeps as series. Inputs are the records loaders/site/bench.ts hands
 * the page (results/README.md describes the files).
 */
import type {ClaimResult as Claim} from "../lib/format/bench-claims.js";

/** A figure of Table 1: key in `metrics` / `intervals`, how to print it, which way is better. */
export interface MetricRow {
  key: MetricKey;
  label: string;
  better: "higher" | "lower";
  digits: number;
  /** A percentage (0..100); otherwise an AUC (0..1) or seconds. */
  percent: boolean;
}

export type MetricKey = "ebpg" | "bbox" | "miou" | "pointing" | "drop" | "increase" | "deletionAuc" | "insertionAuc" | "secondsPerImage";

/** The SISE paper's Table 1 rows, then the curves and time, in the order the paper reads. */
export const TABLE1_ROWS: readonly MetricRow[] = [
  {key: "ebpg", label: "EBPG %", better: "higher", digits: 1, percent: true},
  {key: "bbox", label: "Bbox %", better: "higher", digits: 1, percent: true},
  {key: "miou", label: "mIoU %", better: "higher", digits: 1, percent: true},
  {key: "pointing", label: "Pointing game %", better: "higher", digits: 1, percent: true},
  {key: "drop", label: "Drop %", better: "lower", digits: 1, percent: true},
  {key: "increase", label: "Increase %", better: "higher", digits: 1, percent: true},
  {key: "deletionAuc", label: "Deletion AUC", better: "lower", digits: 3, percent: false},
  {key: "insertionAuc", label: "Insertion AUC", better: "higher", digits: 3, percent: false},
  {key: "secondsPerImage", label: "Seconds per pair", better: "lower", digits: 3, percent: false}
];

/** Seconds keep 3 significant digits (they span 0.005 to 50); the rest a fixed number of decimals. */
export function formatFigure(value: number | null | undefined, row: Pick<MetricRow, "key" | "digits">): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return "—";
  if (row.key === "secondsPerImage") {
    if (value === 0) return "0";
    const magnitude = Math.floor(Math.log10(Math.abs(value)));
    return magnitude >= 2 ? String(Math.round(value)) : String(Number(value.toPrecision(3)));
  }
  return value.toFixed(row.digits);
}

/**
 * Which entries are best, compared as printed (so a star never sits on a number that reads the
 * same as an unstarred one); ties all starred; nothing starred with fewer than two values.
 */
export function bestIndices(values: readonly (number | null | undefined)[], row: Pick<MetricRow, "key" | "digits" | "better">): Set<number> {
  const printed = values.map((v) => (v === null || v === undefined || !Number.isFinite(v) ? null : Number(formatFigure(v, row))));
  const present = printed.filter((v): v is number => v !== null);
  if (present.length < 2) return new Set();
  const best = row.better === "higher" ? Math.max(...present) : Math.min(...present);
  return new Set(printed.flatMap((v, i) => (v === best ? [i] : [])));
}

/** The claims the bench checks (loaders/bench/claims.ts), as a difference and the side that supports each. */
interface ClaimAxis {
  /** Method codes: the plotted difference is first − second. */
  first: string;
  second: string;
  metric: MetricKey;
  /** The claim holds when the difference is above (or below) the threshold. */
  side: "above" | "below";
  threshold: number;
}

const TITLES: Record<string, string> = {gradcam: "Grad-CAM", gradcampp: "Grad-CAM++", sise: "SISE", adasise: "Ada-SISE", igcam: "Integrated Grad-CAM"};
const METRIC_LABEL: Partial<Record<MetricKey, string>> = {ebpg: "EBPG", drop: "Drop", increase: "Increase", secondsPerImage: "seconds per pair"};
/** Ada-SISE's quality claim: at most this many points worse than SISE (COMPARABLE_POINTS in claims.ts). */
export const COMPARABLE_POINTS = 3;

const CLAIM_AXES: Record<string, ClaimAxis[]> = {
  "sise-vs-gradcam-ebpg": [{first: "sise", second: "gradcam", metric: "ebpg", side: "above", threshold: 0}],
  "sise-vs-gradcam-drop": [{first: "sise", second: "gradcam", metric: "drop", side: "below", threshold: 0}],
  "sise-vs-gradcam-increase": [{first: "sise", second: "gradcam", metric: "increase", side: "above", threshold: 0}],
  "igcam-vs-gradcam-drop": [{first: "igcam", second: "gradcam", metric: "drop", side: "below", threshold: 0}],
  "igcam-vs-gradcam-increase": [{first: "igcam", second: "gradcam", metric: "increase", side: "above", threshold: 0}],
  // Stated as "Grad-CAM++ has a higher Drop": plotted that way round (the file has gradcam − gradcampp).
  "gradcampp-vs-gradcam-drop": [{first: "gradcampp", second: "gradcam", metric: "drop", side: "above", threshold: 0}],
  "adasise-time": [{first: "adasise", second: "sise", metric: "secondsPerImage", side: "below", threshold: 0}],
  "adasise-quality": [
    {first: "adasise", second: "sise", metric: "ebpg", side: "above", threshold: -COMPARABLE_POINTS},
    {first: "adasise", second: "sise", metric: "drop", side: "below", threshold: COMPARABLE_POINTS}
  ]
};

export type {Claim};

/** One dot of a claim's forest plot: a paired mean difference with its 95% half-width. */
export interface ClaimPoint {
  claim: string;
  model: string;
  /** What was subtracted, e.g. "SISE − Grad-CAM, EBPG". */
  term: string;
  difference: number;
  /** Half-width of the paired 95% interval; null when the file has none (one pair, older files). */
  ci95: number | null;
  side: "above" | "below";
  threshold: number;
  /** Whether the whole interval lies on the claimed side of the threshold. */
  clear: boolean | null;
}

/** The claim's paired differences as points, oriented as the claim reads; [] when it was not run or is unknown. */
export function claimPoints(claim: Claim, model: string): ClaimPoint[] {
  const axes = CLAIM_AXES[claim.id];
  if (!axes || claim.confirmed === null) return [];
  const m = claim.measured;
  return axes.flatMap((axis) => {
    let difference: number | undefined;
    let ci: number | undefined;
    if (claim.id === "adasise-quality") {
      difference = m[`${axis.metric}Change`];
      ci = m[`${axis.metric}ChangeCi95`];
    } else {
      difference = m.difference;
      ci = m.ci95;
      // The file subtracts winner − loser; this claim is plotted loser − winner.
      if (claim.id === "gradcampp-vs-gradcam-drop" && difference !== undefined) difference = -difference;
    }
    if (difference === undefined || !Number.isFinite(difference)) return [];
    const ci95 = ci !== undefined && Number.isFinite(ci) ? ci : null;
    const low = ci95 === null ? null : difference - ci95;
    const high = ci95 === null ? null : difference + ci95;
    const clear = low === null || high === null ? null : axis.side === "above" ? low > axis.threshold : high < axis.threshold;
    const term = `${TITLES[axis.first] ?? axis.first} − ${TITLES[axis.second] ?? axis.second}, ${METRIC_LABEL[axis.metric] ?? axis.metric}`;
    return [{claim: claim.id, model, term, difference, ci95, side: axis.side, threshold: axis.threshold, clear}];
  });
}

/** The verdict in words: the means' direction, then whether the paired interval clears the noise. */
export function claimVerdict(claim: Pick<Claim, "confirmed" | "significant">): string {
  if (claim.confirmed === null) return "not run";
  const means = claim.confirmed ? "holds" : "does not hold";
  if (claim.significant === null) return means;
  return `${means}, ${claim.significant ? "beyond noise" : "within noise"}`;
}

/** One row of bench-sweeps.csv: a figure of one sweep setting on one model (loaders/site/bench.ts reads them). */
export interface SweepRow {
  model: string;
  sweep: string;
  method: string;
  param: string | null;
  value: number | null;
  metric: string;
  mean: number | null;
  ci95: number | null;
  pairs: number;
}

export interface SweepPoint {
  value: number;
  mean: number;
  /** Interval ends: the mean when there is no interval. */
  low: number;
  high: number;
  ci95: number | null;
  pairs: number;
}

/** A sweep's points for one metric, by parameter value; settings without a number for it left out. */
export function sweepSeries(rows: readonly SweepRow[], model: string, sweep: string, metric: string): SweepPoint[] {
  return rows
    .filter((r) => r.model === model && r.sweep === sweep && r.metric === metric && r.value !== null && r.mean !== null)
    .map((r) => {
      const ci = r.ci95 ?? 0;
      return {value: r.value!, mean: r.mean!, low: r.mean! - ci, high: r.mean! + ci, ci95: r.ci95, pairs: r.pairs};
    })
    .sort((a, b) => a.value - b.value);
}

/** A method run once beside a sweep (Ada-SISE beside SISE's μ), as a reference; null when absent. */
export function sweepReference(rows: readonly SweepRow[], model: string, sweep: string, metric: string): Omit<SweepPoint, "value"> | null {
  const r = rows.find((x) => x.model === model && x.sweep === sweep && x.metric === metric && x.mean !== null);
  if (!r) return null;
  const ci = r.ci95 ?? 0;
  return {mean: r.mean!, low: r.mean! - ci, high: r.mean! + ci, ci95: r.ci95, pairs: r.pairs};
}
