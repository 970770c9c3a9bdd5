/** Why a model could not be converted to ONNX: the caller then runs it on tfjs (one-line notice). */
export class UnsupportedLayerError extends Error {
  constructor(
    readonly layer: string,
    readonly className: string,
    reason: string
  ) {
    super(`cannot convert layer "${layer}" (${className}) to ONNX: ${reason}`);
    this.name = "UnsupportedLayerError";
  }
}
