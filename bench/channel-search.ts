/**
 * Channel search, one pipeline for every planner: per cell (model x channel budget) the planners uniform (one preserve
 * ratio, the k costliest that fit), plan (the hand rule of equal cost, run/planners/channel-plan.ts), random, greedy
 * (on per-layer channel sensitivities), local (from the plan), DDPG warm-started from the plan (ddpg+plan, what
 * --warm-start auto gives with channels) and plain DDPG, each run through the product's own search, re-rank and final
 * stage over the seeds given, with the same channel selection (--selection) in every row. It is the search-quality
 * harness (bench/search-quality/: resumable, runs side by side with --jobs, rows appended to `<out>.rows.jsonl`) with
 * the channels knob alone (weights stay fp32, so the comparison is about which channels) and its own report: mean
 * test accuracy with its 95% interval over seeds, paired differences (same seed) of each DDPG against every other
 * planner, the goal of the issue stated with its measured gap, and the measured speed-up of each built model: its
 * tfjs export (as plain tf.loadLayersModel reads it) and the original take turns call by call on a batch of 256 test
 * images, median of --repeats, the original timed twice so the measurement's own noise stands beside it.
 *
 *   npx tsx bench/channel-search.ts --seeds 6,7,8,9,10 [--models lenet5,mobilenet-tiny] [--budgets flops:0.5,flops:0.3]
 *     [--planners uniform,plan,random,greedy,local,ddpg+plan,ddpg] [--selection l1|lasso] [--episodes 30 | MODEL=N,...]
 *     [--finetune-steps N | MODEL=N,...] [--final-steps N | MODEL=N,...] [--rerank-top K] [--rerank-steps N]
 *     [--finals N] [--repeats 15] [--jobs 2] [--backend auto] [--workdir DIR] [--out bench/results/channel-search.md]
 *     [--fresh] [--report-only]
 */
import { execSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, platform, release, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import * as tf from '../tfjs.js';
import { selectBackend } from '../env/backend.js';
import { sliceBatch } from '../env/batches.js';
import { parseRunConfig } from '../run/config.js';
import { prepare } from '../run/setup.js';
import { FlagError, type Options, parsePerModel, type PerModel, regimeText } from './search-quality/flags.js';
import { checkConfigs, planJobs } from './search-quality/plan.js';
import { openRows, type Row, rowsPathOf } from './search-quality/rows.js';
import { runJobs } from './search-quality/schedule.js';
import { type Cell, comparisons, differenceTable, plannerTable, testOf } from './search-quality/table.js';
import { confidenceInterval } from './stats.js';

const say = (line: string) => process.stdout.write(`${line}\n`);
const DEFAULTS: Record<string, string> = {
  models: 'lenet5,mobilenet-tiny',
  budgets: 'flops:0.5,flops:0.3',
  planners: 'uniform,plan,random,greedy,local,ddpg+plan,ddpg',
  selection: 'l1',
  episodes: '30',
  finals: '1',
  jobs: '1',
  repeats: '15',
  backend: 'auto',
  out: 'bench/results/channel-search.md',
};
const VALUED = [...Object.keys(DEFAULTS), 'seeds', 'finetune-steps', 'final-steps', 'rerank-top', 'rerank-steps', 'workdir'];
const SWITCHES = ['fresh', 'report-only'];
/** The hand rules DDPG has to beat (the issue's goal). */
const HAND = ['uniform', 'plan'];

const list = (text: string) => text.split(',').map((s) => s.trim()).filter(Boolean);
const int = (name: string, text: string, min: number) => {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min) throw new FlagError(`--${name} ${text}: needs an integer >= ${min}`);
  return n;
};
const perModelText = (v: PerModel) => (v.all !== undefined ? String(v.all) : Object.entries(v.byModel).map(([m, n]) => `${m}=${n}`).join(','));

