/**
 * The run config: every knob of a search in one typed object with documented defaults, validated once at the edge
 * (CLI flags or `--config file.json`) with zod, and stored whole with each run so a resume uses exactly the same.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError } from '../errors.js';

const bounds = (lo: number, hi: number) => z.tuple([z.number().min(lo), z.number().max(hi)]).refine(([a, b]) => a <= b, 'min must not exceed max');

export const RunConfigSchema = z
  .object({
    /** A built-in model name (lenet5, mlp, mobilenet-tiny) or a path to a tfjs model.json. */
    model: z.string().min(1).default('lenet5'),
    /** Dataset: mnist (bundled 10k digits), idx:DIR or cifar10:DIR. */
    data: z.string().min(1).default('mnist'),
    /** Seed of the train / validation / test split (kept apart from `seed` so every run sees the same test set). */
    dataSeed: z.number().int().default(1),
    /** Seed of everything random in the search (agent, noise, layer order, fine-tune batches). */
    seed: z.number().int().default(1),
    /** Who decides: ddpg (the RL agent), random (random search with the same walls), uniform (one setting for all),
     * greedy (per-layer sensitivity, then lower the least sensitive layers until the budget holds). */
    agent: z.enum(['ddpg', 'random', 'uniform', 'greedy']).default('ddpg'),
    /** Episodes (strategies evaluated), warm-up included. */
    episodes: z.number().int().min(1, 'must be at least 1 (each episode evaluates one strategy)').default(30),
    /** Random warm-up episodes of the DDPG agent before the actor acts (HAQ: 20). */
    warmup: z.number().int().min(0).default(10),
    /** The budget: size:3bits, size:20kB, size:12x, flops:0.5 or bitops:0.25. */
    budget: z.string().default('size:3bits'),
    /** Knobs the agent sets per layer. */
    knobs: z.array(z.enum(['bits', 'prune', 'clusters'])).min(1).default(['bits', 'prune']),
    bitBounds: bounds(1, 8).default([2, 8]),
    pruneBounds: bounds(0, 0.99).default([0, 0.9]),
    pruneStep: z.number().positive().max(0.5).default(0.05),
    clusterBounds: bounds(2, 65536).default([4, 64]),
    /** Quantization buckets: none (one range per tensor), channel (per output channel), split (fixed-size pieces). */
    bucket: z.enum(['none', 'split', 'channel']).default('channel'),
    bucketSize: z.number().int().positive().default(256),
    clusterInit: z.enum(['linear', 'random', 'density', 'kmeans++']).default('kmeans++'),
    /** Keep pruned zeros exactly zero through clustering. */
    preserveSparsity: z.boolean().default(true),
    pruneKind: z.enum(['magnitude', 'block', '2:4']).default('magnitude'),
    reward: z.enum(['accuracy', 'haq', 'amc-flops', 'lagrangian', 'within-drop']).default('accuracy'),
    /** Cost weight of the lagrangian reward: reward = acc - lambda * cost / fullCost. */
    lambda: z.number().min(0).default(0.1),
    /** Accuracy drop allowed by the within-drop reward (0.01 = one point). */
    maxDrop: z.number().min(0).max(1).default(0.01),
    /** Layer walk order; random = PocketFlow's per-episode permutation. */
    order: z.enum(['forward', 'backward', 'random']).default('forward'),
    /** Layers (names or globs) left at full precision. */
    exclude: z.array(z.string()).default([]),
    /** Fixed settings, e.g. {"first": {"bits": 8}}. Keys are names, globs, `first` or `last`. */
    pin: z.record(z.object({ bits: z.number().int().min(1).max(32).optional(), pruneRatio: z.number().min(0).max(0.99).optional(), clusters: z.number().int().min(0).optional() })).default({}),
    /** Fine-tune steps per episode (0 = none, AMC style). */
    finetuneSteps: z.number().int().min(0).default(60),
    finetuneBatch: z.number().int().positive().default(64),
    finetuneLr: z.number().positive().default(5e-4),
    /** Prune gradually during each fine-tune (tfmot's cubic ramp over the first half of the steps) instead of at once. */
    gradualPruning: z.boolean().default(false),
    /** Distil from the uncompressed model while fine-tuning. */
    distill: z.boolean().default(false),
    /** Validation images per reward (0 = the whole validation split). */
    evalSize: z.number().int().min(0).default(1000),
    validationSize: z.number().int().positive().default(1000),
    /** Steps of the final fine-tune of the best strategy (from the original weights); 0 skips the final stage. */
    finalSteps: z.number().int().min(0).default(600),
    /** DDPG hidden layer widths (AMC/HAQ: 300, 300). */
    hidden: z.array(z.number().int().positive()).min(1).default([300, 300]),
    actorLr: z.number().positive().default(1e-4),
    criticLr: z.number().positive().default(1e-3),
    tau: z.number().gt(0).max(1).default(0.01),
    noiseSigma: z.number().min(0).default(0.5),
    noiseDecay: z.number().gt(0).max(1).default(0.99),
    batchSize: z.number().int().positive().default(64),
  })
  .strict();

export type RunConfig = z.infer<typeof RunConfigSchema>;

/** Validate a partial config (flags, a file, a stored run) into a full one; the first problem is one line. */
export function parseRunConfig(input: unknown, source = 'config'): RunConfig {
  const r = RunConfigSchema.safeParse(input ?? {});
  if (!r.success) {
    const issue = r.error.issues[0];
    const message = issue.code === 'unrecognized_keys' ? `unknown field(s) ${issue.keys.join(', ')}` : lowerFirst(issue.message);
    if (source === 'flags' && issue.path.length > 0) {
      // name the flag the user typed: --finetune-steps -3: ...
      const key = String(issue.path[0]);
      const value = (input as Record<string, unknown>)[key];
      const flag = `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
      throw new ConfigError(`${flag}${value === undefined || typeof value === 'object' ? '' : ` ${String(value)}`}: ${message}`);
    }
    const where = issue.path.length ? issue.path.join('.') : '(top level)';
    throw new ConfigError(`${source}: field ${where}: ${message}`);
  }
  return r.data;
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
