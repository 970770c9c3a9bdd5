// Index bookkeeping for expressing convolution gradients as forward
// convolutions / matrix products, one spatial dimension at a time.
//
// Forward convolution along one dimension (stride s, kernel K, zero padding p
// before the input):   y[o] = sum_k xPadded[s*o + k] * w[k],  xPadded[u] = x[u - p].

/**
 * Input gradient, one dimension, one sub-pixel phase: the positions
 * i ≡ phase (mod stride) of dx are a stride-1 correlation of dy with the
 * kernel taps ≡ (phase + p) (mod stride), flipped.
 *
 *   dx[stride*q + phase] = sum_j dyPadded[q + offset + j] * w[taps[j]]
 *   dyPadded = dy with `padBefore` zeros before and `padAfter` zeros after.
 */
export interface InputGradPhase {
  phase: number;
  /** Number of dx positions in this phase. */
  count: number;
  /** Kernel indices in the order of the stride-1 sub-kernel; empty if no tap reaches this phase. */
  taps: number[];
  padBefore: number;
  padAfter: number;
  /** Correlation output index of the phase's first dx position. */
  offset: number;
}

export function inputGradPhases(inSize: number, outSize: number, kernelSize: number, stride: number, padBefore: number): InputGradPhase[] {
  const phases: InputGradPhase[] = [];
  for (let phase = 0; phase < stride; phase++) {
    const count = phase < inSize ? Math.ceil((inSize - phase) / stride) : 0;
    // dx[s*q + phase] = sum_m dy[q + carry - m] * w[s*m + residue]
    const residue = (phase + padBefore) % stride;
    const carry = Math.floor((phase + padBefore) / stride);
    const numTaps = residue < kernelSize ? Math.ceil((kernelSize - residue) / stride) : 0;
    const taps: number[] = [];
    for (let j = 0; j < numTaps; j++) taps.push(stride * (numTaps - 1 - j) + residue);
    // A negative "pad before" cannot be expressed; pad 0 and skip the first outputs instead.
    const wantedPadBefore = numTaps - 1 - carry;
    const padBeforeDy = Math.max(0, wantedPadBefore);
    const offset = padBeforeDy - wantedPadBefore;
    const padAfterDy = Math.max(0, offset + count - outSize - padBeforeDy + numTaps - 1);
    phases.push({phase, count, taps: count > 0 ? taps : [], padBefore: padBeforeDy, padAfter: padAfterDy, offset});
  }
  return phases;
}

/**
 * Filter gradient, one dimension. x is zero padded to `stride * extent`
 * positions (`padBefore` + x + `padAfter`) and split into `stride` phase
 * images of `extent` positions: phase a, index i  <->  padded position
 * stride*i + a. Kernel tap k = stride*m + a then reads phase a at i = o + m for
 * output position o, i.e. a shift by m of a stride-1 signal.
 *
 * Images are laid out back to back with `extent` positions each, and a tap is a
 * flat shift. With `sharedPadding` (x is shifted forward): reads that run past
 * the end of an image land in the leading zero padding of the next one, so
 * neighbours share their padding. Without it (dy is shifted backward): every
 * image ends with at least maxTaps-1 positions beyond the output, so reads
 * before the start of an image land in zeros of the previous one.
 */
export interface FilterGradGeometry {
  extent: number;
  padBefore: number;
  padAfter: number;
  /** For each kernel tap k: its phase (k mod stride) and shift (floor(k / stride)). */
  tapPhase: number[];
  tapShift: number[];
  /** Largest shift + 1 over all taps. */
  maxTaps: number;
}

export function filterGradGeometry(
  inSize: number,
  outSize: number,
  kernelSize: number,
  stride: number,
  padBefore: number,
  sharedPadding = true
): FilterGradGeometry {
  let maxTaps = 0;
  let minLeadingZeros = Infinity;
  for (let phase = 0; phase < stride; phase++) {
    const numTaps = phase < kernelSize ? Math.ceil((kernelSize - phase) / stride) : 0;
    maxTaps = Math.max(maxTaps, numTaps);
    minLeadingZeros = Math.min(minLeadingZeros, Math.max(0, Math.ceil((padBefore - phase) / stride)));
  }
  const extent = Math.max(outSize, outSize + maxTaps - 1 - (sharedPadding ? minLeadingZeros : 0), Math.ceil((inSize + padBefore) / stride));
  const tapPhase: number[] = [];
  const tapShift: number[] = [];
  for (let k = 0; k < kernelSize; k++) {
    tapPhase.push(k % stride);
    tapShift.push(Math.floor(k / stride));
  }
  return {extent, padBefore, padAfter: stride * extent - inSize - padBefore, tapPhase, tapShift, maxTaps};
}

/**
 * Re-expresses the phases of one dimension over one common window of dy, so
 * that all phases can be computed by a single stride-1 correlation (each phase
 * a block of output channels). Taps of a phase outside its own range are -1
 * (zero weight). Phases without taps stay empty.
 */
export function alignInputGradPhases(phases: InputGradPhase[], outSize: number): InputGradPhase[] {
  const active = phases.filter((p) => p.taps.length > 0);
  if (active.length === 0) return phases;
  // dy index read by tap j for the phase's first position: (offset - padBefore) + j
  const firstRead = (p: InputGradPhase) => p.offset - p.padBefore;
  const start = Math.min(...active.map(firstRead));
  const end = Math.max(...active.map((p) => firstRead(p) + p.taps.length));
  const size = end - start;
  const maxCount = Math.max(...phases.map((p) => p.count));
  const padBefore = Math.max(0, -start);
  const offset = padBefore + start;
  const padAfter = Math.max(0, offset + maxCount - outSize - padBefore + size - 1);
  return phases.map((p) => {
    if (p.taps.length === 0) return p;
    const taps = new Array<number>(size).fill(-1);
    const shift = firstRead(p) - start;
    p.taps.forEach((tap, j) => {
      taps[shift + j] = tap;
    });
    return {...p, taps, padBefore, padAfter, offset};
  });
}
