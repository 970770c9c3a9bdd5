/**
 * saliency-explorer/node: what the engine needs from Node — model and image files, backend
 * choice, the forward engine (ONNX Runtime for forward-only passes) — and the batch tools built
 * on it: `runBatch` (resumable, sharded runs into a content keyed result store),
 * `mergeBatchFolders`, `evaluateDataset` (Table 1 on VOC / COCO / the project's splits) and the
 * worker pool. The `saliency` CLI is a thin user of these.
 */
export {openModel as loadModel, loadModelFile, readModelMeta, NSFWJS_MODELS} from "./model-files.js";
export {readImageFile as readImage, decodeImage, encodePng, type DecodedImage} from "./image-io.js";
export {selectNodeBackend as selectBackend, releaseWebGpu, NODE_BACKENDS, type BackendChoice, type BackendOptions, type NodeBackendName} from "./backend.js";
export {writeFileAtomic} from "./atomic-write.js";
export {WorkerPool, type PoolModel, type WorkerPoolOptions} from "./pool/pool.js";
export {RunEngine, makesForwardBatches, type EngineExplanation, type ForwardEngineName, type RunEngineOptions} from "./onnx/run-engine.js";
export {ENGINES, type EngineChoice} from "./onnx/engine.js";
export {explainImagesInPool, explainImagesOnPool} from "./pool/explain-images.js";
export {runBatch, type BatchImage, type BatchItem, type BatchProgress, type BatchRunOptions, type BatchRunResult, type BatchFailure} from "./batch/run.js";
export {listImages, fileImage} from "./batch/images.js";
export {effectiveOptions, engineFingerprint, imageFingerprint, modelFingerprint, resultKey, type ClassRequest, type KeyParts} from "./batch/keys.js";
export {ResultStore, resultFiles, type ResultRecord} from "./batch/store.js";
export {mergeBatchFolders, readManifest, writeManifest, type ManifestRow, type MergeResult} from "./batch/manifest.js";
export {parseShard, resolveShard, slurmShard, kubernetesShard, inShard, UNSHARDED, type Shard} from "./batch/shard.js";
export {encodeNpy, decodeNpy} from "./batch/npy.js";
export {
  readDataset,
  readVoc,
  readCoco,
  readSaliencySplit,
  classMapping,
  type AnnotatedDataset,
  type AnnotatedImage,
  type AnnotatedObject
} from "./batch/datasets.js";
export {evaluateDataset, type EvaluateOptions, type EvaluateResult, type EvaluatedMethod} from "./batch/evaluate.js";
export {evaluationReport, evaluationTable, writeEvaluation} from "./batch/evaluate-report.js";
