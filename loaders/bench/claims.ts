/**
 * The papers' claims, checked against one model's results (pure). A verdict follows the mean
 * figures as printed (rounded to 2 decimals, so it never contradicts the numbers beside it);
 * beside it, the paired per-image difference with a 95% interval says whether the gap is larger
 * than the noise of this many images. null when a method a claim needs was not run.
 * Direction: EBPG and Increase ↑ better; Drop and time ↓ better.
 */
import {perImageTerm} from "./per-image.js";
import type {ClaimResult, ImageRow, MethodSummary} from "./types.js";

/** Ada-SISE's quality counts as comparable when it is at most this many points worse on EBPG and Drop. */
export const COMPARABLE_POINTS = 3;

type ClaimMetric = "ebpg" | "drop" | "increase" | "secondsPerImage";

const HIGHER_IS_BETTER: Record<ClaimMetric, boolean> = {ebpg: true, drop: false, increase: true, secondsPerImage: false};
const LABEL: Record<ClaimMetric, string> = {ebpg: "EBPG", drop: "Drop", increase: "Increase", secondsPerImage: "s/image"};

const perImage = (metric: ClaimMetric, row: ImageRow): number | null => perImageTerm(metric, row);

export interface PairedDifference {
  /** Mean over images of (first − second). */
  mean: number;
  /** Half-width of the 95% interval (1.96 standard errors); NaN with fewer than 2 images. */
  halfWidth: number;
  images: number;
}

/** Rows pair by (image, class): a multi-label image is explained once per class present. */
const pairKey = (row: ImageRow): string => `${row.file}\0${row.classIndex}`;

/** Paired difference first − second over the (image, class) rows both methods have a value for. */
export function pairedDifference(rows: readonly ImageRow[], first: string, second: string, metric: ClaimMetric): PairedDifference | null {
  const secondByPair = new Map(rows.filter((r) => r.method === second).map((r) => [pairKey(r), r]));
  const differences: number[] = [];
  for (const row of rows) {
    if (row.method !== first) continue;
    const other = secondByPair.get(pairKey(row));
    const a = perImage(metric, row);
    const b = other ? perImage(metric, other) : null;
    if (a !== null && b !== null) differences.push(a - b);
  }
  const n = differences.length;
  if (n === 0) return null;
  const mean = differences.reduce((s, d) => s + d, 0) / n;
  const variance = n > 1 ? differences.reduce((s, d) => s + (d - mean) ** 2, 0) / (n - 1) : Number.NaN;
  return {mean, halfWidth: 1.96 * Math.sqrt(variance / n), images: n};
}

const round = (v: number, digits = 2): number => Math.round(v * 10 ** digits) / 10 ** digits;
const signed = (v: number, digits = 2): string => `${v >= 0 ? "+" : "−"}${Math.abs(round(v, digits))}`;

function describeDifference(d: PairedDifference | null, first: string, second: string, digits = 2): string {
  if (!d) return "";
  const interval = Number.isNaN(d.halfWidth) ? "" : ` ± ${round(d.halfWidth, digits)}`;
  return `; per image ${first} − ${second} = ${signed(d.mean, digits)}${interval} (95% CI, ${d.images} images)`;
}

/** Whether the interval excludes 0 on the claimed side; null without an interval. */
function significant(d: PairedDifference | null, better: boolean): boolean | null {
  if (!d || Number.isNaN(d.halfWidth)) return null;
  return better ? d.mean - d.halfWidth > 0 : d.mean + d.halfWidth < 0;
}

interface Comparison {
  id: string;
  statement: string;
  paper: string;
  /** The claim: `winner` beats `loser` on `metric`. */
  winner: string;
  loser: string;
  metric: ClaimMetric;
}

const COMPARISONS: Comparison[] = [
  {
    id: "sise-vs-gradcam-ebpg",
    statement: "SISE has a higher EBPG than Grad-CAM",
    paper: "SISE paper Table 1: VGG16 60.54 vs 55.44; ResNet-50 66.08 vs 60.08",
    winner: "sise",
    loser: "gradcam",
    metric: "ebpg"
  },
  {
    id: "sise-vs-gradcam-drop",
    statement: "SISE has a lower Drop % than Grad-CAM",
    paper: "SISE paper Table 1: VGG16 38.40 vs 49.47; ResNet-50 30.92 vs 35.80",
    winner: "sise",
    loser: "gradcam",
    metric: "drop"
  },
  {
    id: "sise-vs-gradcam-increase",
    statement: "SISE has a higher Increase % than Grad-CAM",
    paper: "SISE paper Table 1: VGG16 37.96 vs 31.08; ResNet-50 40.22 vs 36.58",
    winner: "sise",
    loser: "gradcam",
    metric: "increase"
  },
  {
    id: "igcam-vs-gradcam-drop",
    statement: "Integrated Grad-CAM has a lower Drop % than Grad-CAM",
    paper: "Integrated Grad-CAM paper: lower Drop and higher Increase than Grad-CAM",
    winner: "igcam",
    loser: "gradcam",
    metric: "drop"
  },
  {
    id: "igcam-vs-gradcam-increase",
    statement: "Integrated Grad-CAM has a higher Increase % than Grad-CAM",
    paper: "Integrated Grad-CAM paper: lower Drop and higher Increase than Grad-CAM",
    winner: "igcam",
    loser: "gradcam",
    metric: "increase"
  },
  {
    id: "adasise-time",
    statement: "Ada-SISE takes less time than SISE",
    paper: "Ada-SISE paper: up to 30% less time than SISE",
    winner: "adasise",
    loser: "sise",
    metric: "secondsPerImage"
  },
  {
    id: "gradcampp-vs-gradcam-drop",
    statement: "Grad-CAM++ has a higher (worse) Drop % than Grad-CAM",
    paper: "SISE paper Table 1: VGG16 60.63 vs 49.47; ResNet-50 41.77 vs 35.80",
    winner: "gradcam",
    loser: "gradcampp",
    metric: "drop"
  }
];

