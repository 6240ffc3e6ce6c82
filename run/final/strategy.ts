/**
 * Strategy files: what `export` writes and `apply` reads (docs/file-format.md, "The strategy file"). Versioned JSON; its JSON
 * Schema ships in the package as `schema/strategy.schema.json`, generated from the zod schema below (the validator at
 * run time) by scripts/generate-schemas.ts. A strategy names the model it belongs to by its layers (name, kind, kernel
 * shape) and a hash of topology and weights; `apply` refuses it for a model whose layers differ, naming them.
 *
 * Version 2 adds, per layer, `preserveRatio` (the channels knob: the fraction of the layer's output channels kept,
 * with `channels` [kept, original] as built) and `activationBits`; `settings.channelMethod`; `cost.denseFlops` (the
 * MACs the built model runs). Each is optional: a strategy that cuts no channel reads as before. Version 1 files
 * still load (they cannot carry the new fields).
 *
 * Version 3 (written only when a strategy needs it, else version 2) adds the latency budget (`budget.kind`
 * `latency`, in ms), `budgets` (every budget when the run had two) and `cost.latency` (predicted and measured ms).
 */
import * as tf from '../../tfjs.js';
import { createHash } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { z } from 'zod';
import { StrategyError } from '../../errors.js';
import type { LayerInfo } from '../../env/layers.js';

export const STRATEGY_FORMAT = 'autoshrink-strategy';
export const STRATEGY_VERSION = 2;
/** The version of a strategy with a latency budget or two budgets (what version 2 readers cannot read). */
export const STRATEGY_VERSION_BUDGETS = 3;
/** Every version this autoshrink reads. */
export const STRATEGY_VERSIONS: readonly number[] = [1, 2, 3];
/** A strategy file is a few kB per hundred layers; anything this large is not one (and is not read into memory). */
const MAX_STRATEGY_BYTES = 16 << 20;

const Budget = z
  .object({
    kind: z.enum(['size', 'flops', 'bitops', 'latency']).describe('latency: version 3'),
    limit: z.number().nonnegative().describe('bytes for size, MACs for flops, bit-operations for bitops, ms per predict call for latency'),
    label: z.string(),
  })
  .strict();

const LayerEntry = z
  .object({
    name: z.string().min(1),
    bits: z.number().int().describe('1..8, or 16/32 for full precision'),
    pruneRatio: z.number().min(0).lt(1),
    clusters: z.number().int().min(0).max(65536).describe('0 = not clustered, else at least 2'),
    preserveRatio: z.number().gt(0).max(1).optional().describe("Version 2: fraction of the layer's output channels kept by channel pruning (absent = 1)"),
    channels: z.tuple([z.number().int().positive(), z.number().int().positive()]).optional().describe('Version 2: [kept, original] output channels of the built layer'),
    activationBits: z
      .number()
      .int()
      .min(2, 'activationBits must be 2..8')
      .max(8, 'activationBits must be 2..8')
      .optional()
      .describe("Version 2: bits of the layer's input activations (absent = not quantized); apply fake-quantizes them when it scores the model (env/activation-quant.ts), the written files keep fp32 activations"),
  })
  .strict()
  .refine((l) => (l.bits >= 1 && l.bits <= 8) || l.bits === 16 || l.bits === 32, { message: 'bits must be 1..8, 16 or 32', path: ['bits'] })
  .describe('bits is 1..8, 16 or 32.')
  .refine((l) => l.clusters === 0 || l.clusters >= 2, { message: 'clusters must be 0 (off) or at least 2', path: ['clusters'] })
  .describe('clusters is 0 or at least 2.');

