/**
 * Gradients of Mean and Relu with fewer full-size passes on wasm; the values are exactly tfjs-core's.
 * - Mean: tfjs multiplies dy by a tensor of ones of the input's shape, then divides, three full-size passes with a
 *   broadcasting product (slow on wasm); here dy / n is tiled to the input's shape, one block copy (our Tile).
 * - Relu: tfjs takes dy * cast(step(x)); the cast is a full copy of a tensor that is float32 already.
 */
import * as tf from '../../tfjs.js';
import type { GradientMap } from './registry.js';

export function meanGradient(dy: tf.Tensor, saved: tf.Tensor[], attrs: tf.NamedAttrMap): GradientMap | null {
  const [x] = saved;
  if (x.dtype !== 'float32') return null;
  const axes = tf.util.parseAxisParam(attrs.axis as number | number[], x.shape);
  const count = axes.reduce((n, a) => n * x.shape[a], 1);
  const kept = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const reps = x.shape.map((d, i) => (axes.includes(i) ? d : 1));
  return { x: () => tf.tile(tf.reshape(tf.div(dy, count), kept), reps) };
}

export function reluGradient(dy: tf.Tensor, saved: tf.Tensor[]): GradientMap | null {
  const [x] = saved;
  if (x.dtype !== 'float32') return null;
  return { x: () => tf.mul(dy, tf.step(x)) };
}
