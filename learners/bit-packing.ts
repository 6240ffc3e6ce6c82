/**
 * Bit-level writer and reader: unsigned fields of 0..32 bits, packed least-significant bit first (bit i of the stream
 * is bit i % 8 of byte floor(i / 8)), plus float32 and fp16 fields as their IEEE bit patterns. No alignment and no
 * padding inside a stream, so a stream of fields takes exactly the sum of their widths.
 */
import { ModelError } from '../errors.js';

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

export class BitWriter {
  private buf: Uint8Array;
  /** Bits written so far. */
  bitLength = 0;

  /** `capacityBits`: expected length (the buffer grows past it if needed). */
  constructor(capacityBits = 1024) {
    this.buf = new Uint8Array(Math.max(1, Math.ceil(capacityBits / 8)));
  }

  private ensure(bits: number): void {
    const need = Math.ceil((this.bitLength + bits) / 8);
    if (need <= this.buf.length) return;
    const grown = new Uint8Array(Math.max(need, this.buf.length * 2));
    grown.set(this.buf);
    this.buf = grown;
  }

  /** Append the low `bits` bits of the unsigned integer `value` (0 <= bits <= 32). */
  write(value: number, bits: number): void {
    if (bits === 0) return;
    if (!(bits > 0 && bits <= 32) || value < 0 || (bits < 32 && value >= 2 ** bits) || !Number.isInteger(value)) {
      throw new RangeError(`cannot write ${value} in ${bits} bits`);
    }
    this.ensure(bits);
    let v = value >>> 0;
    let left = bits;
    while (left > 0) {
      const byte = Math.floor(this.bitLength / 8);
      const used = this.bitLength % 8;
      const take = Math.min(8 - used, left);
      this.buf[byte] |= (v & ((1 << take) - 1)) << used;
      v = take === 32 ? 0 : v >>> take;
      left -= take;
      this.bitLength += take;
    }
  }

  writeFloat32(x: number): void {
    f32[0] = x;
    this.write(u32[0], 32);
  }

  /** The bytes written: ceil(bitLength / 8), unused high bits of the last byte zero. */
  finish(): Uint8Array {
    return this.buf.slice(0, Math.ceil(this.bitLength / 8));
  }
}

export class BitReader {
  private pos: number;
  private readonly end: number;

  /** Read `bytes` from bit `startBit` up to (not past) bit `endBit`. */
  constructor(
    private readonly bytes: Uint8Array,
    startBit = 0,
    endBit = bytes.length * 8,
  ) {
    this.pos = startBit;
    this.end = Math.min(endBit, bytes.length * 8);
  }

  /** Bits consumed so far, from the start of `bytes`. */
  get position(): number {
    return this.pos;
  }

  read(bits: number): number {
    if (bits === 0) return 0;
    if (this.pos + bits > this.end) {
      throw new ModelError(`compressed data ends early: ${bits} more bits needed at bit ${this.pos} of ${this.end}; the file is truncated or corrupt`);
    }
    let value = 0;
    let got = 0;
    while (got < bits) {
      const byte = this.bytes[Math.floor(this.pos / 8)];
      const used = this.pos % 8;
      const take = Math.min(8 - used, bits - got);
      const chunk = (byte >>> used) & ((1 << take) - 1);
      value += chunk * 2 ** got; // not `|`: 32-bit fields must stay unsigned
      got += take;
      this.pos += take;
    }
    return value;
  }

  readFloat32(): number {
    u32[0] = this.read(32);
    return f32[0];
  }
}
