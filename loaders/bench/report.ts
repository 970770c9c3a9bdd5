/**
 * The printed report of one model (pure): Table 1 shaped like the SISE paper's (methods as
 * columns, metrics as rows, best starred), then speed, class discrimination, the sanity check
 * and the paper claims.
 */
import {formatNumber, formatTable, starredRow} from "./table.js";
import type {BenchResult, MethodMetrics, ModelResult} from "./types.js";

interface MetricRow {
  label: string;
  key: keyof MethodMetrics;
  better: "higher" | "lower" | null;
  digits: number;
}

export function metricRows(model: Pick<ModelResult, "pointingTolerance" | "truth">): MetricRow[] {
  const tolerance = model.pointingTolerance.toFixed(1);
  return [
    {label: `EBPG % (${model.truth}) ↑`, key: "ebpg", better: "higher", digits: 2},
    {label: `Bbox % (${model.truth}) ↑`, key: "bbox", better: "higher", digits: 2},
    {label: "mIoU % (top 20%) ↑", key: "miou", better: "higher", digits: 2},
    {label: `Pointing % (±${tolerance} px) ↑`, key: "pointing", better: "higher", digits: 2},
    {label: "Drop % (prob) ↓", key: "drop", better: "lower", digits: 2},
    {label: "Increase % (prob) ↑", key: "increase", better: "higher", digits: 2},
    {label: "Deletion AUC (prob) ↓", key: "deletionAuc", better: "lower", digits: 4},
    {label: "Insertion AUC (prob) ↑", key: "insertionAuc", better: "higher", digits: 4},
    {label: "Seconds / image ↓", key: "secondsPerImage", better: "lower", digits: 3}
  ];
}

export function metricsTable(model: ModelResult): string {
  const header = ["", ...model.methods.map((m) => m.method)];
  const rows = metricRows(model).map((row) => [
    row.label,
    ...starredRow(
      model.methods.map((m) => m.metrics[row.key]),
      row.better,
      row.digits
    )
  ]);
  rows.push(["Explained score", ...model.methods.map((m) => `${m.explainedScore} `)]);
  return formatTable(header, rows);
}

export function speedTable(model: ModelResult): string {
  const header = ["method", "fwd passes/img", "bwd passes/img", "ms/img", "ideal ms/img", "ratio (≤1.15)"];
  const rows = model.methods.map((m) => [
    m.method,
    formatNumber(m.speed.forwardPasses, 1),
    formatNumber(m.speed.backwardPasses, 1),
    formatNumber(m.speed.msPerImage, 1),
    formatNumber(m.speed.idealMsPerImage, 1),
    formatNumber(m.speed.ratio, 2)
  ]);
  return formatTable(header, rows);
}

export function bareSpeedLines(model: ModelResult): string {
  const list = (times: {batch: number; msPerImage: number}[]) => times.map((t) => `B=${t.batch}: ${t.msPerImage.toFixed(2)}`).join(", ");
  return [
    `bare forward, ms per image:            ${list(model.bareSpeed.forward) || "–"}`,
    `bare forward+backward, ms per image:   ${list(model.bareSpeed.forwardBackward) || "–"}`
  ].join("\n");
}

export function discriminationTable(model: ModelResult): string | null {
  const d = model.discrimination;
  if (!d) return null;
  const rows = d.methods.map((m) => [m.method, `${m.wins}/${m.cases}`, formatNumber(100 * m.fraction, 1)]);
  return formatTable(["method", "own class wins", "%"], rows);
}

export function sanityTable(model: ModelResult): string | null {
  const s = model.sanity;
  if (!s) return null;
  const header = ["method", ...s.steps.map((_, k) => `mean |ρ| step ${k + 1}`), "images passing", "result"];
  const rows = s.methods.map((m) => {
    // |ρ| as the verdict uses it; a map that became constant (null) counts as 0.
    const absolute = (k: number) => m.correlations.map((c) => Math.abs(c[k] ?? 0));
    const meanAt = (k: number) => {
      const values = absolute(k);
      return values.length ? values.reduce((a, b) => a + b, 0) / values.length : null;
    };
    const last = s.steps.length - 1;
    const passing = absolute(last).filter((v) => v < m.threshold).length;
    const verdict = m.error ? `FAIL (${m.error.slice(0, 40)})` : m.pass ? "pass" : "FAIL";
    return [
      `${m.method}${m.control ? " (control)" : ""}`,
      ...s.steps.map((_, k) => formatNumber(meanAt(k), 2)),
      `${passing}/${m.correlations.length}`,
      verdict
    ];
  });
  return formatTable(header, rows);
}

