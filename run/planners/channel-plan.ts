/**
 * `--agent plan`: the hand rule for channels, on the run's preserve-ratio grid. Every layer that can be cut takes one
 * preserve ratio, the largest of the grid whose whole strategy fits every budget; then what is left is spent one rung
 * at a time on the layer keeping the smallest fraction of its channels (ties: the lower layer), while the strategy
 * still fits. This is env/channel-pruning/plan.ts's `planChannels` (the L1 plan of equal FLOPs the channel benchmark
 * pitted DDPG against) moved onto the grid the search walks, so the same strategy can seed DDPG (--warm-start plan)
 * and start the local search, and costed by the env, so it plans any budget the walls hold (FLOPs, latency, size,
 * two at once). A layer's other knobs stay at their costliest setting; pinned layers keep their pin. One candidate:
 * the rule has no runners-up (the candidate list stores it again for the rest of --rerank-top, a cache hit).
 */
import type { CompressionEnv } from '../../env/compression-env.js';
import { preserveOf, withoutPreserve } from '../../env/knobs.js';
import { sameSpec } from '../../env/budget.js';
import type { LayerSpec } from '../../learners/types.js';
import { candidateList } from './candidate-list.js';
import { candidatesOf, type Planner, type PlannerContext } from './types.js';

export function planPlanner(ctx: PlannerContext): Planner {
  return candidateList(ctx, candidatesOf(ctx.config), async () => {
    const strategy = channelPlan(ctx.env);
    const kept = ctx.env.layerChannels(strategy).filter(([k, n]) => k < n).length;
    ctx.emit({ type: 'log', level: 'info', message: `plan: one preserve ratio for every layer, then the leftover a rung at a time; ${kept} layers cut, ${((ctx.env.cost(strategy) / ctx.env.plan.limit) * 100).toFixed(1)}% of the budget` });
    return [strategy];
  });
}

/**
 * Which of two settings of equal cost keeps more of the layer: more bits, less pruning, no clustering (else more
 * clusters), full-precision activations (else more bits). A flops or latency budget prices bits, pruning and
 * clusters alike, so the costliest settings tie and the plan must not take the most damaging of them (prune 0.9).
 */
function fidelityFirst(a: LayerSpec, b: LayerSpec): number {
  const clusters = (s: LayerSpec) => (s.clusters === 0 ? Infinity : s.clusters);
  const abits = (s: LayerSpec) => s.activationBits ?? Infinity;
  return b.bits - a.bits || a.pruneRatio - b.pruneRatio || clusters(b) - clusters(a) || abits(b) - abits(a) || 0;
}

/** Per layer, its preserve-ratio ladder (cheapest first): its candidates with the costliest setting's other knobs
 * (of the costliest settings, the one that keeps the most: fidelityFirst). */
export function preserveLadders(env: CompressionEnv): LayerSpec[][] {
  return env.plan.candidates.map(({ specs, costs }) => {
    const most = costs[costs.length - 1];
    const costliest = specs.filter((_, j) => costs[j] >= most * (1 - 1e-9));
    const top = withoutPreserve([...costliest].sort(fidelityFirst)[0]);
    const ladder = specs.filter((s) => sameSpec(withoutPreserve(s), top));
    return ladder.sort((a, b) => preserveOf(a) - preserveOf(b));
  });
}

/** The plan's strategy: one ratio that fits, then the leftover a rung at a time; the cheapest strategy if none fits. */
export function channelPlan(env: CompressionEnv): LayerSpec[] {
  const ladders = preserveLadders(env);
  const ratios = [...new Set(ladders.flatMap((l) => l.map(preserveOf)))].sort((a, b) => b - a);
  // each layer at the highest rung not above `r`
  const at = (r: number) => ladders.map((l) => Math.max(0, l.filter((s) => preserveOf(s) <= r + 1e-12).length - 1));
  const toStrategy = (choice: number[]) => choice.map((j, i) => ladders[i][j]);
  let choice = at(ratios[ratios.length - 1]);
  for (const r of ratios) {
    if (env.fits(toStrategy(at(r)))) {
      choice = at(r);
      break;
    }
  }
  // nothing fits (a pin over the budget): the cheapest, which the final stage reports over the budget
  if (!env.fits(toStrategy(choice))) return toStrategy(choice);
  const fraction = (i: number) => {
    const c = env.channelsAt(i, ladders[i][choice[i]]);
    return c ? c[0] / c[1] : preserveOf(ladders[i][choice[i]]);
  };
  for (;;) {
    const order = ladders
      .map((_, i) => i)
      .filter((i) => choice[i] + 1 < ladders[i].length)
      .sort((a, b) => fraction(a) - fraction(b) || a - b);
    const grow = order.find((i) => {
      const raised = choice.slice();
      raised[i] += 1;
      return env.fits(toStrategy(raised));
    });
    if (grow === undefined) return toStrategy(choice);
    choice[grow] += 1;
  }
}
