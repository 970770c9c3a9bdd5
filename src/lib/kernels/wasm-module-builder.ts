// A minimal WebAssembly binary encoder: enough to write small SIMD kernels
// (i32 address arithmetic, loops, v128 and f32 loads/stores, f32x4 arithmetic) that
// import an existing memory. Used to generate kernels at run time that the
// tfjs wasm backend does not have, without a build step or a second .wasm file.
//
// Reference: https://webassembly.github.io/spec/core/binary/ and the SIMD
// proposal's opcode table (all SIMD opcodes are 0xFD followed by a LEB128 u32).

export const I32 = 0x7f;
export const V128 = 0x7b;
export type ValueType = typeof I32 | typeof V128;

function unsignedLeb(value: number): number[] {
  const bytes: number[] = [];
  let rest = value >>> 0;
  do {
    let byte = rest & 0x7f;
    rest >>>= 7;
    if (rest !== 0) byte |= 0x80;
    bytes.push(byte);
  } while (rest !== 0);
  return bytes;
}

function signedLeb(value: number): number[] {
  const bytes: number[] = [];
  let rest = value | 0;
  for (;;) {
    const byte = rest & 0x7f;
    rest >>= 7;
    const done = (rest === 0 && (byte & 0x40) === 0) || (rest === -1 && (byte & 0x40) !== 0);
    bytes.push(done ? byte : byte | 0x80);
    if (done) return bytes;
  }
}

function name(text: string): number[] {
  const bytes = Array.from(new TextEncoder().encode(text));
  return [...unsignedLeb(bytes.length), ...bytes];
}

function vector(items: number[][]): number[] {
  return [...unsignedLeb(items.length), ...items.flat()];
}

function section(id: number, content: number[]): number[] {
  return [id, ...unsignedLeb(content.length), ...content];
}

const simd = (opcode: number) => [0xfd, ...unsignedLeb(opcode)];

/**
 * Body of one function. Parameters come first in the local index space;
 * `local` adds more. Methods append one instruction each and return `this`.
 */
export class FunctionBody {
  readonly bytes: number[] = [];
  /** Locals declared beyond the parameters. */
  readonly extraLocals: ValueType[] = [];

  constructor(readonly params: ValueType[]) {}

  local(type: ValueType): number {
    this.extraLocals.push(type);
    return this.params.length + this.extraLocals.length - 1;
  }

  private emit(...bytes: number[]): this {
    this.bytes.push(...bytes);
    return this;
  }

  get(index: number): this {
    return this.emit(0x20, ...unsignedLeb(index));
  }
  set(index: number): this {
    return this.emit(0x21, ...unsignedLeb(index));
  }
  tee(index: number): this {
    return this.emit(0x22, ...unsignedLeb(index));
  }
  i32(value: number): this {
    return this.emit(0x41, ...signedLeb(value));
  }
  add(): this {
    return this.emit(0x6a);
  }
  sub(): this {
    return this.emit(0x6b);
  }
  mul(): this {
    return this.emit(0x6c);
  }

  /** local[index] += value (i32). */
  addTo(index: number, value: number | {local: number}): this {
    this.get(index);
    if (typeof value === "number") this.i32(value);
    else this.get(value.local);
    return this.add().set(index);
  }

  /**
   * `do { body } while (--counter != 0)`; skipped entirely when the counter
   * starts at zero (counters are set right before).
   */
  countdown(counter: number, body: () => void): this {
    this.emit(0x02, 0x40); // block
    this.get(counter).emit(0x45).emit(0x0d, 0); // i32.eqz; br_if 0 (out of the block)
    this.emit(0x03, 0x40); // loop
    body();
    this.get(counter).i32(1).sub().tee(counter).emit(0x0d, 0); // br_if 0 (loop again)
    this.emit(0x0b, 0x0b); // end loop, end block
    return this;
  }

  /** v128.load from the address on the stack plus a constant byte offset. */
  load(offset = 0): this {
    return this.emit(...simd(0x00), 0, ...unsignedLeb(offset));
  }
  /** v128.load32_splat: one float broadcast to all four lanes. */
  loadSplat(offset = 0): this {
    return this.emit(...simd(0x09), 0, ...unsignedLeb(offset));
  }
  /** v128.store of the value on top of the stack to the address below it plus `offset`. */
  store(offset = 0): this {
    return this.emit(...simd(0x0b), 0, ...unsignedLeb(offset));
  }
  zero(): this {
    return this.emit(...simd(0x0c), ...new Array<number>(16).fill(0));
  }
  /** f32x4.extract_lane: one lane of the vector on the stack as an f32. */
  extractLane(lane: number): this {
    return this.emit(...simd(0x1f), lane);
  }
  /** f32.load from the address on the stack plus a constant byte offset. */
  loadF32(offset = 0): this {
    return this.emit(0x2a, 2, ...unsignedLeb(offset));
  }
  /** f32.store of the f32 on top of the stack to the address below it plus `offset`. */
  storeF32(offset = 0): this {
    return this.emit(0x38, 2, ...unsignedLeb(offset));
  }
  f32Add(): this {
    return this.emit(0x92);
  }
  f32x4Add(): this {
    return this.emit(...simd(0xe4));
  }
  f32x4Mul(): this {
    return this.emit(...simd(0xe6));
  }
}

export interface FunctionDefinition {
  exportName: string;
  body: FunctionBody;
}

/** A module of functions without results that import `env.memory` (unshared, no maximum). */
export function encodeModule(functions: FunctionDefinition[]): Uint8Array<ArrayBuffer> {
  const types = functions.map((f) => [0x60, ...vector(f.body.params.map((t) => [t])), ...unsignedLeb(0)]);
  const memoryImport = [...name("env"), ...name("memory"), 0x02, 0x00, ...unsignedLeb(0)];
  const code = functions.map((f) => {
    const locals = vector(f.body.extraLocals.map((type) => [...unsignedLeb(1), type]));
    const content = [...locals, ...f.body.bytes, 0x0b];
    return [...unsignedLeb(content.length), ...content];
  });
  return new Uint8Array([
    0x00,
    0x61,
    0x73,
    0x6d,
    0x01,
    0x00,
    0x00,
    0x00,
    ...section(1, vector(types)),
    ...section(2, vector([memoryImport])),
    ...section(3, vector(functions.map((_, i) => unsignedLeb(i)))),
    ...section(7, vector(functions.map((f, i) => [...name(f.exportName), 0x00, ...unsignedLeb(i)]))),
    ...section(10, vector(code))
  ]);
}
