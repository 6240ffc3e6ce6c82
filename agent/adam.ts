/**
 * Adam (Kingma & Ba 2015) over a fixed list of variables, in PyTorch's form (what AMC and HAQ trained with):
 *   m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;  p -= lr (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps).
 * Why not tf.train.adam: its setWeights() recomputes b^t with pow() while training multiplies it step by step in
 * float32, so a restored optimizer differs from the uninterrupted one in the last bit and a resumed search drifts.
 * Here the bias corrections come from the step count in float64, so (step, m, v) is the whole state and restores
 * exactly. The moments exist from construction, so the tensor count never grows with training.
 */
import * as tf from '../tfjs.js';

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
    const c1 = 1 - beta1 ** this.step;
    const c2 = 1 - beta2 ** this.step;
    tf.tidy(() => {
      this.params.forEach((p, i) => {
        const g = grads[i];
        const m = this.m[i].mul(beta1).add(g.mul(1 - beta1));
        const v = this.v[i].mul(beta2).add(g.square().mul(1 - beta2));
        this.m[i].assign(m);
        this.v[i].assign(v);
        p.assign(p.sub(m.div(c1).div(v.div(c2).sqrt().add(epsilon)).mul(lr)));
      });
    });
  }

  dispose(): void {
    tf.dispose([...this.m, ...this.v]);
  }
}
