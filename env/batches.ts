/**
 * Seeded mini-batches over a `DataSplit`: the order of every epoch comes from seedrandom, never Math.random, so the
 * same seed trains the same model.
 */
import * as tf from '../tfjs.js';
import type { DataSplit } from './data/dataset.js';
import { seededPermutation } from './data/dataset.js';

export class BatchSampler {
  private perm: Int32Array;
  private cursor = 0;
  private epoch = 0;
  private readonly rowSize: number;
  private readonly xBuf: Float32Array;
  private readonly yBuf: Int32Array;

  constructor(
    private readonly split: DataSplit,
    private readonly inputShape: number[],
    readonly batchSize: number,
    private readonly seed: number | string,
  ) {
    this.rowSize = split.x.length / split.count;
    this.batchSize = Math.min(batchSize, split.count);
    this.xBuf = new Float32Array(this.batchSize * this.rowSize);
    this.yBuf = new Int32Array(this.batchSize);
    this.perm = seededPermutation(split.count, `${seed}:0`);
  }

  /** Batches per epoch (the last partial batch is dropped). */
  get stepsPerEpoch(): number {
    return Math.max(1, Math.floor(this.split.count / this.batchSize));
  }

  /** Where the sampler is, so a run can record and restore it. */
  get position(): { epoch: number; cursor: number } {
    return { epoch: this.epoch, cursor: this.cursor };
  }

  /** The next batch as [x, labels]; the caller disposes both. */
  next(): [tf.Tensor, tf.Tensor1D] {
    if (this.cursor + this.batchSize > this.split.count) {
      this.epoch++;
      this.perm = seededPermutation(this.split.count, `${this.seed}:${this.epoch}`);
      this.cursor = 0;
    }
    for (let r = 0; r < this.batchSize; r++) {
      const src = this.perm[this.cursor + r];
      this.xBuf.set(this.split.x.subarray(src * this.rowSize, (src + 1) * this.rowSize), r * this.rowSize);
      this.yBuf[r] = this.split.y[src];
    }
    this.cursor += this.batchSize;
    return [tf.tensor(this.xBuf, [this.batchSize, ...this.inputShape]), tf.tensor1d(this.yBuf, 'int32')];
  }
}

/** Slices `[from, to)` of a split as tensors, in order (for evaluation). */
export function sliceBatch(split: DataSplit, inputShape: number[], from: number, to: number): [tf.Tensor, tf.Tensor1D] {
  const rowSize = split.x.length / split.count;
  return [
    tf.tensor(split.x.subarray(from * rowSize, to * rowSize), [to - from, ...inputShape]),
    tf.tensor1d(split.y.subarray(from, to), 'int32'),
  ];
}
