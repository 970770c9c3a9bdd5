export {type Box, type TruthInstance, boxesToMask, scaleBoxes, unionMasks, maskArea, encodeRle, decodeRle, classTruth} from "./masks.js";
export {rankPixelsDescending, topCountMask, topFractionMask, fractionCount} from "./ranking.js";
export {type PointingResult, ebpg, bboxScore, maskIou, topFractionIou, pointingGame} from "./localization.js";
export {channelsOf, applyMask, keepTopFraction} from "./apply-mask.js";
export {dropPercent, increasePercent, dropIncrease} from "./drop-increase.js";
export {gaussianKernel, gaussianBlurImage} from "./blur.js";
export {curveAuc} from "./auc.js";
export {
  type CurveMode,
  type CurveImageOptions,
  type CurveBatchOptions,
  type CurveRunOptions,
  type DeletionInsertionCurve,
  deletionInsertionOrder,
  pixelsAtStep,
  deletionInsertionBatches,
  buildDeletionInsertionImages,
  deletionInsertionCurve
} from "./deletion-insertion.js";
export {averageRanks, pearson, spearman} from "./spearman.js";
export {
  type CascadingRandomizationOptions,
  type CascadingRandomizationResult,
  type RandomizationStep,
  cascadingRandomization,
  passesSanityCheck
} from "./sanity-check.js";
