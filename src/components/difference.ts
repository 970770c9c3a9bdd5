/**
 * The difference of two maps (e.g. Integrated Grad-CAM − Grad-CAM) as a view: signed values on
 * a symmetric diverging scale (red: the first map gives more credit, blue: the second), captioned
 * with the mean |Δ|, with its own legend. For mapView and for figures.
 *
 *   const diff = differencePanel(igcam.map, gradcam.map, {label: "IG-CAM − Grad-CAM", size: 180});
 *   mapView(diff); differenceLegend(diff.extent, "difference");
 */
import {assertSameSize, type SaliencyMap} from "../lib/maps/index.js";
import {colorLegend, formatNumber, symmetricExtent} from "./draw.js";
import type {FigurePanel} from "./figure.js";

export function differenceMap(a: SaliencyMap, b: SaliencyMap): SaliencyMap {
  assertSameSize(a, b, "maps to subtract");
  return {width: a.width, height: a.height, data: a.data.map((v, i) => v - b.data[i]!)};
}

export function meanAbsolute(map: SaliencyMap): number {
  let total = 0;
  for (const v of map.data) total += Math.abs(v);
  return total / map.data.length;
}

/** Panel options: a − b on a diverging scale of ±max|a − b|, captioned "label · mean |Δ| …". */
export function differencePanel(
  a: SaliencyMap,
  b: SaliencyMap,
  options: {label: string; size?: number; className?: string}
): FigurePanel & {map: SaliencyMap; extent: number; meanAbsolute: number} {
  const map = differenceMap(a, b);
  const extent = symmetricExtent(map);
  const mean = meanAbsolute(map);
  return {
    map,
    width: map.width,
    height: map.height,
    colormap: "diverging",
    extent,
    meanAbsolute: mean,
    size: options.size,
    caption: `${options.label} · mean |Δ| ${formatNumber(mean)}`,
    title: options.label,
    className: options.className ?? "sx-difference"
  };
}

/** The end labels of a difference's scale. */
export function differenceEnds(extent: number): [string, string] {
  return [`−${formatNumber(extent, 2)}`, `+${formatNumber(extent, 2)}`];
}

export function differenceLegend(extent: number, label = "difference", width = 200): HTMLElement {
  return colorLegend("diverging", label, width, differenceEnds(extent));
}