export function claimLines(model: ModelResult): string {
  return model.claims
    .map((c) => {
      const verdict = c.confirmed === null ? "not run" : c.confirmed ? "CONFIRMED" : "NOT confirmed";
      const noise = c.significant === null ? "" : c.significant ? ", beyond noise" : ", within noise";
      return `[${verdict}${c.confirmed ? noise : ""}] ${c.statement}: ${c.detail}\n    paper: ${c.paper}`;
    })
    .join("\n");
}

export function modelReport(model: ModelResult): string {
  const localised = model.methods[0]?.localisedImages ?? 0;
  const parts = [
    `=== ${model.name} (trained on ${model.dataset || "?"}) — split ${model.split}: ${model.images} images, ` +
      `${model.pairs} (image, present class) pairs, ${localised} with ground truth (${model.truth}); input ${model.input[0]}×${model.input[1]} ===`,
    "",
    metricsTable(model),
    "",
    `Speed: time / (passes × bare per-image pass time at the method's batch sizes); target ≤ 1.15`,
    `(each image's passes re-run on the bare model right after it; ratio = median over images of the per-image ratios;`,
    ` explanations under 250 ms timed 3-5 times per image, median)`,
    bareSpeedLines(model),
    speedTable(model)
  ];
  const discrimination = discriminationTable(model);
  if (discrimination) {
    parts.push(
      "",
      `Class discrimination on ${model.discrimination!.split} (${model.discrimination!.images} images × 2 classes; ` +
        `a win: the map for class A has more energy on A's objects than on B's, masks):`,
      discrimination
    );
  }
  const sanity = sanityTable(model);
  if (sanity) {
    parts.push(
      "",
      `Sanity check (model-parameter randomisation on a clone, top-down; steps end at ${model.sanity!.steps.join(", ")}; ` +
        `${model.sanity!.images.length} image(s); pass: mean |ρ| after the last step < ${model.sanity!.methods[0]?.threshold ?? 0.5}):`,
      sanity
    );
  }
  parts.push("", "Paper claims:", claimLines(model), `(model wall time ${model.wallSeconds.toFixed(1)} s)`);
  return parts.join("\n");
}

/** The run's context, printed before any model so a long run shows its settings at once. */
export function runHeader(result: Pick<BenchResult, "date" | "command" | "machine" | "backend" | "settings">): string {
  const s = result.settings;
  const options = Object.entries(s.methodOptions)
    .filter(([, o]) => Object.keys(o).length > 0)
    .map(([m, o]) => `${m} ${JSON.stringify(o)}`)
    .join("; ");
  return [
    `saliency bench — ${result.date}`,
    `command: ${result.command}`,
    `machine: ${result.machine.cpu}, ${result.machine.cores} cores, ${result.machine.memoryGiB} GiB, ${result.machine.platform}, node ${result.machine.node}`,
    `backend: ${result.backend.name} (${result.backend.provider}), tfjs ${result.backend.tfjs}${result.backend.engine ? `; forward-only passes: engine ${result.backend.engine}` : ""}`,
    `settings: ${s.imagesPerSplit} images per split${s.imagesScaleWithSize ? " at 64² (fewer for larger inputs: N·64²/(H·W), at least 2)" : ""}, ${s.pairsImages} shapes-pairs images, ${s.sanityImages} sanity image(s) × ${s.sanitySteps} steps, ` +
      `${s.curveSteps} deletion/insertion steps (deletion to black, insertion from blur), Drop/Increase keep top ${100 * s.keepFraction}%, ` +
      `pointing tolerance ${s.pointingToleranceAt224} px at 224² scaled to the image${s.quick ? ", QUICK" : ""}` +
      Object.entries(s.pairCaps ?? {})
        .map(([method, n]) => `; ${method} on the first ${n} (image, class) pairs only, without discrimination or sanity check`)
        .join(""),
    `method options (others: engine defaults): ${options || "none"}`
  ].join("\n");
}

/** One line per claim: on how many models it was confirmed. */
export function claimsOverview(result: BenchResult): string {
  const ids = [...new Set(result.models.flatMap((m) => m.claims.map((c) => c.id)))];
  return ids
    .map((id) => {
      const claims = result.models.map((m) => ({model: m.name, claim: m.claims.find((c) => c.id === id)})).filter((c) => c.claim && c.claim.confirmed !== null);
      const confirmed = claims.filter((c) => c.claim!.confirmed).map((c) => c.model);
      const statement = result.models.flatMap((m) => m.claims).find((c) => c.id === id)!.statement;
      const beyondNoise = claims.filter((c) => c.claim!.confirmed && c.claim!.significant).length;
      const list = confirmed.length ? ` (${confirmed.join(", ")}; beyond noise on ${beyondNoise})` : "";
      return `${statement}: confirmed on ${confirmed.length}/${claims.length} model(s)${list}`;
    })
    .join("\n");
}
