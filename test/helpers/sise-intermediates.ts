/** SISE's and Ada-SISE's intermediates, typed for tests. */
import type {Explanation} from "../../src/lib/explain/types.js";
import type {SiseFusionReport, SiseLayerReport} from "../../src/lib/explain/layer-sampling.js";

export interface SiseIntermediates {
  selection: string;
  maskCount: number;
  totalChannels: number;
  layers: SiseLayerReport[];
  skippedLayers: string[];
  fusion: SiseFusionReport | null;
}

export const siseIntermediates = (result: Explanation) => result.intermediates as unknown as SiseIntermediates;
