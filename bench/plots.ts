/**
 * Plots beside the benchmark tables, drawn with the report's chart functions (report/): for every
 * bench/results/search-quality*.rows.jsonl (the rows bench/search-quality.ts appends, one JSON object a line) and every
 * older bench/results/search-quality*.json (earlier rounds' rows), the best-so-far validation reward
 * by episode of each planner, averaged over its seeds, as an SVG beside the JSON (`<name>-best-so-far.svg`, or
 * `<name>-<model>-<regime>-best-so-far.svg` when a file holds several). DDPG's random warm-up is shaded.
 *
 *   npx tsx bench/plots.ts [--results bench/results]
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bestSoFar, renderSvg, rewardSpec, type RewardRun } from '../report/index.js';
import { arg } from './common.js';
import { readRows } from './search-quality/rows.js';

interface Row {
  model: string;
  regime: string;
  /** The planner (`planner` in the rows file, `agent` in earlier rounds' JSON). */
  agent: string;
  seed: number;
  status: string;
  rewards?: number[];
  settings?: { warmup: number };
}

/** The mean over curves of the value at each index, over the curves that reach it. */
function meanCurve(curves: number[][]): number[] {
  const length = Math.max(0, ...curves.map((c) => c.length));
  return Array.from({ length }, (_, i) => {
    const values = curves.filter((c) => i < c.length).map((c) => c[i]);
    return values.reduce((s, v) => s + v, 0) / values.length;
  });
}

/** One series per planner that searched (one-shot planners, a single episode, have no curve), its mean best-so-far
 * curve, the DDPG planners' warm-up episodes marked. */
function plannerCurves(rows: Row[]): RewardRun[] {
  const agents = [...new Set(rows.filter((r) => r.rewards!.length > 1).map((r) => r.agent))];
  return agents.map((agent) => {
    const own = rows.filter((r) => r.agent === agent);
    const curve = meanCurve(own.map((r) => bestSoFar(r.rewards!)));
    const warmup = agent.startsWith('ddpg') ? (own[0].settings?.warmup ?? 0) : 0;
    return {
      label: `${agent} (${own.length} seed${own.length > 1 ? 's' : ''})`,
      episodes: curve.map((reward, episode) => ({ episode, reward, phase: episode < warmup ? 'warmup' : 'search' })),
    };
  });
}

const dir = arg('results', 'bench/results');
/** The rows of a results file of either form, each with its planner as `agent`. */
function rowsOf(path: string): Row[] {
  if (path.endsWith('.rows.jsonl')) return readRows(path).rows.map((r) => ({ ...r, agent: r.planner }));
  return (JSON.parse(readFileSync(path, 'utf8')) as { rows: Row[] }).rows;
}

for (const file of readdirSync(dir).filter((f) => /^search-quality.*(\.json|\.rows\.jsonl)$/.test(f)).sort()) {
  const rows = rowsOf(join(dir, file)).filter((r) => r.status === 'ok' && r.rewards?.length);
  const groups = [...new Set(rows.map((r) => `${r.model}\t${r.regime}`))];
  for (const group of groups) {
    const [model, regime] = group.split('\t');
    const spec = rewardSpec(plannerCurves(rows.filter((r) => r.model === model && r.regime === regime)), {
      title: `Best validation reward so far: ${model}, ${regime}`,
      subtitle: ['mean over seeds of each planner', 'shaded: DDPG random warm-up'],
      yTitle: 'mean best reward',
      legendTitle: 'planner',
    });
    const base = file.replace(/(\.rows\.jsonl|\.json)$/, '');
    const out = join(dir, groups.length > 1 ? `${base}-${model}-${regime.replace(/[^\w.]+/g, '-')}-best-so-far.svg` : `${base}-best-so-far.svg`);
    writeFileSync(out, `${await renderSvg(spec)}\n`);
    process.stdout.write(`wrote ${out}\n`);
  }
}
