/**
 * Adam (Kingma & Ba 2015) over a fixed list of variables, in PyTorch's form (what AMC and HAQ trained with):
 *   m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;  p -= lr (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps).
 * Why not tf.train.adam: its setWeights() recomputes b^t with pow() while training multiplies it step by step in
 * float32, so a restored optimizer differs from the uninterrupted one in the last bit and a resumed search drifts.
 * Here the bias corrections come from the step count in float64, so (step, m, v) is the whole state and restores
 * exactly. The moments exist from construction, so the tensor count never grows with training.
 *
 * A small variable's step is one JavaScript loop over its values (adamStep) rather than ~16 tfjs operations, each a
 * kernel call and a new tensor, whose overhead was most of an update on small networks; a large one stays in tfjs's
 * ops (adamOps; ADAM_LOOP_MAX_SIZE). The loop computes the op chain `m.mul(b1).add(g.mul(1 - b1))`,
 * `v.mul(b2).add(g.square().mul(1 - b2))`, `p.sub(m.div(c1).div(v.div(c2).sqrt().add(eps)).mul(lr))` bit for bit:
 * each scalar becomes float32 where tfjs makes it a scalar tensor (Math.fround of the JS number) and every
 * operation's result is rounded to float32 in the chain's order. A sum, difference, product, quotient or square root
 * of float32 values computed in float64 and rounded once is the correctly rounded float32 result (float64 has more
 * than twice float32's precision plus two bits), which is what wasm's f32 instructions and the cpu backend's
 * Float32Array stores give. test/agent/update-loops.test.ts holds the two forms to each other on both backends.
 */
import * as tf from '../tfjs.js';

const f = Math.fround;

export interface AdamArgs {
  lr: number;
  beta1: number;
  beta2: number;
  epsilon: number;
}

export class Adam {
  /** Updates applied so far (t). */
  step = 0;
  readonly m: tf.Variable[];
  readonly v: tf.Variable[];

  constructor(
    readonly params: tf.Variable[],
    readonly args: AdamArgs,
  ) {
    this.m = params.map((p) => tf.tidy(() => tf.variable(tf.zerosLike(p), false)));
    this.v = params.map((p) => tf.tidy(() => tf.variable(tf.zerosLike(p), false)));
  }

  /** One update; `grads[i]` is the gradient of params[i]. Does not dispose the gradients. */
  apply(grads: tf.Tensor[]): void {
    const { lr, beta1, beta2, epsilon } = this.args;
    this.step += 1;
    const scalars = { beta1, beta2, lr, epsilon, c1: 1 - beta1 ** this.step, c2: 1 - beta2 ** this.step };
    tf.tidy(() => {
      this.params.forEach((p, i) => {
        const step = p.size <= ADAM_LOOP_MAX_SIZE ? adamLoop : adamOps;
        step(p, this.m[i], this.v[i], grads[i], scalars);
      });
    });
  }

  dispose(): void {
    tf.dispose([...this.m, ...this.v]);
  }
}

/**
 * Variables of up to this many values update in the JavaScript loop, larger ones in tfjs's ops: on large arrays
 * wasm's SIMD kernels outrun the scalar loop more than the ops' fixed overhead costs (bench/results/learner-update.md:
 * the loop 1.3x faster at 4,000 values, 0.83x at 6,300, 0.25x at 90,000, a 300x300 kernel).
 */
export const ADAM_LOOP_MAX_SIZE = 4096;

export interface AdamScalars {
  beta1: number;
  beta2: number;
  lr: number;
  epsilon: number;
  /** 1 - beta1^t and 1 - beta2^t, in float64 (agent/adam.ts). */
  c1: number;
  c2: number;
}

/** One variable's step in tfjs's ops (the form the loop reproduces). */
export function adamOps(p: tf.Variable, m: tf.Variable, v: tf.Variable, g: tf.Tensor, s: AdamScalars): void {
  tf.tidy(() => {
    const m1 = m.mul(s.beta1).add(g.mul(1 - s.beta1));
    const v1 = v.mul(s.beta2).add(g.square().mul(1 - s.beta2));
    m.assign(m1);
    v.assign(v1);
    p.assign(p.sub(m1.div(s.c1).div(v1.div(s.c2).sqrt().add(s.epsilon)).mul(s.lr)));
  });
}

/** One variable's step in the JavaScript loop (adamStep): each tensor read once, each variable written once. */
export function adamLoop(p: tf.Variable, m: tf.Variable, v: tf.Variable, g: tf.Tensor, s: AdamScalars): void {
  const read = (t: tf.Tensor) => t.dataSync() as Float32Array;
  const out = adamStep(read(p), read(m), read(v), read(g), s);
  tf.tidy(() => {
    m.assign(tf.tensor(out.m, p.shape, 'float32'));
    v.assign(tf.tensor(out.v, p.shape, 'float32'));
    p.assign(tf.tensor(out.p, p.shape, 'float32'));
  });
}

/**
 * m' = m*b1 + g*(1-b1);  v' = v*b2 + (g*g)*(1-b2);  p' = p - ((m'/c1) / (sqrt(v'/c2) + eps)) * lr,
 * each product, sum, quotient and root rounded to float32. Returns new arrays: the inputs are only read (the cpu
 * backend's dataSync hands out a tensor's own storage, which other tensors may share: a target network's clone).
 */
export function adamStep(
  p: Float32Array,
  m: Float32Array,
  v: Float32Array,
  g: Float32Array,
  s: AdamScalars,
): { p: Float32Array; m: Float32Array; v: Float32Array } {
  const n = p.length;
  if (m.length !== n || v.length !== n || g.length !== n) throw new Error(`adamStep: sizes ${n}, ${m.length}, ${v.length}, ${g.length} differ`);
  const b1 = f(s.beta1);
  const a1 = f(1 - s.beta1);
  const b2 = f(s.beta2);
  const a2 = f(1 - s.beta2);
  const c1 = f(s.c1);
  const c2 = f(s.c2);
  const eps = f(s.epsilon);
  const lr = f(s.lr);
  const pOut = new Float32Array(n);
  const mOut = new Float32Array(n);
  const vOut = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const gi = g[i];
    const mi = f(f(m[i] * b1) + f(gi * a1));
    const vi = f(f(v[i] * b2) + f(f(gi * gi) * a2));
    mOut[i] = mi;
    vOut[i] = vi;
    const denom = f(f(Math.sqrt(f(vi / c2))) + eps);
    pOut[i] = f(p[i] - f(f(f(mi / c1) / denom) * lr));
  }
  return { p: pOut, m: mOut, v: vOut };
}
