/** Ada-SISE: SISE with the adaptive per-layer selection (Otsu on â_k = α_k/β); no μ. */
import {adaptiveSelection} from "../explain/selection.js";
import {defineSise, siseParams} from "./sise.js";

export const adaSise = defineSise({
  name: "adasise",
  title: "Ada-SISE",
  summary: "SISE with adaptive (Otsu) feature-map selection",
  params: siseParams,
  strategy: () => adaptiveSelection()
});
