/**
 * Raw deflate for the runtime: the platform's `DecompressionStream('deflate-raw')` where it has one (browsers since
 * 2023, Node 18+), else the hand-written fallback (tiny-inflate.ts). Either way the output is capped at `maxBytes`:
 * the stream is read chunk by chunk and cancelled past the cap, so a deflate bomb costs at most the cap.
 */
import { headerNotDeflatedJson, headerTooLarge } from '../learners/pack-reader.js';
import { InflateTooLarge, inflateRawSync } from './tiny-inflate.js';

/** Which inflate to use: the platform's where it has one ('auto'), or always the fallback. */
export type InflateChoice = 'auto' | 'fallback';

interface ByteStream {
  writable: { getWriter(): { write(chunk: Uint8Array): Promise<void>; close(): Promise<void> } };
  readable: { getReader(): { read(): Promise<{ done: boolean; value?: Uint8Array }>; cancel(): Promise<void> } };
}
type StreamConstructor = new (format: string) => ByteStream;

/** The platform's DecompressionStream if it takes 'deflate-raw', else null. */
function platformStream(): StreamConstructor | null {
  const Ctor = (globalThis as { DecompressionStream?: StreamConstructor }).DecompressionStream;
  if (!Ctor) return null;
  try {
    new Ctor('deflate-raw');
    return Ctor;
  } catch {
    return null;
  }
}

async function inflateStream(Ctor: StreamConstructor, input: Uint8Array, maxBytes: number): Promise<Uint8Array> {
  const stream = new Ctor('deflate-raw');
  const writer = stream.writable.getWriter();
  // their failures surface in read() below
  writer.write(input).catch(() => {});
  writer.close().catch(() => {});
  const reader = stream.readable.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    let next;
    try {
      next = await reader.read();
    } catch {
      throw headerNotDeflatedJson();
    }
    if (next.done || !next.value) break;
    total += next.value.length;
    if (total > maxBytes) {
      reader.cancel().catch(() => {});
      throw headerTooLarge(maxBytes);
    }
    chunks.push(next.value);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** Inflate a packed model's header, at most `maxBytes`, with the packed reader's errors. */
export async function inflateHeader(input: Uint8Array, maxBytes: number, choice: InflateChoice = 'auto'): Promise<Uint8Array> {
  const Ctor = choice === 'auto' ? platformStream() : null;
  if (Ctor) return inflateStream(Ctor, input, maxBytes);
  try {
    return inflateRawSync(input, maxBytes);
  } catch (e) {
    throw e instanceof InflateTooLarge ? headerTooLarge(maxBytes) : headerNotDeflatedJson();
  }
}
