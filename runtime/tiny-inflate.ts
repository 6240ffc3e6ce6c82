/**
 * Raw deflate (RFC 1951) decoding for a runtime without `DecompressionStream('deflate-raw')`: stored, fixed and
 * dynamic Huffman blocks, decoded canonically after tinf (J. Rosendahl's tiny inflate) in a few hundred bytes
 * minified. It trusts nothing: a read past the input, a code longer than 15 bits, a repeat with no previous length,
 * a distance before the output's start, or an output past `maxBytes` all throw. The caller maps the errors to its
 * own messages: `InflateTooLarge` past the cap, anything else is corrupt input.
 */

/** Thrown when the output would pass the caller's cap. */
export class InflateTooLarge extends Error {}

const LENGTH_BASE = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258];
const LENGTH_EXTRA = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0];
const DIST_BASE = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577];
const DIST_EXTRA = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13];
const CODE_LENGTH_ORDER = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];

/** A canonical Huffman code: how many codes of each length, and the symbols in code order. */
interface Tree {
  counts: Uint16Array;
  symbols: Uint16Array;
}

function buildTree(lengths: ArrayLike<number>): Tree {
  const counts = new Uint16Array(16);
  const symbols = new Uint16Array(lengths.length);
  for (let i = 0; i < lengths.length; i++) counts[lengths[i]]++;
  counts[0] = 0;
  const offsets = new Uint16Array(16);
  for (let i = 1; i < 16; i++) offsets[i] = offsets[i - 1] + counts[i - 1];
  for (let i = 0; i < lengths.length; i++) if (lengths[i]) symbols[offsets[lengths[i]]++] = i;
  return { counts, symbols };
}

const fixedLengths = new Uint8Array(288).map((_, i) => (i < 144 ? 8 : i < 256 ? 9 : i < 280 ? 7 : 8));
let fixed: [Tree, Tree] | null = null;

/** Inflate `input` (raw deflate, no zlib or gzip wrapper) into at most `maxBytes` bytes. */
export function inflateRawSync(input: Uint8Array, maxBytes: number): Uint8Array {
  let pos = 0;
  let bitBuf = 0;
  let bitCount = 0;
  let out = new Uint8Array(Math.min(maxBytes, Math.max(1024, 4 * input.length)));
  let n = 0;

  const bits = (k: number): number => {
    while (bitCount < k) {
      if (pos >= input.length) throw new Error('deflate stream ends early');
      bitBuf |= input[pos++] << bitCount;
      bitCount += 8;
    }
    const v = bitBuf & ((1 << k) - 1);
    bitBuf >>>= k;
    bitCount -= k;
    return v;
  };
  const symbol = (t: Tree): number => {
    let code = 0;
    let first = 0;
    let index = 0;
    for (let len = 1; len < 16; len++) {
      code |= bits(1);
      const c = t.counts[len];
      if (code - first < c) return t.symbols[index + code - first];
      index += c;
      first = (first + c) << 1;
      code <<= 1;
    }
    throw new Error('invalid Huffman code');
  };
  const room = (k: number) => {
    if (n + k > maxBytes) throw new InflateTooLarge(`inflates past ${maxBytes} bytes`);
    if (n + k <= out.length) return;
    const grown = new Uint8Array(Math.min(maxBytes, Math.max(2 * out.length, n + k)));
    grown.set(out.subarray(0, n));
    out = grown;
  };

  const dynamicTrees = (): [Tree, Tree] => {
    const hlit = bits(5) + 257;
    const hdist = bits(5) + 1;
    const hclen = bits(4) + 4;
    const codeLengths = new Uint8Array(19);
    for (let i = 0; i < hclen; i++) codeLengths[CODE_LENGTH_ORDER[i]] = bits(3);
    const codeTree = buildTree(codeLengths);
    const lengths = new Uint8Array(hlit + hdist);
    for (let i = 0; i < hlit + hdist; ) {
      const sym = symbol(codeTree);
      if (sym < 16) {
        lengths[i++] = sym;
        continue;
      }
      if (sym === 16 && i === 0) throw new Error('repeat with no previous length');
      const [value, repeat] = sym === 16 ? [lengths[i - 1], 3 + bits(2)] : sym === 17 ? [0, 3 + bits(3)] : [0, 11 + bits(7)];
      if (i + repeat > hlit + hdist) throw new Error('code lengths overrun');
      lengths.fill(value, i, i + repeat);
      i += repeat;
    }
    return [buildTree(lengths.subarray(0, hlit)), buildTree(lengths.subarray(hlit))];
  };

  for (let last = 0; !last; ) {
    last = bits(1);
    const type = bits(2);
    if (type === 0) {
      bitBuf = 0;
      bitCount = 0;
      if (pos + 4 > input.length) throw new Error('deflate stream ends early');
      const len = input[pos] | (input[pos + 1] << 8);
      const nlen = input[pos + 2] | (input[pos + 3] << 8);
      pos += 4;
      if ((len ^ 0xffff) !== nlen || pos + len > input.length) throw new Error('invalid stored block');
      room(len);
      out.set(input.subarray(pos, pos + len), n);
      n += len;
      pos += len;
      continue;
    }
    if (type === 3) throw new Error('invalid block type');
    const [lit, dist] = type === 1 ? (fixed ??= [buildTree(fixedLengths), buildTree(new Uint8Array(30).fill(5))]) : dynamicTrees();
    for (;;) {
      const sym = symbol(lit);
      if (sym < 256) {
        room(1);
        out[n++] = sym;
        continue;
      }
      if (sym === 256) break;
      if (sym > 285) throw new Error('invalid length code');
      const length = LENGTH_BASE[sym - 257] + bits(LENGTH_EXTRA[sym - 257]);
      const d = symbol(dist);
      if (d > 29) throw new Error('invalid distance code');
      const back = DIST_BASE[d] + bits(DIST_EXTRA[d]);
      if (back > n) throw new Error('distance before the start of the output');
      room(length);
      for (let i = 0; i < length; i++, n++) out[n] = out[n - back];
    }
  }
  return out.subarray(0, n);
}
