/**
 * Adam and the soft target update run small variables in a JavaScript loop (agent/adam.ts adamLoop, agent/mlp.ts
 * softLoop) and large ones in tfjs's ops. Both must give exactly what the op chains below gave before the loops
 * existed (kept here as the reference, as agent/adam.ts and agent/mlp.ts had them), on the cpu and the wasm backend,
 * so a search learns the same networks bit for bit.
 */
import test, { type ExecutionContext } from 'ava';
import * as tf from '../../tfjs.js';
import '@tensorflow/tfjs-backend-wasm';
import { Adam, ADAM_LOOP_MAX_SIZE, adamLoop, type AdamArgs } from '../../agent/adam.js';
import { Ddpg } from '../../agent/ddpg.js';
import { SOFT_LOOP_MAX_SIZE, softLoop, softUpdate, type Mlp } from '../../agent/mlp.js';
import { playToyEpisode } from './toy-problem.js';

/** agent/adam.ts's apply before the loop: ~16 tfjs ops per variable. */
class ReferenceAdam {
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
}

/** agent/mlp.ts's softUpdate before the loop. */
function referenceSoftUpdate(target: Mlp, online: Mlp, tau: number): void {
  tf.tidy(() => {
    target.forEach((t, i) => t.assign(online[i].mul(tau).add(t.mul(1 - tau))));
  });
}

/** Deterministic values spanning 1e-20 to 1e20 in magnitude, both signs, every `zeroEvery`-th one 0. */
function values(n: number, seed: number, zeroEvery = 0): Float32Array {
  let s = seed;
  const next = () => (s = (s * 16807) % 2147483647) / 2147483647;
  return Float32Array.from({ length: n }, (_, i) => (zeroEvery > 0 && i % zeroEvery === 0 ? 0 : (next() - 0.5) * 10 ** Math.floor(next() * 41 - 20)));
}

const bytes = (t: tf.Tensor) => Buffer.from((t.dataSync() as Float32Array).buffer.slice(0));
const sameBits = (a: tf.Tensor[], b: tf.Tensor[]) => a.length === b.length && a.every((x, i) => bytes(x).equals(bytes(b[i])));

// 1 value, odd sizes, a 64x64 kernel (the loop's largest at 4096), and sizes above the thresholds (tfjs's ops)
const SHAPES: number[][] = [[1], [7], [3, 5], [64], [64, 64], [33, 129], [97, 131]];
const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
const ARGS: AdamArgs = { lr: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 };

