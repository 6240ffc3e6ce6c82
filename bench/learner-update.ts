/**
 * What the DDPG learner's optimizer and soft target update cost in one JavaScript loop per variable (agent/adam.ts
 * adamLoop, agent/mlp.ts softLoop) against tfjs's op chains (adamOps, softOps), side by side in one process on the
 * wasm backend:
 * 1. one Adam step and one soft update of a single variable, by size: where the loop stops paying (the thresholds
 *    ADAM_LOOP_MAX_SIZE and SOFT_LOOP_MAX_SIZE);
 * 2. the agent's CPU per learning episode (play and `endEpisode` with one update per layer, as per-transition does)
 *    for each hidden size, with every variable in the ops, every one in the loop, and by size as shipped, the forms
 *    alternating in rounds so a change of load falls on all; their episode reports must agree exactly.
 * Results: bench/results/learner-update.md.
 *   npx tsx bench/learner-update.ts [--hidden 300x300,64x64] [--episodes 20] [--rounds 3] [--layers 8] [--state 20]
 */
import { selectBackend } from '../env/backend.js';
import { Adam, ADAM_LOOP_MAX_SIZE, adamLoop, adamOps } from '../agent/adam.js';
import { Ddpg } from '../agent/ddpg.js';
import type { EpisodeReport } from '../agent/agent.js';
import { SOFT_LOOP_MAX_SIZE, softLoop, softOps } from '../agent/mlp.js';
import * as tf from '../tfjs.js';
import { arg, table, writeResults } from './common.js';

const hiddens = arg('hidden', '300x300,64x64').split(',').map((h) => h.split('x').map(Number));
const episodes = Number(arg('episodes', '20'));
const rounds = Number(arg('rounds', '3'));
const layers = Number(arg('layers', '8'));
const stateSize = Number(arg('state', '20'));
await selectBackend('wasm');

/** Whole-network forms: every variable in tfjs's ops (as before), every one in the loop, or as shipped (by size). */
type Form = 'tfjs ops' | 'loop' | 'by size';
const FORMS: Form[] = ['tfjs ops', 'loop', 'by size'];
const shipped = { adam: Adam.prototype.apply, targets: Ddpg.prototype.softUpdateTargets };
function everyVariable(step: typeof adamOps, soft: typeof softOps) {
  return {
    adam(this: Adam, grads: tf.Tensor[]): void {
      const { lr, beta1, beta2, epsilon } = this.args;
      this.step += 1;
      const s = { beta1, beta2, lr, epsilon, c1: 1 - beta1 ** this.step, c2: 1 - beta2 ** this.step };
      this.params.forEach((p, i) => step(p, this.m[i], this.v[i], grads[i], s));
    },
    targets(this: Ddpg): void {
      this.targetActor.forEach((t, i) => soft(t, this.actor[i], this.config.tau));
      this.targetCritic.forEach((t, i) => soft(t, this.critic[i], this.config.tau));
    },
  };
}
const forms: Record<Form, { adam: typeof Adam.prototype.apply; targets: typeof Ddpg.prototype.softUpdateTargets }> = {
  'tfjs ops': everyVariable(adamOps, softOps),
  loop: everyVariable(adamLoop, softLoop),
  'by size': shipped,
};
function use(form: Form): void {
  Adam.prototype.apply = forms[form].adam;
  Ddpg.prototype.softUpdateTargets = forms[form].targets;
}

const cpuMs = (since: NodeJS.CpuUsage) => {
  const u = process.cpuUsage(since);
  return (u.user + u.system) / 1000;
};

// 1. per variable: us of one Adam step and one soft update, by size, both forms
const sizes = [1, 64, 300, 1000, 2000, 4000, 6300, 10000, 20000, 90000];
const perVariable: Array<Array<string | number>> = [];
const scalars = { lr: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, c1: 1 - 0.9 ** 10, c2: 1 - 0.999 ** 10 };
for (const n of sizes) {
  const reps = Math.max(50, Math.min(3000, Math.round(1e7 / n)));
  const p = tf.variable(tf.randomNormal([n], 0, 1, 'float32', 1));
  const [m, v] = [tf.variable(tf.zeros([n]), false), tf.variable(tf.zeros([n]), false)];
  const target = tf.variable(tf.randomNormal([n], 0, 1, 'float32', 2), false);
  const g = tf.randomNormal([n], 0, 1, 'float32', 3);
  const us: number[] = [];
  for (const [adam, soft] of [[adamOps, softOps], [adamLoop, softLoop]] as const) {
    for (let i = 0; i < 10; i++) adam(p, m, v, g, scalars);
    let t0 = process.cpuUsage();
    for (let i = 0; i < reps; i++) adam(p, m, v, g, scalars);
    us.push((cpuMs(t0) * 1000) / reps);
    for (let i = 0; i < 10; i++) soft(target, p, 0.01);
    t0 = process.cpuUsage();
    for (let i = 0; i < reps; i++) soft(target, p, 0.01);
    us.push((cpuMs(t0) * 1000) / reps);
  }
  tf.dispose([p, m, v, target, g]);
  const row = [n, ...us.map((x) => x.toFixed(1)), (us[0] / us[2]).toFixed(2), (us[1] / us[3]).toFixed(2)];
  perVariable.push(row);
  console.log(row.join('  '));
}

