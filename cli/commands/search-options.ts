/**
 * The search knobs as flags: every field of the run config, its default shown in --help, and `--config file.json`
 * for all of them at once (flags given on the command line win over the file).
 */
import type { Argv } from 'yargs';
import { ConfigError } from '../../errors.js';
import { DEFAULT_CONFIG, parseRunConfig, readConfigFile, type RunConfig } from '../../run/config.js';

const d = DEFAULT_CONFIG;
const show = (v: unknown) => (Array.isArray(v) ? v.join(',') : String(v));

export function searchOptions<T>(y: Argv<T>) {
  return y
    .option('config', { type: 'string', describe: 'JSON file with any run config fields (flags win)' })
    .option('model', { type: 'string', describe: 'Built-in model (lenet5, mlp, mobilenet-tiny) or path to a tfjs model.json', defaultDescription: d.model })
    .option('data', { type: 'string', describe: 'Dataset: mnist (bundled 10k), idx:DIR or cifar10:DIR', defaultDescription: d.data })
    .option('data-seed', { type: 'number', describe: 'Seed of the train/validation/test split', defaultDescription: show(d.dataSeed) })
    .option('agent', { type: 'string', choices: ['ddpg', 'random', 'uniform', 'greedy'], describe: 'Who picks the strategy', defaultDescription: d.agent })
    .option('episodes', { type: 'number', describe: 'Strategies to evaluate (warm-up included)', defaultDescription: show(d.episodes) })
    .option('warmup', { type: 'number', describe: 'Random warm-up episodes before DDPG acts', defaultDescription: show(d.warmup) })
    .option('budget', { type: 'string', describe: 'size:3bits | size:20kB | size:12x | flops:0.5 | bitops:0.25', defaultDescription: d.budget })
    .option('knobs', { type: 'string', describe: 'Per-layer knobs to search: any of bits,prune,clusters', defaultDescription: show(d.knobs) })
    .option('bits', { type: 'string', describe: 'Bit-width range MIN-MAX', defaultDescription: d.bitBounds.join('-') })
    .option('prune', { type: 'string', describe: 'Prune-ratio range MIN-MAX', defaultDescription: d.pruneBounds.join('-') })
    .option('prune-step', { type: 'number', describe: 'Grid step of the prune ratio', defaultDescription: show(d.pruneStep) })
    .option('clusters', { type: 'string', describe: 'Cluster-count range MIN-MAX (log scale)', defaultDescription: d.clusterBounds.join('-') })
    .option('bucket', { type: 'string', choices: ['none', 'split', 'channel'], describe: 'Quantization ranges: per tensor, per piece, per output channel', defaultDescription: d.bucket })
    .option('bucket-size', { type: 'number', describe: 'Piece size for --bucket split', defaultDescription: show(d.bucketSize) })
    .option('cluster-init', { type: 'string', choices: ['linear', 'random', 'density', 'kmeans++'], describe: 'Centroid initialisation', defaultDescription: d.clusterInit })
    .option('preserve-sparsity', { type: 'boolean', describe: 'Keep pruned zeros exactly zero through clustering', defaultDescription: show(d.preserveSparsity) })
    .option('prune-kind', { type: 'string', choices: ['magnitude', 'block', '2:4'], describe: 'How weights are pruned', defaultDescription: d.pruneKind })
    .option('reward', { type: 'string', choices: ['accuracy', 'haq', 'amc-flops', 'lagrangian', 'within-drop'], describe: 'Reward of an episode', defaultDescription: d.reward })
    .option('lambda', { type: 'number', describe: 'Cost weight of the lagrangian reward', defaultDescription: show(d.lambda) })
    .option('max-drop', { type: 'number', describe: 'Accuracy drop allowed by the within-drop reward (0.01 = 1 point)', defaultDescription: show(d.maxDrop) })
    .option('order', { type: 'string', choices: ['forward', 'backward', 'random'], describe: 'Layer walk order (random = new permutation each episode)', defaultDescription: d.order })
    .option('exclude', { type: 'array', string: true, describe: 'Layers (names or globs) kept at full precision' })
    .option('pin', { type: 'array', string: true, describe: 'Fix a layer: NAME=BITS or NAME=bits:8,prune:0.5,clusters:16 (NAME may be first/last/glob)' })
    .option('finetune-steps', { type: 'number', describe: 'Fine-tune steps per episode', defaultDescription: show(d.finetuneSteps) })
    .option('finetune-batch', { type: 'number', describe: 'Fine-tune batch size', defaultDescription: show(d.finetuneBatch) })
    .option('finetune-lr', { type: 'number', describe: 'Fine-tune learning rate (Adam)', defaultDescription: show(d.finetuneLr) })
    .option('gradual-pruning', { type: 'boolean', describe: 'Prune gradually during each fine-tune (tfmot cubic ramp) instead of at once', defaultDescription: show(d.gradualPruning) })
    .option('distill', { type: 'boolean', describe: 'Distil from the uncompressed model while fine-tuning', defaultDescription: show(d.distill) })
    .option('eval-size', { type: 'number', describe: 'Validation images per reward (0 = all)', defaultDescription: show(d.evalSize) })
    .option('validation-size', { type: 'number', describe: 'Images carved from training data for validation', defaultDescription: show(d.validationSize) })
    .option('final-steps', { type: 'number', describe: 'Fine-tune steps of the best strategy at the end (0 = skip)', defaultDescription: show(d.finalSteps) })
    .option('hidden', { type: 'string', describe: 'DDPG hidden widths', defaultDescription: show(d.hidden) })
    .option('actor-lr', { type: 'number', describe: 'DDPG actor learning rate', defaultDescription: show(d.actorLr) })
    .option('critic-lr', { type: 'number', describe: 'DDPG critic learning rate', defaultDescription: show(d.criticLr) })
    .option('tau', { type: 'number', describe: 'DDPG soft target update rate', defaultDescription: show(d.tau) })
    .option('noise-sigma', { type: 'number', describe: 'Initial exploration noise', defaultDescription: show(d.noiseSigma) })
    .option('noise-decay', { type: 'number', describe: 'Noise decay per episode after warm-up', defaultDescription: show(d.noiseDecay) })
    .option('batch-size', { type: 'number', describe: 'DDPG update batch size', defaultDescription: show(d.batchSize) });
}