for (const backend of ['cpu', 'wasm']) {
  const onBackend = (title: string, body: (t: ExecutionContext) => void | Promise<void>) =>
    test.serial(`${backend}: ${title}`, async (t) => {
      await tf.setBackend(backend);
      await body(t);
    });

  onBackend('the loop sizes fall below and above the thresholds, so both forms are checked', (t) => {
    t.true(SHAPES.some((s) => size(s) <= ADAM_LOOP_MAX_SIZE) && SHAPES.some((s) => size(s) > ADAM_LOOP_MAX_SIZE));
    t.true(SHAPES.some((s) => size(s) <= SOFT_LOOP_MAX_SIZE) && SHAPES.some((s) => size(s) > SOFT_LOOP_MAX_SIZE));
  });

  for (const steps of [1, 50]) {
    onBackend(`Adam after ${steps} steps equals the op chain bit for bit (params, m and v), for every shape`, (t) => {
      const init = SHAPES.map((s, i) => values(size(s), 11 + i));
      const ours = init.map((x, i) => tf.variable(tf.tensor(x, SHAPES[i])));
      const theirs = init.map((x, i) => tf.variable(tf.tensor(x, SHAPES[i])));
      const adam = new Adam(ours, ARGS);
      const reference = new ReferenceAdam(theirs, ARGS);
      const before = tf.memory().numTensors;
      for (let k = 0; k < steps; k++) {
        // gradients with zeros, and steps where the gradient's scale changes by orders of magnitude
        const grads = SHAPES.map((s, i) => tf.tensor(values(size(s), 1000 * k + i + 1, 3 + (k % 4)), s));
        adam.apply(grads);
        reference.apply(grads);
        tf.dispose(grads);
      }
      t.is(tf.memory().numTensors, before, 'no tensor leaks');
      t.is(adam.step, steps);
      t.true(sameBits(ours, theirs), 'params');
      t.true(sameBits(adam.m, reference.m), 'first moments');
      t.true(sameBits(adam.v, reference.v), 'second moments');
      t.false(sameBits(ours, init.map((x, i) => tf.tensor(x, SHAPES[i]))), 'the step moved the params');
      tf.dispose([...ours, ...theirs, ...reference.m, ...reference.v]);
      adam.dispose();
    });
  }

  onBackend('the loop itself equals the op chain at every size, above its threshold too (20 steps, up to a 300x300 kernel)', (t) => {
    const shapes = [...SHAPES, [300, 300]];
    const init = shapes.map((s, i) => values(size(s), 77 + i));
    const ours = init.map((x, i) => tf.variable(tf.tensor(x, shapes[i])));
    const theirs = init.map((x, i) => tf.variable(tf.tensor(x, shapes[i])));
    const m = shapes.map((s) => tf.variable(tf.zeros(s), false));
    const v = shapes.map((s) => tf.variable(tf.zeros(s), false));
    const reference = new ReferenceAdam(theirs, ARGS);
    for (let k = 1; k <= 20; k++) {
      const grads = shapes.map((s, i) => tf.tensor(values(size(s), 31 * k + i, 5), s));
      const scalars = { ...ARGS, c1: 1 - ARGS.beta1 ** k, c2: 1 - ARGS.beta2 ** k };
      ours.forEach((p, i) => adamLoop(p, m[i], v[i], grads[i], scalars));
      reference.apply(grads);
      tf.dispose(grads);
    }
    t.true(sameBits(ours, theirs) && sameBits(m, reference.m) && sameBits(v, reference.v));
    tf.dispose([...ours, ...theirs, ...m, ...v, ...reference.m, ...reference.v]);
  });

  for (const tau of [0.01, 0.25, 1]) {
    onBackend(`soft update with tau ${tau} equals the op chain bit for bit after 1 and 50 updates, for every shape`, (t) => {
      const online = SHAPES.map((s, i) => tf.variable(tf.tensor(values(size(s), 5 + i, 4), s)));
      const ours = SHAPES.map((s, i) => tf.variable(tf.tensor(values(size(s), 500 + i, 6), s), false));
      const theirs = ours.map((x) => tf.variable(x.clone(), false));
      const looped = ours.map((x) => tf.variable(x.clone(), false));
      const before = tf.memory().numTensors;
      for (let k = 1; k <= 50; k++) {
        softUpdate(ours, online, tau);
        referenceSoftUpdate(theirs, online, tau);
        looped.forEach((x, i) => softLoop(x, online[i], tau)); // the loop at every size, above its threshold too
        if (k === 1 || k === 50) {
          t.true(sameBits(ours, theirs), `after ${k}`);
          t.true(sameBits(looped, theirs), `the loop alone, after ${k}`);
        }
        // the online network moves between updates, as it does in training
        online.forEach((x, i) => tf.tidy(() => x.assign(x.add(tf.tensor(values(x.size, 9 * k + i, 7), x.shape)))));
      }
      t.is(tf.memory().numTensors, before, 'no tensor leaks');
      tf.dispose([...online, ...ours, ...theirs, ...looped]);
    });
  }

  onBackend('12 DDPG episodes give the same critic losses, mean Q, actor losses and networks as with the op chains', async (t) => {
    // hidden 96 x 64: the 96x64 kernels (6,144 values) take tfjs's ops, the rest the loop; 4 warm-up episodes, the
    // last of which already learns (agent/ddpg.ts), so 9 learning episodes of 4 updates each
    const options = { stateSize: 5, actionSize: 1, layers: 4, seed: 21, hidden: [96, 64], warmupEpisodes: 4, batchSize: 16 };
    const play = () => {
      const agent = new Ddpg(options);
      const before = tf.memory().numTensors;
      const reports = Array.from({ length: 12 }, () => playToyEpisode(agent).report);
      t.is(tf.memory().numTensors, before, 'no tensor leaks across the updates');
      return { agent, reports };
    };
    const ours = play();
    const shipped = { apply: Adam.prototype.apply, soft: Ddpg.prototype.softUpdateTargets };
    // the same agent with the reference forms in place of the shipped ones
    Adam.prototype.apply = ReferenceAdam.prototype.apply;
    Ddpg.prototype.softUpdateTargets = function (this: Ddpg) {
      referenceSoftUpdate(this.targetActor, this.actor, this.config.tau);
      referenceSoftUpdate(this.targetCritic, this.critic, this.config.tau);
    };
    let theirs: ReturnType<typeof play>;
    try {
      theirs = play();
    } finally {
      Adam.prototype.apply = shipped.apply;
      Ddpg.prototype.softUpdateTargets = shipped.soft;
    }
    const learnt = ours.reports.filter((r) => r.updates > 0);
    t.is(learnt.length, 9);
    t.true(learnt.every((r) => Number.isFinite(r.criticLoss) && Number.isFinite(r.meanQ) && Number.isFinite(r.actorLoss)));
    t.deepEqual(ours.reports, theirs.reports);
    const [a, b] = [await ours.agent.checkpoint(), await theirs.agent.checkpoint()];
    t.true(Object.keys(a.blobs).every((k) => Buffer.from(a.blobs[k].buffer).equals(Buffer.from(b.blobs[k].buffer))), 'networks, targets and Adam moments bit-identical');
    ours.agent.dispose();
    theirs.agent.dispose();
  });
}