function parse(argv: string[]): Options & { repeats: number } {
  const given = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i].replace(/^--/, '');
    if (!argv[i].startsWith('--')) throw new FlagError(`unexpected argument '${argv[i]}': every value follows its --flag`);
    if (SWITCHES.includes(name)) given.set(name, 'true');
    else if (VALUED.includes(name) && argv[i + 1] !== undefined && !argv[i + 1].startsWith('--')) given.set(name, argv[++i]);
    else throw new FlagError(VALUED.includes(name) ? `--${name} needs a value` : `unknown flag --${name}; known: ${[...VALUED, ...SWITCHES].map((f) => `--${f}`).join(' ')}`);
  }
  const get = (name: string) => given.get(name) ?? DEFAULTS[name];
  if (!given.has('seeds')) throw new FlagError('--seeds is required, e.g. --seeds 6,7,8,9,10');
  const selection = get('selection');
  if (selection !== 'l1' && selection !== 'lasso') throw new FlagError(`--selection ${selection}: use l1 or lasso`);
  const models = list(get('models'));
  const optionalPerModel = (name: string) => (given.has(name) ? parsePerModel(name, given.get(name)!, models) : undefined);
  return {
    models,
    // the bit range is unused (channels alone); the harness's cells carry one
    regimes: list(get('budgets')).map((budget) => ({ budget, bits: [1, 8] as [number, number] })),
    planners: list(get('planners')),
    seeds: list(given.get('seeds')!).map((s) => int('seeds', s, 0)),
    episodes: parsePerModel('episodes', get('episodes'), models),
    finetuneSteps: optionalPerModel('finetune-steps'),
    finalSteps: optionalPerModel('final-steps'),
    rerankTop: given.has('rerank-top') ? int('rerank-top', given.get('rerank-top')!, 0) : undefined,
    rerankSteps: given.has('rerank-steps') ? int('rerank-steps', given.get('rerank-steps')!, 1) : undefined,
    knobs: ['channels'],
    channelMethod: selection,
    finals: int('finals', get('finals'), 1),
    repeats: int('repeats', get('repeats'), 1),
    noiseFinals: 0,
    timeMatch: 'off',
    jobs: int('jobs', get('jobs'), 1),
    data: 'mnist',
    backend: get('backend'),
    workdir: given.get('workdir'),
    out: get('out'),
    fresh: given.has('fresh'),
    reportOnly: given.has('report-only'),
  };
}

/** Every flag that shapes a row, in a fixed order (--jobs, --workdir, --fresh do not). */
function commandOf(o: Options & { repeats: number }): string {
  return [
    'npx tsx bench/channel-search.ts',
    `--models ${o.models.join(',')}`,
    `--budgets ${o.regimes.map((r) => r.budget).join(',')}`,
    `--planners ${o.planners.join(',')}`,
    `--selection ${o.channelMethod}`,
    `--seeds ${o.seeds.join(',')}`,
    `--episodes ${perModelText(o.episodes)}`,
    o.finetuneSteps ? `--finetune-steps ${perModelText(o.finetuneSteps)}` : '',
    o.finalSteps ? `--final-steps ${perModelText(o.finalSteps)}` : '',
    o.rerankTop === undefined ? '' : `--rerank-top ${o.rerankTop}`,
    o.rerankSteps === undefined ? '' : `--rerank-steps ${o.rerankSteps}`,
    `--finals ${o.finals}`,
    `--repeats ${o.repeats}`,
    o.backend === 'auto' ? '' : `--backend ${o.backend}`,
    `--out ${o.out}`,
  ]
    .filter(Boolean)
    .join(' ');
}

function shell(command: string, fallback: string): string {
  try {
    return execSync(command, { encoding: 'utf8' }).trim();
  } catch {
    return fallback;
  }
}

const pts = (v: number) => `${v >= 0 ? '+' : ''}${(v * 100).toFixed(2)}`;

/**
 * The issue's goal in one cell: each DDPG's mean against the best hand rule's (uniform, plan), and whether the paired
 * interval against it is clear of 0.
 */
function goalLines(rows: Row[], cells: Cell[], planners: string[]): string[] {
  const ddpgs = ['ddpg+plan', 'ddpg'].filter((p) => planners.includes(p));
  return ddpgs.map((ddpg) => {
    let atLeast = 0;
    let clear = 0;
    const parts = cells.map((cell) => {
      const ok = (p: string) => rows.filter((r) => r.status === 'ok' && r.model === cell.model && r.regime === cell.regime && r.planner === p);
      const hands = HAND.filter((p) => planners.includes(p) && ok(p).length).map((p) => ({ p, m: confidenceInterval(ok(p).map(testOf)).mean }));
      if (!ok(ddpg).length || !hands.length) return `${cell.model} ${cell.regime.replace(/:\d+-\d+$/, '')}: not measured`;
      const best = hands.reduce((a, b) => (b.m > a.m ? b : a));
      const c = comparisons(rows, cell, planners).find((x) => x.ddpg === ddpg && x.other === best.p);
      const gap = confidenceInterval(ok(ddpg).map(testOf)).mean - best.m;
      if (gap >= 0) atLeast++;
      if (c && c.diff.low > 0) clear++;
      return `${cell.model} ${cell.regime.replace(/:\d+-\d+$/, '')}: ${ddpg} - ${best.p} ${pts(gap)} points${c && !Number.isNaN(c.diff.halfWidth) ? ` [${pts(c.diff.low)}, ${pts(c.diff.high)}]` : ' (one pair: no interval)'}`;
    });
    const met = atLeast === cells.length && clear >= 2;
    return `- **${ddpg}: goal ${met ? 'met' : 'NOT met'}** (at least the best hand rule in ${atLeast} of ${cells.length} cells, above it with the interval clear of 0 in ${clear}): ${parts.join('; ')}.`;
  });
}