function range(text: string, flag: string): [number, number] {
  const m = /^\s*([0-9.]+)\s*-\s*([0-9.]+)\s*$/.exec(text);
  if (!m) throw new ConfigError(`--${flag} ${text}: give a range MIN-MAX, e.g. --${flag} 2-8`);
  return [Number(m[1]), Number(m[2])];
}

function parsePin(items: string[]): RunConfig['pin'] {
  const out: RunConfig['pin'] = {};
  for (const item of items) {
    const eq = item.lastIndexOf('=');
    if (eq <= 0) throw new ConfigError(`--pin ${item}: use NAME=BITS or NAME=bits:8,prune:0.5,clusters:16`);
    const name = item.slice(0, eq);
    const value = item.slice(eq + 1);
    const spec: RunConfig['pin'][string] = {};
    if (/^\d+$/.test(value)) spec.bits = Number(value);
    else {
      for (const part of value.split(',')) {
        const [k, v] = part.split(':');
        const n = Number(v);
        if (!Number.isFinite(n)) throw new ConfigError(`--pin ${item}: '${part}' is not KEY:NUMBER`);
        if (k === 'bits') spec.bits = n;
        else if (k === 'prune') spec.pruneRatio = n;
        else if (k === 'clusters') spec.clusters = n;
        else throw new ConfigError(`--pin ${item}: unknown key '${k}' (use bits, prune, clusters)`);
      }
    }
    out[name] = spec;
  }
  return out;
}

/** Merge the config file and the flags actually given into a validated RunConfig. */
export function configFromArgs(args: Record<string, unknown>): RunConfig {
  const file = typeof args.config === 'string' ? readConfigFile(args.config) : {};
  const flags: Record<string, unknown> = {};
  const copy = (flag: string, key = flag) => {
    if (args[flag] !== undefined) flags[key] = args[flag];
  };
  for (const k of ['model', 'data', 'agent', 'episodes', 'warmup', 'budget', 'bucket', 'reward', 'lambda', 'order', 'distill', 'tau', 'seed']) copy(k);
  for (const [flag, key] of [
    ['dataSeed', 'dataSeed'], ['pruneStep', 'pruneStep'], ['bucketSize', 'bucketSize'], ['clusterInit', 'clusterInit'],
    ['preserveSparsity', 'preserveSparsity'], ['pruneKind', 'pruneKind'], ['finetuneSteps', 'finetuneSteps'],
    ['finetuneBatch', 'finetuneBatch'], ['finetuneLr', 'finetuneLr'], ['evalSize', 'evalSize'], ['validationSize', 'validationSize'],
    ['finalSteps', 'finalSteps'], ['gradualPruning', 'gradualPruning'], ['maxDrop', 'maxDrop'], ['actorLr', 'actorLr'], ['criticLr', 'criticLr'], ['noiseSigma', 'noiseSigma'],
    ['noiseDecay', 'noiseDecay'], ['batchSize', 'batchSize'],
  ] as const) copy(flag, key);
  if (typeof args.knobs === 'string') flags.knobs = args.knobs.split(',').map((s) => s.trim()).filter(Boolean);
  if (typeof args.bits === 'string') flags.bitBounds = range(args.bits, 'bits');
  if (typeof args.prune === 'string') flags.pruneBounds = range(args.prune, 'prune');
  if (typeof args.clusters === 'string') flags.clusterBounds = range(args.clusters, 'clusters');
  if (typeof args.hidden === 'string') flags.hidden = args.hidden.split(',').map(Number);
  if (Array.isArray(args.exclude)) flags.exclude = args.exclude.map(String);
  if (Array.isArray(args.pin)) flags.pin = parsePin(args.pin.map(String));
  // --seed has a global default of 1; a file's seed wins over that default unless --seed was typed
  if (!process.argv.some((a) => a === '--seed' || a.startsWith('--seed=')) && 'seed' in file) delete flags.seed;
  return parseRunConfig({ ...file, ...flags }, typeof args.config === 'string' ? `config (${args.config} + flags)` : 'flags');
}
