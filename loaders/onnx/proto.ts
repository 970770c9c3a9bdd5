/**
 * Building ONNX graphs with the `onnx-proto` package (protobufjs classes generated from onnx.proto):
 * a small builder that hands out unique tensor names, stores initializers as raw little-endian
 * bytes and serialises the ModelProto. `onnx-proto` is an optional dependency, loaded on first use.
 */
import {createRequire} from "node:module";
import type {onnx as OnnxNamespace} from "onnx-proto";

type Onnx = typeof OnnxNamespace;

let cached: Onnx | null = null;

/** The `onnx` namespace of `onnx-proto`; a clear error when the package is missing. */
export function loadOnnxProto(): Onnx {
  if (cached) return cached;
  try {
    const require = createRequire(import.meta.url);
    cached = (require("onnx-proto") as {onnx: Onnx}).onnx;
  } catch (error) {
    throw new Error(`onnx-proto is not installed (optional dependency: npm install onnx-proto): ${(error as Error).message}`);
  }
  return cached;
}

/** ONNX operator set the converter emits (ONNX Runtime supports it; Softmax has single-axis semantics from 13). */
export const OPSET = 13;

/** Attribute values the converter uses: numbers are INT unless marked float, arrays INTS or FLOATS. */
export type AttributeValue = number | {float: number} | number[] | {floats: number[]} | string;

export class GraphBuilder {
  readonly nodes: OnnxNamespace.INodeProto[] = [];
  readonly initializers: OnnxNamespace.ITensorProto[] = [];
  private readonly used = new Set<string>();
  private readonly scalars = new Map<number, string>();
  private readonly onnx = loadOnnxProto();

  /** A tensor name not used yet, derived from `base` (layer names stay readable in the graph). */
  unique(base: string): string {
    let name = base;
    for (let i = 1; this.used.has(name); i++) name = `${base}_${i}`;
    this.used.add(name);
    return name;
  }

  /** Reserves an exact name (graph inputs and outputs); a clash is a bug in the caller. */
  reserve(name: string): string {
    if (this.used.has(name)) throw new Error(`ONNX tensor name "${name}" is used twice`);
    this.used.add(name);
    return name;
  }

  /** A float32 initializer (raw bytes, no copy of the data). */
  floats(base: string, data: Float32Array, dims: readonly number[]): string {
    const count = dims.reduce((a, b) => a * b, 1);
    if (count !== data.length) throw new Error(`initializer ${base}: ${data.length} values for dims ${JSON.stringify(dims)}`);
    const name = this.unique(base);
    this.initializers.push({
      name,
      dims: [...dims],
      dataType: this.onnx.TensorProto.DataType.FLOAT,
      rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
    });
    return name;
  }

  /** A float32 scalar, one initializer per distinct value. */
  scalar(value: number): string {
    const known = this.scalars.get(value);
    if (known) return known;
    const name = this.floats(`const_${value}`, new Float32Array([value]), []);
    this.scalars.set(value, name);
    return name;
  }

  /** An int64 initializer (shapes, pads, axes). */
  int64s(base: string, values: readonly number[]): string {
    const name = this.unique(base);
    const data = BigInt64Array.from(values.map((v) => BigInt(v)));
    this.initializers.push({
      name,
      dims: [values.length],
      dataType: this.onnx.TensorProto.DataType.INT64,
      rawData: new Uint8Array(data.buffer)
    });
    return name;
  }

  /** Appends a node; returns the name of its (single) output. */
  node(op: string, inputs: readonly string[], attributes: Record<string, AttributeValue> = {}, base = op, output?: string): string {
    const out = output ?? this.unique(base);
    this.nodes.push({
      opType: op,
      name: this.unique(`${out}/${op}`),
      input: [...inputs],
      output: [out],
      attribute: Object.entries(attributes).map(([name, value]) => this.attribute(name, value))
    });
    return out;
  }

  private attribute(name: string, value: AttributeValue): OnnxNamespace.IAttributeProto {
    const T = this.onnx.AttributeProto.AttributeType;
    if (typeof value === "number") {
      if (!Number.isInteger(value)) throw new Error(`attribute ${name}: ${value} is not an integer (mark floats with {float})`);
      return {name, type: T.INT, i: value};
    }
    if (typeof value === "string") return {name, type: T.STRING, s: new TextEncoder().encode(value)};
    if (Array.isArray(value)) return {name, type: T.INTS, ints: value};
    if ("float" in value) return {name, type: T.FLOAT, f: value.float};
    return {name, type: T.FLOATS, floats: value.floats};
  }

  /** A float32 tensor type with `null` dimensions named "N" (the dynamic batch). */
  valueInfo(name: string, shape: readonly (number | null)[]): OnnxNamespace.IValueInfoProto {
    return {
      name,
      type: {
        tensorType: {
          elemType: this.onnx.TensorProto.DataType.FLOAT,
          shape: {dim: shape.map((d) => (d === null ? {dimParam: "N"} : {dimValue: d}))}
        }
      }
    };
  }

  /** Serialises the model (IR version of the package's onnx.proto, opset OPSET). */
  serialise(graphName: string, inputs: OnnxNamespace.IValueInfoProto[], outputs: OnnxNamespace.IValueInfoProto[], docString: string): Uint8Array {
    const model = this.onnx.ModelProto.create({
      irVersion: this.onnx.Version.IR_VERSION,
      producerName: "saliency-explorer",
      producerVersion: "1",
      docString,
      opsetImport: [{domain: "", version: OPSET}],
      graph: {name: graphName, node: this.nodes, initializer: this.initializers, input: inputs, output: outputs}
    });
    return this.onnx.ModelProto.encode(model).finish();
  }
}
