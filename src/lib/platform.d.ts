/**
 * The few platform APIs the engine uses beyond ES2022: ones that browsers, workers and Node all
 * provide with the same meaning. src/lib/tsconfig.json gives the engine no DOM and no Node types,
 * so anything else (document, fs, Buffer, …) fails to type-check here. Only the members the
 * engine calls are declared.
 */

declare var performance: {now(): number};

declare function setTimeout(handler: () => void, milliseconds?: number): unknown;

declare class MessageChannel {
  readonly port1: {onmessage: ((event: unknown) => void) | null; close(): void};
  readonly port2: {postMessage(message: unknown): void; close(): void};
}

declare class TextEncoder {
  encode(text?: string): Uint8Array<ArrayBuffer>;
}

declare class TextDecoder {
  constructor(label?: string);
  decode(bytes?: ArrayBufferView | ArrayBuffer): string;
}

interface AbortSignal {
  readonly aborted: boolean;
  readonly reason: unknown;
  throwIfAborted(): void;
  addEventListener(type: "abort", listener: () => void, options?: {once?: boolean}): void;
  removeEventListener(type: "abort", listener: () => void): void;
}

declare namespace WebAssembly {
  class Memory {
    readonly buffer: ArrayBuffer | SharedArrayBuffer;
  }
  class Module {
    constructor(bytes: Uint8Array<ArrayBuffer>);
  }
  class Instance {
    constructor(module: Module, imports: Record<string, Record<string, unknown>>);
    readonly exports: Record<string, unknown>;
  }
}
