/**
 * Rounding rules shared by the learners, written down once so that compressing and unpacking agree to the bit.
 *
 * - `roundHalfEven`: TensorFlow's `tf.round` (and so tfmot's magnitude rule and QAT) rounds half to even; JavaScript's
 *   `Math.round` rounds half up. Every learner rounds with this function.
 * - IEEE 754 binary16 (fp16) conversion with round-to-nearest-even, used where a layer asks for 16 bits: storage as
 *   fp16, as tfjs and TFLite do for float16 weights.
 */

/** Round to the nearest integer, halves to the even neighbour (as `tf.round`, numpy and tfmot do). */
export function roundHalfEven(x: number): number {
  const r = Math.round(x); // halves go up here
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The binary16 bit pattern nearest to `x` (round to nearest, ties to even; overflow to infinity). */
export function float32ToFloat16Bits(x: number): number {
  f32[0] = x;
  const b = u32[0];
  const sign = (b >>> 16) & 0x8000;
  const exp = (b >>> 23) & 0xff;
  let mant = b & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 112; // rebias 127 -> 15
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign; // below half the smallest subnormal
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rem > halfway || (rem === halfway && (half & 1) === 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  // a carry out of the mantissa moves into the exponent, which is the right answer (up to infinity)
  if (rem > 0x1000 || (rem === 0x1000 && (half & 1) === 1)) half++;
  return sign | half;
}

/** The value of a binary16 bit pattern. */
export function float16BitsToFloat32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const e = (h >>> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return sign * m * 2 ** -24;
  if (e === 31) return m ? NaN : sign * Infinity;
  return sign * (1 + m / 1024) * 2 ** (e - 15);
}

/** `x` rounded to the nearest fp16 value, as a float32 number. */
export function roundToFloat16(x: number): number {
  return float16BitsToFloat32(float32ToFloat16Bits(x));
}
