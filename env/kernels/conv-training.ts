/**
 * A Conv2D layer without bias or activation, in training mode on wasm, as tfjs's plain `conv2d` op instead of its
 * fused one.
 *
 * tfjs-layers runs such a layer through `tf.fused.conv2d`, which in a recorded pass takes its gradient with a custom
 * function that computes the input gradient and the filter gradient together, eagerly. For a network's first layer the
 * input gradient is the gradient of the images, which nobody reads: on mobilenet-tiny's first layer (3x3 over one
 * channel, [64,28,28,16]) that is 8.4 ms of a 196 ms fine-tune step (bench/results/finetune-profile.md). The plain op's
 * gradient hands tfjs one function per input, and tfjs calls only those on a path from the variables, so the images'
 * gradient is never computed. Both ops run the same convolution kernel for the value (FusedConv2D without bias or
 * activation is Conv2D), and the gradients are the same kernels: same values
 * (test/env/wasm-fused-layers.test.ts).
 *
 * Reaches the layers as batch-norm-training.ts does: Conv2D's `call` is wrapped once, and the flag switches it.
 */
import * as tf from '../../tfjs.js';

/** The fields of tfjs-layers' Conv2D that ours reads (not in tfjs's public types). */
interface ConvLayer {
  rank: number;
  kernel: tf.LayerVariable;
  bias: tf.LayerVariable | null;
  strides: [number, number];
  padding: 'same' | 'valid' | 'causal';
  dataFormat: string;
  dilationRate: number | [number, number];
  activation: { getClassName(): string };
}

type Call = (this: ConvLayer, inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>) => tf.Tensor | tf.Tensor[];

let installed = false;
let enabled = false;

/** Whether ours runs this Conv2D's call on `x`: training mode on wasm, 2-D, channels last, no bias, linear. */
function runsPlain(layer: ConvLayer, x: tf.Tensor, kwargs: Record<string, unknown>): boolean {
  return (
    enabled && kwargs?.training === true && tf.getBackend() === 'wasm' && layer.rank === 2 && x.rank === 4 && layer.bias == null &&
    layer.dataFormat === 'channelsLast' && layer.padding !== 'causal' && layer.activation.getClassName() === 'linear'
  );
}

/** Training-mode calls of bias-free, linear Conv2D layers on wasm run the plain op while `on`. */
export function setPlainConvTraining(on: boolean): void {
  enabled = on;
  if (!on || installed) return;
  installed = true;
  const entry = tf.serialization.SerializationMap.getMap().classNameMap.Conv2D;
  if (!entry) throw new Error('tfjs-layers registers no Conv2D class');
  const proto = (entry[0] as unknown as { prototype: { call: Call } }).prototype;
  const own = proto.call;
  proto.call = function (this: ConvLayer, inputs, kwargs) {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    if (!runsPlain(this, x, kwargs)) return own.call(this, inputs, kwargs);
    return tf.tidy(() => tf.conv2d(x as tf.Tensor4D, this.kernel.read() as tf.Tensor4D, this.strides, this.padding as 'same' | 'valid', 'NHWC', this.dilationRate));
  };
}