/** The tfjs export of a run's pick, loaded as any tfjs user would (tf.loadLayersModel, no autoshrink code), or null. */
async function loadExport(dir: string): Promise<tf.LayersModel | null> {
  if (!existsSync(join(dir, 'model.json'))) return null;
  const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as { modelTopology: object; weightsManifest: Array<{ weights: tf.io.WeightsManifestEntry[] }> };
  const bin = readFileSync(join(dir, 'weights.bin'));
  return tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights, weightData: new Uint8Array(bin).buffer }));
}

/** Speed-up per row id (the original's median time over the export's), and per model the original timed against itself. */
interface Speed {
  byRow: Map<string, number>;
  noise: Map<string, number>;
}

/** Median predict() times on 256 test images, the original (twice) and every pick of a model taking turns call by call. */
async function timeModels(o: Options, rows: Row[], workdir: string, repeats: number): Promise<Speed> {
  const speed: Speed = { byRow: new Map(), noise: new Map() };
  for (const model of o.models) {
    const mine = rows.filter((r) => r.model === model && r.status === 'ok' && r.runId);
    if (!mine.length) continue;
    const c = parseRunConfig({ model });
    const bench = await prepare({ model, data: c.data, dataSeed: c.dataSeed, validationSize: c.validationSize, holdoutSize: c.holdoutSize, workdir });
    const loaded = await Promise.all(mine.map((r) => loadExport(join(workdir, 'runs', r.runId!, 'tfjs'))));
    const list = [bench.model, bench.model, ...loaded.filter((m): m is tf.LayersModel => m !== null)];
    const [x, y] = sliceBatch(bench.data.test, bench.data.inputShape, 0, 256);
    y.dispose();
    const times = list.map(() => [] as number[]);
    for (let i = -2; i < repeats; i++) {
      for (const [k, m] of list.entries()) {
        const start = performance.now();
        const out = m.predict(x) as tf.Tensor;
        await out.data();
        out.dispose();
        if (i >= 0) times[k].push(performance.now() - start);
      }
    }
    x.dispose();
    const median = (ts: number[]) => ts.sort((a, b) => a - b)[Math.floor(ts.length / 2)];
    const [base, again, ...picks] = times.map(median);
    speed.noise.set(model, base / again);
    let k = 0;
    mine.forEach((r, i) => loaded[i] && speed.byRow.set(r.id, base / picks[k++]));
    loaded.forEach((m) => m?.dispose());
    bench.model.dispose();
  }
  return speed;
}

