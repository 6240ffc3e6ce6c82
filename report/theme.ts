/**
 * What every chart of a report shares: the Vega-Lite config (font, sizes), the run colours and the cost unit. The
 * font stack names DejaVu Sans first because it is what a bare Debian machine has (for the PNG, which resvg draws
 * with the system's fonts); a browser falls back to its own sans-serif.
 */
import type { Config } from 'vega-lite';
import type { CostKind } from './types.js';

export const FONT = 'DejaVu Sans, Helvetica, Arial, sans-serif';
export const WIDTH = 560;
export const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

/** Tableau 10: runs, in the order given, get these colours. */
export const RUN_COLORS = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];

export const CONFIG: Config = {
  font: FONT,
  background: 'white',
  padding: 8,
  title: { fontSize: 14, anchor: 'start', subtitleColor: '#555', subtitleFontSize: 11 },
  axis: { labelFontSize: 11, titleFontSize: 12, gridColor: '#eee' },
  legend: { labelFontSize: 11, titleFontSize: 12, orient: 'bottom', direction: 'vertical', labelLimit: 520 },
  view: { stroke: '#ccc' },
};

/** The colour scale: one colour per run label, in the report's order. */
export function runColor(labels: readonly string[], title = 'run') {
  return { field: 'run', type: 'nominal' as const, title, scale: { domain: [...labels], range: RUN_COLORS.slice(0, Math.max(1, labels.length)) } };
}

export interface CostUnit {
  /** Divide a cost by this to plot it. */
  divisor: number;
  /** The axis title, with its unit. */
  title: string;
}

/** A readable unit for costs up to `max`: kB or MB for size, k/M/G MACs for flops, k/M/G for bit-operations, ms for latency. */
export function costUnit(kind: CostKind, max: number): CostUnit {
  const steps: Array<[number, string]> = [[1, ''], [1e3, 'k'], [1e6, 'M'], [1e9, 'G'], [1e12, 'T']];
  let [divisor, prefix] = steps[0];
  for (const [d, p] of steps) if (max / d >= 1) [divisor, prefix] = [d, p];
  switch (kind) {
    case 'size':
      return { divisor, title: `packed size (${prefix}B)` };
    case 'flops':
      return { divisor, title: `multiply-accumulates after pruning${prefix ? ` (${prefix})` : ''}` };
    case 'bitops':
      return { divisor, title: `bit-operations${prefix ? ` (${prefix})` : ''}` };
    case 'latency':
      return { divisor: 1, title: 'predicted latency (ms per predict call)' };
  }
}
