/**
 * The small fully connected networks of the actor and the critic, as flat variable lists
 * [kernel0, bias0, kernel1, bias1, ...] (kernels [in, out]). ReLU between layers, linear output; the caller adds the
 * output activation. Plain variables rather than a LayersModel keep soft updates, gradients and checkpoints to a few
 * lines each.
 */
import * as tf from '../tfjs.js';

export type Mlp = tf.Variable[];

/**
 * Layers of widths `sizes` (input first). Hidden kernels: Glorot uniform; the last kernel uniform in
 * [-finalInit, finalInit] (DDPG paper, AMC: outputs start near 0). Biases 0. `seeds[i]` seeds kernel i.
 */
export function createMlp(sizes: number[], seeds: number[], finalInit: number, trainable: boolean): Mlp {
  const vars: Mlp = [];
  for (let i = 0; i + 1 < sizes.length; i++) {
    const shape: [number, number] = [sizes[i], sizes[i + 1]];
    const last = i + 2 === sizes.length;
    const kernel = tf.tidy(() =>
      last
        ? tf.randomUniform(shape, -finalInit, finalInit, 'float32', seeds[i])
        : tf.initializers.glorotUniform({ seed: seeds[i] }).apply(shape),
    );
    vars.push(tf.variable(kernel, trainable));
    kernel.dispose();
    vars.push(tf.tidy(() => tf.variable(tf.zeros([sizes[i + 1]]), trainable)));
  }
  return vars;
}

export function mlpForward(mlp: Mlp, x: tf.Tensor2D): tf.Tensor2D {
  let h = x;
  for (let i = 0; i < mlp.length; i += 2) {
    h = tf.add(tf.matMul(h, mlp[i]), mlp[i + 1]);
    if (i + 2 < mlp.length) h = tf.relu(h);
  }
  return h;
}

/** A non-trainable copy with the same values (the target networks). */
export function cloneMlp(mlp: Mlp): Mlp {
  return mlp.map((v) => tf.variable(v, false));
}

/**
 * target = tau * online + (1 - tau) * target, variable by variable (DDPG's soft target update): small variables in one
 * JavaScript loop (softStep), large ones in tfjs's four ops, whose SIMD kernels win there; the same values either way.
 */
export function softUpdate(target: Mlp, online: Mlp, tau: number): void {
  target.forEach((t, i) => (t.size <= SOFT_LOOP_MAX_SIZE ? softLoop : softOps)(t, online[i], tau));
}

/** Variables of up to this many values take the loop (bench/results/learner-update.md: 1.2x at 4,000 values, 0.96x at 6,300). */
export const SOFT_LOOP_MAX_SIZE = 4096;

/** One variable's soft update in tfjs's ops (the form softStep reproduces). */
export function softOps(target: tf.Variable, online: tf.Variable, tau: number): void {
  tf.tidy(() => {
    target.assign(online.mul(tau).add(target.mul(1 - tau)));
  });
}

/** One variable's soft update in the JavaScript loop: each read once, the target written once. */
export function softLoop(target: tf.Variable, online: tf.Variable, tau: number): void {
  tf.tidy(() => {
    target.assign(tf.tensor(softStep(target.dataSync() as Float32Array, online.dataSync() as Float32Array, tau), target.shape, 'float32'));
  });
}

/**
 * `online.mul(tau).add(target.mul(1 - tau))` of tfjs bit for bit (float32 scalars, each product and the sum rounded
 * to float32: agent/adam.ts says why that is exact). Returns a new array; the inputs are only read.
 */
export function softStep(target: Float32Array, online: Float32Array, tau: number): Float32Array {
  const n = target.length;
  if (online.length !== n) throw new Error(`softStep: sizes ${n} and ${online.length} differ`);
  const t = Math.fround(tau);
  const u = Math.fround(1 - tau);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.fround(online[i] * t) + Math.fround(target[i] * u);
  return out;
}
