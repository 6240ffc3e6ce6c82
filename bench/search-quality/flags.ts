/**
 * The harness's command line: every flag it knows, parsed strictly (an unknown flag or a malformed value stops it
 * with one line and exit 2, before anything runs), and the canonical command that reproduces a run of it.
 */

/** A cell's budget and the bit range its planners search: `size:1.5bits:1-8` (bits 1..8). */
export interface Regime {
  budget: string;
  bits: [number, number];
}

/** A number for every model, or per model (`lenet5=100,mobilenet-tiny=300`). */
export type PerModel = { all?: number; byModel: Record<string, number> };

export interface Options {
  models: string[];
  regimes: Regime[];
  planners: string[];
  seeds: number[];
  episodes: PerModel;
  finetuneSteps?: PerModel;
  finalSteps?: PerModel;
  rerankTop?: number;
  rerankSteps?: number;
  reward?: string;
  /** Held-out images for the re-rank (the pipeline's `holdoutSize`), when given. */
  holdoutSize?: number;
  /** Which channels the channels knob keeps (`channelMethod`: l1 or lasso), the same in every row; bench/channel-search.ts. */
  channelMethod?: 'l1' | 'lasso';
  /** The candidate default's critic-only episodes (`criticWarmup`), when given. */
  criticWarmup?: number;
  knobs: string[];
  /** Final fine-tunes per run (their mean is the row's test accuracy). */
  finals: number;
  /** Finals of the noise probe (the first seed's knapsack run of each cell); 0 = none. */
  noiseFinals: number;
  /** How the time-matched local search gets DDPG's wall time: as an episode count, or as the run's `time` limit. */
  timeMatch: 'episodes' | 'time' | 'off';
  jobs: number;
  data: string;
  backend: string;
  workdir?: string;
  out: string;
  fresh: boolean;
  /** Write the report from the rows already measured and run nothing (a benchmark stopped before its end). */
  reportOnly: boolean;
}

export class FlagError extends Error {
  override name = 'FlagError';
}

const DEFAULTS = {
  models: 'lenet5,mobilenet-tiny',
  regimes: 'size:1.5bits:1-8,size:2bits:2-8',
  planners: 'uniform,greedy,knapsack,local,random,ddpg,ddpg+knapsack',
  episodes: '100',
  knobs: 'bits,prune',
  finals: '1',
  'noise-finals': '0',
  'time-match': 'episodes',
  jobs: '1',
  data: 'mnist',
  backend: 'auto',
  out: 'bench/results/search-quality.md',
};
const VALUED = [...Object.keys(DEFAULTS), 'seeds', 'finetune-steps', 'final-steps', 'rerank-top', 'rerank-steps', 'reward', 'holdout-size', 'critic-warmup', 'workdir'];
const SWITCHES = ['fresh', 'report-only'];

/** `--name value` pairs and switches; anything else is refused. */
function readArgv(argv: string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) throw new FlagError(`unexpected argument '${a}': every value follows its --flag`);
    const name = a.slice(2);
    if (SWITCHES.includes(name)) out.set(name, 'true');
    else if (VALUED.includes(name)) {
      const v = argv[i + 1];
      if (v === undefined || v.startsWith('--')) throw new FlagError(`--${name} needs a value`);
      out.set(name, v);
      i += 1;
    } else throw new FlagError(`unknown flag --${name}; known: ${[...VALUED, ...SWITCHES].map((f) => `--${f}`).join(' ')}`);
  }
  return out;
}

const list = (text: string) => text.split(',').map((s) => s.trim()).filter(Boolean);

function integer(name: string, text: string, min: number): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min) throw new FlagError(`--${name} ${text}: needs an integer >= ${min}`);
  return n;
}

/** `size:1.5bits:1-8` -> budget size:1.5bits, bits [1, 8]. The bit range is the text after the last colon. */
export function parseRegime(text: string): Regime {
  const m = /^(.+):(\d+)-(\d+)$/.exec(text);
  if (!m) throw new FlagError(`--regimes ${text}: give BUDGET:MIN-MAX, e.g. size:1.5bits:1-8`);
  const bits: [number, number] = [Number(m[2]), Number(m[3])];
  if (!(bits[0] >= 1 && bits[1] <= 8 && bits[0] <= bits[1])) throw new FlagError(`--regimes ${text}: the bit range must lie in 1-8, min <= max`);
  return { budget: m[1], bits };
}

export const regimeText = (r: Regime) => `${r.budget}:${r.bits[0]}-${r.bits[1]}`;

