/**
 * The vocabulary shared by the channel-pruning files: channel groups, axis layouts and the compute layers an analysis
 * finds. Structured channel pruning with real model surgery is four jobs, one file each: which channels are tied
 * together (`analysis.ts`), how many to keep under a FLOPs budget (`plan.ts`, costed by `cost.ts`), which ones
 * (`select.ts`, over learners/channel-selection.ts) and a NEW, smaller LayersModel with the kept weights copied in
 * (`surgery.ts`). The original model is never modified.
 *
 * Peers: He et al. 2017 (LASSO selection + least-squares reconstruction), PocketFlow's ChannelPrunedLearner (uniform /
 * list / skip options), AMC (FLOPs budget).
 */

/** One axis of a weight (or a consumer's input) position by position: group id (-1 = fixed) and group channel. */
export interface AxisLayout {
  group: Int32Array;
  channel: Int32Array;
  /** Positions that belong to no prunable channel. */
  fixed: number;
  /** [group, positions per channel]: each channel of `group` appears exactly that many times on this axis. */
  uses: Array<[number, number]>;
}

/** One weight of a layer, in `layer.weights` order: which of its axes shrink with which groups (null = unchanged). */
export interface WeightAxes {
  /** The weight's own name, e.g. 'kernel', 'bias', 'gamma', 'moving_variance'. */
  name: string;
  shape: number[];
  axes: Array<AxisLayout | null>;
}

export interface LayerWeights {
  layer: string;
  weights: WeightAxes[];
}

export interface GroupConsumer {
  layer: string;
  kind: 'conv' | 'dense';
  /** Group channel carried by each position of the consumer's input axis (-1: another group or fixed). */
  channelOf: Int32Array;
}

export interface ChannelGroup {
  id: number;
  channels: number;
  /** Conv2D / Dense layers whose output channels are this group (several after a residual add). */
  producers: string[];
  /** Batch-norm and depthwise layers whose per-channel weights follow the group. */
  members: string[];
  consumers: GroupConsumer[];
  /** Why the group cannot be pruned, or null when it can. */
  frozen: string | null;
}

export type ComputeKind = 'conv' | 'depthwise' | 'dense';

/** One kernel of the model, as env/layers.ts lists them (a SeparableConv2D or a recurrent layer has two). */
export interface ComputeLayer {
  /** The unit's name (`sep/pointwise` for the second kernel of a layer, else the layer's). */
  name: string;
  /** The layer holding the kernel. */
  layer: string;
  kind: ComputeKind;
  kernelShape: number[];
  /** Positions per image the kernel runs at (Hout*Wout for convolutions, 1 for a dense layer on a vector, input
   * pixels for a transposed convolution, time steps for a recurrent kernel, 0 for an embedding table). */
  outputPositions: number;
  /** Multiply-accumulates per image. */
  macs: number;
  /** The kernel's axes. */
  kernel: WeightAxes;
}

export interface ChannelAnalysis {
  groups: ChannelGroup[];
  /** The compressible kernels (env/layers.ts compressibleLayers) in model order. */
  layers: ComputeLayer[];
  /** Every layer with weights, in model order. */
  weights: LayerWeights[];
  totalFlops: number;
  totalParams: number;
}
