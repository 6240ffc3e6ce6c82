/**
 * A planner without an agent: it makes its candidates by measuring (or by costing alone), then stores them as
 * consecutive episodes, best first, so the re-rank sees every planner's k best (--rerank-top) the same way. When a
 * problem has fewer distinct candidates than planned, the last one is stored again (a cache hit: the re-rank takes
 * distinct strategies).
 */
import { CompressionEnv } from '../../env/compression-env.js';
import { describeSpec } from '../../env/knobs.js';
import type { LayerSpec } from '../../learners/types.js';
import type { Planner, PlannerContext } from './types.js';

export function candidateList(ctx: PlannerContext, planned: number, make: () => Promise<LayerSpec[][]>): Planner {
  let list: Promise<LayerSpec[][]> | null = null;
  return {
    planned,
    async propose(episodes) {
      list ??= make();
      const all = await list;
      return episodes.map((episode) => {
        ctx.emit({ type: 'episode-started', episode, phase: 'learning' });
        const strategy = all[Math.min(episode, all.length - 1)];
        strategy.forEach((spec, l) => ctx.emit({ type: 'layer-chosen', episode, layer: ctx.env.layers[l].index, choice: describeSpec(ctx.env.layers[l].name, spec, ctx.env.channelsAt(l, spec)) }));
        return { episode, strategy, phase: 'learning' as const, agentSeconds: 0, clamped: 0, transitions: [] };
      });
    },
    learn: async () => ({ report: null, checkpoint: { format: `autoshrink-${ctx.config.agent}`, version: 1 } }),
    restore: () => {},
    dispose: () => {},
  };
}

/** The first `k` distinct strategies of `strategies`, in order. */
export function distinct(strategies: LayerSpec[][], k: number): LayerSpec[][] {
  const seen = new Set<string>();
  const out: LayerSpec[][] = [];
  for (const s of strategies) {
    const key = CompressionEnv.strategyKey(s);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(s);
    if (out.length >= k) break;
  }
  return out;
}
