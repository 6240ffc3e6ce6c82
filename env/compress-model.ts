/**
 * Compress a model's layers from their ORIGINAL weights, fine-tune, and finalize: the one path shared by every
 * search episode and by `apply`, so a strategy's reported accuracy and size are those of the file `apply` writes.
 */
import * as tf from '../tfjs.js';
import { type CompressedLayer, compressLayer } from '../learners/compress-layer.js';
import type { LayerSpec } from '../learners/types.js';
import { type ActivationQuantizer, calibrateActivations } from './activation-quant.js';
import { BN_RECALIBRATION_BATCHES, recalibrateBatchNorm } from './batch-norm.js';
import type { Dataset } from './data/dataset.js';
import type { PrefixCache } from './prefix-cache.js';
import { finetune, type FinetuneLayer, type FinetuneOptions } from './finetune.js';
import { kernelVariable, type LayerInfo } from './layers.js';

/** The original weights of every tensor in a model, kept to restore before each episode. */
export class OriginalWeights {
  private readonly tensors: tf.Tensor[];
  readonly kernels: Map<string, Float32Array>;

  constructor(model: tf.LayersModel, layers: LayerInfo[]) {
    this.tensors = model.getWeights().map((w) => w.clone());
    this.kernels = new Map(layers.map((l) => [l.name, kernelVariable(model, l).read().dataSync() as Float32Array]));
  }

  /** Every weight, fp32 little-endian, concatenated: the uncompressed model's bytes. */
  fp32Bytes(): Uint8Array {
    const parts = this.tensors.map((t) => new Uint8Array((t.dataSync() as Float32Array).slice().buffer));
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }

  restore(model: tf.LayersModel): void {
    model.setWeights(this.tensors);
  }

  dispose(): void {
    this.tensors.forEach((t) => t.dispose());
  }
}

export function isIdentity(spec: LayerSpec): boolean {
  return spec.pruneRatio === 0 && spec.clusters === 0 && spec.bits >= 32;
}

/** `rebuilt`: the model is a channel-pruned rebuild (env/channel-space.ts), so it is fine-tuned and its batch norm
 * re-estimated even when no kernel is compressed. `activations`: the quantizer installed on the model's layer inputs
 * (env/activation-quant.ts withActivationQuant); its ranges are tracked by the fine-tune (or calibrated without one)
 * and frozen before batch-norm re-estimation, which then sees the inputs evaluation will see. `prefix`: the
 * re-estimation starts at the first changed layer from what the cache kept (env/prefix-cache.ts). */
export type CompressOptions = FinetuneOptions & { rebuilt?: boolean; activations?: ActivationQuantizer | null; prefix?: PrefixCache | null };

/**
 * Restore the original weights, compress the layers named in `plan` (a spec per LayerInfo; identity specs are left
 * alone), fine-tune for `ft.steps` (0 = none), re-estimate batch-norm statistics (`ft.bnBatches`) and leave the
 * finalized compressed weights in the model.
 * Returns the compressed layers (values, masks, codebooks) for packing.
 */
export async function compressModel(
  model: tf.LayersModel,
  originals: OriginalWeights,
  plan: Array<{ layer: LayerInfo; spec: LayerSpec }>,
  data: Dataset,
  ft: CompressOptions,
  timings?: { compress: number; finetune: number },
): Promise<Array<{ layer: LayerInfo; compressed: CompressedLayer }>> {
  const t0 = performance.now();
  originals.restore(model);
  const active = plan.filter((p) => !isIdentity(p.spec));
  const layers: FinetuneLayer[] = active.map(({ layer, spec }) => ({
    kernel: kernelVariable(model, layer),
    compressed: compressLayer(originals.kernels.get(layer.name)!, layer.storageShape, spec, { seed: String(ft.seed) }),
  }));
  for (const l of layers) {
    tf.tidy(() => {
      l.kernel.write(tf.tensor(l.compressed.values, l.kernel.shape as number[]));
    });
  }
  const t1 = performance.now();
  let result = layers.map((l) => l.compressed);
  const changed = layers.length > 0 || ft.rebuilt === true || !!ft.activations;
  if (ft.steps > 0 && changed) {
    result = await finetune(model, layers, data, ft, active.map((p) => originals.kernels.get(p.layer.name)!));
  }
  if (ft.activations) {
    if (!ft.activations.observed) await calibrateActivations(model, ft.activations, data, { batches: ft.bnBatches || BN_RECALIBRATION_BATCHES, batchSize: ft.batchSize, seed: ft.seed });
    ft.activations.freeze();
  }
  // batch norm's moving statistics still describe the fp32 model (or a 0.99-momentum blend after a short fine-tune)
  if (changed) await recalibrateBatchNorm(model, data, { batches: ft.bnBatches ?? BN_RECALIBRATION_BATCHES, batchSize: ft.batchSize, seed: ft.seed }, ft.prefix);
  if (timings) {
    timings.compress += (t1 - t0) / 1000;
    timings.finetune += (performance.now() - t1) / 1000;
  }
  return result.map((compressed, i) => ({ layer: active[i].layer, compressed }));
}
