/** Ada-SISE: SISE with the adaptive per-layer selection (Otsu on â_k = α_k/β); `mu` does not apply. */
import {adaptiveSelection} from "./selection.js";
import {defineSise} from "./sise.js";

export const adaSise = defineSise({
  name: "adasise",
  title: "Ada-SISE",
  strategy: () => ({strategy: adaptiveSelection(), recorded: {}})
});
