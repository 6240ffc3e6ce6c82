/**
 * The vocabulary shared by every learner: what one layer's compression setting is.
 * `learners/` imports nothing else of ours; everything above it speaks these types.
 */

/** How weights are removed. `magnitude`: tfmot's per-tensor magnitude rule; `block`: the rule over block means;
 * `2:4`: M:N structured sparsity (2 of every 4 consecutive input-channel weights pruned). */
export type PruneKind = 'magnitude' | 'block' | '2:4';

/** Where cluster centroids start (tfmot's four inits). */
export type ClusterInit = 'linear' | 'random' | 'density' | 'kmeans++';

/** `uniform`: affine n-bit (PocketFlow UniformQuantLearner); `nonuniform`: 2^b trainable points. */
export type QuantKind = 'uniform' | 'nonuniform';

/** How a bucket's affine range is chosen (quantization.ts). `mse`: the range with the least squared error over the
 * kept weights, and at 1 bit a sign binarizer with scale mean |w| (BinaryConnect / XNOR-Net); `minmax`: PocketFlow's
 * alpha = max - min, beta = min. */
export type QuantRange = 'mse' | 'minmax';

/** Quantization buckets: one for the whole tensor, fixed-size pieces, or one per output channel. */
export type Bucket = 'none' | 'split' | 'channel';

/** One layer's compression setting: what the agent picks (bits, pruneRatio, clusters) plus how to apply it. */
export interface LayerSpec {
  /** Fraction of weights set to exactly zero, in [0, 1). 0 = no pruning. */
  pruneRatio: number;
  pruneKind: PruneKind;
  /** Number of unique weight values (shared codebook). 0 = no clustering. */
  clusters: number;
  clusterInit: ClusterInit;
  /** Keep pruned zeros exactly zero through clustering (tfmot "preserve_sparsity"). */
  preserveSparsity: boolean;
  /** Bits per stored value (1..8, or 16/32 meaning full precision: 32 = fp32, 16 = fp16 storage). */
  bits: number;
  quantKind: QuantKind;
  bucket: Bucket;
  /** Bucket size when bucket = 'split'. */
  bucketSize?: number;
  /** Affine quantization (uniform weights, and cluster codebooks): how each bucket's or codebook's range is chosen.
   * Default 'mse' (least squared error; 1 bit is the sign binarizer); 'minmax' is PocketFlow's rule. */
  quantRange?: QuantRange;
  /** Block pruning: block [rows, cols] over the kernel seen as a matrix [weights / outChannels, outChannels].
   * Default [1, 4]. */
  blockShape?: [number, number];
  /** Block pruning: how a block's score is pooled from |w|. Default 'avg' (tfmot's default). */
  blockPooling?: BlockPooling;
  /** Clustering: one codebook per output channel (last axis) instead of one per tensor. Default false. */
  clusterPerChannel?: boolean;
  /** Channel pruning (AMC's action): fraction of the layer's output channels kept; 1 or absent = all. Never read by
   * the learners: env/ removes the channels by model surgery first and hands them the smaller layer without it. */
  preserveRatio?: number;
  /** Bits of the layer's input activations (2..8; absent = fp32). Never read by the learners: env/ fake-quantizes
   * the activations (env/activation-quant.ts) and hands the learners the spec without it. */
  activationBits?: number;
}

/** How block pruning scores a block from its weights' magnitudes. */
export type BlockPooling = 'avg' | 'max';

/** The setting that leaves a layer untouched. */
export const FULL_PRECISION: LayerSpec = {
  pruneRatio: 0,
  pruneKind: 'magnitude',
  clusters: 0,
  clusterInit: 'kmeans++',
  preserveSparsity: true,
  bits: 32,
  quantKind: 'uniform',
  bucket: 'none',
};

/** Fill the unspecified fields of a partial spec with the full-precision defaults. */
export function layerSpec(partial: Partial<LayerSpec>): LayerSpec {
  return { ...FULL_PRECISION, ...partial };
}
