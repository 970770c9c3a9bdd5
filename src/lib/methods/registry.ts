/** Every method by its CLI name. A new method is one file plus one line here. */
import type {Method} from "../explain/types.js";
import {adaSise} from "./adasise.js";
import {extremalPerturbation} from "./extremal.js";
import {fullGrad} from "./fullgrad.js";
import {gradCam} from "./gradcam.js";
import {gradCamPlusPlus} from "./gradcampp.js";
import {integratedGradCam} from "./igcam.js";
import {integratedGradients} from "./integrated-gradients.js";
import {layerCam} from "./layercam.js";
import {rise} from "./rise.js";
import {scoreCam} from "./scorecam.js";
import {sise} from "./sise.js";
import {xGradCam} from "./xgradcam.js";

export const METHODS: Record<string, Method> = {
  gradcam: gradCam,
  gradcampp: gradCamPlusPlus,
  xgradcam: xGradCam,
  layercam: layerCam,
  ig: integratedGradients,
  igcam: integratedGradCam,
  rise,
  scorecam: scoreCam,
  sise,
  adasise: adaSise,
  fullgrad: fullGrad,
  extremal: extremalPerturbation
} as Record<string, Method>;

export function getMethod(name: string): Method {
  const method = METHODS[name];
  if (!method) throw new Error(`unknown method "${name}": choose one of ${Object.keys(METHODS).join(", ")}`);
  return method;
}
