export {type SaliencyMap, createMap, cloneMap, assertSameSize, assertSize} from "./types.js";
export {resizeBilinear, resizeBilinearArray, resizeNearest, resizeNearestArray, resizeMaskNearest} from "./resize.js";
export {MINMAX_EPSILON, assertFinite, extent, minmax, minmaxValues, relu, sum, mean} from "./normalize.js";
export {type OtsuDetails, type GateResult, type SoftGateOptions, otsu, otsuThreshold, otsuDetails, otsuGate, quantizedOtsuThreshold, softGate} from "./otsu.js";
export {type GateMode, type FusionOptions, type FusionStep, type FusionResult, fuseLayerMaps} from "./fusion.js";
export {type ColormapName, type ColorizeOptions, COLORMAP_NAMES, LUT_SIZE, colormapTable, colormapIndex, colorize} from "./colormap.js";
export {type OverlayOptions, overlay} from "./overlay.js";