// 2. the agent's CPU per learning episode, both forms alternating
/** One exploring episode on a fixed toy: state one-hot(layer) padded to stateSize, reward -mean (a - 0.5)^2. */
function play(agent: Ddpg): EpisodeReport {
  let sum = 0;
  for (let l = 0; l < layers; l++) {
    const state = Array.from({ length: stateSize }, (_, i) => (i === l % stateSize ? 1 : 0));
    const [a] = agent.act(state, true);
    sum += (a - 0.5) ** 2;
    agent.observe({ state, action: [a], nextState: state, done: l + 1 === layers });
  }
  return agent.endEpisode(-sum / layers);
}
const perEpisode: Array<Array<string | number>> = [];
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
for (const hidden of hiddens) {
  const ms: Record<Form, number[]> = { 'tfjs ops': [], loop: [], 'by size': [] };
  const reports: Partial<Record<Form, string>> = {};
  for (let r = 0; r < rounds; r++) {
    for (const form of r % 2 === 0 ? FORMS : [...FORMS].reverse()) {
      use(form);
      const agent = new Ddpg({ stateSize, actionSize: 1, layers, seed: 5, hidden, warmupEpisodes: 2, updatesPerEpisode: 'per-transition' });
      play(agent);
      play(agent);
      const tensors = tf.memory().numTensors;
      const t0 = process.cpuUsage();
      const got = Array.from({ length: episodes }, () => play(agent));
      ms[form].push(cpuMs(t0) / episodes);
      if (tf.memory().numTensors !== tensors) throw new Error(`${form}: ${tf.memory().numTensors - tensors} tensors leaked`);
      reports[form] = JSON.stringify(got);
      agent.dispose();
    }
  }
  if (!FORMS.every((form) => reports[form] === reports['tfjs ops'])) throw new Error(`${hidden.join('x')}: the forms' episode reports differ`);
  const [ops, loop, bySize] = FORMS.map((form) => median(ms[form]));
  const row = [hidden.join('x'), layers, ops.toFixed(1), loop.toFixed(1), bySize.toFixed(1), (ops / loop).toFixed(2), (ops / bySize).toFixed(2), FORMS.map((form) => ms[form].map((x) => x.toFixed(1)).join(', ')).join(' / ')];
  perEpisode.push(row);
  console.log(row.join('  '));
}

const body = [
  'One Adam step and one soft update of a single float32 variable of n values (CPU us a call, process.cpuUsage):',
  '',
  table(['n', 'Adam, tfjs ops', 'soft, tfjs ops', 'Adam, loop', 'soft, loop', 'Adam ops/loop', 'soft ops/loop'], perVariable),
  '',
  `The agent's CPU per learning episode (ms; ${layers} updates an episode, batch 64, state ${stateSize}, action 1; median of ${rounds} rounds of ${episodes} episodes, the forms alternating; every variable in tfjs's ops as before, every one in the loop, or by size as shipped: the loop up to ${ADAM_LOOP_MAX_SIZE} values for Adam and ${SOFT_LOOP_MAX_SIZE} for the soft update). The three forms' episode reports (critic loss, mean Q, actor loss) are identical, else the benchmark stops:`,
  '',
  table(['hidden', 'updates', 'tfjs ops', 'loop', 'by size', 'ops/loop', 'ops/by size', 'rounds (ops / loop / by size)'], perEpisode),
  '',
  "The loop computes tfjs's float32 arithmetic operation by operation (test/agent/update-loops.test.ts compares the bits on the cpu and the wasm backend). It pays where the ops' fixed cost (a kernel call and a new tensor each, ~16 for Adam) dominates; on large kernels wasm's SIMD ops outrun a scalar loop with three float64 divisions and a square root a value, so the shipped form keeps the ops there.",
].join('\n');
writeResults('bench/results/learner-update.md', "The DDPG learner's Adam and soft update: one loop per variable against tfjs's op chains", `npx tsx bench/learner-update.ts ${process.argv.slice(2).join(' ')}`.trim(), body);