function compare(c: Comparison, summaries: readonly MethodSummary[], rows: readonly ImageRow[]): ClaimResult {
  const {id, statement, paper, winner, loser, metric} = c;
  const w = summaries.find((s) => s.method === winner);
  const l = summaries.find((s) => s.method === loser);
  if (!w || !l) return {id, statement, paper, measured: {}, confirmed: null, significant: null, detail: `not run: needs ${winner} and ${loser}`};
  const a = w.metrics[metric];
  const b = l.metrics[metric];
  if (a === null || b === null) return {id, statement, paper, measured: {}, confirmed: null, significant: null, detail: "no image with ground truth"};
  const digits = metric === "secondsPerImage" ? 4 : 2;
  const higher = HIGHER_IS_BETTER[metric];
  const confirmed = higher ? round(a, digits) > round(b, digits) : round(a, digits) < round(b, digits);
  const difference = pairedDifference(rows, winner, loser, metric);
  const measured: Record<string, number> = {[winner]: round(a, digits), [loser]: round(b, digits)};
  if (difference) {
    measured.difference = round(difference.mean, digits);
    if (!Number.isNaN(difference.halfWidth)) measured.ci95 = round(difference.halfWidth, digits);
  }
  let detail = `${LABEL[metric]} ${winner} ${round(a, digits)} vs ${loser} ${round(b, digits)}${describeDifference(difference, winner, loser, digits)}`;
  if (id === "adasise-time") {
    measured.savingPercent = round(100 * (1 - a / b), 1);
    measured.forwardPassSavingPercent = round(100 * (1 - w.speed.forwardPasses / l.speed.forwardPasses), 1);
    detail += `; ${measured.savingPercent}% less time, ${measured.forwardPassSavingPercent}% fewer forward passes`;
  }
  return {id, statement, paper, measured, confirmed, significant: significant(difference, higher), detail};
}

/** Non-inferiority: Ada-SISE at most COMPARABLE_POINTS worse than SISE on EBPG and on Drop. */
function adaSiseQuality(summaries: readonly MethodSummary[], rows: readonly ImageRow[]): ClaimResult {
  const id = "adasise-quality";
  const statement = `Ada-SISE's quality is comparable to SISE's (at most ${COMPARABLE_POINTS} points worse on EBPG and Drop)`;
  const paper = "Ada-SISE paper: comparable explanation quality at lower cost";
  const ada = summaries.find((s) => s.method === "adasise");
  const sise = summaries.find((s) => s.method === "sise");
  if (!ada || !sise) return {id, statement, paper, measured: {}, confirmed: null, significant: null, detail: "not run: needs adasise and sise"};
  const ebpg = ada.metrics.ebpg !== null && sise.metrics.ebpg !== null ? ada.metrics.ebpg - sise.metrics.ebpg : null;
  const drop = ada.metrics.drop - sise.metrics.drop;
  const measured: Record<string, number> = {
    dropChange: round(drop),
    increaseChange: round(ada.metrics.increase - sise.metrics.increase),
    deletionAucChange: round(ada.metrics.deletionAuc - sise.metrics.deletionAuc, 4),
    insertionAucChange: round(ada.metrics.insertionAuc - sise.metrics.insertionAuc, 4)
  };
  if (ebpg !== null) measured.ebpgChange = round(ebpg);
  const confirmed = round(drop) <= COMPARABLE_POINTS && (ebpg === null || round(ebpg) >= -COMPARABLE_POINTS);
  const dEbpg = pairedDifference(rows, "adasise", "sise", "ebpg");
  const dDrop = pairedDifference(rows, "adasise", "sise", "drop");
  // The paired intervals as numbers too, for plots (the detail line has them as text).
  if (dEbpg && !Number.isNaN(dEbpg.halfWidth)) measured.ebpgChangeCi95 = round(dEbpg.halfWidth);
  if (dDrop && !Number.isNaN(dDrop.halfWidth)) measured.dropChangeCi95 = round(dDrop.halfWidth);
  const ci = (d: PairedDifference | null) => (d && !Number.isNaN(d.halfWidth) ? ` ± ${round(d.halfWidth)}` : "");
  const detail =
    `Ada-SISE − SISE: EBPG ${ebpg === null ? "n/a" : signed(ebpg)}${ci(dEbpg)}, Drop ${signed(drop)}${ci(dDrop)} (95% CI), ` +
    `Increase ${signed(measured.increaseChange!)}, deletion AUC ${signed(measured.deletionAucChange!, 4)}, insertion AUC ${signed(measured.insertionAucChange!, 4)}`;
  return {id, statement, paper, measured, confirmed, significant: null, detail};
}

export function evaluateClaims(summaries: readonly MethodSummary[], rows: readonly ImageRow[] = []): ClaimResult[] {
  const claims = COMPARISONS.map((c) => compare(c, summaries, rows));
  // Keep the paper's grouping: the Ada-SISE claims together.
  claims.splice(claims.findIndex((c) => c.id === "adasise-time") + 1, 0, adaSiseQuality(summaries, rows));
  return claims;
}
