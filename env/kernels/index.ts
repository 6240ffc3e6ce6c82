/**
 * Our layer kernels for the wasm backend: what training and scoring a convolutional network spend most on once the
 * conv-gradient composites and the first replacements (env/wasm-kernels.ts) are in. Measured in
 * bench/results/kernels.md; each has value tests against tfjs's own in test/env/wasm-layer-kernels.test.ts.
 * - Identity and same-type Cast without a copy, Slice straight from the heap (copies.ts).
 * - FusedBatchNorm and its gradient, and Add, Sub, Multiply against a per-channel tensor: per-channel affine maps
 *   (batch-norm.ts, channel-binary.ts).
 * - Mean over the spatial axes (global average pooling) as one average pool (spatial-mean.ts); the gradients of Mean
 *   and Relu with fewer passes (broadcast-gradients.ts).
 * - Conv2DBackpropFilter from image patches and one matrix product where the patches are small (1x1 windows, a first
 *   layer over one channel: patch-gradients.ts); Conv2DBackpropInput of 1x1 convolutions as a product (pointwise-conv.ts)
 *   and over one input channel as a depthwise convolution and a channel sum (one-channel-input-gradient.ts);
 *   the filter gradient of large depthwise convolutions tap by tap (depthwise-filter-gradient.ts).
 * Every one hands the cases it does not cover to the kernel or gradient it replaced.
 */
import * as tf from '../../tfjs.js';
import { batchNormForward, batchNormGradient } from './batch-norm.js';
import { meanGradient, reluGradient } from './broadcast-gradients.js';
import { channelBinary, type ChannelOp } from './channel-binary.js';
import { shareBuffer, sliceOnHeap } from './copies.js';
import { depthwiseFilterGradByTaps } from './depthwise-filter-gradient.js';
import { oneChannelInputGradient } from './one-channel-input-gradient.js';
import { convFilterGradFromPatches } from './patch-gradients.js';
import { pointwiseInputGradient } from './pointwise-conv.js';
import { replaceGradient, replaceKernel, type WasmHeap } from './registry.js';
import { spatialMean } from './spatial-mean.js';

type Attrs<T> = T & tf.NamedAttrMap;

/** Installs our layer kernels over whatever wasm kernels are registered now. */
export function installLayerKernels(): void {
  const heap = (args: Parameters<tf.KernelFunc>[0]) => args.backend as unknown as WasmHeap;
  replaceKernel(tf.Identity, (own) => (args) => shareBuffer(args.inputs.x!, heap(args)) ?? own(args));
  replaceKernel(tf.Cast, (own) => (args) => {
    const same = args.inputs.x!.dtype === (args.attrs as Attrs<{ dtype: tf.DataType }>).dtype;
    return (same ? shareBuffer(args.inputs.x!, heap(args)) : null) ?? own(args);
  });
  replaceKernel(tf.Slice, (own) => (args) => {
    const { begin, size } = args.attrs as Attrs<{ begin: number[]; size: number[] }>;
    return sliceOnHeap(args.inputs.x!, begin, size, heap(args)) ?? own(args);
  });
  replaceKernel(tf.FusedBatchNorm, (own) => (args) => {
    const { x, mean, variance, offset, scale } = args.inputs;
    const eps = (args.attrs as Attrs<{ varianceEpsilon: number }>).varianceEpsilon;
    return batchNormForward({ x: x!, mean: mean!, variance: variance!, offset, scale }, eps, heap(args)) ?? own(args);
  });
  for (const [name, op] of [[tf.Add, 'add'], [tf.Sub, 'sub'], [tf.Multiply, 'mul']] as Array<[string, ChannelOp]>) {
    replaceKernel(name, (own) => (args) => channelBinary(op, args.inputs.a!, args.inputs.b!) ?? own(args));
  }
  replaceKernel(tf.Mean, (own) => (args) => {
    const { axis, keepDims } = args.attrs as Attrs<{ axis: number | number[]; keepDims: boolean }>;
    return spatialMean(args.inputs.x!, axis, keepDims) ?? own(args);
  });
  replaceKernel(tf.Conv2DBackpropFilter, (own) => (args) =>
    convFilterGradFromPatches(args.inputs.x as tf.Tensor4D, args.inputs.dy as tf.Tensor4D, args.attrs as never) ?? own(args));
  replaceKernel(tf.Conv2DBackpropInput, (own) => (args) => {
    const [dy, filter] = [args.inputs.dy as tf.Tensor4D, args.inputs.filter as tf.Tensor4D];
    return pointwiseInputGradient(dy, filter, args.attrs as never) ?? oneChannelInputGradient(dy, filter, args.attrs as never) ?? own(args);
  });
  replaceKernel(tf.DepthwiseConv2dNativeBackpropFilter, (own) => (args) =>
    depthwiseFilterGradByTaps(args.inputs.x as tf.Tensor4D, args.inputs.dy as tf.Tensor4D, args.attrs as never) ?? own(args));
  replaceGradient(tf.FusedBatchNorm, (dy, saved, attrs) =>
    batchNormGradient(dy as tf.Tensor, saved, (attrs as Attrs<{ varianceEpsilon: number }>).varianceEpsilon));
  replaceGradient(tf.Mean, (dy, saved, attrs) => meanGradient(dy as tf.Tensor, saved, attrs));
  replaceGradient(tf.Relu, (dy, saved) => reluGradient(dy as tf.Tensor, saved));
}
