/** Options shared by every generator factory. */
export interface GeneratorOptions {
  /** Image width in pixels (default 64). Object sizes scale with min(width, height) / 64. */
  width?: number;
  /** Image height in pixels (default 64). */
  height?: number;
}

export const DEFAULT_SIZE = 64;

export function resolveSize(options: GeneratorOptions = {}): {width: number; height: number} {
  const width = options.width ?? DEFAULT_SIZE;
  const height = options.height ?? DEFAULT_SIZE;
  for (const [name, value] of [
    ["width", width],
    ["height", height]
  ] as const) {
    if (!Number.isInteger(value) || value < 16) throw new Error(`${name} must be an integer >= 16, got ${value}`);
  }
  return {width, height};
}
