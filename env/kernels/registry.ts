/**
 * Swapping wasm kernels and gradient functions for ours, and putting tfjs's back. Kernels are per backend; gradient
 * functions are global in tfjs, so ours check the active backend and hand every other backend to tfjs's own.
 * `restoreAll` undoes every swap made through this module (env/wasm-kernels.ts `setFastWasmKernels(false)`).
 */
import * as tf from '../../tfjs.js';

/** What our kernels use of the wasm backend: allocate an output, view a tensor's bytes, share a buffer. */
export interface WasmHeap {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
  incRef(dataId: tf.DataId): void;
}

/** A gradient function's result: one thunk per input (tfjs-core's NamedGradientMap, not exported by tfjs). */
export type GradientMap = Record<string, () => tf.Tensor>;

/** The kernel and gradient configs tfjs had before our first swap of each name. */
const kernelOriginals = new Map<string, tf.KernelConfig>();
const gradientOriginals = new Map<string, tf.GradConfig>();

/**
 * Registers `make(current)` as the wasm kernel `name`, where `current` is whatever is registered now (tfjs's own, or
 * an earlier replacement of ours that the new one may hand cases back to). Missing kernels are left alone.
 */
export function replaceKernel(name: string, make: (current: tf.KernelFunc) => tf.KernelFunc): void {
  const current = tf.getKernel(name, 'wasm');
  if (current === undefined) return;
  if (!kernelOriginals.has(name)) kernelOriginals.set(name, current);
  tf.unregisterKernel(name, 'wasm');
  tf.registerKernel({ ...current, kernelFunc: make(current.kernelFunc) });
}

/**
 * Registers our gradient for kernel `name`, used on wasm when `ours` returns one (null hands the case to tfjs's). The
 * saved tensors stay tfjs's (`inputsToSave`, `outputsToSave`), so a swap in the middle of a recorded pass is safe.
 */
export function replaceGradient(
  name: string,
  ours: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: tf.NamedAttrMap) => GradientMap | null,
): void {
  const original = gradientOriginals.get(name) ?? tf.getGradient(name);
  if (original === undefined) return;
  gradientOriginals.set(name, original);
  tf.registerGradient({
    ...original,
    gradFunc: (dy, saved, attrs) => (tf.getBackend() === 'wasm' ? ours(dy, saved, attrs) : null) ?? original.gradFunc(dy, saved, attrs),
  });
}

/** Puts back tfjs's kernel and gradient for every name swapped here. */
export function restoreAll(): void {
  for (const [name, config] of kernelOriginals) {
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel(config);
  }
  for (const config of gradientOriginals.values()) tf.registerGradient(config);
}