export const StrategySchema = z
  .object({
    format: z.literal(STRATEGY_FORMAT),
    version: z
      .union([z.literal(1), z.literal(2), z.literal(3)])
      .describe('2 adds per-layer preserveRatio, channels and activationBits, settings.channelMethod and cost.denseFlops; version 1 files carry none of them; 3 adds latency budgets, budgets and cost.latency'),
    model: z.object({
      name: z.string().describe('Built-in model name or the model.json path the run used'),
      hash: z.string().describe('sha256 of topology and weights (first 16 hex digits)'),
      layers: z
        .array(z.object({ name: z.string(), kind: z.enum(['dense', 'conv', 'depthwise']), shape: z.array(z.number().int().positive()) }).strict())
        .describe('Every compressible layer of the model: what apply checks the target model against'),
    }).strict(),
    dataset: z.string(),
    budget: Budget.describe('The budget (the first of two)'),
    budgets: z.array(Budget).min(2).max(2).optional().describe('Version 3: every budget, when the run held two (the first is budget)'),
    settings: z.object({
      pruneKind: z.enum(['magnitude', 'block', '2:4']),
      clusterInit: z.enum(['linear', 'random', 'density', 'kmeans++']),
      preserveSparsity: z.boolean(),
      quantKind: z.enum(['uniform', 'nonuniform']),
      bucket: z.enum(['none', 'split', 'channel']),
      bucketSize: z.number().int().positive(),
      channelMethod: z.enum(['l1', 'lasso']).optional().describe('Version 2: how the kept channels are chosen (with a preserve ratio below 1): largest L1 norm, or LASSO with a least-squares refit'),
      bnBatches: z.number().int().min(0).optional().describe('Version 2: training batches over which batch-norm statistics were re-estimated after compression (absent: 16 in version 2, 0 in version 1)'),
    }).strict(),
    layers: z.array(LayerEntry).min(1),
    cost: z.object({
      value: z.number().nonnegative().describe("Realised cost in the budget's unit"),
      bytes: z.number().nonnegative().describe('Bytes of the model.ashk written (kernels entropy-coded where smaller); 0 when no file was written'),
      fixedWidthBytes: z.number().nonnegative().optional().describe('The same file with every kernel at fixed width: what the size budget counts, an upper bound of bytes'),
      fp32Bytes: z.number().positive().describe('Bytes of the same model at fp32'),
      bitsPerWeight: z.number().nonnegative(),
      flops: z.number().nonnegative().describe('Multiply-accumulates left after pruning (weights and channels): sparse MACs'),
      denseFlops: z.number().nonnegative().optional().describe('Version 2: the dense multiply-accumulates the built model runs (what the flops budget counts)'),
      values: z.array(z.number().nonnegative()).optional().describe('Version 3: the realised cost against each of budgets, in its unit'),
      latency: z
        .object({
          predictedMs: z.number().describe('The latency table\'s prediction for the built model, ms per predict call'),
          measuredMs: z.number().positive().describe('Median of repeated predict calls of the built model, timed side by side with the original'),
          fp32Ms: z.number().positive().describe('The same median of the uncompressed model, in the same rounds'),
          batch: z.number().int().min(1).describe('Images per predict call'),
          backend: z.string(),
        })
        .strict()
        .optional()
        .describe('Version 3: predicted and measured latency of the built model (runs with a latency budget)'),
    }).strict(),
    accuracy: z.object({
      validation: z.number().min(0).max(1),
      test: z.number().min(0).max(1).nullable(),
      baselineValidation: z.number().min(0).max(1),
      baselineTest: z.number().min(0).max(1).nullable(),
    }).strict(),
    provenance: z.object({
      runId: z.string(),
      episode: z.number().int().min(0),
      seed: z.number().int(),
      backend: z.string(),
      autoshrink: z.string(),
      date: z.string(),
    }).strict(),
  })
  .strict()
  .describe('A per-layer compression strategy found by autoshrink (export) and applied to a model (apply).');

export type Strategy = z.infer<typeof StrategySchema>;