/** Per planner of a cell: the mean measured speed-up of its built models over the seeds. */
function speedTable(rows: Row[], cell: Cell, planners: string[], speed: Speed): string {
  const line = planners.map((p) => {
    const xs = rows.filter((r) => r.model === cell.model && r.regime === cell.regime && r.planner === p && speed.byRow.has(r.id)).map((r) => speed.byRow.get(r.id)!);
    return `${p} ${xs.length ? `${(xs.reduce((a, b) => a + b, 0) / xs.length).toFixed(2)}x` : '-'}`;
  });
  const noise = speed.noise.get(cell.model);
  return `Measured speed-up of the built model (tfjs export against the original, mean over seeds): ${line.join(', ')}${noise === undefined ? '' : `; the original against itself: ${noise.toFixed(2)}x (the timing's own noise)`}.`;
}

function report(o: Options, command: string, rows: Row[], backend: string, started: string, commits: string[], speed: Speed): string {
  const cells: Cell[] = o.models.flatMap((model) => o.regimes.map((regime) => ({ model, regime: regimeText(regime) })));
  const failed = rows.filter((r) => r.status === 'failed');
  const cpu = cpus();
  const sections = cells.map((cell) => {
    const baseline = rows.find((x) => x.model === cell.model && x.regime === cell.regime && x.baselineTest !== undefined)?.baselineTest;
    return [
      `### ${cell.model}, ${cell.regime.replace(/:\d+-\d+$/, '')}${baseline === undefined ? '' : `, baseline test ${(baseline * 100).toFixed(2)}%`}`,
      plannerTable(rows, cell, o.planners),
      'Paired differences of test accuracy (same seed), in points:',
      differenceTable(comparisons(rows, cell, o.planners)),
      speedTable(rows, cell, o.planners, speed),
    ].join('\n\n');
  });
  const text = [
    '# Channel search, one pipeline for every planner',
    '',
    `- date: ${started} to ${new Date().toISOString()}`,
    `- machine: ${cpu[0]?.model.trim() ?? 'unknown cpu'}, ${cpu.length} cores (shared), ${platform()} ${release()}, node ${process.version}, backend ${backend}`,
    `- uptime at the end: \`${shell('uptime', 'uptime not available')}\``,
    `- command: \`${command}\` (run with --jobs ${o.jobs})`,
    `- code: ${commits.join(', ')}`,
    `- raw rows: ${rowsPathOf(o.out)}`,
    '',
    `The channels knob alone (weights stay fp32), channel selection ${o.channelMethod} in every row. Every planner goes through the product's own pipeline: \`runSearch\`, then \`finishRun\` (the re-rank of its top candidates, the final fine-tune from the original weights, scored once on the test split). uniform, plan and greedy answer once and hand over their --rerank-top best distinct candidates (the plan has one); random, local (from the plan) and DDPG search for the episodes given. ddpg+plan is DDPG warm-started from the plan (the default with channels); ddpg starts cold. Seeds ${o.seeds.join(', ')}.`,
    failed.length ? `\n**${failed.length} run(s) FAILED**: ${failed.map((x) => `${x.id} (${x.note})`).join('; ')}.` : '',
    '',
    '## Goal: DDPG at least the best hand rule (uniform, plan) in every cell, above it with the paired interval clear of 0 in at least two',
    '',
    ...goalLines(rows, cells, o.planners),
    '',
    '## Results',
    '',
    sections.join('\n\n'),
    '',
  ]
    .join('\n')
    .replace(/\n{3,}/g, '\n\n');
  mkdirSync(dirname(o.out), { recursive: true });
  writeFileSync(o.out, text);
  return text;
}

async function main(): Promise<number> {
  const o = parse(process.argv.slice(2));
  const command = commandOf(o);
  const jobs = planJobs(o);
  checkConfigs(jobs, o);
  const workdir = resolve(o.workdir ?? join(tmpdir(), `autoshrink-channel-search-${createHash('sha1').update(resolve(o.out)).digest('hex').slice(0, 8)}`));
  mkdirSync(workdir, { recursive: true });
  const rowsPath = rowsPathOf(o.out);
  mkdirSync(dirname(rowsPath), { recursive: true });
  const head = shell('git rev-parse --short HEAD', 'unknown');
  const commit = shell('git status --porcelain --untracked-files=no', '') ? `${head} (with uncommitted changes)` : head;
  const started = new Date().toISOString();
  const { kept, dropped } = openRows(rowsPath, { command, started, commit }, jobs, o.fresh);
  say(command);
  say(`${jobs.length} runs planned; ${kept.length} finished earlier and kept${dropped ? `, ${dropped} not kept` : ''}; work directory ${workdir}; rows to ${rowsPath}`);
  const backend = (await selectBackend(o.backend)).name;
  const todo = jobs.filter((j) => !kept.some((r) => r.id === j.id));
  const rows = o.reportOnly ? kept : await runJobs(todo, kept, { jobs: o.jobs, workdir, backend: o.backend, commit, rowsPath, timeMatch: 'off', say });
  const planned = new Set(jobs.map((j) => j.id));
  const mine = rows.filter((r) => planned.has(r.id));
  const speed = await timeModels(o, mine, workdir, o.repeats);
  say(`\n${report(o, command, mine, backend, started, [...new Set(mine.map((r) => r.commit ?? 'unknown'))], speed)}\nwritten to ${o.out}`);
  return mine.some((r) => r.status === 'failed') ? 1 : 0;
}

try {
  process.exitCode = await main();
} catch (e) {
  if (e instanceof FlagError || (e as Error).name === 'ConfigError') {
    process.stderr.write(`${(e as Error).message}\n`);
    process.exitCode = 2;
  } else throw e;
}