/** `100` or `lenet5=100,mobilenet-tiny=300`. */
export function parsePerModel(name: string, text: string, models: string[]): PerModel {
  if (/^\d+$/.test(text)) return { all: integer(name, text, 0), byModel: {} };
  const byModel: Record<string, number> = {};
  for (const part of list(text)) {
    const [model, value] = part.split('=');
    if (value === undefined) throw new FlagError(`--${name} ${text}: give N or MODEL=N,MODEL=N`);
    byModel[model] = integer(name, value, 0);
  }
  const missing = models.filter((m) => byModel[m] === undefined);
  if (missing.length) throw new FlagError(`--${name} ${text}: no value for ${missing.join(', ')}`);
  return { byModel };
}

export const perModel = (v: PerModel, model: string): number => v.byModel[model] ?? v.all!;
const perModelText = (v: PerModel) => (v.all !== undefined ? String(v.all) : Object.entries(v.byModel).map(([m, n]) => `${m}=${n}`).join(','));

export function parseFlags(argv: string[]): Options {
  const given = readArgv(argv);
  const get = (name: keyof typeof DEFAULTS) => given.get(name) ?? DEFAULTS[name];
  const models = list(get('models'));
  if (!given.has('seeds')) throw new FlagError('--seeds is required, e.g. --seeds 6,7,8,9,10 (fresh seeds: none of the defaults was chosen on them)');
  const seeds = list(given.get('seeds')!).map((s) => integer('seeds', s, 0));
  if (new Set(seeds).size !== seeds.length) throw new FlagError(`--seeds ${given.get('seeds')}: a seed is repeated`);
  const timeMatch = get('time-match');
  if (!['episodes', 'time', 'off'].includes(timeMatch)) throw new FlagError(`--time-match ${timeMatch}: use episodes, time or off`);
  const optionalInt = (name: string, min: number) => (given.has(name) ? integer(name, given.get(name)!, min) : undefined);
  const optionalPerModel = (name: string) => (given.has(name) ? parsePerModel(name, given.get(name)!, models) : undefined);
  return {
    models,
    regimes: list(get('regimes')).map(parseRegime),
    planners: list(get('planners')),
    seeds,
    episodes: parsePerModel('episodes', get('episodes'), models),
    finetuneSteps: optionalPerModel('finetune-steps'),
    finalSteps: optionalPerModel('final-steps'),
    rerankTop: optionalInt('rerank-top', 0),
    rerankSteps: optionalInt('rerank-steps', 1),
    reward: given.get('reward'),
    holdoutSize: optionalInt('holdout-size', 1),
    criticWarmup: optionalInt('critic-warmup', 0),
    knobs: list(get('knobs')),
    finals: integer('finals', get('finals'), 1),
    noiseFinals: integer('noise-finals', get('noise-finals'), 0),
    timeMatch: timeMatch as Options['timeMatch'],
    jobs: integer('jobs', get('jobs'), 1),
    data: get('data'),
    backend: get('backend'),
    workdir: given.get('workdir'),
    out: get('out'),
    fresh: given.has('fresh'),
    reportOnly: given.has('report-only'),
  };
}

/**
 * The command that reproduces these results: every flag that shapes a row, in a fixed order. --jobs, --workdir and
 * --fresh do not change a row and are left out, so a resumed or differently parallel run records the same command.
 */
export function commandOf(o: Options): string {
  const parts = [
    'npx tsx bench/search-quality.ts',
    `--models ${o.models.join(',')}`,
    `--regimes ${o.regimes.map(regimeText).join(',')}`,
    `--planners ${o.planners.join(',')}`,
    `--seeds ${o.seeds.join(',')}`,
    `--episodes ${perModelText(o.episodes)}`,
    o.finetuneSteps ? `--finetune-steps ${perModelText(o.finetuneSteps)}` : '',
    o.finalSteps ? `--final-steps ${perModelText(o.finalSteps)}` : '',
    o.rerankTop === undefined ? '' : `--rerank-top ${o.rerankTop}`,
    o.rerankSteps === undefined ? '' : `--rerank-steps ${o.rerankSteps}`,
    o.reward ? `--reward ${o.reward}` : '',
    o.holdoutSize === undefined ? '' : `--holdout-size ${o.holdoutSize}`,
    o.criticWarmup === undefined ? '' : `--critic-warmup ${o.criticWarmup}`,
    `--knobs ${o.knobs.join(',')}`,
    `--finals ${o.finals}`,
    o.noiseFinals ? `--noise-finals ${o.noiseFinals}` : '',
    `--time-match ${o.timeMatch}`,
    `--data ${o.data}`,
    o.backend === 'auto' ? '' : `--backend ${o.backend}`,
    `--out ${o.out}`,
  ];
  return parts.filter(Boolean).join(' ');
}