/** Read and validate a strategy file; errors name the file and the field. */
export function loadStrategy(path: string): Strategy {
  let text: string;
  try {
    const size = statSync(path).size;
    if (size > MAX_STRATEGY_BYTES) throw new StrategyError(`strategy file ${path} is ${size} bytes, more than any strategy (${MAX_STRATEGY_BYTES}); pass the JSON written by autoshrink export`);
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if (e instanceof StrategyError) throw e;
    throw new StrategyError(`cannot read strategy file ${path}; check the path (export one with autoshrink export <run>)`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new StrategyError(`strategy file ${path} is not valid JSON (${(e as Error).message})`);
  }
  return parseStrategy(json, path);
}

export function parseStrategy(json: unknown, source = 'strategy'): Strategy {
  const obj = json as { format?: unknown; version?: unknown } | null;
  if (!obj || typeof obj !== 'object' || obj.format !== STRATEGY_FORMAT) {
    throw new StrategyError(`${source} is not an autoshrink strategy (format must be "${STRATEGY_FORMAT}")`);
  }
  if (!STRATEGY_VERSIONS.includes(obj.version as number)) {
    throw new StrategyError(`${source} has strategy version ${String(obj.version)}; this autoshrink reads versions ${STRATEGY_VERSIONS.slice(0, -1).join(', ')} and ${STRATEGY_VERSIONS.at(-1)}`);
  }
  const r = StrategySchema.safeParse(json);
  if (!r.success) {
    const issue = r.error.issues[0];
    const field = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${p}`)).join('').replace(/^\./, '');
    const message = issue.code === 'unrecognized_keys' ? `unknown field(s) ${issue.keys.join(', ')}` : issue.message;
    throw new StrategyError(`${source}: field ${field || '(top level)'}: ${message}`);
  }
  if (r.data.version === 1) {
    const i = r.data.layers.findIndex((l) => l.preserveRatio !== undefined || l.channels !== undefined || l.activationBits !== undefined);
    if (i >= 0) throw new StrategyError(`${source}: field layers[${i}]: preserveRatio, channels and activationBits need strategy version 2`);
  }
  if (r.data.version < 3 && (r.data.budget.kind === 'latency' || r.data.budgets !== undefined || r.data.cost.latency !== undefined || r.data.cost.values !== undefined)) {
    throw new StrategyError(`${source}: a latency budget, budgets, cost.values and cost.latency need strategy version 3`);
  }
  const layerNames = new Set(r.data.model.layers.map((l) => l.name));
  const stray = r.data.layers.find((l) => !layerNames.has(l.name));
  if (stray) throw new StrategyError(`${source}: layer ${stray.name} is not one of the model's layers listed in model.layers`);
  return r.data;
}

export function saveStrategy(strategy: Strategy, path: string): void {
  writeFileSync(path, `${JSON.stringify(strategy, null, 2)}\n`);
}

/** sha256 over the model's topology and weights: a strategy knows which trained model it was found for. */
export function modelHash(model: tf.LayersModel): string {
  const h = createHash('sha256');
  h.update(JSON.stringify(model.toJSON(null, false)));
  for (const w of model.getWeights()) h.update(new Uint8Array((w.dataSync() as Float32Array).buffer));
  return `sha256:${h.digest('hex').slice(0, 16)}`;
}

export function modelLayers(layers: LayerInfo[]): Strategy['model']['layers'] {
  return layers.map((l) => ({ name: l.name, kind: l.kind, shape: l.kernelShape }));
}

/**
 * Refuse a strategy for another model: every strategy layer must exist in the model with the same kind and shape.
 * Returns the model's LayerInfo for each strategy layer, in strategy order.
 */
export function matchLayers(strategy: Strategy, layers: LayerInfo[], modelName: string): LayerInfo[] {
  const byName = new Map(layers.map((l) => [l.name, l]));
  const problems: string[] = [];
  const matched: LayerInfo[] = [];
  for (const entry of strategy.layers) {
    const want = strategy.model.layers.find((l) => l.name === entry.name)!;
    const have = byName.get(entry.name);
    if (!have) problems.push(`${entry.name} (missing)`);
    else if (have.kind !== want.kind || have.kernelShape.join('x') !== want.shape.join('x')) {
      problems.push(`${entry.name} (${want.kind} ${want.shape.join('x')} in the strategy, ${have.kind} ${have.kernelShape.join('x')} in the model)`);
    } else matched.push(have);
  }
  if (problems.length > 0) {
    throw new StrategyError(`strategy is for model ${strategy.model.name}, not ${modelName}: mismatched layers ${problems.join(', ')}`);
  }
  return matched;
}
